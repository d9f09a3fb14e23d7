package indication_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
)

// TestStateFilter: the filter, in CQL and in WQL, delivers
// exactly the EnabledState changes of a VM (pause, resume, power off),
// in order, and nothing for a change that leaves the state alone.
func TestStateFilter(t *testing.T) {
	f := newFixture(t, options{})
	cql, wql := listenertest.Start(t), listenertest.Start(t)
	f.subscribe(t, "states-cql", "DMTF:CQL", stateChanges, cql.URL, nil)
	f.subscribe(t, "states-wql", "WQL", `SELECT * FROM CIM_InstModification WHERE SourceInstance ISA "CIM_ComputerSystem" AND SourceInstance.EnabledState <> PreviousInstance.EnabledState`, wql.URL, nil)
	uuid := f.running(t)
	ops, ctx := f.backend, t.Context()
	if err := ops.SetDescription(ctx, uuid, "not a state change"); err != nil {
		t.Fatal(err)
	}
	// The inventory re-reads the whole domain after a metadata event:
	// let it see this one before the state changes, or it would read
	// their outcome early.
	f.waitDomain(t, uuid, func(d *backends.Domain) bool { return d.Description == "not a state change" })
	for _, op := range []func() error{
		func() error { return ops.Suspend(ctx, uuid) },
		func() error { return ops.Resume(ctx, uuid) },
		func() error { return ops.Destroy(ctx, uuid) },
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []*listenertest.Listener{cql, wql} {
		got := l.WaitFor(t, "three state changes", func(is []*cim.Instance) bool { return len(is) >= 3 })
		var states, prev []uint64
		var ids []uint64
		for _, ind := range got {
			src, old := listenertest.Embedded(ind, "SourceInstance"), listenertest.Embedded(ind, "PreviousInstance")
			if ind.ClassName != "VB_InstModification" || src == nil || old == nil || src.ClassName != "VB_ComputerSystem" {
				t.Fatalf("unexpected indication:\n%s", listenertest.Describe(got))
			}
			if name := str(src, "Name"); name != uuid {
				t.Errorf("indication about %s, want %s", name, uuid)
			}
			states, prev = append(states, u16(src, "EnabledState")), append(prev, u16(old, "EnabledState"))
			n, err := strconv.ParseUint(str(ind, "IndicationIdentifier"), 10, 64)
			if err != nil {
				t.Errorf("IndicationIdentifier: %v", err)
			}
			ids = append(ids, n)
			for _, p := range []string{"IndicationTime", "SourceInstanceHost", "SourceInstanceModelPath", "IndicationFilterName"} {
				if v, ok := ind.Get(p); !ok || v.IsNull() {
					t.Errorf("%s not set", p)
				}
			}
		}
		if want := []uint64{9, 2, 3}; !slices.Equal(states, want) || !slices.Equal(prev, []uint64{2, 9, 2}) {
			t.Errorf("EnabledState %v (before %v), want %v (before 2 9 2)", states, prev, want)
		}
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("identifiers %v do not increase", ids)
		}
	}
}

// TestCreationDeletionAndResources: defining and undefining a VM sends
// VB_InstCreation and VB_InstDeletion of its VB_ComputerSystem, and a
// disk added through AddResourceSettings sends a VB_InstCreation of its
// RASD.
func TestCreationDeletionAndResources(t *testing.T) {
	f := newFixture(t, options{})
	systems, rasds := listenertest.Start(t), listenertest.Start(t)
	f.subscribe(t, "systems", "WQL", "SELECT * FROM CIM_InstIndication WHERE SourceInstance ISA CIM_ComputerSystem AND NOT (SourceInstance ISA CIM_InstModification)", systems.URL, nil)
	f.subscribe(t, "disks", "DMTF:CQL", "SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_StorageAllocationSettingData", rasds.URL, nil)
	ctx := t.Context()
	uuid, err := f.backend.Define(ctx, backends.DomainSpec{Name: "indicated", VCPUs: 1, MemoryKiB: 128 << 10})
	if err != nil {
		t.Fatal(err)
	}
	systems.WaitFor(t, "creation", func(is []*cim.Instance) bool { return len(is) >= 1 })
	// AddResourceSettings on the new VM's settings.
	img := t.TempDir() + "/added.img"
	writeFile(t, img)
	svc := f.managementService(t)
	rasd, _ := cim.Array(cim.TypeInstance, cim.InstanceValue(newInst("VB_StorageAllocationSettingData", map[string]cim.Value{
		"ResourceType": cim.String("31"), "HostResource": cim.Strings(img), "Address": cim.String("vdb")})))
	vssd := cim.Ref(cim.ObjectPath{Namespace: implNS, ClassName: "VB_VirtualSystemSettingData", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:" + uuid)}}})
	if code, _, err := f.br.Invoke(ctx, implNS, svc, "AddResourceSettings", map[string]cim.Value{"AffectedConfiguration": vssd, "ResourceSettings": rasd}); err != nil {
		t.Fatalf("AddResourceSettings: %v %v", code, err)
	}
	got := rasds.WaitFor(t, "the new disk's RASD", func(is []*cim.Instance) bool { return len(is) >= 1 })
	if src := listenertest.Embedded(got[0], "SourceInstance"); got[0].ClassName != "VB_InstCreation" || src == nil || str(src, "InstanceID") != "VB:"+uuid+"/disk/vdb" {
		t.Errorf("disk indication:\n%s", listenertest.Describe(got))
	}
	if err := f.backend.Undefine(ctx, uuid, backends.UndefineOptions{}); err != nil {
		t.Fatal(err)
	}
	got = systems.WaitFor(t, "creation and deletion", func(is []*cim.Instance) bool { return len(is) >= 2 })
	if len(got) != 2 || got[0].ClassName != "VB_InstCreation" || got[1].ClassName != "VB_InstDeletion" {
		t.Fatalf("want creation then deletion:\n%s", listenertest.Describe(got))
	}
	for _, ind := range got {
		if src := listenertest.Embedded(ind, "SourceInstance"); src == nil || str(src, "Name") != uuid {
			t.Errorf("%s not about %s", ind.ClassName, uuid)
		}
	}
}

func str(inst *cim.Instance, name string) string {
	v, _ := inst.Get(name)
	s, _ := v.Str()
	return s
}
