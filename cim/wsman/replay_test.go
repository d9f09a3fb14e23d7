package wsman

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

func readCapture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir(t), "wire", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openwsmanEnvelopes are the openwsman client's envelopes, in order.
func openwsmanEnvelopes(t testing.TB) []string {
	t.Helper()
	envs := splitEnvelopes(readCapture(t, "openwsman-requests.xml"))
	if len(envs) != 11 {
		t.Fatalf("%d envelopes in openwsman-requests.xml, want 11", len(envs))
	}
	for i, e := range envs {
		if !strings.HasPrefix(e, `<?xml version="1.0" encoding="UTF-8"?>`) || !strings.HasSuffix(e, "</s:Envelope>") {
			t.Fatalf("envelope %d cut badly: %.80s ... %.40s", i, e, e[len(e)-40:])
		}
	}
	return envs
}

// realVM rewrites what a capture says of the VM "x" (or "vm0001") to a
// domain of the bed, its namespace "root/virt" to the one served, and
// the enumeration contexts it invented to ctx.
func realVM(env string, d *backends.Domain, ctx string) string {
	vm := `<wsman:Selector Name="Name">` + d.UUID + `</wsman:Selector><wsman:Selector Name="CreationClassName">VB_ComputerSystem</wsman:Selector>`
	r := strings.NewReplacer(
		`<wsman:Selector Name="Name">x</wsman:Selector><wsman:Selector Name="CreationClassName">CIM_ComputerSystem</wsman:Selector>`, vm,
		`<wsman:Selector Name="Name">x</wsman:Selector>`, vm,
		`<wsman:Selector Name="CreationClassName">CIM_ComputerSystem</wsman:Selector>      <wsman:Selector Name="Name">vm0001</wsman:Selector>`, vm,
		`Name='x'`, `Name='`+d.UUID+`'`,
		`<n1:Name>x</n1:Name>`, `<n1:Name>`+d.UUID+`</n1:Name>`,
		`>root/virt<`, `>root/virtualization<`,
		`>uuid:abc<`, `>`+ctx+`<`, `>ctx-1<`, `>`+ctx+`<`, `>ctx-epr<`, `>`+ctx+`<`,
	)
	return r.Replace(env)
}

