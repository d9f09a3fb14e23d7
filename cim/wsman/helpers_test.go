package wsman

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/internal/reference"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

const testNamespace = "root/virtualization"

// env is a handler over a real libvirt test-driver bed.
type env struct {
	t   testing.TB
	bed *libvirttest.Bed
	br  *broker.Broker
	h   *Handler
}

func newEnv(t testing.TB, opts testbed.Options) *env {
	t.Helper()
	bed := libvirttest.NewBed(t, opts)
	br, err := virt.New(virt.Config{Namespace: testNamespace, Version: "t"}, bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	return &env{t: t, bed: bed, br: br, h: &Handler{Broker: br, Namespace: testNamespace, Product: "virtbridge", Version: "t"}}
}

// smallBed is for tests that need a few instances only.
var smallBed = testbed.Options{Domains: 4, Seed: 1}

// defaultEnv is the bed most tests use.
func defaultEnv(t testing.TB) *env {
	return newEnv(t, testbed.Options{Domains: 20, Seed: 1, Pools: 2, Networks: 2, Snapshots: 2})
}

// reply is one answer of the handler, its envelope parsed.
type reply struct {
	status int
	header http.Header
	raw    []byte
	root   *xmltree.Node
}

// post sends body to the handler as role ("" for anonymous).
func (e *env) post(role server.Role, body string) *reply {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if role != "" {
		r = r.WithContext(server.ContextWithRole(context.Background(), role, "u"))
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	rep := &reply{status: w.Code, header: w.Header(), raw: w.Body.Bytes()}
	var n int
	root, err := xmltree.Read(bytes.NewReader(rep.raw), xmltree.Limits{MaxBytes: 64 << 20, MaxDepth: 64, MaxElements: 10_000_000}, true, &n)
	if err != nil {
		e.t.Fatalf("response is not XML: %v\n%s", err, rep.raw)
	}
	rep.root = root
	return rep
}

// op posts as an operator.
func (e *env) op(body string) *reply { e.t.Helper(); return e.post(server.RoleOperator, body) }

// req builds a request envelope.
type req struct {
	action, resource, messageID string
	to                          *string // nil: a default address
	selectors                   []Selector
	headers                     string // extra header XML
	body                        string // the content of s:Body
}

const envStart = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:wsmb="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:wxf="http://schemas.xmlsoap.org/ws/2004/09/transfer">`

func (q req) String() string {
	var b strings.Builder
	b.WriteString(envStart)
	b.WriteString("<s:Header>")
	if q.action != "" {
		fmt.Fprintf(&b, `<wsa:Action s:mustUnderstand="true">%s</wsa:Action>`, q.action)
	}
	to := "http://127.0.0.1:5985/wsman"
	if q.to != nil {
		to = *q.to
	}
	if to != "" {
		fmt.Fprintf(&b, `<wsa:To s:mustUnderstand="true">%s</wsa:To>`, to)
	}
	if q.resource != "" {
		fmt.Fprintf(&b, `<wsman:ResourceURI s:mustUnderstand="true">%s</wsman:ResourceURI>`, q.resource)
	}
	id := q.messageID
	if id == "" {
		id = "uuid:00000000-0000-4000-8000-000000000001"
	}
	if id != "-" {
		fmt.Fprintf(&b, `<wsa:MessageID s:mustUnderstand="true">%s</wsa:MessageID>`, id)
	}
	b.WriteString(`<wsa:ReplyTo><wsa:Address>` + anonymous + `</wsa:Address></wsa:ReplyTo>`)
	if len(q.selectors) > 0 {
		b.WriteString(selectorSetXML(q.selectors))
	}
	b.WriteString(q.headers)
	b.WriteString("</s:Header><s:Body>")
	b.WriteString(q.body)
	b.WriteString("</s:Body></s:Envelope>")
	return b.String()
}

func selectorSetXML(sels []Selector) string {
	var b strings.Builder
	b.WriteString("<wsman:SelectorSet>")
	for _, s := range sels {
		fmt.Fprintf(&b, `<wsman:Selector Name="%s">`, s.Name)
		if s.EPR != nil {
			b.WriteString("<wsa:EndpointReference>" + eprXML(*s.EPR) + "</wsa:EndpointReference>")
		} else {
			b.WriteString(escape(s.Value))
		}
		b.WriteString("</wsman:Selector>")
	}
	b.WriteString("</wsman:SelectorSet>")
	return b.String()
}

// eprXML is the content of an EPR element.
func eprXML(e EPR) string {
	addr := e.Address
	if addr == "" {
		addr = anonymous
	}
	return "<wsa:Address>" + addr + "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>" + e.ResourceURI +
		"</wsman:ResourceURI>" + selectorSetXML(e.Selectors) + "</wsa:ReferenceParameters>"
}

// --- reading replies ---

// scope maps prefixes to namespaces while walking a tree.
type scope map[string]string

func (s scope) with(n *xmltree.Node) scope {
	out := scope{}
	for k, v := range s {
		out[k] = v
	}
	for _, a := range n.Attrs {
		switch {
		case a.Name.Space == "xmlns":
			out[a.Name.Local] = a.Value
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			out[""] = a.Value
		}
	}
	return out
}

// path walks down from n through children named {space}name, alternating.
func path(n *xmltree.Node, steps ...string) *xmltree.Node {
	for i := 0; i+1 < len(steps) && n != nil; i += 2 {
		n = n.Kid(steps[i], steps[i+1])
	}
	return n
}

func kids(n *xmltree.Node, space, name string) []*xmltree.Node {
	if n == nil {
		return nil
	}
	var out []*xmltree.Node
	for _, k := range n.Kids {
		if k.Is(space, name) {
			out = append(out, k)
		}
	}
	return out
}

func (r *reply) headerNode(name string, space ...string) *xmltree.Node {
	ns := nsWSA
	if len(space) > 0 {
		ns = space[0]
	}
	return path(r.root, nsSOAP, "Header", ns, name)
}

func (r *reply) headerText(space, name string) string {
	n := path(r.root, nsSOAP, "Header", space, name)
	if n == nil {
		return ""
	}
	return text(n)
}

// body is the element inside s:Body.
func (r *reply) body() *xmltree.Node {
	b := path(r.root, nsSOAP, "Body")
	if b == nil || len(b.Kids) == 0 {
		return nil
	}
	return b.Kids[0]
}

// faultInfo is what a fault says, QNames resolved.
type faultInfo struct {
	code, subcode [2]string // namespace, local
	action        string
	reason        string
	details       []string // wsman:FaultDetail URIs
	detail        *xmltree.Node
}

func resolve(s scope, qname string) [2]string {
	qname = strings.TrimSpace(qname)
	p, l, ok := strings.Cut(qname, ":")
	if !ok {
		return [2]string{s[""], qname}
	}
	return [2]string{s[p], l}
}

// fault parses the reply as a fault; ok false if it is not one.
func (r *reply) fault() (faultInfo, bool) {
	var f faultInfo
	sc := scope{}.with(r.root)
	body := path(r.root, nsSOAP, "Body")
	if body == nil {
		return f, false
	}
	sc = sc.with(body)
	fn := body.Kid(nsSOAP, "Fault")
	if fn == nil {
		return f, false
	}
	sc = sc.with(fn)
	code := fn.Kid(nsSOAP, "Code")
	if code != nil {
		csc := sc.with(code)
		if v := code.Kid(nsSOAP, "Value"); v != nil {
			f.code = resolve(csc.with(v), text(v))
		}
		if sub := code.Kid(nsSOAP, "Subcode"); sub != nil {
			ssc := csc.with(sub)
			if v := sub.Kid(nsSOAP, "Value"); v != nil {
				f.subcode = resolve(ssc.with(v), text(v))
			}
		}
	}
	f.reason = r.textAt(fn, nsSOAP, "Reason", nsSOAP, "Text")
	f.action = r.headerText(nsWSA, "Action")
	if d := fn.Kid(nsSOAP, "Detail"); d != nil {
		f.detail = d
		for _, fd := range kids(d, nsWSMan, "FaultDetail") {
			f.details = append(f.details, text(fd))
		}
	}
	return f, true
}

func (r *reply) textAt(n *xmltree.Node, steps ...string) string {
	if n = path(n, steps...); n == nil {
		return ""
	}
	return text(n)
}

// mustFault checks the reply is the fault kind with detail ("" for none).
func mustFault(t testing.TB, r *reply, k faultKind, detail string) faultInfo {
	t.Helper()
	f, ok := r.fault()
	if !ok {
		t.Fatalf("want fault %s, got status %d:\n%s", faults[k].sub, r.status, r.raw)
	}
	d := faults[k]
	wantCode := [2]string{nsSOAP, d.code}
	wantSub := [2]string{d.subNS, d.sub}
	if f.code != wantCode || f.subcode != wantSub {
		t.Fatalf("fault code %v subcode %v, want %v %v:\n%s", f.code, f.subcode, wantCode, wantSub, r.raw)
	}
	if f.action != d.action {
		t.Errorf("fault action %q, want %q", f.action, d.action)
	}
	if detail != "" {
		if len(f.details) != 1 || f.details[0] != faultURI+detail {
			t.Errorf("fault details %q, want %s%s:\n%s", f.details, faultURI, detail, r.raw)
		}
	} else if len(f.details) != 0 {
		t.Errorf("fault details %q, want none", f.details)
	}
	if r.status != d.httpCode {
		t.Errorf("HTTP status %d, want %d", r.status, d.httpCode)
	}
	return f
}

// mustOK checks the reply is not a fault and has the action.
func mustOK(t testing.TB, r *reply, action string) {
	t.Helper()
	if f, ok := r.fault(); ok {
		t.Fatalf("unexpected fault %v %v: %s\n%s", f.subcode, f.details, f.reason, r.raw)
	}
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if got := r.headerText(nsWSA, "Action"); got != action {
		t.Fatalf("action %q, want %q", got, action)
	}
}

// --- reference captures ---

// referenceDir is the shared reference data holding the client captures.
func referenceDir(t testing.TB) string { return reference.Dir(t, "wire") }

func findReference() string { return reference.Find("wire") }

// splitEnvelopes cuts a file of envelopes, each starting with an XML
// declaration, keeping the declarations.
func splitEnvelopes(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "<?xml")
		if i < 0 {
			return out
		}
		s = s[i:]
		j := strings.Index(s[1:], "<?xml")
		if j < 0 {
			out = append(out, strings.TrimSpace(s))
			return out
		}
		out = append(out, strings.TrimSpace(s[:j+1]))
		s = s[j+1:]
	}
}

