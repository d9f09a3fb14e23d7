package vsphere

import (
	"context"
	"errors"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// vmOp looks a VM of the host up by UUID, reading props of it, and runs f
// on it; f's errors are wrapped with op and the VM's name.
func (b *Backend) vmOp(ctx context.Context, op, uuid string, props []string,
	f func(ctx context.Context, s *session, vm *mo.VirtualMachine) error) error {
	s, err := b.session(op)
	if err != nil {
		return err
	}
	vm, err := b.readVM(ctx, s, op, uuid, props)
	if err != nil {
		return err
	}
	if err := f(ctx, s, vm); err != nil {
		return b.fail(s, op, unescapeName(vm.Name), err)
	}
	return nil
}

// wait follows a vSphere task to its end within ctx. When ctx ends
// first, the task goes on in vSphere: the error names it, and its outcome
// reaches the inventory as an event like any other change.
func (b *Backend) wait(ctx context.Context, op, target string, t *object.Task, err error) (*types.TaskInfo, error) {
	if err != nil {
		return nil, err
	}
	start := time.Now()
	info, err := b.waitTask(ctx, t.Client(), t.Reference())
	switch {
	case err == nil:
		b.log.Debug("vSphere task done", "op", op, "target", target, "task", t.Reference().Value, "took", time.Since(start))
		return info, nil
	case ctx.Err() != nil:
		b.log.Warn("gave up waiting for a vSphere task; it goes on in vSphere", "op", op, "target", target, "task", t.Reference().Value)
		return nil, backends.Errorf(op, target, backends.ErrTimeout, "vSphere task %s still running: %v", t.Reference().Value, ctx.Err())
	}
	return nil, err
}

// waitTask follows a task's info through a collector of its own (so
// concurrent waits do not share one), every call bounded: govmomi's own
// wait cleans up without a deadline. The task's progress goes to the
// reporter ctx carries (backends.WithProgress).
func (b *Backend) waitTask(ctx context.Context, vc *vim25.Client, ref types.ManagedObjectReference) (*types.TaskInfo, error) {
	pc, err := property.DefaultCollector(vc).Create(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), min(b.opts.CallTimeout, 5*time.Second))
		defer cancel()
		_ = pc.CancelWaitForUpdates(dctx)
		_ = pc.Destroy(dctx)
	}()
	spec := types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: ref}},
		PropSet: []types.PropertySpec{{Type: ref.Type, PathSet: []string{"info"}}}}
	if _, err := pc.CreateFilter(ctx, types.CreateFilter{Spec: spec}); err != nil {
		return nil, err
	}
	wait := int32(b.opts.UpdateWait / time.Second)
	req := types.WaitForUpdatesEx{This: pc.Reference(), Options: &types.WaitOptions{MaxWaitSeconds: &wait}}
	for {
		res, err := methods.WaitForUpdatesEx(ctx, vc, &req)
		if err != nil {
			return nil, err
		}
		if res.Returnval == nil {
			continue
		}
		req.Version = res.Returnval.Version
		for _, fs := range res.Returnval.FilterSet {
			for _, ou := range fs.ObjectSet {
				for _, c := range ou.ChangeSet {
					info, ok := c.Val.(types.TaskInfo)
					switch {
					case ok && info.State == types.TaskInfoStateRunning && info.Progress > 0:
						// 0 is also "not known" (the property is optional).
						backends.ReportProgress(ctx, int(info.Progress))
					case ok && info.State == types.TaskInfoStateSuccess:
						return &info, nil
					case ok && info.State == types.TaskInfoStateError:
						f := info.Error
						if f == nil {
							f = &types.LocalizedMethodFault{Fault: &types.SystemError{}, LocalizedMessage: "the task failed"}
						}
						return nil, task.Error{LocalizedMethodFault: f, Description: info.Description}
					}
				}
			}
		}
	}
}

// run starts a task with f and waits for it.
func (b *Backend) run(ctx context.Context, op, target string, f func() (*object.Task, error)) error {
	t, err := f()
	_, err = b.wait(ctx, op, target, t, err)
	return err
}

// invalid is an ErrInvalidState with the reason.
func invalid(op, target, msg string) error {
	return &backends.Error{Op: op, Target: target, Kind: backends.ErrInvalidState, Err: errors.New(msg)}
}
