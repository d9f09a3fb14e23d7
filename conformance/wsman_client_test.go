package conformance

// Helpers for the WS-Management conformance tests: a client built on
// github.com/masterzen/winrm's SOAP transport, envelope builders, a small
// namespace-aware XML tree for reading answers, and the wsl runner.

import (
	"bytes"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/simplexml/dom"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
	"github.com/virtbridge/virtbridge/internal/uuid"
)

// XML namespaces and URIs of DSP0226 / DSP0227 used by the tests.
const (
	wsNSSoap   = "http://www.w3.org/2003/05/soap-envelope"
	wsNSAddr   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	wsNSMan    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	wsNSEnum   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	wsNSXfer   = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	wsNSIdent  = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	wsNSBind   = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	wsAnon     = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	wsDMTF     = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	wsVendor   = "http://schemas.virtbridge.dev/wbem/wscim/1/cim-schema/2/"
	wsAllClass = "http://schemas.dmtf.org/wbem/wscim/1/*"
	wsCIMNS    = "root/virtualization"

	wsActGet       = wsNSXfer + "/Get"
	wsActEnumerate = wsNSEnum + "/Enumerate"
	wsActPull      = wsNSEnum + "/Pull"
	wsActRelease   = wsNSEnum + "/Release"

	wsDialectWQL   = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	wsDialectCQL   = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf"
	wsDialectAssoc = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
	wsFaultDetail  = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
)

// wsEnvelopeNS declares the prefixes the raw envelopes below use.
var wsEnvelopeNS = [][2]string{
	{"s", wsNSSoap}, {"wsa", wsNSAddr}, {"wsman", wsNSMan}, {"wsen", wsNSEnum}, {"wsmb", wsNSBind}, {"wsmid", wsNSIdent},
}

// wsClient talks to one WS-Man listener through winrm's transport: the
// same http.Transport, Basic credentials and Content-Type winrm uses
// against WinRM. winrm has no exported "send this envelope" call; its
// Transporter.Post sends a *soap.SoapMessage, whose simplexml DOM writes
// element content unescaped, so any envelope can be carried in one.
type wsClient struct {
	url    string // http(s)://host:port/wsman, also sent as wsa:To
	client *winrm.Client
	tr     winrm.Transporter
}

// newWSClient connects as user (password looked up among the test users);
// https skips certificate verification: the agent's certificate is the
// self-signed one it generated into its state directory.
func newWSClient(t testing.TB, hostport string, https bool, user string) *wsClient {
	t.Helper()
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	ep := winrm.NewEndpoint(host, port, https, true, nil, nil, nil, 30*time.Second)
	tr := winrm.NewClientWithDial(nil)
	params := winrm.NewParameters("PT60S", "en-US", 153600)
	params.TransportDecorator = func() winrm.Transporter { return tr }
	pass := map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user]
	c, err := winrm.NewClientWithParameters(ep, user, pass, params)
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	return &wsClient{url: scheme + "://" + hostport + "/wsman", client: c, tr: tr}
}

// wsReply is one HTTP exchange: what was sent and what came back.
type wsReply struct {
	request, body string
	status        int
	root          *xnode // the parsed body; nil if it is not XML
}

func (r *wsReply) String() string {
	status := fmt.Sprintf("HTTP %d", r.status)
	if r.status == statusHidden {
		status = "HTTP status not reported by winrm"
	}
	return fmt.Sprintf("request:\n%s\nresponse (%s):\n%s", r.request, status, r.body)
}

var winrmHTTPError = regexp.MustCompile(`(?s)^http error (\d+): (.*)$`)
var winrmStatusOnly = regexp.MustCompile(`^http response error: (\d+) - `)

// statusHidden is the status of a reply read through winrm: its Post
// hands back any SOAP body as a success, whatever the HTTP status (the
// deferred check meant to turn non-200 answers into errors assigns to
// locals, not to the results). faultStatus re-sends a request with
// net/http where the status matters.
const statusHidden = -1