// captured is one HTTP request of a log.
type captured struct {
	comment string // the "###" line before it, if any
	auth    bool   // it carried an Authorization header
	body    string
}

// splitHTTPLog cuts a log of raw HTTP requests: header lines, then the
// body (an envelope up to its closing tag).
func splitHTTPLog(s string) []captured {
	var out []captured
	var comment string
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "###") {
			comment = strings.TrimSpace(strings.TrimPrefix(l, "###"))
			continue
		}
		if !strings.HasPrefix(l, "POST ") && !strings.HasPrefix(l, "=== POST ") {
			continue
		}
		c := captured{comment: comment}
		// headers up to the body's XML declaration
		j := i + 1
		for ; j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "<?xml"); j++ {
			if strings.HasPrefix(strings.ToLower(lines[j]), "authorization:") {
				c.auth = true
			}
		}
		var body strings.Builder
		for ; j < len(lines); j++ {
			body.WriteString(lines[j])
			body.WriteString("\n")
			if strings.Contains(lines[j], "Envelope>") && strings.Contains(lines[j], "</") {
				trimmed := strings.TrimSpace(lines[j])
				if strings.HasSuffix(trimmed, "Envelope>") {
					break
				}
			}
		}
		c.body = strings.TrimSpace(body.String())
		out = append(out, c)
		i = j
	}
	return out
}

func newPost(body io.Reader) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/wsman", body)
}
