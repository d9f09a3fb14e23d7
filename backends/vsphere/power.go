package vsphere

import (
	"context"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// power applies a power operation, refusing it up front when the VM's
// state does not allow it, with the same table every backend follows.
func (b *Backend) power(ctx context.Context, op backends.PowerOp, uuid string, needTools bool,
	f func(ctx context.Context, s *session, vm *object.VirtualMachine, name string) error) error {
	props := []string{"runtime.powerState"}
	if needTools {
		props = append(props, "guest.toolsRunningStatus")
	}
	return b.vmOp(ctx, op.String(), uuid, props, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		st, saved := powerState(vm.Runtime.PowerState)
		if !op.Allows(st) {
			what := st.Label()
			if saved {
				what = "suspended"
			}
			return invalid(op.String(), name, "the VM is "+what)
		}
		if needTools && vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
			return invalid(op.String(), name, "VMware Tools are not running in the guest, so it cannot be asked; use a hard power operation instead")
		}
		return f(ctx, s, object.NewVirtualMachine(s.vc, vm.Self), name)
	})
}

// Start powers the VM on, or resumes it when suspended. Through vCenter
// it is powered on on the managed host.
func (b *Backend) Start(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpStart, uuid, false, func(ctx context.Context, s *session, vm *object.VirtualMachine, name string) error {
		req := types.PowerOnVM_Task{This: vm.Reference()}
		if s.vc.IsVC() {
			req.Host = &s.host
		}
		return b.run(ctx, "start", name, func() (*object.Task, error) {
			res, err := methods.PowerOnVM_Task(ctx, s.vc, &req)
			if err != nil {
				return nil, err
			}
			return object.NewTask(s.vc, res.Returnval), nil
		})
	})
}

// Shutdown asks the guest to shut down through VMware Tools; the power
// state follows as an event.
func (b *Backend) Shutdown(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpShutdown, uuid, true, func(ctx context.Context, _ *session, vm *object.VirtualMachine, name string) error {
		return vm.ShutdownGuest(ctx)
	})
}

// Reboot asks the guest to reboot through VMware Tools.
func (b *Backend) Reboot(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpReboot, uuid, true, func(ctx context.Context, _ *session, vm *object.VirtualMachine, name string) error {
		return vm.RebootGuest(ctx)
	})
}

// Destroy powers the VM off at once.
func (b *Backend) Destroy(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpDestroy, uuid, false, func(ctx context.Context, _ *session, vm *object.VirtualMachine, name string) error {
		return b.run(ctx, "destroy", name, func() (*object.Task, error) { return vm.PowerOff(ctx) })
	})
}

// Reset resets the virtual hardware at once.
func (b *Backend) Reset(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpReset, uuid, false, func(ctx context.Context, _ *session, vm *object.VirtualMachine, name string) error {
		return b.run(ctx, "reset", name, func() (*object.Task, error) { return vm.Reset(ctx) })
	})
}

// ManagedSave suspends the VM: its memory is written to disk and it stops;
// Start resumes it.
func (b *Backend) ManagedSave(ctx context.Context, uuid string) error {
	return b.power(ctx, backends.OpManagedSave, uuid, false, func(ctx context.Context, _ *session, vm *object.VirtualMachine, name string) error {
		return b.run(ctx, "suspend", name, func() (*object.Task, error) { return vm.Suspend(ctx) })
	})
}

// Suspend would pause the vCPUs, which vSphere cannot do: its suspend
// saves the VM to disk, which is ManagedSave here. The model's
// Unsupported says so (unsupportedOps), so front ends do not ask.
func (b *Backend) Suspend(_ context.Context, uuid string) error {
	return backends.Errorf("suspend", uuid, backends.ErrNotSupported, "vSphere cannot pause a VM; suspend it to disk (managed save) instead")
}

// Resume would continue a paused VM; vSphere VMs are never paused (Start
// resumes a suspended one).
func (b *Backend) Resume(_ context.Context, uuid string) error {
	return backends.Errorf("resume", uuid, backends.ErrNotSupported, "vSphere VMs are never paused; start resumes a suspended VM")
}
