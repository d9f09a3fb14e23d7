package wsman

import (
	"encoding/xml"
	"io"
)

func xmlEscape(w io.Writer, s string) error { return xml.EscapeText(w, []byte(s)) }

// identify answers wsmid:Identify (DSP0226 §11) with the protocol
// version, vendor, product version and security profiles. Identify is not
// a WS-Addressing exchange: the response has no addressing headers.
func (c *call) identify() *writer {
	w := &writer{}
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("s:Envelope", "xmlns:s", nsSOAP)
	w.WriteString("<s:Header/>")
	w.open("s:Body")
	w.open("wsmid:IdentifyResponse", "xmlns:wsmid", nsWSMID)
	w.leaf("wsmid:ProtocolVersion", "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd")
	w.leaf("wsmid:ProductVendor", c.h.Product)
	w.leaf("wsmid:ProductVersion", c.h.Version)
	w.open("wsmid:SecurityProfiles")
	for _, p := range []string{"http/basic", "https/basic"} {
		w.leaf("wsmid:SecurityProfileName", "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/"+p)
	}
	w.close("wsmid:SecurityProfiles")
	w.close("wsmid:IdentifyResponse")
	w.envelopeEnd()
	return w
}
