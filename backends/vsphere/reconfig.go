package vsphere

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// reconfigProps are what a reconfiguration checks before it asks.
var reconfigProps = []string{"runtime.powerState", "config.hardware", "config.cpuHotAddEnabled", "config.cpuHotRemoveEnabled", "config.memoryHotAddEnabled"}

// checkScope maps a scope onto vSphere, which changes a VM's one
// configuration: while it runs that is a hot change (hot says whether
// this one is possible), and a change for the next boot alone cannot be
// staged.
func checkScope(op, name string, vm *mo.VirtualMachine, scope backends.Scope, hot bool, why string) error {
	running := vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	switch {
	case !running && scope == backends.ScopeLive:
		return invalid(op, name, "the VM is not running")
	case running && scope == backends.ScopeConfig:
		return backends.Errorf(op, name, backends.ErrNotSupported, "vSphere cannot stage a change for the next boot of a running VM")
	case running && !hot:
		return invalid(op, name, why+"; power the VM off first")
	}
	return nil
}

// reconfigure applies spec to the VM (ReconfigVM_Task).
func (b *Backend) reconfigure(ctx context.Context, s *session, op string, vm *mo.VirtualMachine, spec types.VirtualMachineConfigSpec) error {
	return b.run(ctx, op, unescapeName(vm.Name), func() (*object.Task, error) {
		return object.NewVirtualMachine(s.vc, vm.Self).Reconfigure(ctx, spec)
	})
}

// SetVCPUs changes the vCPU count; while the VM runs only with CPU hot
// add (and hot remove to lower it) enabled.
func (b *Backend) SetVCPUs(ctx context.Context, uuid string, n int, scope backends.Scope) error {
	const op = "set vcpus"
	if n < 1 {
		return backends.Errorf(op, uuid, backends.ErrInvalidArgument, "%d vCPUs: want at least 1", n)
	}
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name, c := unescapeName(vm.Name), vm.Config
		cur := int(c.Hardware.NumCPU)
		hot := (n > cur && isTrue(c.CpuHotAddEnabled)) || (n < cur && isTrue(c.CpuHotRemoveEnabled)) || n == cur
		if err := checkScope(op, name, vm, scope, hot, "CPU hot plug is not enabled for this change"); err != nil {
			return err
		}
		return b.reconfigure(ctx, s, op, vm, types.VirtualMachineConfigSpec{NumCPUs: int32(n)})
	})
}

// SetMemory changes the memory size, a multiple of 4 MiB; while the VM
// runs only upwards, with memory hot add enabled.
func (b *Backend) SetMemory(ctx context.Context, uuid string, kib uint64, scope backends.Scope) error {
	const op = "set memory"
	mb, err := memoryMB(kib)
	if err == nil && mb == 0 {
		err = fmt.Errorf("memory 0: want at least 4 MiB")
	}
	if err != nil {
		return &backends.Error{Op: op, Target: uuid, Kind: backends.ErrInvalidArgument, Err: err}
	}
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name, c := unescapeName(vm.Name), vm.Config
		hot := mb == int64(c.Hardware.MemoryMB) || (mb > int64(c.Hardware.MemoryMB) && isTrue(c.MemoryHotAddEnabled))
		if err := checkScope(op, name, vm, scope, hot, "memory hot add is not enabled, or the change lowers memory"); err != nil {
			return err
		}
		return b.reconfigure(ctx, s, op, vm, types.VirtualMachineConfigSpec{MemoryMB: mb})
	})
}

// AttachDisk attaches an existing .vmdk, an ISO image or an empty CD-ROM
// drive (see addDisk); on a running VM vSphere hot-adds SCSI and SATA
// drives.
func (b *Backend) AttachDisk(ctx context.Context, uuid string, disk backends.DiskSpec, scope backends.Scope) error {
	const op = "attach disk"
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		if err := checkScope(op, name, vm, scope, true, ""); err != nil {
			return err
		}
		l := object.VirtualDeviceList(vm.Config.Hardware.Device)
		if disk.Target != "" {
			for _, d := range drives(l) {
				if d.disk.Target == disk.Target {
					return backends.Errorf(op, name, backends.ErrConflict, "target %s is in use", disk.Target)
				}
			}
		}
		changes, err := addDisk(&l, disk)
		if err != nil {
			return &backends.Error{Op: op, Target: name, Kind: backends.ErrInvalidArgument, Err: err}
		}
		return b.reconfigure(ctx, s, op, vm, types.VirtualMachineConfigSpec{DeviceChange: changes})
	})
}

// DetachDisk detaches the drive at target ("scsi0:1"); the file stays on
// the datastore.
func (b *Backend) DetachDisk(ctx context.Context, uuid, target string, scope backends.Scope) error {
	const op = "detach disk"
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		if err := checkScope(op, name, vm, scope, true, ""); err != nil {
			return err
		}
		for _, d := range drives(vm.Config.Hardware.Device) {
			if d.disk.Target == target {
				return b.removeDevice(ctx, s, op, vm, d.dev)
			}
		}
		return backends.Errorf(op, name, backends.ErrNotFound, "no disk at %s", target)
	})
}

// AttachNIC adds a NIC on a port group of the host.
func (b *Backend) AttachNIC(ctx context.Context, uuid string, nic backends.NICSpec, scope backends.Scope) error {
	const op = "attach nic"
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		if err := checkScope(op, name, vm, scope, true, ""); err != nil {
			return err
		}
		if nic.MAC != "" {
			if _, found := findNIC(vm, nic.MAC); found != nil {
				return backends.Errorf(op, name, backends.ErrConflict, "the VM has a NIC with MAC %s", nic.MAC)
			}
		}
		nets, err := s.networks(ctx)
		if err != nil {
			return err
		}
		c, err := addNIC(ctx, s, nets, nic)
		if err != nil {
			return err
		}
		return b.reconfigure(ctx, s, op, vm, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{c}})
	})
}

// DetachNIC removes the NIC with the MAC address.
func (b *Backend) DetachNIC(ctx context.Context, uuid, mac string, scope backends.Scope) error {
	const op = "detach nic"
	return b.vmOp(ctx, op, uuid, reconfigProps, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		if err := checkScope(op, name, vm, scope, true, ""); err != nil {
			return err
		}
		if _, d := findNIC(vm, mac); d != nil {
			return b.removeDevice(ctx, s, op, vm, d)
		}
		return backends.Errorf(op, name, backends.ErrNotFound, "no NIC with MAC %s", mac)
	})
}

func findNIC(vm *mo.VirtualMachine, mac string) (int, types.BaseVirtualDevice) {
	for i, d := range vm.Config.Hardware.Device {
		if c, ok := d.(types.BaseVirtualEthernetCard); ok && strings.EqualFold(c.GetVirtualEthernetCard().MacAddress, mac) {
			return i, d
		}
	}
	return -1, nil
}

// removeDevice removes a device, leaving its backing file alone.
func (b *Backend) removeDevice(ctx context.Context, s *session, op string, vm *mo.VirtualMachine, d types.BaseVirtualDevice) error {
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: d},
	}}
	return b.reconfigure(ctx, s, op, vm, spec)
}

func isTrue(b *bool) bool { return b != nil && *b }
