package provider

import (
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestHostWalk: host → HostedService → management service →
// ElementCapabilities → capabilities; host ↔ VMs through HostedDependency
// (DSP1042).
func TestHostWalk(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 7, Seed: 3})
	plan, inv := bed.Plan, bed.Inventory
	snap := inv.Snapshot()
	v := s.At(snap, time.Now())
	walk := func(from cim.ObjectPath, assoc, result string) []*cim.Instance {
		t.Helper()
		var out []*cim.Instance
		if err := v.Associators(from, assoc, result, func(i *cim.Instance) error { out = append(out, i); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	host, err := s.HostSystem(snap.Host)
	if err != nil {
		t.Fatal(err)
	}
	svcs := walk(host.Path, "CIM_HostedService", "CIM_VirtualSystemManagementService")
	if len(svcs) != 1 {
		t.Fatalf("host has %d management services", len(svcs))
	}
	caps := walk(svcs[0].Path, "CIM_ElementCapabilities", "")
	if len(caps) != 1 || caps[0].ClassName != "VB_VirtualSystemManagementCapabilities" {
		t.Fatalf("service capabilities: %v", caps)
	}
	if back := walk(svcs[0].Path, "CIM_HostedService", ""); len(back) != 1 || !back[0].Path.Equal(host.Path) {
		t.Fatalf("service's host: %v", back)
	}
	vms := walk(host.Path, "CIM_HostedDependency", "CIM_ComputerSystem")
	if len(vms) != len(plan) {
		t.Fatalf("host hosts %d VMs, want %d", len(vms), len(plan))
	}
	d, _ := snap.Domain(plan[0].UUID)
	vm, _ := s.VirtualSystem(d, time.Now())
	if up := walk(vm.Path, "CIM_HostedDependency", ""); len(up) != 1 || !up[0].Path.Equal(host.Path) {
		t.Fatalf("VM's host: %v", up)
	}
	if got, err := v.Get(svcs[0].Path); err != nil || !got.Equal(svcs[0]) {
		t.Fatalf("Get(service): %v", err)
	}
	// The snapshot service beside it, with capabilities of its own.
	snaps := walk(host.Path, "CIM_HostedService", "CIM_VirtualSystemSnapshotService")
	if len(snaps) != 1 || len(walk(host.Path, "CIM_HostedService", "")) != 3 {
		t.Fatalf("host has snapshot services %v", snaps)
	}
	if caps := walk(snaps[0].Path, "CIM_ElementCapabilities", ""); len(caps) != 1 || caps[0].ClassName != "VB_VirtualSystemSnapshotServiceCapabilities" {
		t.Fatalf("snapshot service capabilities: %v", caps)
	}
	if got, err := v.Get(snaps[0].Path); err != nil || !got.Equal(snaps[0]) {
		t.Fatalf("Get(snapshot service): %v", err)
	}
	// And the migration service, whose capabilities name its forms.
	mig := walk(host.Path, "CIM_HostedService", "CIM_VirtualSystemMigrationService")
	if len(mig) != 1 {
		t.Fatalf("host has migration services %v", mig)
	}
	mc := walk(mig[0].Path, "CIM_ElementCapabilities", "")
	if len(mc) != 1 || mc[0].ClassName != "VB_VirtualSystemMigrationCapabilities" {
		t.Fatalf("migration capabilities: %v", mc)
	}
	if f, _ := mc[0].Get("DestinationHostFormatsSupported"); f.String() != uint16s([]uint16{2}).String() {
		t.Errorf("DestinationHostFormatsSupported %v", f)
	}
}
