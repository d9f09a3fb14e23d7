package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// Define creates a VM on the host from spec (CreateVM_Task): its disks are
// existing .vmdk files or ISO images on the host's datastores, its NICs
// connect to port groups, and its files go on the first disk's datastore,
// else the one with the most free space. The Title becomes the VM's notes.
func (b *Backend) Define(ctx context.Context, spec backends.DomainSpec) (string, error) {
	const op = "define"
	s, err := b.session(op)
	if err != nil {
		return "", err
	}
	bad := func(err error) (string, error) {
		return "", &backends.Error{Op: op, Target: spec.Name, Kind: backends.ErrInvalidArgument, Err: err}
	}
	if err := checkName(spec.Name); err != nil {
		return bad(err)
	}
	cs := types.VirtualMachineConfigSpec{Name: spec.Name, GuestId: string(types.VirtualMachineGuestOsIdentifierOtherGuest64),
		NumCPUs: int32(max(spec.VCPUs, 1)), Annotation: spec.Title}
	if spec.MaxVCPUs > 0 && spec.MaxVCPUs < spec.VCPUs {
		return bad(fmt.Errorf("%d vCPUs exceed the maximum of %d", spec.VCPUs, spec.MaxVCPUs))
	}
	if cs.MemoryMB, err = memoryMB(spec.MemoryKiB); err == nil && cs.MemoryMB == 0 {
		err = errors.New("no memory: want at least 4 MiB")
	}
	if err != nil {
		return bad(err)
	}
	if err := b.nameFree(ctx, s, spec.Name, ""); err != nil {
		return "", err
	}
	var l object.VirtualDeviceList
	for _, d := range spec.Disks {
		changes, err := addDisk(&l, d)
		if err != nil {
			return bad(err)
		}
		cs.DeviceChange = append(cs.DeviceChange, changes...)
	}
	if len(spec.NICs) > 0 {
		nets, err := s.networks(ctx)
		if err != nil {
			return "", b.fail(s, op, spec.Name, err)
		}
		for _, n := range spec.NICs {
			c, err := addNIC(ctx, s, nets, n)
			if err != nil {
				return "", b.fail(s, op, spec.Name, err)
			}
			cs.DeviceChange = append(cs.DeviceChange, c)
		}
	}
	ds, err := b.homeDatastore(ctx, s, spec.Disks)
	if err != nil {
		return "", b.fail(s, op, spec.Name, err)
	}
	cs.Files = &types.VirtualMachineFileInfo{VmPathName: "[" + ds + "]"}
	folder := object.NewFolder(s.vc, s.vmFolder)
	host := object.NewHostSystem(s.vc, s.host)
	t, err := folder.CreateVM(ctx, cs, object.NewResourcePool(s.vc, s.pool), host)
	info, err := b.wait(ctx, op, spec.Name, t, err)
	if err != nil {
		return "", b.fail(s, op, spec.Name, err)
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		return "", backends.Errorf(op, spec.Name, backends.ErrInternal, "CreateVM_Task returned %T", info.Result)
	}
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, ref, []string{"config.instanceUuid", "config.hardware.device"}, &vm); err != nil {
		return "", b.fail(s, op, spec.Name, err)
	}
	uuid := strings.ToLower(vm.Config.InstanceUuid)
	s.remember(uuid, ref)
	if len(spec.BootOrder) > 0 {
		if err := b.bootOrder(ctx, s, &vm, spec.BootOrder); err != nil {
			b.log.Warn("the new VM's boot order could not be set", "vm", spec.Name, "error", err)
			return uuid, wrapIn(op, spec.Name, backends.ErrInvalidArgument, fmt.Errorf("created, but setting its boot order failed: %w", err))
		}
	}
	return uuid, nil
}

// bootOrder sets the boot order once the devices have their keys.
func (b *Backend) bootOrder(ctx context.Context, s *session, vm *mo.VirtualMachine, order []string) error {
	names := map[string]string{"hd": "disk", "cdrom": "cdrom", "network": "ethernet", "fd": "floppy"}
	var kinds []string
	for _, o := range order {
		k, ok := names[o]
		if !ok {
			return fmt.Errorf("boot device %q: want hd, cdrom, network or fd", o)
		}
		kinds = append(kinds, k)
	}
	l := object.VirtualDeviceList(vm.Config.Hardware.Device)
	spec := types.VirtualMachineConfigSpec{BootOptions: &types.VirtualMachineBootOptions{BootOrder: l.BootOrder(kinds)}}
	return b.run(ctx, "set boot order", vm.Self.Value, func() (*object.Task, error) {
		return object.NewVirtualMachine(s.vc, vm.Self).Reconfigure(ctx, spec)
	})
}

