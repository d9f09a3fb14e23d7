package provider

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestAllocationCapabilitiesWalk walks host → HostedResourcePool → pool →
// ElementCapabilities → AllocationCapabilities → SettingsDefineCapabilities
// → the four templates (DSP1043), checking the values against virsh.
func TestAllocationCapabilitiesWalk(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 5, Seed: 6})
	snap := bed.Inventory.Snapshot()
	w := walker{t, s.At(snap, time.Now())}
	cpus, memKiB := nodeinfo(t, bed)
	// Default, minimum, maximum, increment.
	want := map[string][4]uint64{
		"processor": {1, 1, cpus, 1},
		"memory":    {1 << 20, 64 << 10, memKiB / 1024 * 1024, 1024},
	}
	roles := map[string][2]string{ // ValueRole, ValueRange
		"default": {"0", "0"}, "minimum": {"3", "1"}, "maximum": {"3", "2"}, "increment": {"3", "3"},
	}
	host, _ := s.HostSystem(snap.Host)
	pools := w.assoc(host.Path, "CIM_HostedResourcePool", "CIM_ResourcePool")
	if all := w.enum("VB_ResourcePool"); len(pools) != len(all) || len(pools) < 2 {
		t.Fatalf("host has %d pools, %d enumerate", len(pools), len(all))
	}
	templates := 0
	for _, p := range pools {
		caps := w.assoc(p.Path, "CIM_ElementCapabilities", "CIM_AllocationCapabilities")
		if len(caps) != 1 || prop(caps[0], "ResourceType") != prop(p, "ResourceType") {
			t.Fatalf("%s: capabilities %v", p.Path.String(), caps)
		}
		if got, err := w.v.Get(caps[0].Path); err != nil || !got.Equal(caps[0]) {
			t.Errorf("Get(%s): %v", caps[0].Path.String(), err)
		}
		sdcs := w.refs(caps[0].Path, "CIM_SettingsDefineCapabilities")
		if len(sdcs) != 4 {
			t.Fatalf("%s: %d SettingsDefineCapabilities, want 4", caps[0].Path.String(), len(sdcs))
		}
		kind := strings.TrimPrefix(strings.Trim(prop(p, "InstanceID"), `"`), "VB:pool/")
		for _, sdc := range sdcs {
			ref, _ := sdc.Get("PartComponent")
			tp, _ := ref.Ref()
			tmpl, err := w.v.Get(tp)
			if err != nil {
				t.Fatalf("Get(%s): %v", tp.String(), err)
			}
			templates++
			id := strings.Trim(prop(tmpl, "InstanceID"), `"`)
			role := id[strings.LastIndexByte(id, '/')+1:]
			if got := [2]string{prop(sdc, "ValueRole"), prop(sdc, "ValueRange")}; got != roles[role] || id != "VB:template/"+kind+"/"+role {
				t.Errorf("%s: ValueRole, ValueRange %v, want %v", id, got, roles[role])
			}
			if prop(tmpl, "ResourceType") != prop(p, "ResourceType") || prop(tmpl, "PoolID") != prop(p, "InstanceID") ||
				prop(tmpl, "AllocationUnits") != prop(p, "AllocationUnits") {
				t.Errorf("%s does not match its pool %s", id, p.Path.String())
			}
			if vals, ok := want[kind]; ok {
				i := map[string]int{"default": 0, "minimum": 1, "maximum": 2, "increment": 3}[role]
				if got := prop(tmpl, "VirtualQuantity"); got != u64(vals[i]) {
					t.Errorf("%s: VirtualQuantity %s, want %d", id, got, vals[i])
				}
			}
			if back := w.assoc(tp, "CIM_SettingsDefineCapabilities", ""); len(back) != 1 || !back[0].Path.Equal(caps[0].Path) {
				t.Errorf("%s: back to %v", id, back)
			}
		}
	}
	// Templates enumerate with the VMs' RASDs of their class.
	procs := w.enum("VB_ProcessorAllocationSettingData")
	if len(procs) != len(bed.Plan)+4 || !strings.HasPrefix(prop(procs[len(procs)-1], "InstanceID"), `"VB:template/processor/`) {
		t.Errorf("%d processor RASDs enumerate, want %d VMs' and 4 templates", len(procs), len(bed.Plan))
	}
	if all := w.enum("CIM_SettingData"); templates != 4*len(pools) || len(all) < templates {
		t.Errorf("%d templates for %d pools", templates, len(pools))
	}
}

// TestPoolGetErrors: wrong or missing keys of the new classes.
func TestPoolGetErrors(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 3, Seed: 6})
	v := s.At(bed.Inventory.Snapshot(), time.Now())
	uuid := bed.Plan[0].UUID
	for path, want := range map[string]error{
		`VB_ResourcePool.InstanceID="VB:pool/processor/x"`:                                         cim.ErrNotFound,
		`VB_ResourcePool.InstanceID="VB:pool/storage/nosuch"`:                                      cim.ErrNotFound,
		`VB_ResourcePool.InstanceID="VB:caps/pool/memory"`:                                         cim.ErrNotFound,
		`VB_ResourcePool.Name="VB:pool/memory"`:                                                    cim.ErrInvalidParameter,
		`VB_AllocationCapabilities.InstanceID="VB:caps/pool/network/nosuch"`:                       cim.ErrNotFound,
		`VB_AllocationCapabilities.InstanceID="VB:pool/memory"`:                                    cim.ErrNotFound,
		`VB_ProcessorAllocationSettingData.InstanceID="VB:template/memory/default"`:                cim.ErrNotFound,
		`VB_ProcessorAllocationSettingData.InstanceID="VB:template/processor/median"`:              cim.ErrNotFound,
		`VB_MemoryAllocationSettingData.InstanceID="VB:template/memory"`:                           cim.ErrNotFound,
		`VB_EnabledLogicalElementCapabilities.InstanceID="VB:caps/` + strings.Repeat("0", 8) + `"`: cim.ErrNotFound,
		`VB_EnabledLogicalElementCapabilities.InstanceID="VB:` + uuid + `"`:                        cim.ErrNotFound,
		`VB_VirtualSystemSettingData.InstanceID="VB:` + uuid + `/snapshot/nosuch"`:                 cim.ErrNotFound,
		`VB_VirtualSystemSnapshotService.Name="x"`:                                                 cim.ErrInvalidParameter,
	} {
		if _, err := v.Get(mustPath(t, "root/virtualization:"+path)); !errors.Is(err, want) {
			t.Errorf("Get(%s): %v, want %v", path, err, want)
		}
	}
	for _, path := range []string{
		`VB_ResourcePool.InstanceID="VB:pool/memory"`,
		`VB_AllocationCapabilities.InstanceID="VB:caps/pool/processor"`,
		`VB_MemoryAllocationSettingData.InstanceID="VB:template/memory/maximum"`,
		`VB_EnabledLogicalElementCapabilities.InstanceID="VB:caps/` + uuid + `"`,
	} {
		want := mustPath(t, "root/virtualization:"+path)
		if got, err := v.Get(want); err != nil || !samePath(got.Path, want) {
			t.Errorf("Get(%s): %v, %v", path, got, err)
		}
	}
}
