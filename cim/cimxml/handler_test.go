package cimxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
	rootmof "github.com/virtbridge/virtbridge/mof"
)

const hns = "root/virtualization"

// handlerBed is a handler over a broker over a real libvirt test-driver
// bed, served over HTTP.
type handlerBed struct {
	snap *inventory.Snapshot
	b    *broker.Broker
	url  string
	host string
}

func newHandlerBed(t testing.TB, domains int, h *Handler) *handlerBed {
	t.Helper()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: domains, Seed: 1})
	b, err := virt.New(virt.Config{Namespace: hns, Version: "test"}, bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if h == nil {
		h = &Handler{}
	}
	h.Broker = b
	snap := bed.Inventory.Snapshot()
	return &handlerBed{snap: snap, b: b, url: serve(t, h), host: snap.Host.Hostname}
}

// serve runs h behind what cim/server does for it: the request carries
// the role named by the X-Test-Role header, operator by default.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(withRole(h))
	t.Cleanup(srv.Close)
	return srv.URL
}

func withRole(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := server.RoleOperator
		if v := r.Header.Get("X-Test-Role"); v != "" {
			role = server.Role(v)
		}
		h.ServeHTTP(w, r.WithContext(server.ContextWithRole(r.Context(), role, "u")))
	})
}

// ---- requests

// requestBody is an intrinsic call in namespace ns.
func requestBody(ns, method string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8" ?>` + "\n" +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1001" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="` + method + `">`)
	b.WriteString(localNS(ns))
	for _, p := range params {
		b.WriteString(p)
	}
	b.WriteString(`</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`)
	return b.String()
}

// methodBody is an extrinsic call on target, in target's namespace.
func methodBody(target cim.ObjectPath, method string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8" ?>` + "\n" +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1002" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="` + method + `">`)
	ns := target.Namespace
	target.Namespace = ""
	if target.IsInstance() {
		b.WriteString(`<LOCALINSTANCEPATH>` + localNS(ns) + instanceNameXML(target) + `</LOCALINSTANCEPATH>`)
	} else {
		b.WriteString(`<LOCALCLASSPATH>` + localNS(ns) + `<CLASSNAME NAME="` + target.ClassName + `"/></LOCALCLASSPATH>`)
	}
	for _, p := range params {
		b.WriteString(p)
	}
	b.WriteString(`</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`)
	return b.String()
}

func localNS(ns string) string {
	s := `<LOCALNAMESPACEPATH>`
	for _, part := range strings.Split(ns, "/") {
		s += `<NAMESPACE NAME="` + part + `"/>`
	}
	return s + `</LOCALNAMESPACEPATH>`
}

func instanceNameXML(p cim.ObjectPath) string {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.WriteInstanceName(p)
	if err := e.End(); err != nil {
		panic(err)
	}
	return buf.String()
}

func xmlText(s string) string {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.text(s)
	_ = e.End()
	return buf.String()
}

func pClass(name, class string) string {
	return `<IPARAMVALUE NAME="` + name + `"><CLASSNAME NAME="` + class + `"/></IPARAMVALUE>`
}

func pValue(name, v string) string {
	return `<IPARAMVALUE NAME="` + name + `"><VALUE>` + xmlText(v) + `</VALUE></IPARAMVALUE>`
}

func pList(name string, vs ...string) string {
	s := `<IPARAMVALUE NAME="` + name + `"><VALUE.ARRAY>`
	for _, v := range vs {
		s += `<VALUE>` + xmlText(v) + `</VALUE>`
	}
	return s + `</VALUE.ARRAY></IPARAMVALUE>`
}

func pPath(name string, p cim.ObjectPath) string {
	return `<IPARAMVALUE NAME="` + name + `">` + instanceNameXML(p) + `</IPARAMVALUE>`
}

// httpResult is an answer as the client read it.
type httpResult struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
	length  int64 // resp.ContentLength: -1 when streamed
	chunked bool
}

// send posts body with the usual CIM-XML headers; hdr overrides them ("" deletes).
func send(t testing.TB, url, httpMethod string, hdr map[string]string, body string) (*httpResult, error) {
	t.Helper()
	req, err := http.NewRequest(httpMethod, url+"/cimom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMProtocolVersion", "1.0")
	req.Header.Set("CIMOperation", "MethodCall")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &httpResult{status: resp.StatusCode, header: resp.Header, length: resp.ContentLength,
		chunked: slices.Contains(resp.TransferEncoding, "chunked")}
	res.body, err = io.ReadAll(resp.Body)
	res.trailer = resp.Trailer
	return res, err
}