// post sends msg and returns the exchange.
func (c *wsClient) post(t testing.TB, msg *soap.SoapMessage) *wsReply {
	t.Helper()
	r := &wsReply{request: msg.String()}
	body, err := c.tr.Post(c.client, msg)
	switch {
	case err == nil:
		r.status, r.body = statusHidden, body
	case winrmHTTPError.MatchString(err.Error()):
		m := winrmHTTPError.FindStringSubmatch(err.Error())
		r.status, _ = strconv.Atoi(m[1])
		r.body = m[2]
	case winrmStatusOnly.MatchString(err.Error()):
		m := winrmStatusOnly.FindStringSubmatch(err.Error())
		r.status, _ = strconv.Atoi(m[1])
	default:
		t.Fatalf("winrm post to %s: %v\nrequest:\n%s", c.url, err, r.request)
	}
	if r.body != "" {
		root, err := parseXML([]byte(r.body))
		if err == nil {
			r.root = root
		}
	}
	return r
}

// wsRequest is an envelope to send: winrm's own header builder writes
// To, ReplyTo, MaxEnvelopeSize, MessageID, Locale, OperationTimeout,
// Action and ResourceURI; selectors (which that builder cannot write:
// it knows only WinRM's ShellId) and extra headers switch to a raw
// envelope with the same headers.
type wsRequest struct {
	action, resourceURI string
	selectors           string // wsman:Selector elements, "" for none
	headers             string // further header elements, "" for none
	body                string // the s:Body content
	maxEnvelope         int    // 0: winrm's default 153600
}

// message builds the SOAP message for req.
func (c *wsClient) message(req wsRequest) *soap.SoapMessage {
	maxEnv := req.maxEnvelope
	if maxEnv == 0 {
		maxEnv = 153600
	}
	body := req.body
	if req.selectors == "" && req.headers == "" {
		msg := soap.NewMessage()
		msg.Header().To(c.url).ReplyTo(wsAnon).MaxEnvelopeSize(maxEnv).Id(newUUIDURN()).
			Locale("en-US").Timeout("PT60S").Action(req.action).ResourceURI(req.resourceURI).Build()
		if body != "" {
			// The body's elements declare their own prefixes.
			msg.NewBody().SetContent(wsDeclare(body))
		} else {
			msg.NewBody()
		}
		return msg
	}
	var h strings.Builder
	fmt.Fprintf(&h, `<wsa:To s:mustUnderstand="true">%s</wsa:To>`, c.url)
	fmt.Fprintf(&h, `<wsa:ReplyTo><wsa:Address s:mustUnderstand="true">%s</wsa:Address></wsa:ReplyTo>`, wsAnon)
	fmt.Fprintf(&h, `<wsman:MaxEnvelopeSize s:mustUnderstand="true">%d</wsman:MaxEnvelopeSize>`, maxEnv)
	fmt.Fprintf(&h, `<wsa:MessageID>%s</wsa:MessageID>`, newUUIDURN())
	h.WriteString(`<wsman:OperationTimeout>PT60S</wsman:OperationTimeout>`)
	fmt.Fprintf(&h, `<wsa:Action s:mustUnderstand="true">%s</wsa:Action>`, req.action)
	fmt.Fprintf(&h, `<wsman:ResourceURI s:mustUnderstand="true">%s</wsman:ResourceURI>`, req.resourceURI)
	if req.selectors != "" {
		fmt.Fprintf(&h, `<wsman:SelectorSet>%s</wsman:SelectorSet>`, req.selectors)
	}
	h.WriteString(req.headers)
	return rawMessage(h.String(), body)
}

// wsDeclare adds the prefixes of wsEnvelopeNS to the first element of
// body, for content placed under winrm's envelope (which declares env,
// a, w, p and rsp instead).
func wsDeclare(body string) string {
	i := strings.IndexAny(body, " />")
	if !strings.HasPrefix(body, "<") || i < 0 {
		return body
	}
	var decl strings.Builder
	for _, ns := range wsEnvelopeNS {
		fmt.Fprintf(&decl, ` xmlns:%s="%s"`, ns[0], ns[1])
	}
	return body[:i] + decl.String() + body[i:]
}

