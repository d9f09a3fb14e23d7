package vsphere_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// powerOf reads a VM's power state through govmomi.
func (s *sim) powerOf(t *testing.T, uuid string) types.VirtualMachinePowerState {
	t.Helper()
	vm, ok := s.vm(t, uuid)
	if !ok {
		t.Fatalf("VM %s is gone", uuid)
	}
	return vm.Runtime.PowerState
}

// eventually polls govmomi until ok, or fails the test at the deadline:
// guest operations complete after the call returns.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("never %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// setTools sets a VM's VMware Tools status inside the simulator, as a
// guest with Tools would report it.
func (s *sim) setTools(t *testing.T, uuid string, running bool) {
	t.Helper()
	vm, _ := s.vm(t, uuid)
	obj := s.model.Map().Get(vm.Self).(*simulator.VirtualMachine)
	status := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	if running {
		status = types.VirtualMachineToolsRunningStatusGuestToolsRunning
	}
	s.model.Service.Context.AutoUpdate(obj, func() { obj.Guest.ToolsRunningStatus = string(status) })
}

func TestPowerOperations(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	uuid := strings.ToLower(s.vms(t)[0].Config.InstanceUuid)
	want := func(step string, p types.VirtualMachinePowerState) {
		t.Helper()
		if got := s.powerOf(t, uuid); got != p {
			t.Fatalf("after %s: %s, want %s", step, got, p)
		}
	}
	wantKind(t, "start a running VM", b.Start(ctx, uuid), backends.ErrInvalidState)
	check(t, "destroy", b.Destroy(ctx, uuid))
	want("destroy", types.VirtualMachinePowerStatePoweredOff)
	wantKind(t, "destroy a stopped VM", b.Destroy(ctx, uuid), backends.ErrInvalidState)
	wantKind(t, "reset a stopped VM", b.Reset(ctx, uuid), backends.ErrInvalidState)
	check(t, "start", b.Start(ctx, uuid))
	want("start", types.VirtualMachinePowerStatePoweredOn)
	check(t, "reset", b.Reset(ctx, uuid))
	want("reset", types.VirtualMachinePowerStatePoweredOn)

	check(t, "managed save", b.ManagedSave(ctx, uuid))
	want("managed save", types.VirtualMachinePowerStateSuspended)
	d, err := b.Domain(ctx, uuid)
	check(t, "Domain", err)
	if d.State != backends.StateShutOff || !d.ManagedSave {
		t.Errorf("suspended VM reads as %s, managed save %v", d.State, d.ManagedSave)
	}
	err = b.ManagedSave(ctx, uuid)
	wantKind(t, "suspend a suspended VM", err, backends.ErrInvalidState)
	if err != nil && !strings.Contains(err.Error(), "suspended") {
		t.Errorf("error %q does not say the VM is suspended", err)
	}
	check(t, "start a suspended VM", b.Start(ctx, uuid))
	want("resume", types.VirtualMachinePowerStatePoweredOn)

	// Guest operations need VMware Tools.
	err = b.Shutdown(ctx, uuid)
	wantKind(t, "shutdown without Tools", err, backends.ErrInvalidState)
	if err != nil && !strings.Contains(err.Error(), "VMware Tools") {
		t.Errorf("error %q does not name VMware Tools", err)
	}
	wantKind(t, "reboot without Tools", b.Reboot(ctx, uuid), backends.ErrInvalidState)
	s.setTools(t, uuid, true)
	check(t, "reboot", b.Reboot(ctx, uuid))
	check(t, "shutdown", b.Shutdown(ctx, uuid))
	eventually(t, "powered off after the guest shutdown", func() bool {
		return s.powerOf(t, uuid) == types.VirtualMachinePowerStatePoweredOff
	})

	// vSphere cannot pause; the model's suspend is refused by name.
	wantKind(t, "suspend", b.Suspend(ctx, uuid), backends.ErrNotSupported)
	wantKind(t, "resume", b.Resume(ctx, uuid), backends.ErrNotSupported)
	wantKind(t, "start an unknown VM", b.Start(ctx, "00000000-0000-0000-0000-000000000001"), backends.ErrNotFound)
}

// TestPowerFaults: faults vSphere raises map onto the error kinds.
func TestPowerFaults(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	uuid := strings.ToLower(s.vms(t)[0].Config.InstanceUuid)
	check(t, "destroy", b.Destroy(ctx, uuid))
	for _, tc := range []struct {
		fault simulator.FaultType
		kind  error
	}{
		{simulator.FaultTypeNoPermission, backends.ErrAccessDenied},
		{simulator.FaultTypeInvalidState, backends.ErrInvalidState},
		{simulator.FaultTypeInvalidArgument, backends.ErrInvalidArgument},
		{simulator.FaultTypeResourceInUse, backends.ErrConflict},
		{simulator.FaultTypeMethodNotFound, backends.ErrNotSupported},
		{simulator.FaultTypeGeneric, backends.ErrInternal},
	} {
		s.model.Service.ClearFaultRules()
		s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{MethodName: "PowerOnVM_Task", ObjectType: "*", ObjectName: "*",
			Probability: 1, FaultType: tc.fault, Message: "injected", Enabled: true})
		err := b.Start(ctx, uuid)
		wantKind(t, "start with an injected fault", err, tc.kind)
	}
	s.model.Service.ClearFaultRules()
	check(t, "start", b.Start(ctx, uuid))
}