// TestReplayOpenwsman sends every openwsman envelope, as captured (they
// name a VM "x" that does not exist) and rewritten to a real one.
func TestReplayOpenwsman(t *testing.T) {
	envs := openwsmanEnvelopes(t)
	e := defaultEnv(t)
	snap := e.bed.Inventory.Snapshot()
	d := snap.Domains()[2]
	all := len(e.systems(nil))

	t.Run("as captured", func(t *testing.T) {
		want := []struct {
			action string // success action, or ""
			kind   faultKind
			detail string
		}{
			{actionEnumerate + responseSuffix, 0, ""},
			{"", faultDestinationUnreachable, "InvalidResourceURI"}, // root/virt is not served
			{actionEnumerate + responseSuffix, 0, ""},               // a SelectorFilter matching nothing
			{"", faultInvalidSelectors, "InsufficientSelectors"},    // the Object EPR lacks CreationClassName
			{actionEnumerate + responseSuffix, 0, ""},
			{"", faultInvalidEnumerationContext, ""}, // uuid:abc
			{"", faultInvalidEnumerationContext, ""},
			{"", faultActionNotSupported, "ActionMismatch"}, // Delete
			{"", faultActionNotSupported, "ActionMismatch"}, // Create
			{"", faultInvalidSelectors, "InsufficientSelectors"},
			{"", faultActionNotSupported, ""}, // Subscribe: no eventing
		}
		for i, env := range envs {
			r := e.op(env)
			if w := want[i]; w.action != "" {
				mustOK(t, r, w.action)
			} else {
				mustFault(t, r, w.kind, w.detail)
			}
			checkRelates(t, env, r)
		}
	})

	t.Run("rewritten", func(t *testing.T) {
		ctx := ""
		for i, env := range envs {
			env = realVM(env, d, ctx)
			r := e.op(env)
			checkRelates(t, env, r)
			switch i {
			case 0: // optimized ObjectAndEPR, MaxElements 50, with the estimate
				mustOK(t, r, actionEnumerate+responseSuffix)
				b := r.body()
				if n := len(b.Kid(nsWSMan, "Items").Kids); n != all || b.Kid(nsWSMan, "EndOfSequence") == nil {
					t.Errorf("optimized enumeration: %d items, want %d and the end", n, all)
				}
				if est := r.headerText(nsWSMan, "TotalItemsCountEstimate"); est != strconv.Itoa(all) {
					t.Errorf("estimate %q", est)
				}
				for _, it := range b.Kid(nsWSMan, "Items").Kids {
					itemName(t, it)
				}
			case 1, 2: // WQL and SelectorFilter naming the VM
				mustOK(t, r, actionEnumerate+responseSuffix)
				run := e.pullAll(t, r)
				if len(run) != 1 {
					t.Fatalf("envelope %d: %d items", i, len(run))
				}
				if n, _ := itemName(t, run[0]); n != d.UUID {
					t.Errorf("envelope %d: %s", i, n)
				}
			case 3: // the VM's devices, as EPRs
				mustOK(t, r, actionEnumerate+responseSuffix)
				items := e.pullAll(t, r)
				if len(items) < d.VCPUs+len(d.Disks) {
					t.Errorf("%d devices", len(items))
				}
				for _, it := range items {
					if !it.Is(nsWSA, "EndpointReference") {
						t.Errorf("not an EPR: %s", it.Name)
					}
				}
			case 4: // CQL, then the captured Pull and Release continue it
				mustOK(t, r, actionEnumerate+responseSuffix)
				ctx = r.textAt(r.body(), nsWSEN, "EnumerationContext")
			case 5:
				mustOK(t, r, actionPull+responseSuffix)
				if n := len(r.body().Kid(nsWSEN, "Items").Kids); n != 1 {
					t.Errorf("Pull gave %d items (MaxElements defaults to 1)", n)
				}
				ctx = r.textAt(r.body(), nsWSEN, "EnumerationContext")
			case 6:
				mustOK(t, r, actionRelease+responseSuffix)
			case 7, 8:
				mustFault(t, r, faultActionNotSupported, "ActionMismatch")
			case 9: // Put of the unchanged Name
				mustOK(t, r, actionPut+responseSuffix)
				checkRendered(t, mustGet(t, e, d.UUID), r.body())
			case 10:
				mustFault(t, r, faultActionNotSupported, "")
			}
		}
	})
}

// pullAll collects the items of an Enumerate reply and the Pulls after it.
func (e *env) pullAll(t testing.TB, r *reply) []*xmltree.Node {
	t.Helper()
	b := r.body()
	var out []*xmltree.Node
	if items := b.Kid(nsWSMan, "Items"); items != nil {
		out = append(out, items.Kids...)
		if b.Kid(nsWSMan, "EndOfSequence") != nil {
			return out
		}
	}
	ctx := r.textAt(b, nsWSEN, "EnumerationContext")
	for ctx != "" {
		r := e.op(req{action: actionPull, resource: csURI, body: "<wsen:Pull><wsen:EnumerationContext>" + ctx + "</wsen:EnumerationContext><wsen:MaxElements>10</wsen:MaxElements></wsen:Pull>"}.String())
		mustOK(t, r, actionPull+responseSuffix)
		out = append(out, r.body().Kid(nsWSEN, "Items").Kids...)
		ctx = r.textAt(r.body(), nsWSEN, "EnumerationContext")
	}
	return out
}

// checkRelates: the reply relates to the envelope's MessageID.
func checkRelates(t testing.TB, env string, r *reply) {
	t.Helper()
	req, err := decode(env)
	if err != nil || req.MessageID == "" {
		return
	}
	if got := r.headerText(nsWSA, "RelatesTo"); got != req.MessageID {
		t.Errorf("RelatesTo %q, want %q", got, req.MessageID)
	}
}

