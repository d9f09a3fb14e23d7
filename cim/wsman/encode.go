package wsman

import (
	"bytes"
	"encoding/xml"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/internal/idcache"
	"github.com/virtbridge/virtbridge/internal/uuid"
)

// writer builds one response envelope in memory: responses are bounded
// by MaxElements, and MaxEnvelopeSize can only be checked, and a fault
// sent instead, before anything goes out.
type writer struct {
	bytes.Buffer
	// nested, when set, keeps embedded instances rendered by identity
	// (the Pusher's: one indication, many subscribers).
	nested *idcache.Cache[nestedKey, []byte]
}

// nestedKey is an embedded instance at a depth (its element prefix).
type nestedKey struct {
	inst  *cim.Instance
	depth int
}

func (w *writer) text(s string) { _ = xml.EscapeText(w, []byte(s)) }

// tag writes <name attr="v" ...>; attrs alternate names and values.
func (w *writer) open(name string, attrs ...string) {
	w.WriteByte('<')
	w.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.WriteString(" " + attrs[i] + `="`)
		w.text(attrs[i+1])
		w.WriteByte('"')
	}
	w.WriteByte('>')
}

func (w *writer) close(name string) { w.WriteString("</" + name + ">") }

// leaf writes <name attrs>text</name>.
func (w *writer) leaf(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.text(text)
	w.close(name)
}

// envelopeStart writes the envelope and header up to the body, with the
// reply's addressing headers (DSP0226 §5.4: RelatesTo the request's
// MessageID); extra writes further headers.
func (w *writer) envelopeStart(action, relatesTo string, extra func(*writer)) {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("s:Envelope", "xmlns:s", nsSOAP, "xmlns:wsa", nsWSA, "xmlns:wsman", nsWSMan,
		"xmlns:wsen", nsWSEN, "xmlns:wxf", nsWXF, "xmlns:wsmb", nsWSMB, "xmlns:cim", nsCIM, "xmlns:xsi", nsXSI)
	w.open("s:Header")
	w.leaf("wsa:To", anonymous)
	if action != "" {
		w.leaf("wsa:Action", action)
	}
	w.leaf("wsa:MessageID", newMessageID())
	if relatesTo != "" {
		w.leaf("wsa:RelatesTo", relatesTo)
	}
	if extra != nil {
		extra(w)
	}
	w.close("s:Header")
	w.open("s:Body")
}

func (w *writer) envelopeEnd() {
	w.close("s:Body")
	w.close("s:Envelope")
}

// newMessageID is a random UUID URN.
func newMessageID() string { return "uuid:" + uuid.New() }

// writeFault writes a whole fault envelope (SOAP 1.2 §5.4, DSP0226 §14).
func writeFault(f *Fault, relatesTo string) *writer {
	d := faults[f.kind]
	if f.kind == faultVersionMismatch {
		return writeVersionMismatch(f)
	}
	w := &writer{}
	var extra func(*writer)
	if f.notUnderstood != ([2]string{}) {
		extra = func(w *writer) {
			w.open("s:NotUnderstood", "qname", "nu:"+f.notUnderstood[1], "xmlns:nu", f.notUnderstood[0])
			w.close("s:NotUnderstood")
		}
	}
	w.envelopeStart(d.action, relatesTo, extra)
	w.open("s:Fault")
	w.open("s:Code")
	w.leaf("s:Value", "s:"+d.code)
	if d.sub != "" {
		w.open("s:Subcode")
		w.leaf("s:Value", "p:"+d.sub, "xmlns:p", d.subNS)
		w.close("s:Subcode")
	}
	w.close("s:Code")
	w.open("s:Reason")
	w.leaf("s:Text", f.Error(), "xml:lang", "en-US")
	w.close("s:Reason")
	action := f.kind == faultActionNotSupported && f.action != ""
	if f.Detail != "" || f.extra != "" || action {
		w.open("s:Detail")
		if f.Detail != "" {
			w.leaf("wsman:FaultDetail", faultURI+f.Detail)
		}
		if action {
			// WS-Addressing: the detail of ActionNotSupported is the action.
			w.leaf("wsa:Action", f.action)
		}
		w.WriteString(f.extra)
		w.close("s:Detail")
	}
	w.close("s:Fault")
	w.envelopeEnd()
	return w
}

// writeVersionMismatch answers an envelope that is not SOAP 1.2 (SOAP
// 1.2 §5.4.7, Appendix A): a SOAP 1.1 envelope gets a SOAP 1.1 fault, any
// other a SOAP 1.2 one, each with the s:Upgrade header naming the SOAP
// 1.2 envelope, the only one served.
func writeVersionMismatch(f *Fault) *writer {
	w := &writer{}
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	upgrade := func() {
		w.open("s:Header")
		w.open("upg:Upgrade", "xmlns:upg", nsSOAP)
		w.open("upg:SupportedEnvelope", "qname", "ns1:Envelope", "xmlns:ns1", nsSOAP)
		w.close("upg:SupportedEnvelope")
		w.close("upg:Upgrade")
		w.close("s:Header")
	}
	if f.envelope == nsSOAP11 {
		w.open("s:Envelope", "xmlns:s", nsSOAP11)
		upgrade()
		w.open("s:Body")
		w.open("s:Fault")
		w.leaf("faultcode", "s:VersionMismatch")
		w.leaf("faultstring", f.Error())
		w.close("s:Fault")
		w.envelopeEnd()
		return w
	}
	w.open("s:Envelope", "xmlns:s", nsSOAP)
	upgrade()
	w.open("s:Body")
	w.open("s:Fault")
	w.open("s:Code")
	w.leaf("s:Value", "s:VersionMismatch")
	w.close("s:Code")
	w.open("s:Reason")
	w.leaf("s:Text", f.Error(), "xml:lang", "en-US")
	w.close("s:Reason")
	w.close("s:Fault")
	w.envelopeEnd()
	return w
}
