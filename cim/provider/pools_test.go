package provider

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// virsh runs virsh on the test bed.
func virsh(t *testing.T, bed *libvirttest.Bed, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", "test://" + bed.Path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %v: %v: %s", args, err, out)
	}
	return string(out)
}

// virshFields is virsh's "Key: value" output, by key.
func virshFields(out string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(out) {
		k, val, ok := strings.Cut(line, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	return m
}

// virshNames is virsh's --name listing.
func virshNames(out string) []string { return strings.Fields(out) }

// nodeinfo is what virsh nodeinfo says of the test bed's host.
func nodeinfo(t *testing.T, bed *libvirttest.Bed) (cpus, memKiB uint64) {
	t.Helper()
	out := virsh(t, bed, "nodeinfo")
	for line := range strings.Lines(out) {
		k, val, _ := strings.Cut(line, ":")
		fields := strings.Fields(val)
		switch strings.TrimSpace(k) {
		case "CPU(s)":
			cpus, _ = strconv.ParseUint(fields[0], 10, 64)
		case "Memory size":
			memKiB, _ = strconv.ParseUint(fields[0], 10, 64)
		}
	}
	if cpus == 0 || memKiB == 0 {
		t.Fatalf("virsh nodeinfo: no CPUs or memory in %s", out)
	}
	return cpus, memKiB
}

// walker collects what the view's operations stream.
type walker struct {
	t *testing.T
	v *View
}

func (w walker) collect(f func(func(*cim.Instance) error) error) []*cim.Instance {
	w.t.Helper()
	var out []*cim.Instance
	if err := f(func(i *cim.Instance) error { out = append(out, i); return nil }); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w walker) assoc(from cim.ObjectPath, assoc, result string) []*cim.Instance {
	w.t.Helper()
	return w.collect(func(e func(*cim.Instance) error) error { return w.v.Associators(from, assoc, result, e) })
}

func (w walker) refs(from cim.ObjectPath, assoc string) []*cim.Instance {
	w.t.Helper()
	return w.collect(func(e func(*cim.Instance) error) error { return w.v.References(from, assoc, e) })
}

func (w walker) enum(class string) []*cim.Instance {
	w.t.Helper()
	return w.collect(func(e func(*cim.Instance) error) error { return w.v.Enumerate(class, e) })
}

func prop(i *cim.Instance, name string) string {
	v, _ := i.Get(name)
	return v.String()
}

func u64(x uint64) string { return strconv.FormatUint(x, 10) }

// TestPrimordialPools: the processor and memory pools hold what virsh says
// the host has, and reserve what the active (running or paused) domains
// of the plan use; a VM's processors and memory come from them.
func TestPrimordialPools(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 24, Seed: 5})
	snap := bed.Inventory.Snapshot()
	w := walker{t, s.At(snap, time.Now())}
	cpus, memKiB := nodeinfo(t, bed)
	var vcpus, mem, allVCPUs uint64
	for _, p := range bed.Plan {
		allVCPUs += uint64(p.VCPUs)
		if p.State != testbed.StateShutOff {
			vcpus += uint64(p.VCPUs)
			mem += p.MemoryKiB
		}
	}
	pools := map[string]*cim.Instance{}
	for _, p := range w.enum("CIM_ResourcePool") {
		pools[strings.Trim(prop(p, "InstanceID"), `"`)] = p
		if got, err := w.v.Get(p.Path); err != nil || !got.Equal(p) {
			t.Errorf("Get(%s): %v", p.Path.String(), err)
		}
	}
	for id, want := range map[string][4]string{
		"VB:pool/processor": {"3", `"count"`, u64(cpus), u64(vcpus)},
		"VB:pool/memory":    {"4", `"byte*2^10"`, u64(memKiB), u64(mem)},
	} {
		p := pools[id]
		if p == nil {
			t.Fatalf("no pool %s among %v", id, pools)
		}
		got := [4]string{prop(p, "ResourceType"), prop(p, "AllocationUnits"), prop(p, "Capacity"), prop(p, "Reserved")}
		if got != want || prop(p, "Primordial") != "true" || prop(p, "PoolID") != strconv.Quote(id) {
			t.Errorf("%s: ResourceType, AllocationUnits, Capacity, Reserved = %v, want %v", id, got, want)
		}
	}

	d, _ := snap.Domain(bed.Plan[4].UUID)
	vm, _ := s.VirtualSystem(d, time.Now())
	for _, dev := range w.assoc(vm.Path, "CIM_SystemDevice", "") {
		want := map[string]string{"VB_Processor": "VB:pool/processor", "VB_Memory": "VB:pool/memory"}[dev.ClassName]
		from := w.assoc(dev.Path, "CIM_ElementAllocatedFromPool", "CIM_ResourcePool")
		if want == "" {
			continue
		}
		if len(from) != 1 || !from[0].Path.Equal(pools[want].Path) {
			t.Errorf("%s comes from %v, want %s", dev.Path.String(), from, want)
		}
	}
	proc := pools["VB:pool/processor"]
	if got := w.assoc(proc.Path, "CIM_ElementAllocatedFromPool", "CIM_Processor"); uint64(len(got)) != allVCPUs {
		t.Errorf("processor pool: %d processors allocated, want %d", len(got), allVCPUs)
	}
	rafp := w.refs(proc.Path, "CIM_ResourceAllocationFromPool")
	if len(rafp) != len(bed.Plan) {
		t.Errorf("processor pool: %d processor RASDs, want one per VM (%d)", len(rafp), len(bed.Plan))
	}
	host, _ := s.HostSystem(snap.Host)
	if up := w.assoc(proc.Path, "CIM_HostedResourcePool", ""); len(up) != 1 || !up[0].Path.Equal(host.Path) {
		t.Errorf("processor pool's host: %v", up)
	}
}
