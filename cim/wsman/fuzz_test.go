package wsman

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// fuzzSeeds are the captured client envelopes and a few of this test's.
func fuzzSeeds(f *testing.F) {
	if dir := findReference(); dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "wire", "openwsman-requests.xml")); err == nil {
			for _, env := range splitEnvelopes(string(b)) {
				f.Add([]byte(env))
			}
		}
		for _, name := range []string{"wsl-requests.log", "openwsman-raw-with-auth.log"} {
			if b, err := os.ReadFile(filepath.Join(dir, "wire", name)); err == nil {
				for _, c := range splitHTTPLog(string(b)) {
					f.Add([]byte(c.body))
				}
			}
		}
	}
	f.Add([]byte(identifyEnv))
	f.Add([]byte(req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", selectors: vmSelectors("x", "VB_ComputerSystem"),
		headers: `<wsman:OperationTimeout>PT1S</wsman:OperationTimeout><wsman:MaxEnvelopeSize>8192</wsman:MaxEnvelopeSize><x:U xmlns:x="urn:x" s:mustUnderstand="1"/>`}.String()))
	f.Add([]byte(req{action: actionEnumerate, resource: AllClasses, body: `<wsen:Enumerate><wsman:Filter Dialect="` + dialectAssoc + `"><wsmb:AssociationInstances><wsmb:Object>` +
		eprXML(EPR{ResourceURI: DMTFPrefix + "CIM_ComputerSystem", Selectors: []Selector{{Name: "Name", Value: "vm"}, {Name: "CreationClassName", Value: "VB_ComputerSystem"},
			{Name: "R", EPR: &EPR{ResourceURI: DMTFPrefix + "CIM_System", Selectors: []Selector{{Name: "Name", Value: "vm"}}}}}}) +
		`</wsmb:Object></wsmb:AssociationInstances></wsman:Filter></wsen:Enumerate>`}.String()))
	f.Add([]byte(req{action: actionPull, resource: DMTFPrefix + "CIM_ComputerSystem", body: `<wsen:Pull><wsen:EnumerationContext>B3:</wsen:EnumerationContext><wsen:MaxCharacters>10</wsen:MaxCharacters></wsen:Pull>`}.String()))
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP11 + `"><s:Body/></s:Envelope>`))
}

var fuzzLimits = xmltree.Limits{MaxBytes: 64 << 10, MaxDepth: 32, MaxElements: 2000}

// checkFault: a decode error is a fault whose envelope is well-formed and
// names a code.
func checkFault(t *testing.T, err error, relatesTo string) {
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("error %v (%T) is not a *Fault", err, err)
	}
	if _, ok := faults[f.kind]; !ok {
		t.Fatalf("fault kind %d not in the table", f.kind)
	}
	w := writeFault(f, relatesTo)
	var n int
	if _, err := xmltree.Read(bytes.NewReader(w.Bytes()), xmltree.Limits{MaxBytes: 1 << 22, MaxDepth: 16, MaxElements: 1000}, true, &n); err != nil {
		t.Fatalf("fault envelope not well-formed: %v\n%s", err, w.Bytes())
	}
}

// FuzzDecode: any body decodes to a request or a well-formed fault.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Decode(bytes.NewReader(body), fuzzLimits)
		if err != nil {
			id := ""
			if req != nil {
				id = req.MessageID
			}
			checkFault(t, err, id)
			return
		}
		if req == nil || req.Options == nil {
			t.Fatal("nil request without an error")
		}
		if req.MaxEnvelopeSize != 0 && req.MaxEnvelopeSize < minEnvelope {
			t.Fatalf("MaxEnvelopeSize %d accepted", req.MaxEnvelopeSize)
		}
		if req.Timeout < 0 {
			t.Fatalf("timeout %v", req.Timeout)
		}
		seen := map[string]bool{}
		for _, s := range req.Selectors {
			if seen[strings.ToLower(s.Name)] {
				t.Fatalf("duplicate selector %s accepted", s.Name)
			}
			seen[strings.ToLower(s.Name)] = true
		}
	})
}

// FuzzHandler: any body, sent by an operator to a handler over a small
// bed, gets a well-formed SOAP answer: a response with the action's
// response action, or a fault relating to the request.
func FuzzHandler(f *testing.F) {
	fuzzSeeds(f)
	e := newEnv(f, smallBed)
	e.h.Limits = fuzzLimits
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		r := e.post(server.RoleOperator, string(body))
		fi, isFault := r.fault()
		switch {
		case isFault:
			if r.status != http.StatusInternalServerError || fi.code[1] == "" {
				t.Fatalf("fault %d %v:\n%s", r.status, fi.code, r.raw)
			}
		case r.status != http.StatusOK:
			if !r.root.Is(nsSOAP11, "Envelope") {
				t.Fatalf("status %d without a fault:\n%s", r.status, r.raw)
			}
		}
		req, err := Decode(bytes.NewReader(body), fuzzLimits)
		if err != nil || req == nil {
			return
		}
		if req.Body != nil && req.Body.Is(nsWSMID, "Identify") {
			return
		}
		if req.MessageID != "" && r.headerText(nsWSA, "RelatesTo") != req.MessageID {
			t.Fatalf("RelatesTo %q, MessageID %q", r.headerText(nsWSA, "RelatesTo"), req.MessageID)
		}
		if !isFault && r.headerText(nsWSA, "Action") != req.Action+responseSuffix {
			t.Fatalf("action %q for %q", r.headerText(nsWSA, "Action"), req.Action)
		}
		if req.MaxEnvelopeSize > 0 && len(r.raw) > req.MaxEnvelopeSize && !isFault {
			t.Fatalf("%d bytes for MaxEnvelopeSize %d", len(r.raw), req.MaxEnvelopeSize)
		}
	})
}
