package conformance

// Helpers for the method tests: an agent on a libvirtd-served test
// driver that virsh shares, virsh checks, raw CIM-XML method calls with
// embedded instances (escaped or CDATA), and wbemcli object paths.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

// sharedBed is an agent serving a session libvirtd's test:///default
// node. Unlike a test:///FILE node (private to each connection), the
// default node of a daemon is shared by every client while one of them
// holds it open, here the agent: virsh on uri sees what the agent did.
type sharedBed struct {
	d   *libvirttest.Daemon
	uri string
	a   *agent
	dir string // for disk images the agent's backend can stat
}

func newSharedBed(t *testing.T) *sharedBed {
	t.Helper()
	need(t, "virsh", "wbemcli")
	d := libvirttest.SessionDaemon(t)
	b := &sharedBed{d: d, uri: d.URI(""), dir: t.TempDir()}
	b.a = runAgent(t, t.TempDir(), b.uri, nil, "")
	// The agent is up once it serves the default node's one domain.
	b.waitFor(t, "the agent to list the default node's domain", func() bool {
		out, _ := b.a.wbemcli(t, cimViewer, "ein", b.a.cimURL(cimViewer, mns+":VB_ComputerSystem"))
		return strings.Count(out, "VB_ComputerSystem.") == 2
	})
	return b
}

// mns is the implementation namespace.
const mns = "root/virtualization"

// image makes an (empty) disk image the backend's existence check passes.
func (b *sharedBed) image(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(b.dir, name)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// virsh runs virsh on uri; a failure fails the test.
func virshOn(t *testing.T, uri string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "virsh", append([]string{"-q", "-c", uri}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (b *sharedBed) virsh(t *testing.T, args ...string) string {
	t.Helper()
	return virshOn(t, b.uri, args...)
}

// virshTry runs virsh and returns its output and whether it succeeded.
func virshTry(uri string, args ...string) (string, bool) {
	out, err := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// waitFor polls ok for up to 20 s.
func (b *sharedBed) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	waitUntil(t, what, ok)
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// dominfo reads `virsh dominfo` into a map.
func (b *sharedBed) dominfo(t *testing.T, dom string) map[string]string {
	t.Helper()
	return dominfoOn(t, b.uri, dom)
}

func dominfoOn(t *testing.T, uri, dom string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(virshOn(t, uri, "dominfo", dom), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// column is the n-th field of each row of a virsh table (-q: no header).
func (b *sharedBed) column(t *testing.T, n int, args ...string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(b.virsh(t, args...), "\n") {
		if f := strings.Fields(l); len(f) > n {
			out = append(out, f[n])
		}
	}
	slices.Sort(out)
	return out
}

// hostState is everything virsh says about the node's domains: names,
// each one's inactive and live XML, dominfo and snapshots. Equal before
// and after a refused request means nothing changed.
func (b *sharedBed) hostState(t *testing.T) string {
	t.Helper()
	return hostStateOn(t, b.uri)
}

func hostStateOn(t *testing.T, uri string) string {
	t.Helper()
	names := strings.Fields(virshOn(t, uri, "list", "--all", "--name"))
	slices.Sort(names)
	// One virsh run for all the domains (virsh takes ";"-separated
	// commands): this runs before and after every refused request.
	var cmds []string
	for _, n := range names {
		q := "'" + n + "'"
		cmds = append(cmds, "dumpxml --inactive "+q, "dumpxml "+q, "dominfo "+q, "snapshot-list --name "+q)
	}
	var s strings.Builder
	fmt.Fprintf(&s, "domains: %v\n", names)
	if len(cmds) == 0 {
		return s.String()
	}
	out := virshOn(t, uri, strings.Join(cmds, " ; "))
	if n := strings.Count(out, "<domain "); n != 2*len(names) {
		t.Fatalf("virsh gave %d domain XMLs for %d domains:\n%s", n, len(names), out)
	}
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "CPU time") { // runs on by itself
			s.WriteString(l + "\n")
		}
	}
	return s.String()
}

// ---- CIM-XML object paths

// cimPath is an instance path as class and keys, in mns.
type cimPath struct {
	class string
	keys  [][2]string
}

func vmCIMPath(uuid string) cimPath {
	return cimPath{"VB_ComputerSystem", [][2]string{{"CreationClassName", "VB_ComputerSystem"}, {"Name", uuid}}}
}

func idPath(class, id string) cimPath { return cimPath{class, [][2]string{{"InstanceID", id}}} }

// wbem is the path as wbemcli writes it after the namespace.
func (p cimPath) wbem() string {
	var kv []string
	for _, k := range p.keys {
		kv = append(kv, k[0]+`="`+k[1]+`"`)
	}
	return p.class + "." + strings.Join(kv, ",")
}

// full is the wbemcli object path with the namespace.
func (p cimPath) full() string { return mns + ":" + p.wbem() }

// instanceName is its INSTANCENAME element.
func (p cimPath) instanceName() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<INSTANCENAME CLASSNAME="%s">`, p.class)
	for _, k := range p.keys {
		fmt.Fprintf(&b, `<KEYBINDING NAME="%s"><KEYVALUE VALUETYPE="string">%s</KEYVALUE></KEYBINDING>`, k[0], xmlEscape(k[1]))
	}
	b.WriteString(`</INSTANCENAME>`)
	return b.String()
}

func localNSPath() string {
	return `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH>`
}

// parseWbemPath reads a path as wbemcli prints it (host:port/ns:Class.K="v",...).
func parseWbemPath(t *testing.T, s string) cimPath {
	t.Helper()
	s = strings.TrimSpace(s)
	if i := strings.Index(s, mns+":"); i >= 0 {
		s = s[i+len(mns)+1:]
	}
	class, rest, ok := strings.Cut(s, ".")
	if !ok {
		t.Fatalf("path %q has no keys", s)
	}
	p := cimPath{class: class}
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			t.Fatalf("path %q: bad keys at %q", s, rest)
		}
		var val string
		if strings.HasPrefix(after, `"`) {
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				t.Fatalf("path %q: unterminated value", s)
			}
			val, rest = after[1:1+end], after[2+end:]
		} else {
			val, rest, _ = strings.Cut(after, ",")
			rest = "," + rest
		}
		p.keys = append(p.keys, [2]string{name, val})
		rest = strings.TrimPrefix(rest, ",")
	}
	return p
}