func post(t testing.TB, url string, hdr map[string]string, body string) *httpResult {
	t.Helper()
	res, err := send(t, url, http.MethodPost, hdr, body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return res
}

// doCall posts an intrinsic call and decodes the CIM-XML answer.
func doCall(t testing.TB, url, ns, method string, params ...string) *cimResponse {
	t.Helper()
	res := post(t, url, map[string]string{"CIMMethod": method, "CIMObject": ns}, requestBody(ns, method, params...))
	return parseCIM(t, res)
}

// ---- responses

// cimResponse is a decoded CIM-XML answer.
type cimResponse struct {
	*httpResult
	id, method string
	errCode    int // -1 without ERROR
	errDesc    string
	ret        *node             // IRETURNVALUE or RETURNVALUE; nil when absent
	out        map[string]string // output PARAMVALUEs: their VALUE's text
}

func bigLimits() Limits {
	return Limits{MaxBytes: 1 << 30, MaxDepth: 64, MaxElements: 1 << 24, MaxEmbed: 8}
}

// parseCIM checks the HTTP side of a CIM-XML answer and decodes the
// envelope.
func parseCIM(t testing.TB, res *httpResult) *cimResponse {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("HTTP %d (CIMError %q): %s", res.status, res.header.Get("CIMError"), res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") || res.header.Get("CIMOperation") != "MethodResponse" {
		t.Fatalf("Content-Type %q CIMOperation %q", ct, res.header.Get("CIMOperation"))
	}
	r, err := decodeResponse(res.body)
	if err != nil {
		t.Fatalf("%v\n%.2000s", err, res.body)
	}
	r.httpResult = res
	return r
}

// decodeResponse reads CIM/MESSAGE/SIMPLERSP/(I)METHODRESPONSE.
func decodeResponse(body []byte) (*cimResponse, error) {
	root, err := readTree(bytes.NewReader(body), &budget{lim: bigLimits()})
	if err != nil {
		return nil, fmt.Errorf("response is not well-formed: %w", err)
	}
	r := &cimResponse{errCode: -1, out: map[string]string{}}
	if root.Name != "CIM" || len(root.Kids) != 1 || root.Kids[0].Name != "MESSAGE" {
		return nil, fmt.Errorf("response root %s", root.Name)
	}
	msg := root.Kids[0]
	r.id, _ = msg.Attr("ID")
	if len(msg.Kids) != 1 || msg.Kids[0].Name != "SIMPLERSP" || len(msg.Kids[0].Kids) != 1 {
		return nil, errors.New("MESSAGE does not hold one SIMPLERSP with one response")
	}
	rsp := msg.Kids[0].Kids[0]
	if rsp.Name != "IMETHODRESPONSE" && rsp.Name != "METHODRESPONSE" {
		return nil, fmt.Errorf("SIMPLERSP holds %s", rsp.Name)
	}
	r.method, _ = rsp.Attr("NAME")
	for i, k := range rsp.Kids {
		switch {
		case k.Name == "ERROR" && len(rsp.Kids) == 1:
			code, _ := k.Attr("CODE")
			if r.errCode, err = strconv.Atoi(code); err != nil {
				return nil, fmt.Errorf("ERROR CODE %q", code)
			}
			r.errDesc, _ = k.Attr("DESCRIPTION")
		case i == 0 && (k.Name == "IRETURNVALUE" || k.Name == "RETURNVALUE"):
			r.ret = k
		case k.Name == "PARAMVALUE":
			name, _ := k.Attr("NAME")
			if len(k.Kids) == 1 {
				r.out[name] = k.Kids[0].Text.String()
			} else {
				r.out[name] = ""
			}
		default:
			return nil, fmt.Errorf("unexpected %s in %s", k.Name, rsp.Name)
		}
	}
	return r, nil
}

// item is one element of IRETURNVALUE, decoded.
type item struct {
	elem  string
	path  cim.ObjectPath
	inst  *cim.Instance
	class string // CLASS or CLASSNAME NAME
	text  string // VALUE
	node  *node
}

func (r *cimResponse) items(t testing.TB) []item {
	t.Helper()
	if r.errCode >= 0 {
		t.Fatalf("%s: CIM error %d: %s", r.method, r.errCode, r.errDesc)
	}
	if r.ret == nil {
		return nil
	}
	d := &decoder{budget: budget{lim: bigLimits()}}
	ref := func(kids ...*node) cim.ObjectPath {
		p, err := d.reference(&node{Name: "VALUE.REFERENCE", Kids: kids})
		if err != nil {
			t.Fatalf("path in %s: %v", r.method, err)
		}
		return p
	}
	inst := func(n *node) *cim.Instance {
		i, err := d.instance(n)
		if err != nil {
			t.Fatalf("instance in %s: %v", r.method, err)
		}
		return i
	}
	var out []item
	for _, k := range r.ret.Kids {
		it := item{elem: k.Name, node: k}
		switch k.Name {
		case "INSTANCENAME":
			it.path = ref(k)
		case "INSTANCEPATH":
			it.path = ref(k)
		case "OBJECTPATH":
			if len(k.Kids) != 1 {
				t.Fatalf("OBJECTPATH holds %d elements", len(k.Kids))
			}
			it.path = ref(k.Kids[0])
		case "INSTANCE":
			it.inst = inst(k)
		case "VALUE.NAMEDINSTANCE", "VALUE.OBJECTWITHPATH", "VALUE.INSTANCEWITHPATH":
			if len(k.Kids) != 2 || k.Kids[1].Name != "INSTANCE" {
				t.Fatalf("%s holds %d elements", k.Name, len(k.Kids))
			}
			it.path, it.inst = ref(k.Kids[0]), inst(k.Kids[1])
			it.inst.Path = it.path
		case "CLASS", "CLASSNAME":
			it.class, _ = k.Attr("NAME")
		case "VALUE":
			it.text = k.Text.String()
		default:
			t.Fatalf("unexpected %s in the return value of %s", k.Name, r.method)
		}
		out = append(out, it)
	}
	return out
}

func (r *cimResponse) wantError(t testing.TB, code Status) {
	t.Helper()
	if r.errCode != int(code) {
		t.Errorf("%s: CIM error %d (%s), want %d (%v)", r.method, r.errCode, r.errDesc, code, code)
	}
}

func itemPaths(its []item) []string {
	var out []string
	for _, it := range its {
		p := it.path
		p.Host, p.Namespace = "", ""
		out = append(out, p.Canonical())
	}
	slices.Sort(out)
	return out
}

func canonicals(ps []cim.ObjectPath) []string {
	var out []string
	for _, p := range ps {
		p.Host, p.Namespace = "", ""
		out = append(out, p.Canonical())
	}
	slices.Sort(out)
	return out
}

func sval(inst *cim.Instance, name string) string {
	v, _ := inst.Get(name)
	s, _ := v.Str()
	return s
}

func vmOf(d *backends.Domain) cim.ObjectPath {
	return cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")},
		{Name: "Name", Value: cim.String(d.UUID)},
	}}
}

func enabledOf(st backends.State) string {
	switch st {
	case backends.StateRunning, backends.StateBlocked:
		return "2"
	case backends.StatePaused:
		return "9"
	}
	return "3"
}

// systems is the Name of the host and every VM, sorted.
func (hb *handlerBed) systems() []string {
	out := []string{hb.host}
	for _, d := range hb.snap.Domains() {
		out = append(out, d.UUID)
	}
	slices.Sort(out)
	return out
}

