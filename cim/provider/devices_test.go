package provider

import (
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestSystemDeviceWalk walks VM → SystemDevice → devices and back, as a
// management console does, over a real test bed.
func TestSystemDeviceWalk(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 20, Seed: 8})
	plan, inv := bed.Plan, bed.Inventory
	snap := inv.Snapshot()
	v := s.At(snap, time.Now())
	collect := func(f func(func(*cim.Instance) error) error) []*cim.Instance {
		t.Helper()
		var out []*cim.Instance
		if err := f(func(i *cim.Instance) error { out = append(out, i); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	total := 0
	for _, p := range plan {
		d, _ := snap.Domain(p.UUID)
		vm, err := s.VirtualSystem(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := p.VCPUs + 1 + len(p.Disks) + len(p.NICs)
		total += want
		devs := collect(func(e func(*cim.Instance) error) error { return v.Associators(vm.Path, "CIM_SystemDevice", "", e) })
		refs := collect(func(e func(*cim.Instance) error) error { return v.References(vm.Path, "CIM_Component", e) })
		if len(devs) != want || len(refs) != want {
			t.Fatalf("%s: %d associated devices, %d references; want %d (%d vCPUs, memory, %d disks, %d NICs)",
				p.Name, len(devs), len(refs), want, p.VCPUs, len(p.Disks), len(p.NICs))
		}
		disks := collect(func(e func(*cim.Instance) error) error {
			return v.Associators(vm.Path, "CIM_SystemDevice", "CIM_LogicalDisk", e)
		})
		if len(disks) != len(p.Disks) {
			t.Fatalf("%s: %d disks through ResultClass, want %d", p.Name, len(disks), len(p.Disks))
		}
		for i, k := range disks {
			id, _ := k.Get("DeviceID")
			if id.String() != `"`+p.Disks[i].Target+`"` {
				t.Errorf("%s disk %d: DeviceID %s, want %s", p.Name, i, id, p.Disks[i].Target)
			}
			// And back from the disk to its VM.
			back := collect(func(e func(*cim.Instance) error) error { return v.Associators(k.Path, "", "CIM_ComputerSystem", e) })
			if len(back) != 1 || !back[0].Path.Equal(vm.Path) {
				t.Errorf("%s: from %s back to %v", p.Name, k.Path.String(), back)
			}
			got, err := v.Get(k.Path)
			if err != nil || !got.Path.Equal(k.Path) {
				t.Errorf("Get(%s): %v", k.Path.String(), err)
			}
		}
	}
	all := collect(func(e func(*cim.Instance) error) error { return v.Enumerate("CIM_LogicalDevice", e) })
	if len(all) != total {
		t.Errorf("CIM_LogicalDevice enumerates %d devices, want %d", len(all), total)
	}
}
