package wsman

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/xmltree"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

// evEnv is a handler with the indication service over a running test
// bed: subscriptions made through WS-Man, events from real libvirt.
type evEnv struct {
	*env
	bed   *libvirttest.Bed
	svc   *indication.Service
	store string
	stop  func()
}

type evOptions struct {
	retries int // 3 when 0: a delivery that fails once on a loaded machine ends a subscription
	history int
	store   string
	timeout time.Duration // of one delivery; 5 s when 0
}

func newEvEnv(t testing.TB, o evOptions) *evEnv {
	t.Helper()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 4, Seed: 7})
	bed.Run(t)
	e := &evEnv{bed: bed, store: o.store}
	if e.store == "" {
		e.store = filepath.Join(t.TempDir(), "indications.db")
	}
	e.start(t, o)
	return e
}

// start opens the store and runs the service (again, after stop).
func (e *evEnv) start(t testing.TB, o evOptions) {
	t.Helper()
	st, err := indication.OpenStore(e.store, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if o.history == 0 {
		o.history = 1000
	}
	if o.retries == 0 {
		o.retries = 3
	}
	// The service's log, shown when the test fails.
	var logs syncbuf.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("indication service log:\n%s", logs.String())
		}
	})
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	ic := &indication.Config{Store: st, QueueSize: 100, RetryAttempts: o.retries, RetryInterval: 5 * time.Millisecond,
		Exporter: export.New(5*time.Second, false), Pusher: NewPusher(o.timeout, false), MaxInstances: 20, History: o.history, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Codec: indication.Codec{Marshal: cimxml.MarshalInstance, Unmarshal: cimxml.UnmarshalInstance}}
	a, err := virt.Assemble(virt.Config{Namespace: testNamespace, Version: "t", Ops: e.bed.Backend, Indications: ic}, e.bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = a.Indications
	e.env = &env{t: t, bed: e.bed, br: a.Broker, h: &Handler{Broker: a.Broker, Namespace: testNamespace, Product: "virtbridge", Version: "t", Events: a.Indications}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.svc.Run(ctx)
	}()
	stopped := false
	e.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		a.Broker.Close()
		_ = st.Close()
	}
	t.Cleanup(func() { e.stop() })
}

// running is a running domain of the bed.
func (e *evEnv) running(t *testing.T) string {
	t.Helper()
	for _, d := range e.bed.Inventory.Snapshot().Domains() {
		if d.State == backends.StateRunning {
			return d.UUID
		}
	}
	t.Fatal("no running domain")
	return ""
}

// suspendResume pauses and resumes uuid, waiting for the inventory to
// see each.
func (e *evEnv) suspendResume(t *testing.T, uuid string) {
	t.Helper()
	for _, step := range []struct {
		do   func(context.Context, string) error
		want backends.State
	}{{e.bed.Backend.Suspend, backends.StatePaused}, {e.bed.Backend.Resume, backends.StateRunning}} {
		if err := step.do(t.Context(), uuid); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "domain state "+step.want.String(), func() bool {
			d, ok := e.bed.Inventory.Snapshot().Domain(uuid)
			return ok && d.State == step.want
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stateQuery is the filter: VM state changes only.
const stateQuery = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
	"SourceInstance.CIM_ComputerSystem::EnabledState &lt;&gt; PreviousInstance.CIM_ComputerSystem::EnabledState"

// subscribeBody is a wse:Subscribe; delivery is the wse:Delivery's
// content, extra more children of wse:Subscribe.
func subscribeBody(mode, delivery, extra string) string {
	return fmt.Sprintf(`<wse:Subscribe xmlns:wse="%s"><wse:Delivery Mode="%s">%s</wse:Delivery>%s</wse:Subscribe>`, nsWSE, mode, delivery, extra)
}

func notifyTo(url, params string) string {
	return `<wse:NotifyTo><wsa:Address>` + url + `</wsa:Address><wsa:ReferenceParameters>` + params + `</wsa:ReferenceParameters></wse:NotifyTo>`
}

func wqlFilter(q string) string {
	return `<wsman:Filter Dialect="` + dialectWQL + `">` + q + `</wsman:Filter>`
}

// subscribe posts a Subscribe to the all-classes URI in the interop
// namespace, as openwsman does, and returns the identifier and reply.
func (e *evEnv) subscribe(t *testing.T, body string) (string, *reply) {
	t.Helper()
	r := e.op(req{action: actionSubscribe, resource: AllClasses, selectors: []Selector{{Name: namespaceSelector, Value: "root/interop"}}, body: body}.String())
	if r.status != 200 {
		t.Fatalf("Subscribe: HTTP %d\n%s", r.status, r.raw)
	}
	id := find(r.root, nsWSE, "Identifier")
	if id == nil || !strings.HasPrefix(textOf(id), "uuid:") {
		t.Fatalf("SubscribeResponse without a wse:Identifier:\n%s", r.raw)
	}
	return textOf(id), r
}

// manage posts Renew, GetStatus or Unsubscribe for id.
func (e *evEnv) manage(role server.Role, action, id, body string) *reply {
	e.t.Helper()
	return e.post(role, req{action: action, resource: AllClasses, headers: `<wse:Identifier xmlns:wse="` + nsWSE + `">` + id + `</wse:Identifier>`, body: body}.String())
}

// find is the first element space:name at any depth under n.
func find(n *xmltree.Node, space, name string) *xmltree.Node {
	if n == nil {
		return nil
	}
	if n.Is(space, name) {
		return n
	}
	for _, k := range n.Kids {
		if f := find(k, space, name); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *xmltree.Node) string { return strings.TrimSpace(n.Text.String()) }

// faultSubcode is the subcode value of a fault reply ("" if none).
func faultSubcode(r *reply) string {
	code := find(r.root, nsSOAP, "Subcode")
	if code == nil {
		return ""
	}
	v := code.Kid(nsSOAP, "Value")
	if v == nil {
		return ""
	}
	s := textOf(v)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
