package vsphere

import (
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// TestWatcherEvents feeds property updates as vCenter sends them and
// checks the events they become.
func TestWatcherEvents(t *testing.T) {
	here := types.ManagedObjectReference{Type: "HostSystem", Value: "host-1"}
	there := types.ManagedObjectReference{Type: "HostSystem", Value: "host-2"}
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}
	b := &Backend{events: backends.NewEventQueue(100)}
	defer b.events.Close()
	w := &watcher{b: b, s: &session{host: here, refs: map[string]types.ManagedObjectReference{}},
		vms: map[types.ManagedObjectReference]*vmState{}, host: map[string]any{}}
	update := func(kind types.ObjectUpdateKind, obj types.ManagedObjectReference, changes ...types.PropertyChange) {
		w.apply(&types.UpdateSet{FilterSet: []types.PropertyFilterUpdate{{ObjectSet: []types.ObjectUpdate{{Kind: kind, Obj: obj, ChangeSet: changes}}}}}, false)
	}
	set := func(name string, v any) types.PropertyChange {
		return types.PropertyChange{Name: name, Op: types.PropertyChangeOpAssign, Val: v}
	}
	expect := func(step string, want ...string) {
		t.Helper()
		for _, k := range want {
			select {
			case ev := <-b.events.C():
				got := ev.Kind.String() + " " + ev.Detail
				if ev.Device != "" {
					got += " " + ev.Device
				}
				if got != k || ev.UUID != "4217-aa" {
					t.Errorf("%s: event %q for %q, want %q", step, got, ev.UUID, k)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no event, want %q", step, k)
			}
		}
		select {
		case ev := <-b.events.C():
			t.Errorf("%s: extra event %+v", step, ev)
		case <-time.After(10 * time.Millisecond):
		}
	}
	disk := &types.VirtualDisk{VirtualDevice: types.VirtualDevice{Key: 2000, ControllerKey: 1000, UnitNumber: types.NewInt32(0)}}
	ctl := &types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{
		VirtualController: types.VirtualController{VirtualDevice: types.VirtualDevice{Key: 1000}}, ScsiCtlrUnitNumber: 7}}
	nic := &types.VirtualVmxnet3{VirtualVmxnet: types.VirtualVmxnet{VirtualEthernetCard: types.VirtualEthernetCard{
		VirtualDevice: types.VirtualDevice{Key: 4000}, MacAddress: "00:50:56:AA:BB:CC"}}}

	update(types.ObjectUpdateKindEnter, vm, set("name", "web"), set("config.instanceUuid", "4217-AA"), set("runtime.host", there),
		set("runtime.powerState", types.VirtualMachinePowerStatePoweredOn), set("config.template", false))
	expect("created on another host")
	update(types.ObjectUpdateKindModify, vm, set("runtime.host", here))
	expect("migrated here", "defined defined/migrated")
	update(types.ObjectUpdateKindModify, vm, set("runtime.powerState", types.VirtualMachinePowerStateSuspended))
	expect("suspended", "lifecycle powerState/suspended")
	update(types.ObjectUpdateKindModify, vm, set("config.hardware.device", types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{ctl, disk, nic}}))
	expect("devices", "device-added device-added 00:50:56:aa:bb:cc", "device-added device-added scsi0:0", "config-changed devices")
	update(types.ObjectUpdateKindModify, vm, set("config.hardware.device", types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{ctl, disk}}),
		set("config.hardware.numCPU", int32(4)), types.PropertyChange{Name: "config.hardware.device[4000]", Op: types.PropertyChangeOpRemove})
	expect("NIC removed", "device-removed device-removed 00:50:56:aa:bb:cc", "config-changed devices,config.hardware.numCPU")
	update(types.ObjectUpdateKindModify, vm, set("name", "web2"))
	expect("renamed", "defined defined/renamed")
	update(types.ObjectUpdateKindModify, here, set("config.autoStart", types.HostAutoStartManagerConfig{
		PowerInfo: []types.AutoStartPowerInfo{{Key: vm, StartAction: "powerOn"}}}))
	expect("autostart", "config-changed autostart")
	if w.s.refs["4217-aa"] != vm {
		t.Errorf("UUID index %v", w.s.refs)
	}
	update(types.ObjectUpdateKindModify, vm, set("config.template", true))
	expect("made a template", "undefined undefined/removed")
	update(types.ObjectUpdateKindModify, vm, set("config.template", false))
	expect("a VM again", "defined defined/added")
	update(types.ObjectUpdateKindModify, vm, set("runtime.host", there))
	expect("migrated away", "undefined undefined/migrated")
	update(types.ObjectUpdateKindLeave, vm)
	expect("removed elsewhere")
	if _, ok := w.s.refs["4217-aa"]; ok || len(w.vms) != 0 {
		t.Errorf("the VM is still known: %v %v", w.s.refs, w.vms)
	}
	update(types.ObjectUpdateKindModify, here, set("runtime.connectionState", types.HostSystemConnectionStateNotResponding))
	if w.gone == nil {
		t.Error("a host not responding is no loss")
	}
}
