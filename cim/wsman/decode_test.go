package wsman

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

var testLimits = xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxElements: 10000}

func decode(s string) (*Request, error) { return Decode(strings.NewReader(s), testLimits) }

func TestDecodeHeaders(t *testing.T) {
	q := req{
		action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", messageID: "uuid:m-1",
		selectors: []Selector{{Name: "Name", Value: " a b "}, {Name: "__cimnamespace", Value: "root/interop"},
			{Name: "Ref", EPR: &EPR{ResourceURI: DMTFPrefix + "CIM_System", Selectors: []Selector{{Name: "Name", Value: "h"}}}}},
		headers: `<wsman:OptionSet><wsman:Option Name="ShowExtensions">true</wsman:Option></wsman:OptionSet>` +
			`<wsman:OperationTimeout>PT60.500S</wsman:OperationTimeout><wsman:MaxEnvelopeSize s:mustUnderstand="true">153600</wsman:MaxEnvelopeSize>` +
			`<wsman:RequestTotalItemsCountEstimate/><wsman:Locale xml:lang="en-US" s:mustUnderstand="true"/>` +
			`<x:Other xmlns:x="urn:x" s:mustUnderstand="true" s:role="http://www.w3.org/2003/05/soap-envelope/role/none"/>` +
			`<x:Ignored xmlns:x="urn:x" s:mustUnderstand="false"/>`,
		body: `<wxf:Get/>`,
	}
	r, err := decode(q.String())
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != actionGet || r.To != "http://127.0.0.1:5985/wsman" || r.ResourceURI != DMTFPrefix+"CIM_ComputerSystem" || r.MessageID != "uuid:m-1" {
		t.Errorf("addressing: %+v", r)
	}
	if len(r.Selectors) != 3 || r.Selectors[0].Value != "a b" || r.Selectors[1].Value != "root/interop" {
		t.Fatalf("selectors %+v", r.Selectors)
	}
	if e := r.Selectors[2].EPR; e == nil || e.ResourceURI != DMTFPrefix+"CIM_System" || e.Address != anonymous || len(e.Selectors) != 1 || e.Selectors[0].Value != "h" {
		t.Errorf("reference selector %+v", r.Selectors[2])
	}
	if r.Options["ShowExtensions"] != "true" || r.Timeout != 60500*time.Millisecond || r.MaxEnvelopeSize != 153600 || !r.TotalItemsEstimate {
		t.Errorf("options/limits: %+v", r)
	}
	if r.Body == nil || !r.Body.Is(nsWXF, "Get") {
		t.Errorf("body %+v", r.Body)
	}
}

// decodeFault decodes s and checks the fault.
func decodeFault(t *testing.T, s string, k faultKind, detail string) *Fault {
	t.Helper()
	_, err := decode(s)
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("want fault %s, got %v", faults[k].sub, err)
	}
	if f.kind != k || f.Detail != detail {
		t.Fatalf("fault %s/%s (%v), want %s/%s", faults[f.kind].sub, f.Detail, f, faults[k].sub, detail)
	}
	return f
}