// service finds the host service of class (its one instance).
func (b *sharedBed) service(t *testing.T, class string) cimPath {
	t.Helper()
	ps := paths(b.a.wbem(t, "ein", b.a.cimURL(cimViewer, mns+":"+class)))
	if len(ps) != 1 {
		t.Fatalf("%d instances of %s, want 1: %v", len(ps), class, ps)
	}
	return parseWbemPath(t, ps[0])
}

// ---- raw CIM-XML method calls

// cimReply is the answer to a METHODCALL.
type cimReply struct {
	status  int
	cimErr  string // the CIMError header
	body    string
	code    int    // ERROR CODE; -1 when none
	desc    string // ERROR DESCRIPTION
	ret     string // RETURNVALUE
	out     map[string]*xnode
	request string
}

func (r *cimReply) String() string {
	return fmt.Sprintf("request:\n%s\nresponse (HTTP %d, CIMError %q):\n%s", r.request, r.status, r.cimErr, r.body)
}

// refOut is the INSTANCENAME keys of output reference parameter name.
func (r *cimReply) refOut(name string) []cimPath {
	var out []cimPath
	n := r.out[name]
	if n == nil {
		return nil
	}
	for _, in := range n.findAll("", "INSTANCENAME") {
		p := cimPath{class: in.attr("CLASSNAME")}
		for _, kb := range in.findAll("", "KEYBINDING") {
			v := ""
			if kv := kb.find("", "KEYVALUE"); kv != nil {
				v = kv.text()
			}
			p.keys = append(p.keys, [2]string{kb.attr("NAME"), v})
		}
		out = append(out, p)
	}
	return out
}

func (p cimPath) key(name string) string {
	for _, k := range p.keys {
		if strings.EqualFold(k[0], name) {
			return k[1]
		}
	}
	return ""
}

// cimCall posts METHODCALL method on target as user with the PARAMVALUE
// elements given.
func (a *agent) cimCall(t *testing.T, user string, target cimPath, method string, params ...string) *cimReply {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="` + method + `">` +
		`<LOCALINSTANCEPATH>` + localNSPath() + target.instanceName() + `</LOCALINSTANCEPATH>` +
		strings.Join(params, "") + `</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	req, err := http.NewRequest(http.MethodPost, "http://"+a.cimHTTP+"/cimom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	pass := map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user]
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMProtocolVersion", "1.0")
	req.Header.Set("CIMOperation", "MethodCall")
	req.Header.Set("CIMMethod", method)
	req.Header.Set("CIMObject", mns+":"+target.wbem())
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &cimReply{status: resp.StatusCode, cimErr: resp.Header.Get("CIMError"), body: string(b), code: -1, out: map[string]*xnode{}, request: body}
	if resp.StatusCode != http.StatusOK {
		return r
	}
	root, err := parseXML(b)
	if err != nil {
		t.Fatalf("%s: the answer is not XML: %v\n%s", method, err, r)
	}
	rsp := root.find("", "METHODRESPONSE")
	if rsp == nil {
		t.Fatalf("%s: no METHODRESPONSE:\n%s", method, r)
	}
	if e := rsp.kid("", "ERROR"); e != nil {
		r.code, _ = strconv.Atoi(e.attr("CODE"))
		r.desc = e.attr("DESCRIPTION")
	}
	if rv := rsp.kid("", "RETURNVALUE"); rv != nil {
		if v := rv.find("", "VALUE"); v != nil {
			r.ret = v.text()
		}
	}
	for _, k := range rsp.kids {
		if k.name.Local == "PARAMVALUE" {
			r.out[k.attr("NAME")] = k
		}
	}
	return r
}

// ok fails the test unless the call returned 0.
func (r *cimReply) ok(t *testing.T, method string) {
	t.Helper()
	if r.status != http.StatusOK || r.code != -1 || r.ret != "0" {
		t.Fatalf("%s: want ReturnValue 0, got:\n%s", method, r)
	}
}

// refused fails the test unless the call was answered with CIM error
// code and a description holding every one of want.
func (r *cimReply) refused(t *testing.T, what string, code int, want ...string) {
	t.Helper()
	if r.status != http.StatusOK || r.code != code {
		t.Errorf("%s: want CIM error %d, got:\n%s", what, code, r)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.desc, w) {
			t.Errorf("%s: the description %q does not say %q", what, r.desc, w)
		}
	}
}