// TestReplayOpenwsmanAuth: the raw exchange sends each request first
// without credentials: the server answers 401 unless the route lets it in
// anonymously, which it does for Identify only; the handler itself
// refuses it with AccessDenied. With credentials it is served.
func TestReplayOpenwsmanAuth(t *testing.T) {
	caps := splitHTTPLog(readCapture(t, "openwsman-raw-with-auth.log"))
	if len(caps) < 10 {
		t.Fatalf("%d requests in openwsman-raw-with-auth.log", len(caps))
	}
	e := newEnv(t, smallBed)
	var anon, authed int
	for _, c := range caps {
		if IsIdentify(newPost(strings.NewReader(c.body))) {
			t.Errorf("%.100s taken for Identify", c.body)
		}
		if !c.auth {
			anon++
			mustFault(t, e.post("", c.body), faultAccessDenied, "")
			continue
		}
		authed++
		r := e.op(c.body)
		if _, ok := r.fault(); !ok && r.status != http.StatusOK {
			t.Errorf("status %d", r.status)
		}
		checkRelates(t, c.body, r)
	}
	if anon == 0 || authed == 0 {
		t.Errorf("%d anonymous, %d authenticated requests", anon, authed)
	}
}

// TestReplayWsl replays the wsl session (its MessageIDs lack "uuid:"):
// identify, enumerations each followed by the Pull wsl sends with the
// context it was given, get, invoke, put, and a Go client's optimized
// Enumerate with MaxEnvelopeSize.
func TestReplayWsl(t *testing.T) {
	caps := splitHTTPLog(readCapture(t, "wsl-requests.log"))
	if len(caps) != 20 {
		t.Fatalf("%d requests in wsl-requests.log, want 20", len(caps))
	}
	e := defaultEnv(t)
	d := e.bed.Inventory.Snapshot().Domains()[4]
	all := len(e.systems(nil))
	ctx := ""
	for i, c := range caps {
		body := realVM(c.body, d, ctx)
		r := e.op(body)
		checkRelates(t, body, r)
		req, err := decode(body)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		switch {
		case req.Body != nil && req.Body.Is(nsWSMID, "Identify"):
			if r.body() == nil || !r.body().Is(nsWSMID, "IdentifyResponse") {
				t.Errorf("identify:\n%s", r.raw)
			}
		case strings.Contains(body, "select_*_from"):
			// wsl's -filter joins the query with underscores: not CQL.
			mustFault(t, r, faultCannotProcessFilter, "")
			ctx = "O0:"
		case req.Action == actionEnumerate:
			mustOK(t, r, actionEnumerate+responseSuffix)
			ctx = r.textAt(r.body(), nsWSEN, "EnumerationContext")
			items := r.body().Kid(nsWSMan, "Items")
			want := all
			if strings.Contains(req.ResourceURI, "VirtualSystemSettingData") {
				want = e.count(t, "CIM_VirtualSystemSettingData")
			}
			if items == nil || len(items.Kids) != want || r.body().Kid(nsWSMan, "EndOfSequence") == nil {
				t.Errorf("request %d (%s): not all %d items at once", i, c.comment, want)
			}
		case req.Action == actionPull:
			// The enumeration ended in the optimized Enumerate already.
			mustOK(t, r, actionPull+responseSuffix)
			if r.body().Kid(nsWSEN, "EndOfSequence") == nil || len(r.body().Kid(nsWSEN, "Items").Kids) != 0 {
				t.Errorf("request %d: Pull after the end:\n%s", i, r.raw)
			}
		case req.Action == actionGet:
			mustOK(t, r, actionGet+responseSuffix)
			checkRendered(t, mustGet(t, e, d.UUID), r.body())
		case strings.HasSuffix(req.Action, "/RequestStateChange"):
			if _, ok := r.fault(); ok {
				mustFault(t, r, faultActionNotSupported, "")
			} else {
				mustOK(t, r, req.Action+responseSuffix)
			}
		default:
			t.Errorf("request %d: unexpected %s", i, req.Action)
		}
	}
	// As captured, the get and invoke name a VM "vm0001" of class
	// CIM_ComputerSystem that is not there.
	for _, c := range caps {
		if strings.Contains(c.body, "vm0001") {
			mustFault(t, e.op(c.body), faultDestinationUnreachable, "")
			mustFault(t, e.post(server.RoleReadOnly, c.body), map[bool]faultKind{true: faultDestinationUnreachable, false: faultAccessDenied}[strings.Contains(c.body, "/Get<")], "")
		}
	}
}

// count is how many instances of class the broker has.
func (e *env) count(t testing.TB, class string) int {
	t.Helper()
	n := 0
	if err := e.br.EnumerateInstances(testNamespace, class, true, func(*cim.Instance) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