func TestDecodeFaults(t *testing.T) {
	base := req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem"}
	with := func(h string) string { q := base; q.headers = h; return q.String() }
	cases := []struct {
		name   string
		env    string
		kind   faultKind
		detail string
	}{
		{"mustUnderstand", with(`<x:Unknown xmlns:x="urn:x" s:mustUnderstand="true"/>`), faultMustUnderstand, ""},
		{"mustUnderstand 1", with(`<wsman:FragmentTransfer s:mustUnderstand="1">a</wsman:FragmentTransfer>`), faultMustUnderstand, ""},
		{"MaxEnvelopeSize too small", with(`<wsman:MaxEnvelopeSize s:mustUnderstand="true">8191</wsman:MaxEnvelopeSize>`), faultEncodingLimit, "MinimumEnvelopeLimit"},
		{"MaxEnvelopeSize not a number", with(`<wsman:MaxEnvelopeSize>lots</wsman:MaxEnvelopeSize>`), faultInvalidMessageInformationHeader, ""},
		{"OperationTimeout", with(`<wsman:OperationTimeout>60 seconds</wsman:OperationTimeout>`), faultInvalidMessageInformationHeader, ""},
		{"OperationTimeout months", with(`<wsman:OperationTimeout>P1M</wsman:OperationTimeout>`), faultInvalidMessageInformationHeader, ""},
		{"OperationTimeout zero", with(`<wsman:OperationTimeout>PT0S</wsman:OperationTimeout>`), faultInvalidMessageInformationHeader, ""},
		{"OperationTimeout NaN", with(`<wsman:OperationTimeout>PTNaNS</wsman:OperationTimeout>`), faultInvalidMessageInformationHeader, ""},
		{"duplicate selectors", with(`<wsman:SelectorSet><wsman:Selector Name="Name">a</wsman:Selector><wsman:Selector Name="name">b</wsman:Selector></wsman:SelectorSet>`), faultInvalidSelectors, "DuplicateSelectors"},
		{"selector without name", with(`<wsman:SelectorSet><wsman:Selector>a</wsman:Selector></wsman:SelectorSet>`), faultInvalidSelectors, "InvalidValue"},
		{"not a selector", with(`<wsman:SelectorSet><wsman:Option Name="a">a</wsman:Option></wsman:SelectorSet>`), faultInvalidSelectors, "UnexpectedSelectors"},
		{"second ReplyTo", with(`<wsa:ReplyTo><wsa:Address>http://10.0.0.1/sink</wsa:Address></wsa:ReplyTo>`), faultInvalidMessageInformationHeader, ""},
		{"duplicate Action", with(`<wsa:Action>` + actionGet + `</wsa:Action>`), faultInvalidMessageInformationHeader, ""},
		{"MustComply option", with(`<wsman:OptionSet><wsman:Option Name="x" MustComply="true">1</wsman:Option></wsman:OptionSet>`), faultInvalidOptions, "NotSupported"},
		{"Locale", with(`<wsman:Locale xml:lang="fr-FR" s:mustUnderstand="true"/>`), faultUnsupportedFeature, "Locale"},
		{"not XML", "<s:Envelope", faultSchemaValidationError, ""},
		{"DTD", `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "y">]><s:Envelope xmlns:s="` + nsSOAP + `"><s:Body/></s:Envelope>`, faultSchemaValidationError, ""},
		{"no body", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Header/></s:Envelope>`, faultSchemaValidationError, ""},
		{"body first", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body/><s:Header/></s:Envelope>`, faultSchemaValidationError, ""},
		{"two bodies", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body/><s:Body/></s:Envelope>`, faultSchemaValidationError, ""},
		{"two body elements", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body><a/><b/></s:Body></s:Envelope>`, faultSchemaValidationError, ""},
		{"not an envelope", `<s:Body xmlns:s="` + nsSOAP + `"/>`, faultSchemaValidationError, ""},
		{"SOAP 1.1", `<s:Envelope xmlns:s="` + nsSOAP11 + `"><s:Body/></s:Envelope>`, faultVersionMismatch, ""},
		{"too big", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body>` + strings.Repeat("x", 1<<20) + `</s:Body></s:Envelope>`, faultEncodingLimit, "ServiceEnvelopeLimit"},
		{"too deep", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body>` + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + `</s:Body></s:Envelope>`, faultEncodingLimit, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			decodeFault(t, tc.env, tc.kind, tc.detail)
		})
	}
	// ReplyTo and FaultTo must be anonymous.
	for _, h := range []string{"ReplyTo", "FaultTo"} {
		q := base
		q.headers = `<wsa:` + h + `><wsa:Address>http://10.0.0.1/sink</wsa:Address></wsa:` + h + `>`
		env := q.String()
		if h == "ReplyTo" {
			env = strings.Replace(env, `<wsa:ReplyTo><wsa:Address>`+anonymous+`</wsa:Address></wsa:ReplyTo>`, "", 1)
		}
		decodeFault(t, env, faultUnsupportedFeature, "AddressingMode")
	}
	// The not-understood header is named.
	f := decodeFault(t, with(`<x:Unknown xmlns:x="urn:x" s:mustUnderstand="true"/>`), faultMustUnderstand, "")
	if f.notUnderstood != [2]string{"urn:x", "Unknown"} {
		t.Errorf("notUnderstood %v", f.notUnderstood)
	}
	// A header fault still knows the MessageID, wherever it stands.
	env := strings.Replace(with(`<x:Unknown xmlns:x="urn:x" s:mustUnderstand="true"/>`), "<s:Header>", `<s:Header><x:First xmlns:x="urn:x" s:mustUnderstand="true"/>`, 1)
	if r, err := decode(env); err == nil || r == nil || r.MessageID == "" {
		t.Errorf("MessageID not kept with the fault: %+v, %v", r, err)
	}
}