// Parameter builders. Embedded instances are INSTANCE elements inside
// the text of a VALUE: escaped, or in a CDATA section.

func prop(name, typ, value string) string {
	return fmt.Sprintf(`<PROPERTY NAME="%s" TYPE="%s"><VALUE>%s</VALUE></PROPERTY>`, name, typ, xmlEscape(value))
}

func propArray(name, typ string, values ...string) string {
	s := fmt.Sprintf(`<PROPERTY.ARRAY NAME="%s" TYPE="%s"><VALUE.ARRAY>`, name, typ)
	for _, v := range values {
		s += "<VALUE>" + xmlEscape(v) + "</VALUE>"
	}
	return s + "</VALUE.ARRAY></PROPERTY.ARRAY>"
}

func instXML(class string, props ...string) string {
	return `<INSTANCE CLASSNAME="` + class + `">` + strings.Join(props, "") + `</INSTANCE>`
}

// embedded is one VALUE holding inst, escaped or as CDATA.
func embedded(inst string, cdata bool) string {
	if cdata {
		return "<VALUE><![CDATA[" + inst + "]]></VALUE>"
	}
	return "<VALUE>" + xmlEscape(inst) + "</VALUE>"
}

// embeddedParam is a PARAMVALUE of one embedded instance.
func embeddedParam(name, inst string, cdata bool) string {
	return `<PARAMVALUE NAME="` + name + `" PARAMTYPE="string" EmbeddedObject="instance">` + embedded(inst, cdata) + `</PARAMVALUE>`
}

// embeddedArray is a PARAMVALUE of embedded instances; cdata says, per
// instance, how it is written.
func embeddedArray(name string, insts []string, cdata ...bool) string {
	s := `<PARAMVALUE NAME="` + name + `" PARAMTYPE="string" EmbeddedObject="instance"><VALUE.ARRAY>`
	for i, in := range insts {
		s += embedded(in, i < len(cdata) && cdata[i])
	}
	return s + `</VALUE.ARRAY></PARAMVALUE>`
}

// refParam is a PARAMVALUE holding a reference.
func refParam(name string, p cimPath) string {
	return `<PARAMVALUE NAME="` + name + `" PARAMTYPE="reference"><VALUE.REFERENCE><LOCALINSTANCEPATH>` + localNSPath() + p.instanceName() + `</LOCALINSTANCEPATH></VALUE.REFERENCE></PARAMVALUE>`
}

// refArrayParam is a PARAMVALUE holding references.
func refArrayParam(name string, ps ...cimPath) string {
	s := `<PARAMVALUE NAME="` + name + `" PARAMTYPE="reference"><VALUE.REFARRAY>`
	for _, p := range ps {
		s += `<VALUE.REFERENCE><LOCALINSTANCEPATH>` + localNSPath() + p.instanceName() + `</LOCALINSTANCEPATH></VALUE.REFERENCE>`
	}
	return s + `</VALUE.REFARRAY></PARAMVALUE>`
}

func valueParam(name, typ, value string) string {
	return `<PARAMVALUE NAME="` + name + `" PARAMTYPE="` + typ + `"><VALUE>` + xmlEscape(value) + `</VALUE></PARAMVALUE>`
}

// ---- wbemcli

// cm runs wbemcli cm as the operator on target and returns the method's
// return value ("" with the output when wbemcli reports an error).
func (a *agent) cm(t *testing.T, target cimPath, call string) (string, string) {
	t.Helper()
	out, _ := a.wbemcli(t, cimOperator, "cm", a.cimURL(cimOperator, target.full()), call)
	method, _, _ := strings.Cut(call, ".")
	i := strings.Index(out, method+": ")
	if i < 0 {
		return "", out
	}
	rest := out[i+len(method)+2:]
	end := strings.IndexFunc(rest+" ", func(r rune) bool { return r < '0' || r > '9' })
	return rest[:end], out
}

// props reads one instance with wbemcli gi -nl (the viewer).
func (a *agent) props(t *testing.T, p cimPath) map[string]string {
	t.Helper()
	objs := parseNL(a.wbem(t, "gi", "-nl", a.cimURL(cimViewer, p.full())))
	if len(objs) != 1 {
		t.Fatalf("gi %s: %d instances", p.full(), len(objs))
	}
	return objs[0].props
}

// associated lists the instances wbemcli ai -nl gives for p.
func (a *agent) associated(t *testing.T, p cimPath, args ...string) []cimObject {
	t.Helper()
	return parseNL(a.wbem(t, "ai", append(append([]string{"-nl"}, args...), a.cimURL(cimViewer, p.full()))...))
}
