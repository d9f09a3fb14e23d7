package vsphere

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// sortByCreated orders snapshots oldest first, keeping the tree's order
// (parents before children) among equals.
func sortByCreated(s []backends.Snapshot) {
	slices.SortStableFunc(s, func(a, b backends.Snapshot) int { return a.Created.Compare(b.Created) })
}

// findSnapshot finds a snapshot by name in the VM's tree.
func findSnapshot(vm *mo.VirtualMachine, name string) *types.ManagedObjectReference {
	if vm.Snapshot == nil {
		return nil
	}
	var walk func([]types.VirtualMachineSnapshotTree) *types.ManagedObjectReference
	walk = func(list []types.VirtualMachineSnapshotTree) *types.ManagedObjectReference {
		for i := range list {
			if list[i].Name == name {
				return &list[i].Snapshot
			}
			if r := walk(list[i].ChildSnapshotList); r != nil {
				return r
			}
		}
		return nil
	}
	return walk(vm.Snapshot.RootSnapshotList)
}

// CreateSnapshot snapshots the VM, with its memory when it runs, as
// libvirt does. vSphere allows twins; the model names snapshots uniquely,
// so a taken name is a conflict. An empty name becomes the Unix time.
func (b *Backend) CreateSnapshot(ctx context.Context, uuid string, spec backends.SnapshotSpec) (string, error) {
	const op = "create snapshot"
	name := spec.Name
	if name == "" {
		name = strconv.FormatInt(time.Now().Unix(), 10)
	}
	err := b.vmOp(ctx, op, uuid, []string{"snapshot"}, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		if findSnapshot(vm, name) != nil {
			return backends.Errorf(op, unescapeName(vm.Name), backends.ErrConflict, "a snapshot named %q exists", name)
		}
		memory := vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
		return b.run(ctx, op, unescapeName(vm.Name), func() (*object.Task, error) {
			return object.NewVirtualMachine(s.vc, vm.Self).CreateSnapshot(ctx, name, spec.Description, memory, false)
		})
	})
	if err != nil {
		return "", err
	}
	return name, nil
}

// RevertSnapshot returns the VM to the snapshot, in the power state it
// was taken in.
func (b *Backend) RevertSnapshot(ctx context.Context, uuid, name string) error {
	const op = "revert snapshot"
	return b.snapshotOp(ctx, op, uuid, name, func(ctx context.Context, s *session, ref types.ManagedObjectReference) (types.ManagedObjectReference, error) {
		res, err := methods.RevertToSnapshot_Task(ctx, s.vc, &types.RevertToSnapshot_Task{This: ref})
		if err != nil {
			return types.ManagedObjectReference{}, err
		}
		return res.Returnval, nil
	})
}

// DeleteSnapshot removes the snapshot, merging it into its children.
func (b *Backend) DeleteSnapshot(ctx context.Context, uuid, name string) error {
	const op = "delete snapshot"
	return b.snapshotOp(ctx, op, uuid, name, func(ctx context.Context, s *session, ref types.ManagedObjectReference) (types.ManagedObjectReference, error) {
		res, err := methods.RemoveSnapshot_Task(ctx, s.vc, &types.RemoveSnapshot_Task{This: ref, RemoveChildren: false, Consolidate: types.NewBool(true)})
		if err != nil {
			return types.ManagedObjectReference{}, err
		}
		return res.Returnval, nil
	})
}

// snapshotOp runs a task on the named snapshot of the VM.
func (b *Backend) snapshotOp(ctx context.Context, op, uuid, name string,
	start func(context.Context, *session, types.ManagedObjectReference) (types.ManagedObjectReference, error)) error {
	return b.vmOp(ctx, op, uuid, []string{"snapshot"}, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		ref := findSnapshot(vm, name)
		if ref == nil {
			return backends.Errorf(op, unescapeName(vm.Name), backends.ErrNotFound, "no snapshot named %q", name)
		}
		return b.run(ctx, op, unescapeName(vm.Name), func() (*object.Task, error) {
			t, err := start(ctx, s, *ref)
			if err != nil {
				return nil, err
			}
			return object.NewTask(s.vc, t), nil
		})
	})
}