// rawMessage is a *soap.SoapMessage holding exactly the header and body
// given: its root element is named s:Envelope literally, with the
// namespace declarations as attributes and the rest as content.
func rawMessage(header, body string) *soap.SoapMessage {
	root := dom.CreateElement("s:Envelope")
	for _, ns := range wsEnvelopeNS {
		root.SetAttr("xmlns:"+ns[0], ns[1])
	}
	root.SetContent("<s:Header>" + header + "</s:Header><s:Body>" + body + "</s:Body>")
	doc := dom.CreateDocument()
	doc.SetRoot(root)
	msg := soap.NewMessage()
	*msg.Doc() = *doc
	return msg
}

// do sends req.
func (c *wsClient) do(t testing.TB, req wsRequest) *wsReply {
	t.Helper()
	return c.post(t, c.message(req))
}

// ok sends req and fails the test unless it got a 200 with a SOAP body
// that is no fault.
func (c *wsClient) ok(t testing.TB, req wsRequest) *wsReply {
	t.Helper()
	r := c.do(t, req)
	if (r.status != http.StatusOK && r.status != statusHidden) || r.root == nil || r.fault() != nil {
		t.Fatalf("%s: want a response, got:\n%s", req.action, r)
	}
	return r
}

func newUUIDURN() string { return "uuid:" + uuid.New() }

// wsFault is a SOAP 1.2 fault as DSP0226 §14 writes it.
type wsFault struct {
	action, code, subcode, reason, detail string // subcode as {namespace}local
}

func (f *wsFault) String() string {
	return fmt.Sprintf("%s / %s (%s) %q detail %q", f.code, f.subcode, f.action, f.reason, f.detail)
}

// fault reads the reply's s:Fault; nil if it has none.
func (r *wsReply) fault() *wsFault {
	if r.root == nil {
		return nil
	}
	fe := r.root.find(wsNSSoap, "Fault")
	if fe == nil {
		return nil
	}
	f := &wsFault{}
	if a := r.root.find(wsNSAddr, "Action"); a != nil {
		f.action = a.text()
	}
	if code := fe.kid(wsNSSoap, "Code"); code != nil {
		if v := code.kid(wsNSSoap, "Value"); v != nil {
			f.code = v.qname()
		}
		if sub := code.kid(wsNSSoap, "Subcode"); sub != nil {
			if v := sub.kid(wsNSSoap, "Value"); v != nil {
				f.subcode = v.qname()
			}
		}
	}
	if reason := fe.kid(wsNSSoap, "Reason"); reason != nil {
		if tx := reason.kid(wsNSSoap, "Text"); tx != nil {
			f.reason = tx.text()
		}
	}
	if d := fe.find(wsNSMan, "FaultDetail"); d != nil {
		f.detail = d.text()
	}
	return f
}

// wantFault fails unless r is a fault with subcode {ns}local and, when
// detail is not "", that wsman:FaultDetail suffix.
func wantFault(t testing.TB, what string, r *wsReply, ns, local, detail string) *wsFault {
	t.Helper()
	f := r.fault()
	switch {
	case f == nil:
		t.Errorf("%s: want fault %s, got no fault:\n%s", what, local, r)
	case f.subcode != "{"+ns+"}"+local:
		t.Errorf("%s: want subcode {%s}%s, got %s:\n%s", what, ns, local, f, r)
	case detail != "" && f.detail != wsFaultDetail+detail:
		t.Errorf("%s: want FaultDetail %s%s, got %q:\n%s", what, wsFaultDetail, detail, f.detail, r)
	case r.status != http.StatusInternalServerError && r.status != http.StatusBadRequest && r.status != statusHidden:
		t.Errorf("%s: a fault with HTTP status %d:\n%s", what, r.status, r)
	}
	return f
}