// TestHandlerHeaderFaults: what the handler answers for envelopes whose
// headers are wrong, and that the fault relates to the request.
func TestHandlerHeaderFaults(t *testing.T) {
	e := newEnv(t, smallBed)
	empty := ""
	for _, tc := range []struct {
		name string
		q    req
		kind faultKind
	}{
		{"no Action", req{resource: DMTFPrefix + "CIM_ComputerSystem"}, faultMessageInformationHeaderRequired},
		{"no MessageID", req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", messageID: "-"}, faultMessageInformationHeaderRequired},
		{"no To", req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", to: &empty}, faultMessageInformationHeaderRequired},
		{"unknown action", req{action: "urn:x:Frobnicate", resource: DMTFPrefix + "CIM_ComputerSystem", body: "<x xmlns='urn:x'/>"}, faultActionNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.op(tc.q.String())
			mustFault(t, r, tc.kind, "")
			if tc.q.messageID != "-" {
				if got := r.headerText(nsWSA, "RelatesTo"); got != "uuid:00000000-0000-4000-8000-000000000001" {
					t.Errorf("RelatesTo %q", got)
				}
			}
		})
	}
	// s:NotUnderstood names the header (SOAP 1.2 §5.4.8).
	r := e.op(req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", headers: `<x:Unknown xmlns:x="urn:x" s:mustUnderstand="true"/>`}.String())
	mustFault(t, r, faultMustUnderstand, "")
	nu := r.headerNode("NotUnderstood", nsSOAP)
	if nu == nil {
		t.Fatalf("no s:NotUnderstood:\n%s", r.raw)
	}
	qn, _ := nu.Attr("qname")
	if got := resolve(scope{}.with(nu), qn); got != [2]string{"urn:x", "Unknown"} {
		t.Errorf("NotUnderstood qname %q = %v", qn, got)
	}
	// ActionNotSupported carries the action.
	r = e.op(req{action: "urn:x:Frobnicate", resource: DMTFPrefix + "CIM_ComputerSystem", body: "<x xmlns='urn:x'/>"}.String())
	f := mustFault(t, r, faultActionNotSupported, "")
	if a := f.detail.Kid(nsWSA, "Action"); a == nil || text(a) != "urn:x:Frobnicate" {
		t.Errorf("ActionNotSupported detail:\n%s", r.raw)
	}
	// SOAP 1.1: a SOAP 1.1 VersionMismatch fault with the Upgrade header.
	r = e.op(`<?xml version="1.0"?><s:Envelope xmlns:s="` + nsSOAP11 + `"><s:Header/><s:Body><x/></s:Body></s:Envelope>`)
	if r.status != 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") || !r.root.Is(nsSOAP11, "Envelope") {
		t.Fatalf("SOAP 1.1 answer %d %s:\n%s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	fc := path(r.root, nsSOAP11, "Body", nsSOAP11, "Fault", "", "faultcode")
	if fc == nil || resolve(scope{}.with(r.root), text(fc)) != [2]string{nsSOAP11, "VersionMismatch"} {
		t.Errorf("faultcode:\n%s", r.raw)
	}
	se := path(r.root, nsSOAP11, "Header", nsSOAP, "Upgrade", nsSOAP, "SupportedEnvelope")
	if se == nil {
		t.Fatalf("no Upgrade header:\n%s", r.raw)
	}
	if qn, _ := se.Attr("qname"); resolve(scope{}.with(se), qn) != [2]string{nsSOAP, "Envelope"} {
		t.Errorf("SupportedEnvelope %q", qn)
	}
	// Not POST, not SOAP.
	if r := e.post(server.RoleOperator, "x"); r.status != 500 {
		t.Errorf("garbage: %d", r.status)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT60S": time.Minute, "PT60.000S": time.Minute, "P1DT2H": 26 * time.Hour, "PT1H30M": 90 * time.Minute,
		"PT0.5S": 500 * time.Millisecond, "P2D": 48 * time.Hour,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P", "60", "PT", "P1Y", "P1M", "PT1D", "P1H", "PTS", "PT-1S", "PTNaNS", "PTInfS", "PT1e300S", "-PT1S", "PTTS"} {
		if d, err := parseDuration(in); err == nil && d > 0 {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		}
	}
	if got := formatDuration(1500 * time.Millisecond); got != "PT1.500S" {
		t.Errorf("formatDuration = %q", got)
	}
}