func names(its []item) []string {
	var out []string
	for _, it := range its {
		if it.inst != nil {
			out = append(out, sval(it.inst, "Name"))
		} else {
			v, _ := it.path.Key("Name")
			s, _ := v.Str()
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// hasAttr reports whether any element under n named elem carries attr.
func hasAttr(n *node, elem, attr string) bool {
	if n.Name == elem {
		if _, ok := n.Attr(attr); ok {
			return true
		}
	}
	for _, k := range n.Kids {
		if hasAttr(k, elem, attr) {
			return true
		}
	}
	return false
}

func countElems(n *node, elem string) int {
	c := 0
	if n.Name == elem {
		c++
	}
	for _, k := range n.Kids {
		c += countElems(k, elem)
	}
	return c
}

// ---- the wbemcli captures, replayed

// TestHandlerWbemcliReplay sends every request wbemcli sent (with the
// instance it names changed to a VM of the bed) and checks the answer
// against the inventory, as an operator and as a read-only user.
func TestHandlerWbemcliReplay(t *testing.T) {
	caps := wbemcliRequests(t)
	hb := newHandlerBed(t, 20, nil)
	var d *backends.Domain
	for _, x := range hb.snap.Domains() {
		if x.State == backends.StateRunning && len(x.VCPUInfo) > 1 {
			d = x
			break
		}
	}
	if d == nil {
		t.Fatal("no running domain with several vCPUs in the bed")
	}
	// The captures name CIM_ComputerSystem vm0001; the bed's VMs are
	// VB_ComputerSystem instances named by UUID.
	rewrite := strings.NewReplacer(
		"vm0001", d.UUID,
		`<KEYVALUE VALUETYPE="string">CIM_ComputerSystem</KEYVALUE>`, `<KEYVALUE VALUETYPE="string">VB_ComputerSystem</KEYVALUE>`,
		`CreationClassName="CIM_ComputerSystem"`, `CreationClassName="VB_ComputerSystem"`,
		`<VALUE>CIM_ComputerSystem</VALUE>`, `<VALUE>VB_ComputerSystem</VALUE>`,
	)
	repoClasses, _ := hb.b.Repo().Classes(hns)
	cs, _ := hb.b.Repo().Class(hns, "CIM_ComputerSystem")
	devices := 1 + len(d.VCPUInfo) + len(d.Disks) + len(d.NICs)
	var refNames []cim.ObjectPath
	if err := hb.b.ReferenceNames(hns, vmOf(d), broker.AssocFilter{}, func(p cim.ObjectPath) error {
		refNames = append(refNames, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	writes := map[string]bool{"DeleteInstance": true, "SetProperty": true, "ModifyInstance": true, "CreateInstance": true, "RequestStateChange": true}

	for _, role := range []server.Role{server.RoleOperator, server.RoleReadOnly} {
		for i, c := range caps {
			hdr := map[string]string{"X-Test-Role": string(role)}
			for _, k := range []string{"content-type", "cimprotocolversion", "cimoperation", "cimmethod", "cimobject"} {
				if v, ok := c.headers[k]; ok {
					hdr[k] = rewrite.Replace(v)
				}
			}
			method := c.headers["cimmethod"]
			r := parseCIM(t, post(t, hb.url, hdr, rewrite.Replace(c.body)))
			if r.id != "4711" || r.method != method {
				t.Errorf("request %d: answer to %q id %q, want %s 4711", i, r.method, r.id, method)
			}
			what := fmt.Sprintf("request %d %s as %s", i, method, role)
			if writes[method] {
				want := StatusNotSupported
				if role != server.RoleOperator {
					want = StatusAccessDenied
				}
				if r.errCode != int(want) {
					t.Errorf("%s: CIM error %d %q, want %d", what, r.errCode, r.errDesc, want)
				}
				continue
			}
			its := r.items(t)
			switch method {
			case "EnumerateInstanceNames":
				if got := names(its); !slices.Equal(got, hb.systems()) || its[0].elem != "INSTANCENAME" {
					t.Errorf("%s: %v", what, got)
				}
			case "EnumerateInstances":
				if got := names(its); !slices.Equal(got, hb.systems()) || its[0].elem != "VALUE.NAMEDINSTANCE" {
					t.Errorf("%s: %v", what, got)
				}
				for _, it := range its {
					if it.inst.ClassName != "VB_ComputerSystem" || sval(it.inst, "Name") != keyOf(it.path, "Name") {
						t.Errorf("%s: %s at %s", what, it.inst.ClassName, it.path.String())
					}
				}
				if !hasAttr(r.ret, "PROPERTY", "CLASSORIGIN") {
					t.Errorf("%s: IncludeClassOrigin ignored", what)
				}
			case "GetInstance":
				if len(its) != 1 || its[0].elem != "INSTANCE" {
					t.Fatalf("%s: %d items", what, len(its))
				}
				inst := its[0].inst
				es, _ := inst.Get("EnabledState")
				if inst.ClassName != "VB_ComputerSystem" || sval(inst, "Name") != d.UUID || es.String() != enabledOf(d.State) {
					t.Errorf("%s: %s %s EnabledState %s", what, inst.ClassName, sval(inst, "Name"), es)
				}
				if strings.Contains(c.body, "PropertyList") {
					if len(inst.Properties) != 2 {
						t.Errorf("%s: PropertyList Name,EnabledState gave %d properties", what, len(inst.Properties))
					}
				} else if sval(inst, "ElementName") != d.Name || !hasAttr(r.ret, "PROPERTY", "CLASSORIGIN") {
					t.Errorf("%s: ElementName %q (domain %s), class origins %v", what, sval(inst, "ElementName"), d.Name, hasAttr(r.ret, "PROPERTY", "CLASSORIGIN"))
				}
			case "Associators":
				if len(its) != len(d.VCPUInfo) {
					t.Errorf("%s: %d processors, the domain has %d vCPUs", what, len(its), len(d.VCPUInfo))
				}
				for _, it := range its {
					if it.elem != "VALUE.OBJECTWITHPATH" || it.inst.ClassName != "VB_Processor" || sval(it.inst, "SystemName") != d.UUID ||
						it.path.Host != hb.host || it.path.Namespace != hns {
						t.Errorf("%s: %s %s", what, it.elem, it.path.String())
					}
				}
			case "AssociatorNames":
				if len(its) != devices {
					t.Errorf("%s: %d devices, want %d", what, len(its), devices)
				}
				for _, it := range its {
					if it.elem != "OBJECTPATH" || keyOf(it.path, "SystemName") != d.UUID || it.path.Host != hb.host {
						t.Errorf("%s: %s %s", what, it.elem, it.path.String())
					}
				}
			case "References":
				if len(its) != devices {
					t.Errorf("%s: %d SystemDevice, want %d", what, len(its), devices)
				}
				for _, it := range its {
					if it.elem != "VALUE.OBJECTWITHPATH" || it.inst.ClassName != "VB_SystemDevice" {
						t.Errorf("%s: %s %s", what, it.elem, it.path.String())
					}
				}
			case "ReferenceNames":
				if got, want := itemPaths(its), canonicals(refNames); !slices.Equal(got, want) || len(got) <= devices {
					t.Errorf("%s: %d names, want the broker's %d", what, len(got), len(want))
				}
			case "GetClass":
				if len(its) != 1 || its[0].elem != "CLASS" || its[0].class != "CIM_ComputerSystem" {
					t.Fatalf("%s: %+v", what, its)
				}
				if n := countElems(its[0].node, "PROPERTY") + countElems(its[0].node, "PROPERTY.ARRAY"); n != len(cs.Properties) {
					t.Errorf("%s: %d properties, the class has %d", what, n, len(cs.Properties))
				}
				if countElems(its[0].node, "QUALIFIER") == 0 || !hasAttr(its[0].node, "METHOD", "NAME") {
					t.Errorf("%s: no qualifiers or methods", what)
				}
			case "EnumerateClassNames", "EnumerateClasses":
				if len(its) != len(repoClasses) {
					t.Errorf("%s: %d classes, the namespace has %d", what, len(its), len(repoClasses))
				}
			case "GetProperty":
				if len(its) != 1 || its[0].text != enabledOf(d.State) {
					t.Errorf("%s: %+v, want EnabledState %s", what, its, enabledOf(d.State))
				}
			default:
				t.Errorf("%s: not checked", what)
			}
		}
	}
}

func keyOf(p cim.ObjectPath, name string) string {
	v, _ := p.Key(name)
	s, _ := v.Str()
	return s
}

// ---- header rules

func TestHandlerHeaderRules(t *testing.T) {
	hb := newHandlerBed(t, 2, nil)
	body := requestBody(hns, "EnumerateInstanceNames", pClass("ClassName", "CIM_ComputerSystem"))
	ok := map[string]string{"CIMMethod": "EnumerateInstanceNames", "CIMObject": "root%2Fvirtualization"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		method   string
		hdr      map[string]string
		body     string
		status   int
		cimError string
	}{
		{"good", "POST", ok, body, 200, ""},
		{"lower-case operation", "POST", with("CIMOperation", "methodcall"), body, 200, ""},
		{"text/xml", "POST", with("Content-Type", "text/xml"), body, 200, ""},
		{"no CIMObject encoding", "POST", with("CIMObject", "root/virtualization"), body, 200, ""},
		{"missing CIMOperation", "POST", with("CIMOperation", ""), body, 400, "unsupported-operation"},
		{"CIMOperation MethodResponse", "POST", with("CIMOperation", "MethodResponse"), body, 400, "unsupported-operation"},
		{"missing CIMMethod", "POST", with("CIMMethod", ""), body, 400, "header-mismatch"},
		{"CIMMethod mismatch", "POST", with("CIMMethod", "EnumerateInstances"), body, 400, "header-mismatch"},
		{"missing CIMObject", "POST", with("CIMObject", ""), body, 400, "header-mismatch"},
		{"CIMObject mismatch", "POST", with("CIMObject", "root%2Finterop"), body, 400, "header-mismatch"},
		{"CIMProtocolVersion 2.0", "POST", with("CIMProtocolVersion", "2.0"), body, 501, "unsupported-protocol-version"},
		{"CIMBatch", "POST", with("CIMBatch", "CIMBatch"), body, 501, "multiple-requests-unsupported"},
		{"GET", "GET", ok, "", 501, ""},
		{"M-POST", "M-POST", ok, body, 501, ""},
		{"Content-Type text/plain", "POST", with("Content-Type", "text/plain"), body, 415, ""},
		{"Content-Type json", "POST", with("Content-Type", "application/json; charset=utf-8"), body, 415, ""},
		{"not XML", "POST", ok, "this is not xml", 400, "request-not-well-formed"},
		{"unclosed", "POST", ok, body[:len(body)-10], 400, "request-not-well-formed"},
		{"mismatched tags", "POST", ok, strings.Replace(body, "</SIMPLEREQ>", "</SIMPLERSP>", 1), 400, "request-not-well-formed"},
		{"empty body", "POST", ok, "", 400, "request-not-well-formed"},
		{"DOCTYPE", "POST", ok, `<?xml version="1.0"?><!DOCTYPE CIM SYSTEM "cim.dtd">` + body[strings.Index(body, "<CIM "):], 400, "request-not-well-formed"},
		{"internal entity", "POST", ok, `<!DOCTYPE CIM [<!ENTITY ns "virtualization">]>` + strings.Replace(body[strings.Index(body, "<CIM "):], `"virtualization"`, `"&ns;"`, 1), 400, "request-not-well-formed"},
		{"billion laughs", "POST", ok, `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><CIM>&lol2;</CIM>`, 400, "request-not-well-formed"},
		{"external entity", "POST", ok, `<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CIM>&xxe;</CIM>`, 400, "request-not-well-formed"},
		{"undeclared entity", "POST", ok, strings.Replace(body, "CIM_ComputerSystem", "&cs;", 1), 400, "request-not-well-formed"},
		{"not CIM-XML", "POST", ok, `<?xml version="1.0"?><html/>`, 400, "request-not-valid"},
		{"CIMVERSION 3.0", "POST", ok, strings.Replace(body, `CIMVERSION="2.0"`, `CIMVERSION="3.0"`, 1), 501, "unsupported-cim-version"},
		{"DTDVERSION 1.1", "POST", ok, strings.Replace(body, `DTDVERSION="2.0"`, `DTDVERSION="1.1"`, 1), 501, "unsupported-dtd-version"},
		{"PROTOCOLVERSION 2.0", "POST", ok, strings.Replace(body, `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="2.0"`, 1), 501, "unsupported-protocol-version"},
	} {
		res, err := send(t, hb.url, tc.method, tc.hdr, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.status != tc.status || res.header.Get("CIMError") != tc.cimError {
			t.Errorf("%s: HTTP %d CIMError %q, want %d %q (%s)", tc.name, res.status, res.header.Get("CIMError"), tc.status, tc.cimError, bytes.TrimSpace(res.body))
		}
		if tc.status == 200 {
			if got := names(parseCIM(t, res).items(t)); len(got) != 3 {
				t.Errorf("%s: %d systems", tc.name, len(got))
			}
		}
		if tc.status == 501 && tc.method != "POST" && res.header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", tc.name, res.header.Get("Allow"))
		}
	}
}

// TestHandlerCIMErrors: requests that are valid CIM-XML but cannot be
// served get 200 and an ERROR with the right code.
func TestHandlerCIMErrors(t *testing.T) {
	hb := newHandlerBed(t, 3, nil)
	d := hb.snap.Domains()[0]
	vm := vmOf(d)
	vm.Namespace = hns
	readOnly := map[string]string{"X-Test-Role": string(server.RoleReadOnly)}
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		object string
		method string
		body   string
		want   Status
	}{
		{"unknown intrinsic", nil, hns, "FrobnicateInstances", requestBody(hns, "FrobnicateInstances"), StatusNotSupported},
		{"EnumerateQualifiers", nil, hns, "EnumerateQualifiers", requestBody(hns, "EnumerateQualifiers"), StatusNotSupported},
		{"read-only RequestStateChange", readOnly, "root%2Fvirtualization%3A" + vm.String()[len("/"+hns+":"):], "RequestStateChange",
			methodBody(vm, "RequestStateChange", `<PARAMVALUE NAME="RequestedState"><VALUE>3</VALUE></PARAMVALUE>`), StatusAccessDenied},
		{"operator RequestStateChange", nil, hns + ":" + vm.String()[len("/"+hns+":"):], "RequestStateChange",
			methodBody(vm, "RequestStateChange", `<PARAMVALUE NAME="RequestedState" PARAMTYPE="uint16"><VALUE>3</VALUE></PARAMVALUE>`), StatusNotSupported},
		{"operator unknown method", nil, hns, "Frobnicate", methodBody(vm, "Frobnicate"), StatusMethodNotFound},
		{"read-only unknown method", readOnly, hns, "Frobnicate", methodBody(vm, "Frobnicate"), StatusAccessDenied},
		{"method of an unknown VM", nil, hns, "RequestStateChange", methodBody(vm.WithKey("Name", cim.String("nope")), "RequestStateChange"), StatusNotFound},
		{"method of an unknown class", nil, hns, "RequestStateChange", methodBody(cim.ObjectPath{Namespace: hns, ClassName: "XX_Nothing"}, "RequestStateChange"), StatusInvalidClass},
		{"method in an unknown namespace", nil, "root/nowhere", "RequestStateChange", methodBody(cim.ObjectPath{Namespace: "root/nowhere", ClassName: "VB_ComputerSystem"}, "RequestStateChange"), StatusInvalidNamespace},
		{"read-only DeleteInstance", readOnly, hns, "DeleteInstance", requestBody(hns, "DeleteInstance", pPath("InstanceName", vmOf(d))), StatusAccessDenied},
		{"CreateClass", nil, hns, "CreateClass", requestBody(hns, "CreateClass", `<IPARAMVALUE NAME="NewClass"><CLASS NAME="X"/></IPARAMVALUE>`), StatusNotSupported},
		{"unknown namespace", nil, "root/nowhere", "EnumerateInstances", requestBody("root/nowhere", "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem")), StatusInvalidNamespace},
		{"unknown class", nil, hns, "EnumerateInstances", requestBody(hns, "EnumerateInstances", pClass("ClassName", "XX_Nothing")), StatusInvalidClass},
		{"no ClassName", nil, hns, "EnumerateInstances", requestBody(hns, "EnumerateInstances"), StatusInvalidParameter},
		{"bad boolean", nil, hns, "EnumerateInstances", requestBody(hns, "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("DeepInheritance", "maybe")), StatusInvalidParameter},
		{"unknown instance", nil, hns, "GetInstance", requestBody(hns, "GetInstance", pPath("InstanceName", vmOf(&backends.Domain{UUID: "nope"}))), StatusNotFound},
		{"no such property", nil, hns, "GetProperty", requestBody(hns, "GetProperty", pPath("InstanceName", vmOf(d)), pValue("PropertyName", "Nope")), StatusNoSuchProperty},
		{"bad query", nil, hns, "ExecQuery", requestBody(hns, "ExecQuery", pValue("QueryLanguage", "WQL"), pValue("Query", "SELECT FROM")), StatusInvalidQuery},
		{"bad query language", nil, hns, "ExecQuery", requestBody(hns, "ExecQuery", pValue("QueryLanguage", "XQL"), pValue("Query", "SELECT * FROM CIM_ComputerSystem")), StatusQueryLanguageNotSupported},
		{"associators of a class", nil, hns, "Associators", requestBody(hns, "Associators", pClass("ObjectName", "VB_ComputerSystem")), StatusNotSupported},
		{"pull of nothing", nil, hns, "PullInstancesWithPath", requestBody(hns, "PullInstancesWithPath", pValue("EnumerationContext", "nope"), pValue("MaxObjectCount", "1")), StatusInvalidEnumerationContext},
		{"OperationTimeout 0", nil, hns, "OpenEnumerateInstances", requestBody(hns, "OpenEnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("OperationTimeout", "0")), StatusInvalidOperationTimeout},
		{"FilterQuery", nil, hns, "OpenEnumerateInstances", requestBody(hns, "OpenEnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("FilterQueryLanguage", "WQL"), pValue("FilterQuery", "SELECT * FROM CIM_ComputerSystem")), StatusFilteredEnumerationNotSupported},
		{"ContinueOnError", nil, hns, "OpenEnumerateInstances", requestBody(hns, "OpenEnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("ContinueOnError", "TRUE")), StatusContinuationOnErrorNotSupported},
	} {
		hdr := map[string]string{"CIMMethod": tc.method, "CIMObject": tc.object}
		for k, v := range tc.hdr {
			hdr[k] = v
		}
		res := post(t, hb.url, hdr, tc.body)
		if res.status != 200 {
			t.Errorf("%s: HTTP %d %q: %s", tc.name, res.status, res.header.Get("CIMError"), res.body)
			continue
		}
		r := parseCIM(t, res)
		if r.errCode != int(tc.want) {
			t.Errorf("%s: CIM error %d %q, want %d (%v)", tc.name, r.errCode, r.errDesc, tc.want, tc.want)
		}
		if r.method != tc.method {
			t.Errorf("%s: answer names %q", tc.name, r.method)
		}
		if res.header.Get("Content-Length") == "" {
			t.Errorf("%s: an error answer without Content-Length", tc.name)
		}
	}
}

// ---- operations over HTTP

// TestHandlerOperations: queries, associations across namespaces and
// class operations, checked against the bed.
func TestHandlerOperations(t *testing.T) {
	hb := newHandlerBed(t, 12, nil)
	var running []string
	for _, d := range hb.snap.Domains() {
		if d.State == backends.StateRunning {
			running = append(running, d.UUID)
		}
	}
	slices.Sort(running)
	for _, lang := range []string{"WQL", "DMTF:CQL"} {
		r := doCall(t, hb.url, hns, "ExecQuery", pValue("QueryLanguage", lang),
			pValue("Query", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState = 2 AND Caption = 'Virtual Machine'"))
		its := r.items(t)
		if got := names(its); !slices.Equal(got, running) || len(got) == 0 {
			t.Errorf("%s: %v, want the running VMs %v", lang, got, running)
		}
		for _, it := range its {
			if it.elem != "VALUE.OBJECTWITHPATH" || len(it.inst.Properties) != 2 || it.path.Host != hb.host {
				t.Errorf("%s: %s with %d properties at %s", lang, it.elem, len(it.inst.Properties), it.path.String())
			}
		}
	}
	// From the profile in root/interop to the VMs and back.
	prof := cim.ObjectPath{ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:profile/DSP1057")}}}
	its := doCall(t, hb.url, "root/interop", "AssociatorNames", pPath("ObjectName", prof), pClass("AssocClass", "CIM_ElementConformsToProfile")).items(t)
	var vms []string
	for _, d := range hb.snap.Domains() {
		vms = append(vms, d.UUID)
	}
	slices.Sort(vms)
	if got := names(its); !slices.Equal(got, vms) {
		t.Errorf("DSP1057's VMs: %v, want %v", got, vms)
	}
	for _, it := range its {
		if it.path.Namespace != hns || it.path.ClassName != "VB_ComputerSystem" {
			t.Errorf("conformant element %s", it.path.String())
		}
	}
	back := doCall(t, hb.url, hns, "Associators", pPath("ObjectName", vmOf(hb.snap.Domains()[0])), pValue("ResultRole", "ConformantStandard")).items(t)
	if len(back) != 1 || back[0].path.Namespace != "root/interop" || sval(back[0].inst, "RegisteredName") != "Virtual System" {
		t.Errorf("VM's profiles: %+v", back)
	}
	// EnumerateInstances with DeepInheritance FALSE and a PropertyList.
	shallow := doCall(t, hb.url, hns, "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("DeepInheritance", "FALSE")).items(t)
	for _, it := range shallow {
		if _, ok := it.inst.Get("OnTimeInMilliseconds"); ok {
			t.Errorf("DeepInheritance FALSE: %s has OnTimeInMilliseconds", it.path.String())
		}
	}
	listed := doCall(t, hb.url, hns, "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pList("PropertyList", "ElementName")).items(t)
	for _, it := range listed {
		if len(it.inst.Properties) != 1 || sval(it.inst, "ElementName") == "" {
			t.Errorf("PropertyList ElementName: %v", it.inst.Properties)
		}
	}
	// Class operations.
	sub := doCall(t, hb.url, hns, "EnumerateClassNames", pClass("ClassName", "CIM_ComputerSystem")).items(t)
	if len(sub) != 1 || sub[0].class != "VB_ComputerSystem" {
		t.Errorf("subclasses of CIM_ComputerSystem: %+v", sub)
	}
	local := doCall(t, hb.url, hns, "GetClass", pClass("ClassName", "VB_ComputerSystem")).items(t)
	if n := countElems(local[0].node, "PROPERTY"); n != 1 || countElems(local[0].node, "METHOD") != 0 {
		t.Errorf("GetClass LocalOnly (the default): %d properties, %d methods", n, countElems(local[0].node, "METHOD"))
	}
}

// ---- pull over HTTP

func TestHandlerPull(t *testing.T) {
	hb := newHandlerBed(t, 17, nil)
	open := doCall(t, hb.url, hns, "OpenEnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("MaxObjectCount", "5"))
	got := open.items(t)
	if len(got) != 5 || open.out["EndOfSequence"] != "FALSE" || open.out["EnumerationContext"] == "" {
		t.Fatalf("open: %d items, out %v", len(got), open.out)
	}
	ctx := open.out["EnumerationContext"]
	pages := 1
	for {
		// What is left, before each pull.
		cnt := doCall(t, hb.url, hns, "EnumerationCount", pValue("EnumerationContext", ctx)).items(t)
		if len(cnt) != 1 || cnt[0].text != strconv.Itoa(len(hb.systems())-len(got)) {
			t.Errorf("EnumerationCount after %d: %+v", len(got), cnt)
		}
		r := doCall(t, hb.url, hns, "PullInstancesWithPath", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "5"))
		page := r.items(t)
		pages++
		got = append(got, page...)
		for _, it := range page {
			if it.elem != "VALUE.INSTANCEWITHPATH" || it.path.Host != hb.host || it.path.Namespace != hns {
				t.Errorf("pulled %s at %s", it.elem, it.path.String())
			}
		}
		if r.out["EndOfSequence"] == "TRUE" {
			if r.out["EnumerationContext"] != "" {
				t.Errorf("context %q at the end", r.out["EnumerationContext"])
			}
			break
		}
		if r.out["EndOfSequence"] != "FALSE" || len(page) != 5 || r.out["EnumerationContext"] == "" {
			t.Fatalf("page %d: %d items, out %v", pages, len(page), r.out)
		}
		ctx = r.out["EnumerationContext"]
	}
	if n := names(got); !slices.Equal(n, hb.systems()) || pages != 4 {
		t.Errorf("pulled %d systems in %d pages, want the %d of the inventory in 4", len(n), pages, len(hb.systems()))
	}
	// The context is gone after the end.
	doCall(t, hb.url, hns, "PullInstancesWithPath", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "5")).wantError(t, StatusInvalidEnumerationContext)

	// Paths, and a close in between.
	open = doCall(t, hb.url, hns, "OpenEnumerateInstancePaths", pClass("ClassName", "CIM_ComputerSystem"), pValue("MaxObjectCount", "2"))
	if its := open.items(t); len(its) != 2 || its[0].elem != "INSTANCEPATH" {
		t.Errorf("OpenEnumerateInstancePaths: %+v", its)
	}
	ctx = open.out["EnumerationContext"]
	doCall(t, hb.url, hns, "PullInstancesWithPath", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "1")).wantError(t, StatusInvalidEnumerationContext)
	if its := doCall(t, hb.url, hns, "PullInstancePaths", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "1")).items(t); len(its) != 1 {
		t.Errorf("PullInstancePaths: %d", len(its))
	}
	cl := doCall(t, hb.url, hns, "CloseEnumeration", pValue("EnumerationContext", ctx))
	if cl.errCode >= 0 || cl.ret != nil {
		t.Errorf("CloseEnumeration: error %d, return value %v", cl.errCode, cl.ret != nil)
	}
	doCall(t, hb.url, hns, "PullInstancePaths", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "1")).wantError(t, StatusInvalidEnumerationContext)

	// A query, pulled.
	q := doCall(t, hb.url, hns, "OpenQueryInstances", pValue("FilterQueryLanguage", "WQL"), pValue("FilterQuery", "SELECT Name FROM CIM_ComputerSystem"), pValue("MaxObjectCount", "100"))
	if its := q.items(t); len(its) != len(hb.systems()) || its[0].elem != "INSTANCE" || q.out["EndOfSequence"] != "TRUE" {
		t.Errorf("OpenQueryInstances: %d items, out %v", len(its), q.out)
	}
}

// pullThrough opens with params and pulls to the end, 2 at a time.
func pullThrough(t *testing.T, hb *handlerBed, params ...string) []item {
	t.Helper()
	open := doCall(t, hb.url, hns, "OpenEnumerateInstances", append([]string{pClass("ClassName", "CIM_ComputerSystem"), pValue("MaxObjectCount", "2")}, params...)...)
	its := open.items(t)
	ctx := open.out["EnumerationContext"]
	for open.out["EndOfSequence"] == "FALSE" {
		open = doCall(t, hb.url, hns, "PullInstancesWithPath", pValue("EnumerationContext", ctx), pValue("MaxObjectCount", "2"))
		its = append(its, open.items(t)...)
		ctx = open.out["EnumerationContext"]
	}
	if got := names(its); !slices.Equal(got, hb.systems()) {
		t.Fatalf("pulled %v, want %v", got, hb.systems())
	}
	return its
}

// TestHandlerPullPropertyList: the PropertyList and DeepInheritance given
// to the open hold for every page of the enumeration, not just the first.
func TestHandlerPullPropertyList(t *testing.T) {
	hb := newHandlerBed(t, 6, nil)
	for i, it := range pullThrough(t, hb, pList("PropertyList", "Name", "EnabledState")) {
		var props []string
		for _, pv := range it.inst.Properties {
			props = append(props, pv.Name)
		}
		if !slices.Equal(props, []string{"Name", "EnabledState"}) {
			t.Errorf("item %d: properties %v, want Name and EnabledState", i, props)
		}
	}
	cs, _ := hb.b.Repo().Class(hns, "CIM_ComputerSystem")
	for i, it := range pullThrough(t, hb, pValue("DeepInheritance", "FALSE")) {
		if _, ok := it.inst.Get("OnTimeInMilliseconds"); ok || len(it.inst.Properties) != len(cs.Properties) {
			t.Errorf("item %d, DeepInheritance FALSE: %d properties (CIM_ComputerSystem has %d), OnTimeInMilliseconds %v", i, len(it.inst.Properties), len(cs.Properties), ok)
		}
	}
	for i, it := range pullThrough(t, hb, pValue("DeepInheritance", "FALSE"), pList("PropertyList", "Name", "OnTimeInMilliseconds")) {
		if len(it.inst.Properties) != 1 || sval(it.inst, "Name") == "" {
			t.Errorf("item %d, DeepInheritance FALSE with a PropertyList: %v", i, it.inst.Properties)
		}
	}
	if len(pullThrough(t, hb, pValue("DeepInheritance", "TRUE"))[3].inst.Properties) != len(cs.Properties)+1 {
		t.Errorf("DeepInheritance TRUE lost VB_ComputerSystem's property")
	}
}

// ---- held-back and streamed answers

// TestHandlerStreams: an answer larger than CommitBytes is streamed
// (chunked, no Content-Length) and still complete; a small one has a
// Content-Length.
func TestHandlerStreams(t *testing.T) {
	hb := newHandlerBed(t, 20, &Handler{CommitBytes: 1024})
	body := requestBody(hns, "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"))
	res := post(t, hb.url, map[string]string{"CIMMethod": "EnumerateInstances", "CIMObject": hns}, body)
	// Past the encoder's buffer, and under the default threshold.
	if len(res.body) < 8<<10 || len(res.body) >= 64<<10 {
		t.Fatalf("answer of %d bytes does not suit the test", len(res.body))
	}
	if !res.chunked || res.length != -1 || res.header.Get("Content-Length") != "" {
		t.Errorf("large answer: chunked %v, length %d", res.chunked, res.length)
	}
	if got := names(parseCIM(t, res).items(t)); !slices.Equal(got, hb.systems()) {
		t.Errorf("streamed answer: %d systems", len(got))
	}
	small := post(t, hb.url, map[string]string{"CIMMethod": "GetClass", "CIMObject": hns}, requestBody(hns, "GetClass", pClass("ClassName", "CIM_ManagedElement"), pValue("IncludeQualifiers", "FALSE")))
	if small.chunked || small.length != int64(len(small.body)) || len(small.body) >= 1024 {
		t.Errorf("small answer: chunked %v, length %d of %d bytes", small.chunked, small.length, len(small.body))
	}
	parseCIM(t, small)

	// The same large answer under the default threshold is held back
	// whole.
	whole := newHandlerBed(t, 20, nil)
	res = post(t, whole.url, map[string]string{"CIMMethod": "EnumerateInstances", "CIMObject": hns}, body)
	if res.chunked || res.length != int64(len(res.body)) {
		t.Errorf("held-back answer: chunked %v, length %d of %d", res.chunked, res.length, len(res.body))
	}
}

// failingSource is a Source test double (it stands in for the broker's
// source interface, not for libvirt): it emits n instances of
// VB_ComputerSystem, then fails with err.
type failingSource struct {
	n   int
	err error
}

func (s failingSource) Enumerate(class string, emit func(*cim.Instance) error) error {
	for i := range s.n {
		name := fmt.Sprintf("vm%05d", i)
		inst := &cim.Instance{ClassName: "VB_ComputerSystem",
			Path: cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
				{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(name)}}},
			Properties: []cim.PropertyValue{
				{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")},
				{Name: "Name", Value: cim.String(name)},
				{Name: "ElementName", Value: cim.String("a virtual machine called " + name)},
			}}
		if err := emit(inst); err != nil {
			return err
		}
	}
	return s.err
}

func (s failingSource) Get(cim.ObjectPath) (*cim.Instance, error) { return nil, cim.ErrNotFound }

func (s failingSource) References(cim.ObjectPath, string, func(*cim.Instance) error) error {
	return nil
}

func failingHandler(t *testing.T, src failingSource, commit int) string {
	t.Helper()
	repo := cim.NewRepository()
	if _, err := cimmof.Load(rootmof.FS, rootmof.Files, repo, hns); err != nil {
		t.Fatal(err)
	}
	b := broker.New(broker.Config{Repo: repo, Host: "h", Open: func() map[string]broker.Source {
		return map[string]broker.Source{hns: src}
	}})
	t.Cleanup(b.Close)
	return serve(t, &Handler{Broker: b, CommitBytes: commit})
}

// TestHandlerErrorAfterCommit: once part of the answer is out, an error
// goes in the CIMStatusCode trailer to a client that takes trailers, and
// cuts the connection to one that does not; before, it is a clean ERROR.
func TestHandlerErrorAfterCommit(t *testing.T) {
	failure := fmt.Errorf("the hypervisor went away: %w", cim.ErrServerIsShuttingDown)
	url := failingHandler(t, failingSource{n: 500, err: failure}, 1024)
	body := requestBody(hns, "EnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"))
	hdr := map[string]string{"CIMMethod": "EnumerateInstances", "CIMObject": hns, "TE": "trailers"}

	res := post(t, url, hdr, body)
	if res.status != 200 || !res.chunked || res.length != -1 {
		t.Fatalf("HTTP %d, chunked %v, length %d", res.status, res.chunked, res.length)
	}
	if got := res.trailer.Get("CIMStatusCode"); got != strconv.Itoa(int(StatusServerIsShuttingDown)) {
		t.Errorf("trailer CIMStatusCode %q (trailers %v), want %d", got, res.trailer, StatusServerIsShuttingDown)
	}
	if !strings.Contains(res.trailer.Get("CIMStatusCodeDescription"), "hypervisor went away") {
		t.Errorf("trailer CIMStatusCodeDescription %q", res.trailer.Get("CIMStatusCodeDescription"))
	}
	// The client moved the declared trailers from the Trailer header
	// into res.trailer.
	if _, declared := res.trailer["Cimstatuscodedescription"]; !declared {
		t.Errorf("CIMStatusCodeDescription not declared as a trailer: %v", res.trailer)
	}
	if len(res.body) < 1024 || !bytes.Contains(res.body, []byte("vm00000")) {
		t.Errorf("streamed part: %d bytes", len(res.body))
	}

	// Without TE: trailers the client must not see a complete answer.
	delete(hdr, "TE")
	res, err := send(t, url, http.MethodPost, hdr, body)
	if err == nil {
		t.Errorf("without trailers: the client read a complete answer (HTTP %d, %d bytes, trailers %v)", res.status, len(res.body), res.trailer)
	} else if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("without trailers: %v", err)
	}

	// An HTTP/1.0 client cannot have trailers whatever it says (there is
	// no chunked encoding): its answer ends with the connection, and must
	// not end in well-formed XML that looks complete.
	raw := http10(t, url, body, map[string]string{"CIMMethod": "EnumerateInstances", "CIMObject": hns, "TE": "trailers"})
	if !bytes.Contains(raw, []byte("vm00000")) {
		t.Errorf("HTTP/1.0: the streamed part is missing: %.300s", raw)
	}
	if _, err := decodeResponse(raw); err == nil {
		t.Errorf("HTTP/1.0 with TE: trailers: the client read a well-formed answer that lacks the failure")
	}

	// An error before the threshold is a clean CIM ERROR, whatever the
	// client takes.
	url = failingHandler(t, failingSource{n: 3, err: failure}, 0)
	for _, te := range []string{"", "trailers"} {
		hdr["TE"] = te
		res := post(t, url, hdr, body)
		r := parseCIM(t, res)
		r.wantError(t, StatusServerIsShuttingDown)
		if res.chunked || res.length != int64(len(res.body)) || res.trailer.Get("CIMStatusCode") != "" || bytes.Contains(res.body, []byte("vm00000")) {
			t.Errorf("TE %q: early error answer chunked %v length %d trailers %v", te, res.chunked, res.length, res.trailer)
		}
	}
	// And a source that does not fail streams to the end, with a
	// CIMStatusCode trailer of nothing.
	url = failingHandler(t, failingSource{n: 500}, 1024)
	hdr["TE"] = "trailers"
	res = post(t, url, hdr, body)
	if got := names(parseCIM(t, res).items(t)); len(got) != 500 {
		t.Errorf("complete streamed answer: %d instances", len(got))
	}
	if got := res.trailer.Get("CIMStatusCode"); got != "" {
		t.Errorf("successful answer has trailer CIMStatusCode %q", got)
	}
}

// http10 sends an HTTP/1.0 request over a raw connection and returns the
// body read until the server closed it.
func http10(t *testing.T, url, body string, hdr map[string]string) []byte {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req strings.Builder
	req.WriteString("POST /cimom HTTP/1.0\r\nHost: x\r\nContent-Type: application/xml\r\nCIMOperation: MethodCall\r\nCIMProtocolVersion: 1.0\r\n")
	for k, v := range hdr {
		req.WriteString(k + ": " + v + "\r\n")
	}
	req.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(conn) // an abort may end it with an error
	head, rest, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok || !bytes.HasPrefix(head, []byte("HTTP/1.")) || !bytes.Contains(head, []byte(" 200 ")) {
		t.Fatalf("HTTP/1.0 answer: %.300s", all)
	}
	if bytes.Contains(bytes.ToLower(head), []byte("transfer-encoding")) {
		t.Errorf("HTTP/1.0 answer is chunked: %s", head)
	}
	return rest
}

// ---- fuzzing

// FuzzHandler posts arbitrary bodies through the handler over a small
// real bed, with the CIMMethod and CIMObject headers the body asks for
// when it decodes: the handler never panics (but for the deliberate
// abort of a streamed answer), answers only 200, 400, 413 or 501, and a
// 200 is well-formed CIM-XML.
func FuzzHandler(f *testing.F) {
	bed := libvirttest.NewBed(f, testbed.Options{Domains: 3, Seed: 1})
	b, err := virt.New(virt.Config{Namespace: hns, Version: "fuzz"}, bed.Inventory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(b.Close)
	h := &Handler{Broker: b, CommitBytes: 2048}
	snap := bed.Inventory.Snapshot()
	d := snap.Domains()[0]

	if dir := findReference(); dir != "" {
		if raw, err := readCaptures(dir); err == nil {
			rewrite := strings.NewReplacer("vm0001", d.UUID,
				`<KEYVALUE VALUETYPE="string">CIM_ComputerSystem</KEYVALUE>`, `<KEYVALUE VALUETYPE="string">VB_ComputerSystem</KEYVALUE>`)
			for _, c := range splitCaptures(f, raw) {
				f.Add([]byte(c.body))
				f.Add([]byte(rewrite.Replace(c.body)))
			}
		}
	}
	vm := vmOf(d)
	vm.Namespace = hns
	for _, body := range []string{
		requestBody(hns, "ExecQuery", pValue("QueryLanguage", "WQL"), pValue("Query", "SELECT Name FROM CIM_ComputerSystem WHERE EnabledState = 2")),
		requestBody(hns, "OpenEnumerateInstances", pClass("ClassName", "CIM_ComputerSystem"), pValue("MaxObjectCount", "1"), pList("PropertyList", "Name")),
		requestBody(hns, "OpenQueryInstances", pValue("FilterQueryLanguage", "DMTF:CQL"), pValue("FilterQuery", "SELECT * FROM CIM_LogicalDevice"), pValue("MaxObjectCount", "2")),
		requestBody(hns, "PullInstancesWithPath", pValue("EnumerationContext", "00"), pValue("MaxObjectCount", "3")),
		requestBody(hns, "EnumerationCount", pValue("EnumerationContext", "00")),
		requestBody(hns, "References", pPath("ObjectName", vmOf(d)), pValue("Role", "GroupComponent")),
		requestBody("root/interop", "Associators", pPath("ObjectName", cim.ObjectPath{ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:profile/DSP1057")}}})),
		requestBody(hns, "EnumerateClasses", pValue("DeepInheritance", "TRUE"), pValue("IncludeQualifiers", "TRUE")),
		requestBody(hns, "GetProperty", pPath("InstanceName", vmOf(d)), pValue("PropertyName", "OperationalStatus")),
		methodBody(vm, "RequestStateChange", `<PARAMVALUE NAME="RequestedState" PARAMTYPE="uint16"><VALUE>3</VALUE></PARAMVALUE>`),
		`<!DOCTYPE CIM [<!ENTITY a "b">]><CIM>&a;</CIM>`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		method, object := "GetClass", hns
		if req, err := DecodeRequest(bytes.NewReader(body)); err == nil {
			method, object = req.Method, req.Namespace
			if !req.Intrinsic && req.Target != nil {
				p := *req.Target
				p.Namespace = ""
				object = req.Namespace + ":" + p.String()
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/cimom", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/xml")
		r.Header.Set("CIMOperation", "MethodCall")
		r.Header.Set("CIMMethod", method)
		r.Header.Set("CIMObject", object)
		if len(body)%2 == 1 {
			r.Header.Set("TE", "trailers")
		}
		r = r.WithContext(server.ContextWithRole(r.Context(), server.RoleOperator, "fuzz"))
		w := httptest.NewRecorder()
		if aborted := serveRecovering(h, w, r); aborted {
			return // the connection would be cut: nothing to check
		}
		switch w.Code {
		case http.StatusOK:
			if _, err := decodeResponse(w.Body.Bytes()); err != nil {
				t.Fatalf("200 with a bad body: %v\n%.1000s", err, w.Body.Bytes())
			}
		case http.StatusBadRequest, http.StatusNotImplemented, http.StatusRequestEntityTooLarge:
			if w.Header().Get("CIMError") == "" {
				t.Fatalf("HTTP %d without CIMError: %s", w.Code, w.Body.Bytes())
			}
		default:
			t.Fatalf("HTTP %d: %s", w.Code, w.Body.Bytes())
		}
	})
}

func readCaptures(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "wire", "wbemcli-requests.log"))
	return string(b), err
}

// serveRecovering runs h, reporting the deliberate http.ErrAbortHandler
// panic; any other panic goes on.
func serveRecovering(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}