// faultStatus re-sends the request of r with net/http, with c's
// credentials, and fails unless the fault comes with HTTP 500 (or 400 for
// a Sender fault, as SOAP 1.2's HTTP binding has it).
func (c *wsClient) faultStatus(t testing.TB, what string, r *wsReply, user string) {
	t.Helper()
	pass := map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user]
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, body := rawPost(t, hc, c.url, user, pass, r.request)
	if resp.StatusCode != http.StatusInternalServerError && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("%s: the fault came with HTTP %d, want 500 (DSP0226's HTTP binding):\n%s", what, resp.StatusCode, body)
	}
	if !strings.Contains(body, "Fault>") {
		t.Errorf("%s: re-sent with net/http, no fault:\n%s", what, body)
	}
}

// xnode is an element with namespace-resolved names.
type xnode struct {
	name   xml.Name
	attrs  []xml.Attr
	kids   []*xnode
	parent *xnode
	chars  strings.Builder
	decls  map[string]string // prefix → namespace declared here
}

func parseXML(b []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var root, cur *xnode
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tk.Name, attrs: tk.Attr, parent: cur, decls: map[string]string{}}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" {
					n.decls[a.Name.Local] = a.Value
				}
			}
			if cur == nil {
				root = n
			} else {
				cur.kids = append(cur.kids, n)
			}
			cur = n
		case xml.EndElement:
			cur = cur.parent
		case xml.CharData:
			if cur != nil {
				cur.chars.Write(tk)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no element")
	}
	return root, nil
}

func (n *xnode) text() string { return strings.TrimSpace(n.chars.String()) }

// qname resolves the node's text as a QName into {namespace}local.
func (n *xnode) qname() string {
	prefix, local, ok := strings.Cut(n.text(), ":")
	if !ok {
		return n.text()
	}
	for p := n; p != nil; p = p.parent {
		if ns, ok := p.decls[prefix]; ok {
			return "{" + ns + "}" + local
		}
	}
	return n.text()
}

func (n *xnode) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *xnode) kid(space, local string) *xnode {
	for _, k := range n.kids {
		if k.name.Space == space && k.name.Local == local {
			return k
		}
	}
	return nil
}

// find is the first descendant (or n itself) named {space}local.
func (n *xnode) find(space, local string) *xnode {
	if all := n.findAll(space, local); len(all) > 0 {
		return all[0]
	}
	return nil
}

// findAll lists the descendants named {space}local in document order,
// not looking inside a match.
func (n *xnode) findAll(space, local string) []*xnode {
	var out []*xnode
	var walk func(*xnode)
	walk = func(x *xnode) {
		if x.name.Space == space && x.name.Local == local {
			out = append(out, x)
			return
		}
		for _, k := range x.kids {
			walk(k)
		}
	}
	walk(n)
	return out
}

// wsInstance is one CIM instance as DSP0230 renders it: an element
// named after its class in the class's resource URI namespace.
type wsInstance struct {
	class string
	props map[string]string // scalar properties by name (arrays joined by ",")
	nils  map[string]bool
	refs  map[string]wsEPR // reference properties
}

// instanceOf reads an instance element.
func instanceOf(n *xnode) wsInstance {
	in := wsInstance{class: n.name.Local, props: map[string]string{}, nils: map[string]bool{}, refs: map[string]wsEPR{}}
	for _, k := range n.kids {
		if k.name.Space != n.name.Space {
			continue
		}
		if k.kid(wsNSAddr, "ReferenceParameters") != nil {
			in.refs[k.name.Local] = eprOf(k)
			continue
		}
		if k.attr("nil") == "true" {
			in.nils[k.name.Local] = true
			continue
		}
		if prev, ok := in.props[k.name.Local]; ok {
			in.props[k.name.Local] = prev + "," + k.text()
			continue
		}
		in.props[k.name.Local] = k.text()
	}
	return in
}

// isInstance: an element in a CIM class resource URI namespace whose
// name is that class.
func isInstance(n *xnode) bool {
	return (n.name.Space == wsDMTF+n.name.Local || n.name.Space == wsVendor+n.name.Local) && n.name.Local != ""
}

