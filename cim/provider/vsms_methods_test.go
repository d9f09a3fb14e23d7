package provider

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// instanceOf builds an embedded instance of class with the given
// properties as strings, as WS-Man delivers them.
func instanceOf(class string, props map[string]cim.Value) cim.Value {
	inst := &cim.Instance{ClassName: class}
	for k, v := range props {
		inst.Set(k, v)
	}
	return cim.InstanceValue(inst)
}

// TestVSMSLifecycle: DefineSystem → ModifySystemSettings → Add /
// Modify / RemoveResourceSettings → DestroySystem on a real test-driver
// bed, each result read back from the inventory; bad input changes
// nothing.
func TestVSMSLifecycle(t *testing.T) {
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 3, Seed: 4, Pools: 1, Networks: 1})
	bed.Run(t)
	inv := bed.Inventory
	env := Env{Ops: bed.Backend, Current: inv.Snapshot}
	ctx := t.Context()
	view := func() *View { return s.At(inv.Snapshot(), time.Now()) }
	svc, err := s.ManagementService(inv.Snapshot().Host)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method string, in map[string]cim.Value) (uint64, map[string]cim.Value, error) {
		r, out, err := view().Invoke(ctx, env, svc.Path, method, in)
		code, _ := r.Uint()
		return code, out, err
	}
	before := inv.Snapshot().Len()
	// Images the backend can check exist (the bed's pool directories are
	// only names to the test driver).
	dir := t.TempDir()
	disk, second := filepath.Join(dir, "new-disk.qcow2"), filepath.Join(dir, "second.qcow2")
	for _, f := range []string{disk, second} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rasds, _ := cim.Array(cim.TypeInstance,
		instanceOf("VB_ProcessorAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("3"), "VirtualQuantity": cim.String("2"), "Limit": cim.String("4")}),
		instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("4"), "VirtualQuantity": cim.String("512"), "AllocationUnits": cim.String("byte*2^20")}),
		instanceOf("VB_StorageAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("31"), "HostResource": cim.Strings(disk), "Address": cim.String("vda")}),
	)
	// A bad request (no name) defines nothing.
	if _, _, err := call("DefineSystem", map[string]cim.Value{"SystemSettings": instanceOf("VB_VirtualSystemSettingData", nil), "ResourceSettings": rasds}); !errors.Is(err, cim.ErrInvalidParameter) {
		t.Fatalf("DefineSystem without a name: %v", err)
	}
	code, out, err := call("DefineSystem", map[string]cim.Value{
		"SystemSettings":   instanceOf("VB_VirtualSystemSettingData", map[string]cim.Value{"ElementName": cim.String("made-by-cim")}),
		"ResourceSettings": rasds,
	})
	if err != nil || code != 0 {
		t.Fatalf("DefineSystem: %d %v", code, err)
	}
	ref, _ := out["ResultingSystem"].Ref()
	uuid := keyString(ref, "Name")
	d, ok := inv.Snapshot().Domain(uuid)
	if !ok || d.Name != "made-by-cim" || d.VCPUs != 2 || d.MemoryKiB != 512<<10 || len(d.Disks) != 1 || d.Disks[0].Source != disk {
		t.Fatalf("defined domain: %+v (found %v)", d, ok)
	}
	if inv.Snapshot().Len() != before+1 {
		t.Errorf("%d domains, want %d", inv.Snapshot().Len(), before+1)
	}
	// ModifySystemSettings: new name, autostart, notes.
	code, _, err = call("ModifySystemSettings", map[string]cim.Value{"SystemSettings": instanceOf("VB_VirtualSystemSettingData", map[string]cim.Value{
		"InstanceID": cim.String("VB:" + uuid), "ElementName": cim.String("renamed-by-cim"),
		"AutomaticStartupAction": cim.String("4"), "Notes": cim.Strings("first line", "second line"),
	})})
	if err != nil || code != 0 {
		t.Fatalf("ModifySystemSettings: %d %v", code, err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); d.Name != "renamed-by-cim" || !d.Autostart || d.Description != "first line\nsecond line" {
		t.Errorf("after ModifySystemSettings: name %q autostart %v notes %q", d.Name, d.Autostart, d.Description)
	}
	// ModifyResourceSettings: 3 vCPUs, then a count over the maximum.
	proc := func(n string) map[string]cim.Value {
		a, _ := cim.Array(cim.TypeInstance, instanceOf("VB_ProcessorAllocationSettingData", map[string]cim.Value{"InstanceID": cim.String("VB:" + uuid + "/processor"), "ResourceType": cim.String("3"), "VirtualQuantity": cim.String(n)}))
		return map[string]cim.Value{"ResourceSettings": a}
	}
	if code, _, err := call("ModifyResourceSettings", proc("3")); err != nil || code != 0 {
		t.Fatalf("ModifyResourceSettings: %d %v", code, err)
	}
	waitDomain(t, inv, uuid, func(d domainView) bool { return d.VCPUs == 3 })
	if _, _, err := call("ModifyResourceSettings", proc("99")); !errors.Is(err, cim.ErrInvalidParameter) {
		t.Errorf("99 vCPUs: %v, want invalid parameter", err)
	}
	// Add a second disk, then remove it.
	add, _ := cim.Array(cim.TypeInstance, instanceOf("VB_StorageAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("31"), "HostResource": cim.Strings(second), "Address": cim.String("vdb")}))
	vssd := cim.Ref(cim.ObjectPath{Namespace: ns, ClassName: "VB_VirtualSystemSettingData", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:" + uuid)}}})
	if code, out, err := call("AddResourceSettings", map[string]cim.Value{"AffectedConfiguration": vssd, "ResourceSettings": add}); err != nil || code != 0 || !strings.Contains(out["ResultingResourceSettings"].String(), "disk/vdb") {
		t.Fatalf("AddResourceSettings: %d %v %v", code, out, err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); len(d.Disks) != 2 {
		t.Errorf("after AddResourceSettings: %d disks", len(d.Disks))
	}
	rm, _ := cim.Array(cim.TypeReference, cim.Ref(cim.ObjectPath{Namespace: ns, ClassName: "VB_StorageAllocationSettingData", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:" + uuid + "/disk/vdb")}}}))
	if code, _, err := call("RemoveResourceSettings", map[string]cim.Value{"ResourceSettings": rm}); err != nil || code != 0 {
		t.Fatalf("RemoveResourceSettings: %d %v", code, err)
	}
	waitDomain(t, inv, uuid, func(d domainView) bool { return len(d.Disks) == 1 })
	// DestroySystem.
	if code, _, err := call("DestroySystem", map[string]cim.Value{"AffectedSystem": cim.Ref(ref)}); err != nil || code != 0 {
		t.Fatalf("DestroySystem: %d %v", code, err)
	}
	if _, ok := inv.Snapshot().Domain(uuid); ok || inv.Snapshot().Len() != before {
		t.Errorf("after DestroySystem the domain is still there (%d domains)", inv.Snapshot().Len())
	}
}
