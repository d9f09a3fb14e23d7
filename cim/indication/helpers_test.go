package indication_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/virt"
)

const (
	implNS    = "root/virtualization"
	interopNS = "root/interop"
	// stateChanges is the example filter.
	stateChanges = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
		"SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState"
)

// fixture is an agent's CIM side over a running test bed, with the
// indication service running.
type fixture struct {
	backend *libvirt.Backend
	inv     *inventory.Inventory
	br      *broker.Broker
	svc     *indication.Service
	store   string
	stop    func()
}

// options tunes a fixture; zero values take small test defaults.
type options struct {
	queue, retries int
	store          string
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 4, Seed: 7, Pools: 1, Networks: 1})
	bed.Run(t)
	f := &fixture{backend: bed.Backend, inv: bed.Inventory, store: o.store}
	if f.store == "" {
		f.store = filepath.Join(t.TempDir(), "indications.db")
	}
	f.start(t, o)
	return f
}

// start opens the store and runs the service; f.stop, or the test's
// end, stops it.
func (f *fixture) start(t *testing.T, o options) {
	t.Helper()
	st, err := indication.OpenStore(f.store, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if o.queue == 0 {
		o.queue = 100
	}
	ic := &indication.Config{Store: st, QueueSize: o.queue, RetryAttempts: o.retries,
		RetryInterval: 5 * time.Millisecond, Exporter: export.New(10*time.Second, false), MaxInstances: 20,
		History: 100, Codec: indication.Codec{Marshal: cimxml.MarshalInstance, Unmarshal: cimxml.UnmarshalInstance}}
	a, err := virt.Assemble(virt.Config{Namespace: implNS, Version: "test", Ops: f.backend, Indications: ic}, f.inv)
	if err != nil {
		t.Fatal(err)
	}
	f.br, f.svc = a.Broker, a.Indications
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.svc.Run(ctx)
	}()
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			a.Broker.Close()
			_ = st.Close()
		})
	}
	t.Cleanup(f.stop)
}

func (f *fixture) create(t *testing.T, inst *cim.Instance) cim.ObjectPath {
	t.Helper()
	p, err := f.br.CreateInstance(t.Context(), interopNS, inst)
	if err != nil {
		t.Fatalf("creating %s: %v", inst.ClassName, err)
	}
	return p
}

func newInst(class string, props map[string]cim.Value) *cim.Instance {
	inst := &cim.Instance{ClassName: class}
	for k, v := range props {
		inst.Set(k, v)
	}
	return inst
}

func filterInst(name, lang, query string) *cim.Instance {
	return newInst("CIM_IndicationFilter", map[string]cim.Value{
		"Name": cim.String(name), "QueryLanguage": cim.String(lang), "Query": cim.String(query)})
}

func destInst(name, url string) *cim.Instance {
	return newInst("CIM_ListenerDestinationCIMXML", map[string]cim.Value{"Name": cim.String(name), "Destination": cim.String(url)})
}

func subInst(filter, handler cim.ObjectPath, extra map[string]cim.Value) *cim.Instance {
	props := map[string]cim.Value{"Filter": cim.Ref(filter), "Handler": cim.Ref(handler)}
	for k, v := range extra {
		props[k] = v
	}
	return newInst("CIM_IndicationSubscription", props)
}

// subscribe creates a filter, a destination at url and a subscription
// joining them, all named name.
func (f *fixture) subscribe(t *testing.T, name, lang, query, url string, extra map[string]cim.Value) cim.ObjectPath {
	t.Helper()
	fp := f.create(t, filterInst(name, lang, query))
	dp := f.create(t, destInst(name, url))
	return f.create(t, subInst(fp, dp, extra))
}

// running returns the UUID of a running domain of the bed.
func (f *fixture) running(t *testing.T) string {
	t.Helper()
	for _, d := range f.inv.Snapshot().Domains() {
		if d.State == backends.StateRunning {
			return d.UUID
		}
	}
	t.Fatal("no running domain in the bed")
	return ""
}

func u16(inst *cim.Instance, name string) uint64 {
	v, _ := inst.Get(name)
	n, _ := v.Uint()
	return n
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// managementService is the path of the VSMS.
func (f *fixture) managementService(t *testing.T) cim.ObjectPath {
	t.Helper()
	var p cim.ObjectPath
	err := f.br.EnumerateInstanceNames(implNS, "CIM_VirtualSystemManagementService", func(x cim.ObjectPath) error { p = x; return nil })
	if err != nil || !p.IsInstance() {
		t.Fatalf("VSMS: %v", err)
	}
	return p
}

// waitDomain waits until the inventory shows domain uuid as ok wants it.
func (f *fixture) waitDomain(t *testing.T, uuid string, ok func(*backends.Domain) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if d, found := f.inv.Snapshot().Domain(uuid); found && ok(d) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("domain %s never reached the state wanted", uuid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func errorIs(err error, kind cim.ErrorKind) bool { return errors.Is(err, kind) }

// waitUntil polls ok, failing the test after a minute.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