// instancesIn lists the instances anywhere under n.
func instancesIn(n *xnode) []wsInstance {
	var out []wsInstance
	var walk func(*xnode)
	walk = func(x *xnode) {
		if isInstance(x) {
			out = append(out, instanceOf(x))
			return
		}
		for _, k := range x.kids {
			walk(k)
		}
	}
	walk(n)
	return out
}

// wsEPR is an endpoint reference as the service hands it out.
type wsEPR struct {
	address, resourceURI string
	selectors            map[string]string // a reference key maps to its EPR's resource URI
	refs                 []wsEPR           // the EPRs of reference keys
	xml                  string            // the selectors re-serialized, for a SelectorSet
}

func eprOf(n *xnode) wsEPR {
	e := wsEPR{selectors: map[string]string{}}
	if a := n.kid(wsNSAddr, "Address"); a != nil {
		e.address = a.text()
	}
	params := n.kid(wsNSAddr, "ReferenceParameters")
	if params == nil {
		return e
	}
	if u := params.kid(wsNSMan, "ResourceURI"); u != nil {
		e.resourceURI = u.text()
	}
	var b strings.Builder
	if set := params.kid(wsNSMan, "SelectorSet"); set != nil {
		for _, s := range set.kids {
			if ref := s.kid(wsNSAddr, "EndpointReference"); ref != nil {
				// A reference key: its value is an EPR (DSP0227).
				inner := eprOf(ref)
				e.refs = append(e.refs, inner)
				e.selectors[s.attr("Name")] = inner.resourceURI
			} else {
				e.selectors[s.attr("Name")] = s.text()
			}
			b.WriteString(s.xml())
		}
	}
	e.xml = b.String()
	return e
}

// wsPrefixes are the prefixes xml writes for known namespaces.
var wsPrefixes = map[string]string{wsNSAddr: "wsa", wsNSMan: "wsman", wsNSEnum: "wsen", wsNSBind: "wsmb", wsNSSoap: "s"}

// xml re-serializes the element (names, unqualified attributes, text
// and children) with the prefixes of wsEnvelopeNS, declaring any other
// namespace where it is used.
func (n *xnode) xml() string {
	var b strings.Builder
	var write func(x *xnode)
	write = func(x *xnode) {
		name, decl := x.name.Local, ""
		if x.name.Space != "" {
			p, ok := wsPrefixes[x.name.Space]
			if !ok {
				p, decl = "x", ` xmlns:x="`+xmlEscape(x.name.Space)+`"`
			}
			name = p + ":" + name
		}
		b.WriteString("<" + name + decl)
		for _, a := range x.attrs {
			if a.Name.Space == "" {
				fmt.Fprintf(&b, ` %s="%s"`, a.Name.Local, xmlEscape(a.Value))
			}
		}
		b.WriteString(">")
		if len(x.kids) == 0 {
			b.WriteString(xmlEscape(x.text()))
		}
		for _, k := range x.kids {
			write(k)
		}
		b.WriteString("</" + name + ">")
	}
	write(n)
	return b.String()
}