// homeDatastore picks where a new VM's files go.
func (b *Backend) homeDatastore(ctx context.Context, s *session, disks []backends.DiskSpec) (string, error) {
	for _, d := range disks {
		var p object.DatastorePath
		if d.Device != backends.DiskDeviceCDROM && p.FromString(d.Source) {
			return p.Datastore, nil
		}
	}
	var h mo.HostSystem
	pc := property.DefaultCollector(s.vc)
	if err := pc.RetrieveOne(ctx, s.host, []string{"datastore"}, &h); err != nil {
		return "", err
	}
	pools, err := readDatastores(ctx, pc, h.Datastore)
	if err != nil {
		return "", err
	}
	best := -1
	for i, p := range pools {
		if p.Active && (best < 0 || p.AvailableB > pools[best].AvailableB) {
			best = i
		}
	}
	if best < 0 {
		return "", backends.Errorf("define", "", backends.ErrInvalidState, "host %s has no accessible datastore", s.hostName)
	}
	return pools[best].Name, nil
}

// Undefine removes the VM from the inventory (UnregisterVM): like
// libvirt's undefine it keeps the disks, and every other file, on the
// datastore. A suspended VM needs opts.ManagedSave, one with snapshots
// opts.Snapshots; a running one must be powered off first.
func (b *Backend) Undefine(ctx context.Context, uuid string, opts backends.UndefineOptions) error {
	const op = "undefine"
	return b.vmOp(ctx, op, uuid, []string{"snapshot"}, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		switch {
		case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn:
			return invalid(op, name, "the VM is running; power it off first")
		case vm.Runtime.PowerState == types.VirtualMachinePowerStateSuspended && !opts.ManagedSave:
			return invalid(op, name, "the VM is suspended; ask to discard its saved state (managed save) as well")
		case vm.Snapshot != nil && len(vm.Snapshot.RootSnapshotList) > 0 && !opts.Snapshots:
			return invalid(op, name, "the VM has snapshots; ask to remove them as well")
		}
		if err := object.NewVirtualMachine(s.vc, vm.Self).Unregister(ctx); err != nil {
			return err
		}
		s.forget(uuid)
		return nil
	})
}

// checkName refuses names vSphere would mangle or reject.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the name is empty")
	case len(name) > 80:
		return errors.New("vSphere names are at most 80 characters")
	case strings.ContainsAny(name, "\x00\n\r"):
		return errors.New("the name has a control character")
	}
	return nil
}

// memoryMB converts KiB to vSphere's whole MiB, which must be a multiple
// of 4.
func memoryMB(kib uint64) (int64, error) {
	if kib%4096 != 0 {
		return 0, fmt.Errorf("memory %d KiB: vSphere wants a multiple of 4 MiB (4096 KiB)", kib)
	}
	return int64(kib / 1024), nil
}

// nameFree refuses a name another VM of the host has (but except, the
// VM being renamed): vSphere allows such twins in different folders, the
// model addresses VMs by name as well as UUID.
func (b *Backend) nameFree(ctx context.Context, s *session, name, except string) error {
	var vms []mo.VirtualMachine
	if err := s.view.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config.instanceUuid", "config.template", "runtime.host"}, &vms); err != nil {
		return b.fail(s, "check name", name, err)
	}
	for i := range vms {
		if onHost(&vms[i], s.host) && unescapeName(vms[i].Name) == name && !strings.EqualFold(vms[i].Config.InstanceUuid, except) {
			return backends.Errorf("define", name, backends.ErrConflict, "a VM named %q exists on host %s", name, s.hostName)
		}
	}
	return nil
}

// wrapIn keeps a backends.Error as it is and gives anything else kind.
func wrapIn(op, target string, kind, err error) error {
	var be *backends.Error
	if errors.As(err, &be) {
		return err
	}
	return &backends.Error{Op: op, Target: target, Kind: kind, Err: err}
}
