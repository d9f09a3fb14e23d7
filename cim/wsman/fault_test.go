package wsman

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// dsp0226 is DSP0226 §14.6 (and SOAP 1.2 for its own codes), written out
// independently of the table in fault.go: code, subcode namespace and
// name, and the action each fault is sent with.
var dsp0226 = map[faultKind]struct{ code, subNS, sub, action string }{
	faultAccessDenied:                     {"Sender", nsWSMan, "AccessDenied", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultActionNotSupported:               {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/addressing", "ActionNotSupported", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultCannotProcessFilter:              {"Sender", "http://schemas.xmlsoap.org/ws/2004/09/enumeration", "CannotProcessFilter", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"},
	faultDestinationUnreachable:           {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/addressing", "DestinationUnreachable", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultEncodingLimit:                    {"Sender", nsWSMan, "EncodingLimit", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultFilterDialectUnavailable:         {"Sender", "http://schemas.xmlsoap.org/ws/2004/09/enumeration", "FilterDialectRequestedUnavailable", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"},
	faultInternalError:                    {"Receiver", nsWSMan, "InternalError", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultInvalidEnumerationContext:        {"Receiver", "http://schemas.xmlsoap.org/ws/2004/09/enumeration", "InvalidEnumerationContext", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"},
	faultInvalidExpirationTime:            {"Sender", "http://schemas.xmlsoap.org/ws/2004/09/enumeration", "InvalidExpirationTime", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"},
	faultInvalidParameter:                 {"Sender", nsWSMan, "InvalidParameter", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultInvalidRepresentation:            {"Sender", "http://schemas.xmlsoap.org/ws/2004/09/transfer", "InvalidRepresentation", "http://schemas.xmlsoap.org/ws/2004/09/transfer/fault"},
	faultInvalidSelectors:                 {"Sender", nsWSMan, "InvalidSelectors", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultMessageInformationHeaderRequired: {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/addressing", "MessageInformationHeaderRequired", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultInvalidMessageInformationHeader:  {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/addressing", "InvalidMessageInformationHeader", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultMustUnderstand:                   {"MustUnderstand", "", "", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultQuotaLimit:                       {"Sender", nsWSMan, "QuotaLimit", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultSchemaValidationError:            {"Sender", nsWSMan, "SchemaValidationError", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultTimedOut:                         {"Receiver", nsWSMan, "TimedOut", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultUnsupportedFeature:               {"Sender", nsWSMan, "UnsupportedFeature", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultAlreadyExists:                    {"Sender", nsWSMan, "AlreadyExists", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultEndpointUnavailable:              {"Receiver", "http://schemas.xmlsoap.org/ws/2004/08/addressing", "EndpointUnavailable", "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"},
	faultInvalidOptions:                   {"Sender", nsWSMan, "InvalidOptions", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
	faultEventInvalidExpirationTime:       {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/eventing", "InvalidExpirationTime", "http://schemas.xmlsoap.org/ws/2004/08/eventing/fault"},
	faultDeliveryModeUnavailable:          {"Sender", "http://schemas.xmlsoap.org/ws/2004/08/eventing", "DeliveryModeRequestedUnavailable", "http://schemas.xmlsoap.org/ws/2004/08/eventing/fault"},
	faultEventSourceUnableToProcess:       {"Receiver", "http://schemas.xmlsoap.org/ws/2004/08/eventing", "EventSourceUnableToProcess", "http://schemas.xmlsoap.org/ws/2004/08/eventing/fault"},
	faultUnableToRenew:                    {"Receiver", "http://schemas.xmlsoap.org/ws/2004/08/eventing", "UnableToRenew", "http://schemas.xmlsoap.org/ws/2004/08/eventing/fault"},
	faultInvalidBookmark:                  {"Sender", nsWSMan, "InvalidBookmark", "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"},
}

func parseReply(t testing.TB, w *writer) *reply {
	t.Helper()
	var n int
	root, err := xmltree.Read(bytes.NewReader(w.Bytes()), xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxElements: 1000}, true, &n)
	if err != nil {
		t.Fatalf("%v:\n%s", err, w.Bytes())
	}
	return &reply{status: 500, raw: w.Bytes(), root: root}
}

// TestFaultTable renders every fault and reads back its code, subcode,
// action, reason and detail.
func TestFaultTable(t *testing.T) {
	if len(dsp0226)+1 != len(faults) { // +1: VersionMismatch, tested on its own
		t.Errorf("%d faults served, %d in the DSP0226 table of this test", len(faults), len(dsp0226))
	}
	for k, want := range dsp0226 {
		d, ok := faults[k]
		if !ok {
			t.Errorf("%s not served", want.sub)
			continue
		}
		for _, detail := range []string{"", "InvalidValue"} {
			f := &Fault{kind: k, Text: "what", Detail: detail}
			r := parseReply(t, writeFault(f, "uuid:rel"))
			got, ok := r.fault()
			if !ok {
				t.Fatalf("%s: not a fault:\n%s", want.sub, r.raw)
			}
			if got.code != [2]string{nsSOAP, want.code} {
				t.Errorf("%s: code %v, want %s", want.sub, got.code, want.code)
			}
			if got.subcode != [2]string{want.subNS, want.sub} {
				t.Errorf("%s: subcode %v, want {%s}%s", want.sub, got.subcode, want.subNS, want.sub)
			}
			if got.action != want.action {
				t.Errorf("%s: action %q, want %q", want.sub, got.action, want.action)
			}
			if got.reason != d.reason+": what" {
				t.Errorf("%s: reason %q", want.sub, got.reason)
			}
			if detail == "" && got.detail != nil {
				t.Errorf("%s: a detail without one:\n%s", want.sub, r.raw)
			}
			if detail != "" && (len(got.details) != 1 || got.details[0] != "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue") {
				t.Errorf("%s: details %q", want.sub, got.details)
			}
			if rel := r.headerText(nsWSA, "RelatesTo"); rel != "uuid:rel" {
				t.Errorf("%s: RelatesTo %q", want.sub, rel)
			}
		}
	}
}

// TestFaultFor: the broker's CIM errors become the faults DSP0227 pairs
// with them.
func TestFaultFor(t *testing.T) {
	for kind, want := range map[cim.ErrorKind]struct {
		k      faultKind
		detail string
	}{
		cim.ErrAccessDenied:              {faultAccessDenied, ""},
		cim.ErrInvalidNamespace:          {faultDestinationUnreachable, "InvalidResourceURI"},
		cim.ErrInvalidClass:              {faultDestinationUnreachable, "InvalidResourceURI"},
		cim.ErrNotFound:                  {faultDestinationUnreachable, ""},
		cim.ErrInvalidParameter:          {faultInvalidParameter, ""},
		cim.ErrNotSupported:              {faultActionNotSupported, ""},
		cim.ErrMethodNotFound:            {faultActionNotSupported, ""},
		cim.ErrQueryLanguage:             {faultFilterDialectUnavailable, ""},
		cim.ErrInvalidQuery:              {faultCannotProcessFilter, ""},
		cim.ErrInvalidEnumerationContext: {faultInvalidEnumerationContext, ""},
		cim.ErrInvalidOperationTimeout:   {faultInvalidExpirationTime, ""},
		cim.ErrServerLimitsExceeded:      {faultQuotaLimit, ""},
		cim.ErrAlreadyExists:             {faultAlreadyExists, ""},
	} {
		f := faultFor(fmt.Errorf("x: %w", kind))
		if f.kind != want.k || f.Detail != want.detail {
			t.Errorf("%v: %s/%s, want %s/%s", kind, faults[f.kind].sub, f.Detail, faults[want.k].sub, want.detail)
		}
	}
	if f := faultFor(fmt.Errorf("boom")); f.kind != faultInternalError {
		t.Errorf("plain error: %s", faults[f.kind].sub)
	}
}

var uuidURN = regexp.MustCompile(`^uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestRelatesTo: every answer relates to the request's MessageID as the
// client wrote it (wsl's lack the uuid: prefix) and has its own.
func TestRelatesTo(t *testing.T) {
	e := newEnv(t, smallBed)
	host := e.bed.Inventory.Snapshot().Host.Hostname
	for _, id := range []string{"uuid:0a1b2c3d-0000-4000-8000-000000000042", "f7998725-7c69-4fba-a9ae-abc2bb3875c1", "urn:other:1 & <2>"} {
		ok := e.op(req{action: actionGet, resource: VendorPrefix + "VB_ComputerSystem", messageID: escape(id),
			selectors: []Selector{{Name: "Name", Value: host}, {Name: "CreationClassName", Value: "VB_ComputerSystem"}}}.String())
		mustOK(t, ok, actionGet+responseSuffix)
		bad := e.op(req{action: actionGet, resource: VendorPrefix + "VB_Nothing", messageID: escape(id)}.String())
		mustFault(t, bad, faultDestinationUnreachable, "InvalidResourceURI")
		for _, r := range []*reply{ok, bad} {
			if got := r.headerText(nsWSA, "RelatesTo"); got != id {
				t.Errorf("RelatesTo %q, want %q", got, id)
			}
			mid := r.headerText(nsWSA, "MessageID")
			if !uuidURN.MatchString(mid) || mid == id {
				t.Errorf("MessageID %q", mid)
			}
			if to := r.headerText(nsWSA, "To"); to != anonymous {
				t.Errorf("To %q", to)
			}
		}
	}
}

const identifyEnv = `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`

func TestIdentify(t *testing.T) {
	e := newEnv(t, smallBed)
	for _, role := range []server.Role{"", server.RoleReadOnly} {
		r := e.post(role, identifyEnv)
		if r.status != 200 {
			t.Fatalf("status %d:\n%s", r.status, r.raw)
		}
		b := r.body()
		if b == nil || !b.Is(nsWSMID, "IdentifyResponse") {
			t.Fatalf("body:\n%s", r.raw)
		}
		for name, want := range map[string]string{"ProtocolVersion": nsWSMan, "ProductVendor": "virtbridge", "ProductVersion": "t"} {
			if got := r.textAt(b, nsWSMID, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		profiles := kids(b.Kid(nsWSMID, "SecurityProfiles"), nsWSMID, "SecurityProfileName")
		if len(profiles) != 2 || text(profiles[0]) != "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic" {
			t.Errorf("security profiles:\n%s", r.raw)
		}
		// Not a WS-Addressing exchange: no addressing headers.
		if h := path(r.root, nsSOAP, "Header"); h == nil || len(h.Kids) != 0 {
			t.Errorf("Identify response headers:\n%s", r.raw)
		}
	}
	// IsIdentify tells the server which requests to let in unauthenticated.
	for body, want := range map[string]bool{identifyEnv: true, req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem"}.String(): false, "junk": false} {
		r := strings.NewReader(body)
		hr := newPost(r)
		if got := IsIdentify(hr); got != want {
			t.Errorf("IsIdentify = %v, want %v for %.60s", got, want, body)
		}
	}
}

// TestAnonymous: without credentials only Identify is answered.
func TestAnonymous(t *testing.T) {
	e := newEnv(t, smallBed)
	host := e.bed.Inventory.Snapshot().Host.Hostname
	for _, q := range []req{
		{action: actionGet, resource: VendorPrefix + "VB_ComputerSystem", selectors: []Selector{{Name: "Name", Value: host}, {Name: "CreationClassName", Value: "VB_ComputerSystem"}}},
		{action: actionEnumerate, resource: DMTFPrefix + "CIM_ComputerSystem", body: "<wsen:Enumerate/>"},
		{action: actionPull, resource: DMTFPrefix + "CIM_ComputerSystem", body: "<wsen:Pull><wsen:EnumerationContext>O0:x</wsen:EnumerationContext></wsen:Pull>"},
		{action: actionPut, resource: VendorPrefix + "VB_ComputerSystem", body: "<x/>"},
		{action: DMTFPrefix + "CIM_ComputerSystem/RequestStateChange", resource: DMTFPrefix + "CIM_ComputerSystem", body: "<x/>"},
	} {
		mustFault(t, e.post("", q.String()), faultAccessDenied, "")
	}
}
