package vmmib

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/backends/vsphere"
	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// TestOSTypeFromLibosinfo: vmOSType is the libosinfo OS a domain is
// configured for, and libvirt's OS type ("hvm") for one without.
func TestOSTypeFromLibosinfo(t *testing.T) {
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 4, Seed: 11, GuestIdentity: true})
	idx, err := LoadIndexes(filepath.Join(t.TempDir(), "vmindex.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := New(Config{SysName: "h", BackendName: "libvirt"}, bed.Inventory, bed.Backend, idx)
	tree := b.Tree()
	for _, p := range bed.Plan {
		i, ok := b.VMIndex(p.UUID)
		if !ok {
			t.Fatalf("%s has no vmIndex", p.Name)
		}
		want := p.GuestOS
		if want == "" {
			want = "hvm"
		}
		if got := tree.Get(oidVMEntry.Append(colVMOSType, uint32(i))).Value; got != want {
			t.Errorf("%s: vmOSType %v, want %q", p.Name, got, want)
		}
	}
}

// TestVSphereOSTypeAndControl: over vSphere (govmomi's simulator),
// vmOSType is the VM's configured guest OS, and the control table refuses
// suspend(7) and resume(8), which vSphere cannot do, as wrongValue in any
// state, while it still accepts what vSphere can.
func TestVSphereOSTypeAndControl(t *testing.T) {
	sim := vspheretest.New(t, vspheretest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	backend, err := vsphere.Open(ctx, sim.URL(), sim.BackendOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	inv := inventory.New(backend, inventory.Config{CallTimeout: 20 * time.Second})
	if err := inv.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	inventoryRun(t, inv)
	ref := sim.Client
	v, err := view.NewManager(ref.Client).CreateContainerView(ctx, ref.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"config", "runtime"}, &vms); err != nil || len(vms) == 0 {
		t.Fatalf("the simulator's VMs: %d, %v", len(vms), err)
	}
	idx, err := LoadIndexes(filepath.Join(t.TempDir(), "vmindex.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := New(Config{SysName: "esx", BackendName: "vsphere"}, inv, backend, idx)
	tree := b.Tree()
	for _, vm := range vms {
		i, ok := b.VMIndex(strings.ToLower(vm.Config.InstanceUuid))
		if !ok {
			t.Fatalf("%s has no vmIndex", vm.Config.Name)
		}
		if got := tree.Get(oidVMEntry.Append(colVMOSType, uint32(i))).Value; got != vm.Config.GuestFullName || got == "" || got == "hvm" {
			t.Errorf("%s: vmOSType %v, want the guest OS %q", vm.Config.Name, got, vm.Config.GuestFullName)
		}
	}

	vm := vms[0]
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("%s is %s; the simulator starts its VMs powered on", vm.Config.Name, vm.Runtime.PowerState)
	}
	i, _ := b.VMIndex(strings.ToLower(vm.Config.InstanceUuid))
	req := b.cfg.Enterprise.Append(arcObjects, arcControl, 1, 1, uint32(i))
	set := func(action int) gosnmp.SNMPError {
		st, _ := b.Tree().Set(ctx, []mib.Varbind{{OID: req, Type: gosnmp.Integer, Value: action}})
		return st
	}
	// Suspend on a running VM: the table alone would allow it.
	if st := set(7); st != gosnmp.WrongValue {
		t.Errorf("suspend(7) of a running vSphere VM: %v, want wrongValue", st)
	}
	if st := set(8); st != gosnmp.WrongValue {
		t.Errorf("resume(8): %v, want wrongValue", st)
	}
	if st := set(2); st != gosnmp.InconsistentValue {
		t.Errorf("start(2) of a running VM: %v, want inconsistentValue", st)
	}
	if b.Control.Requests.Load() != 0 {
		t.Fatalf("refused SETs started %d requests", b.Control.Requests.Load())
	}
	// What vSphere can do is still accepted and carried out.
	if st := set(4); st != gosnmp.NoError {
		t.Fatalf("destroy(4): %v", st)
	}
	b.Control.Wait()
	status := b.cfg.Enterprise.Append(arcObjects, arcControl, 1, 2, uint32(i))
	if got := b.Tree().Get(status).Value; got != statusSucceeded {
		t.Errorf("destroy status %v, want succeeded", got)
	}
}
