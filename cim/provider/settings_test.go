package provider

import (
	"strconv"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestSettingsWalk: VM → VSSD → RASDs → devices, the way DSP1057 and a
// console navigate, with the values of the generator's plan.
func TestSettingsWalk(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 15, Seed: 2})
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
	str := func(i *cim.Instance, name string) string {
		val, _ := i.Get(name)
		return val.String()
	}
	rasdCount := 0
	for _, p := range plan {
		d, _ := snap.Domain(p.UUID)
		vm, _ := s.VirtualSystem(d, time.Now())
		vssds := collect(func(e func(*cim.Instance) error) error {
			return v.Associators(vm.Path, "CIM_ElementSettingData", "CIM_VirtualSystemSettingData", e)
		})
		if len(vssds) != 1 || str(vssds[0], "VirtualSystemIdentifier") != strconv.Quote(p.UUID) || str(vssds[0], "ElementName") != strconv.Quote(p.Name) {
			t.Fatalf("%s: VSSDs %v", p.Name, vssds)
		}
		rasds := collect(func(e func(*cim.Instance) error) error {
			return v.Associators(vssds[0].Path, "CIM_VirtualSystemSettingDataComponent", "CIM_ResourceAllocationSettingData", e)
		})
		want := 2 + len(p.Disks) + len(p.NICs) // processor, memory, disks, NICs
		if len(rasds) != want {
			t.Fatalf("%s: %d RASDs, want %d", p.Name, len(rasds), want)
		}
		rasdCount += want
		byType := map[string][]*cim.Instance{}
		for _, r := range rasds {
			byType[str(r, "ResourceType")] = append(byType[str(r, "ResourceType")], r)
			// Each RASD defines the state of one device, and back.
			devs := collect(func(e func(*cim.Instance) error) error {
				return v.Associators(r.Path, "CIM_SettingsDefineState", "CIM_LogicalDevice", e)
			})
			if len(devs) != 1 {
				t.Errorf("%s: RASD %s defines %d devices", p.Name, r.Path.String(), len(devs))
			}
			if got, err := v.Get(r.Path); err != nil || !got.Equal(r) {
				t.Errorf("Get(%s): %v", r.Path.String(), err)
			}
		}
		if cpu := byType["3"]; len(cpu) != 1 || str(cpu[0], "VirtualQuantity") != strconv.Itoa(p.VCPUs) {
			t.Errorf("%s: processor RASD %v, want VirtualQuantity %d", p.Name, cpu, p.VCPUs)
		}
		if mem := byType["4"]; len(mem) != 1 || str(mem[0], "VirtualQuantity") != strconv.FormatUint(p.MemoryKiB, 10) ||
			str(mem[0], "AllocationUnits") != `"byte*2^10"` {
			t.Errorf("%s: memory RASD %v, want %d KiB", p.Name, mem, p.MemoryKiB)
		}
		if nics := byType["10"]; len(nics) != len(p.NICs) {
			t.Errorf("%s: %d NIC RASDs, want %d", p.Name, len(nics), len(p.NICs))
		}
	}
	// The VMs' RASDs, then four templates per pool (DSP1043).
	pools := collect(func(e func(*cim.Instance) error) error { return v.Enumerate("CIM_ResourcePool", e) })
	all := collect(func(e func(*cim.Instance) error) error { return v.Enumerate("CIM_ResourceAllocationSettingData", e) })
	if len(all) != rasdCount+4*len(pools) {
		t.Errorf("enumerated %d RASDs, want %d and 4 templates for each of %d pools", len(all), rasdCount, len(pools))
	}
}