// objectXML is the EPR as a wsmb:Object (association filter) body.
func (e wsEPR) objectXML() string {
	return fmt.Sprintf(`<wsa:Address>%s</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>%s</wsman:ResourceURI><wsman:SelectorSet>%s</wsman:SelectorSet></wsa:ReferenceParameters>`,
		xmlEscape(e.address), xmlEscape(e.resourceURI), e.xml)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// wsItem is one enumerated item: instance, EPR or both.
type wsItem struct {
	inst *wsInstance
	epr  *wsEPR
}

// itemsOf reads the items of an EnumerateResponse (wsman:Items) or
// PullResponse (wsen:Items): bare instances, bare EPRs or wsman:Item
// pairs.
func itemsOf(resp *xnode) []wsItem {
	var items *xnode
	if it := resp.kid(wsNSMan, "Items"); it != nil {
		items = it
	} else if it := resp.kid(wsNSEnum, "Items"); it != nil {
		items = it
	}
	if items == nil {
		return nil
	}
	var out []wsItem
	for _, k := range items.kids {
		var it wsItem
		switch {
		case k.name.Space == wsNSMan && k.name.Local == "Item":
			for _, kk := range k.kids {
				if isInstance(kk) {
					in := instanceOf(kk)
					it.inst = &in
				}
				if kk.name.Space == wsNSAddr && kk.name.Local == "EndpointReference" {
					e := eprOf(kk)
					it.epr = &e
				}
			}
		case k.name.Space == wsNSAddr && k.name.Local == "EndpointReference":
			e := eprOf(k)
			it.epr = &e
		case isInstance(k):
			in := instanceOf(k)
			it.inst = &in
		}
		out = append(out, it)
	}
	return out
}

// wsPage is what one EnumerateResponse or PullResponse held.
type wsPage struct {
	reply   *wsReply
	items   []wsItem
	context string // "" when absent
	hasCtx  bool
	end     bool // EndOfSequence
}

func pageOf(r *wsReply, resp *xnode) wsPage {
	p := wsPage{reply: r, items: itemsOf(resp)}
	if c := resp.kid(wsNSEnum, "EnumerationContext"); c != nil {
		p.context, p.hasCtx = c.text(), true
	}
	p.end = resp.kid(wsNSMan, "EndOfSequence") != nil || resp.kid(wsNSEnum, "EndOfSequence") != nil
	return p
}

// wsEnum describes an enumeration to run to its end.
type wsEnum struct {
	resourceURI string
	selectors   string // e.g. the __cimnamespace selector
	mode        string // "", EnumerateEPR or EnumerateObjectAndEPR
	filter      string // a whole wsman:Filter element, or ""
	headers     string // further headers for Enumerate and each Pull
	maxElements int    // for Enumerate (optimized) and each Pull
	maxEnvelope int
}

func (e wsEnum) enumerateBody() string {
	var b strings.Builder
	b.WriteString("<wsen:Enumerate>")
	b.WriteString("<wsman:OptimizeEnumeration/>")
	fmt.Fprintf(&b, "<wsman:MaxElements>%d</wsman:MaxElements>", e.maxElements)
	if e.mode != "" {
		fmt.Fprintf(&b, "<wsman:EnumerationMode>%s</wsman:EnumerationMode>", e.mode)
	}
	b.WriteString(e.filter)
	b.WriteString("</wsen:Enumerate>")
	return b.String()
}

func pullBody(ctx string, maxElements int) string {
	return fmt.Sprintf("<wsen:Pull><wsen:EnumerationContext>%s</wsen:EnumerationContext><wsen:MaxElements>%d</wsen:MaxElements></wsen:Pull>", xmlEscape(ctx), maxElements)
}

// enumerate runs an optimized Enumerate and Pulls to EndOfSequence,
// checking each page against MaxElements and MaxEnvelopeSize, and
// returns every page.
func (c *wsClient) enumerate(t testing.TB, e wsEnum) []wsPage {
	t.Helper()
	if e.maxElements == 0 {
		e.maxElements = 100
	}
	r := c.ok(t, wsRequest{action: wsActEnumerate, resourceURI: e.resourceURI, selectors: e.selectors, headers: e.headers, body: e.enumerateBody(), maxEnvelope: e.maxEnvelope})
	resp := r.root.find(wsNSEnum, "EnumerateResponse")
	if resp == nil {
		t.Fatalf("Enumerate: no wsen:EnumerateResponse:\n%s", r)
	}
	var pages []wsPage
	page := pageOf(r, resp)
	for i := 0; ; i++ {
		if len(page.items) > e.maxElements {
			t.Errorf("page %d holds %d items, over MaxElements %d", i, len(page.items), e.maxElements)
		}
		if e.maxEnvelope > 0 && len(r.body) > e.maxEnvelope {
			t.Errorf("page %d is %d bytes, over MaxEnvelopeSize %d", i, len(r.body), e.maxEnvelope)
		}
		pages = append(pages, page)
		if page.end {
			return pages
		}
		if !page.hasCtx || page.context == "" {
			t.Fatalf("page %d: neither EndOfSequence nor an EnumerationContext:\n%s", i, r)
		}
		if i > 10000 {
			t.Fatalf("no EndOfSequence after %d pulls", i)
		}
		r = c.ok(t, wsRequest{action: wsActPull, resourceURI: e.resourceURI, selectors: e.selectors, headers: e.headers, body: pullBody(page.context, e.maxElements), maxEnvelope: e.maxEnvelope})
		resp = r.root.find(wsNSEnum, "PullResponse")
		if resp == nil {
			t.Fatalf("Pull: no wsen:PullResponse:\n%s", r)
		}
		page = pageOf(r, resp)
	}
}

// allItems flattens pages.
func allItems(pages []wsPage) []wsItem {
	var out []wsItem
	for _, p := range pages {
		out = append(out, p.items...)
	}
	return out
}

// cimNSSelector is the __cimnamespace selector of DSP0227.
func cimNSSelector(ns string) string {
	return `<wsman:Selector Name="__cimnamespace">` + xmlEscape(ns) + `</wsman:Selector>`
}

// vmSelectors are the keys of a VM's VB_ComputerSystem.
func vmSelectors(uuid string) string {
	return `<wsman:Selector Name="CreationClassName">VB_ComputerSystem</wsman:Selector><wsman:Selector Name="Name">` + xmlEscape(uuid) + `</wsman:Selector>` + cimNSSelector(wsCIMNS)
}

// rawPost sends body to url with net/http; user "" sends no
// Authorization header.
func rawPost(t testing.TB, client *http.Client, url, user, pass, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// identifyEnvelope is wsmid:Identify as openwsman and wsl send it.
const identifyEnvelope = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="` + wsNSSoap + `" xmlns:wsmid="` + wsNSIdent + `"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`

// wsl runs the wsl client (Debian's wsl 0.2.1, curl underneath) as
// user in a fresh directory under dir and returns that directory, where
// wsl leaves request-N.xml / response-N.xml, and its output.
type wslRunner struct {
	dir, endpoint string
	https         bool
	n             int
}

func needWsl(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"wsl", "curl", "xmllint", "uuidgen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install wsl uuid-runtime curl libxml2-utils): wsl needs it", tool)
		}
	}
}

func (w *wslRunner) run(t testing.TB, user string, args ...string) (dir, out string, err error) {
	t.Helper()
	w.n++
	dir = filepath.Join(w.dir, fmt.Sprintf("%02d-%s", w.n, args[0]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pass := map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user]
	if pass == "" {
		pass = "not-the-password"
	}
	cmd := exec.Command("wsl", args...)
	cmd.Dir = dir
	cmd.Stdin = nil // wsl prompts when a value is missing; never let it wait
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir, // wsl writes ~/.wsl-config on first use
		"SHELL=/bin/bash",
		"LANG=C.UTF-8",
		"WSAUTOMATED=1", "KEEPHISTORY=0", "OUTLEVEL=1",
		"WSENDPOINT=" + w.endpoint, "WSUSER=" + user, "WSPASS=" + pass,
		"WSDEFAULTSCHEMA=schemas.virtbridge.dev", // VB_ classes' resource URI prefix
		"WGETTIMEOUTSECS=20",
	}
	if !w.https {
		env = append(env, "WSNOSSL=true")
	}
	cmd.Env = env
	done := make(chan struct{})
	var b []byte
	go func() {
		b, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("wsl %s did not finish in 90s:\n%s", strings.Join(args, " "), b)
	}
	return dir, stripANSI(string(b)), err
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// wslResponses parses dir's response-N.xml files in order.
func wslResponses(t testing.TB, dir string) []*xnode {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "response-*.xml"))
	sort.Slice(files, func(i, j int) bool {
		n := func(f string) int {
			v, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "response-"), ".xml"))
			return v
		}
		return n(files[i]) < n(files[j])
	})
	var out []*xnode
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		root, err := parseXML(b)
		if err != nil {
			t.Errorf("%s is not XML (%v):\n%s", f, err, b)
			continue
		}
		out = append(out, root)
	}
	return out
}

// fileText is a file's content, for messages.
func fileText(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
