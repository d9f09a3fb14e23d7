package broker_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/virt"
)

const (
	ns      = "root/virtualization"
	interop = virt.Interop
)

// fixture is a broker over a real libvirt test-driver bed.
type fixture struct {
	t    *testing.T
	bed  *libvirttest.Bed
	snap *inventory.Snapshot
	b    *broker.Broker
	host string
}

func newFixture(t *testing.T, opts testbed.Options, cfg virt.Config) *fixture {
	t.Helper()
	bed := libvirttest.NewBed(t, opts)
	cfg.Namespace, cfg.Version = ns, "test"
	b, err := virt.New(cfg, bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	snap := bed.Inventory.Snapshot()
	if snap.Len() != opts.Domains {
		t.Fatalf("inventory holds %d domains, the bed %d", snap.Len(), opts.Domains)
	}
	if snap.Host.Hostname == "" {
		t.Fatal("the test driver reports no host name")
	}
	return &fixture{t: t, bed: bed, snap: snap, b: b, host: snap.Host.Hostname}
}

// standard is the bed most tests use: 20 domains in mixed states.
func standard(t *testing.T) *fixture {
	return newFixture(t, testbed.Options{Domains: 20, Seed: 1}, virt.Config{})
}

// vmPath is the path of the VM of domain d as the provider names it.
func vmPath(d *backends.Domain) cim.ObjectPath {
	return cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")},
		{Name: "Name", Value: cim.String(d.UUID)},
	}}
}

func (f *fixture) hostPath() cim.ObjectPath {
	return cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")},
		{Name: "Name", Value: cim.String(f.host)},
	}}
}

// domain returns the first domain (by UUID) in state st.
func (f *fixture) domain(st backends.State) *backends.Domain {
	f.t.Helper()
	for _, d := range f.snap.Domains() {
		if d.State == st {
			return d
		}
	}
	f.t.Fatalf("the bed has no domain in state %v", st)
	return nil
}

func (f *fixture) enumerate(namespace, class string, deep bool) []*cim.Instance {
	f.t.Helper()
	var out []*cim.Instance
	if err := f.b.EnumerateInstances(namespace, class, deep, func(inst *cim.Instance) error {
		out = append(out, inst)
		return nil
	}); err != nil {
		f.t.Fatalf("EnumerateInstances(%s, %s): %v", namespace, class, err)
	}
	return out
}

func (f *fixture) associators(namespace string, obj cim.ObjectPath, af broker.AssocFilter) []*cim.Instance {
	f.t.Helper()
	var out []*cim.Instance
	if err := f.b.Associators(namespace, obj, af, func(inst *cim.Instance) error {
		out = append(out, inst)
		return nil
	}); err != nil {
		f.t.Fatalf("Associators(%s, %+v): %v", obj.String(), af, err)
	}
	return out
}

func (f *fixture) associatorNames(namespace string, obj cim.ObjectPath, af broker.AssocFilter) []cim.ObjectPath {
	f.t.Helper()
	var out []cim.ObjectPath
	if err := f.b.AssociatorNames(namespace, obj, af, func(p cim.ObjectPath) error {
		out = append(out, p)
		return nil
	}); err != nil {
		f.t.Fatalf("AssociatorNames(%s, %+v): %v", obj.String(), af, err)
	}
	return out
}

func (f *fixture) references(namespace string, obj cim.ObjectPath, af broker.AssocFilter) []*cim.Instance {
	f.t.Helper()
	var out []*cim.Instance
	if err := f.b.References(namespace, obj, af, func(inst *cim.Instance) error {
		out = append(out, inst)
		return nil
	}); err != nil {
		f.t.Fatalf("References(%s, %+v): %v", obj.String(), af, err)
	}
	return out
}

func (f *fixture) referenceNames(namespace string, obj cim.ObjectPath, af broker.AssocFilter) []cim.ObjectPath {
	f.t.Helper()
	var out []cim.ObjectPath
	if err := f.b.ReferenceNames(namespace, obj, af, func(p cim.ObjectPath) error {
		out = append(out, p)
		return nil
	}); err != nil {
		f.t.Fatalf("ReferenceNames(%s, %+v): %v", obj.String(), af, err)
	}
	return out
}

// str is a string property of inst, "" when absent or not a string.
func str(inst *cim.Instance, name string) string {
	v, _ := inst.Get(name)
	s, _ := v.Str()
	return s
}

func keyStr(p cim.ObjectPath, name string) string {
	v, _ := p.Key(name)
	s, _ := v.Str()
	return s
}

// identity is a path's class and keys, without host and namespace.
func identity(p cim.ObjectPath) string {
	p.Host, p.Namespace = "", ""
	return p.Canonical()
}

func identities[T any](xs []T, path func(T) cim.ObjectPath) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = identity(path(x))
	}
	slices.Sort(out)
	return out
}

func instPath(inst *cim.Instance) cim.ObjectPath { return inst.Path }
func samePath(p cim.ObjectPath) cim.ObjectPath   { return p }

func classNames(insts []*cim.Instance) map[string]int {
	out := map[string]int{}
	for _, inst := range insts {
		out[inst.ClassName]++
	}
	return out
}

// wantKind fails unless err wraps kind.
func wantKind(t *testing.T, what string, err error, kind cim.ErrorKind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v, want %v (%d)", what, err, kind, int(kind))
	}
}

// fullPath checks that p names host and namespace.
func checkFull(t *testing.T, p cim.ObjectPath, host, namespace string) {
	t.Helper()
	if p.Host != host || !strings.EqualFold(strings.Trim(p.Namespace, "/"), namespace) {
		t.Errorf("path %s: host %q namespace %q, want %q and %q", p.String(), p.Host, p.Namespace, host, namespace)
	}
}
