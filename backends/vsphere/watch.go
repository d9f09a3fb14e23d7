package vsphere

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// vmWatchProps are the VM properties whose changes become events: what
// the backend model shows, less counters. config.changeVersion moves with
// every reconfiguration, whichever property it touched.
var vmWatchProps = []string{
	"name", "config.instanceUuid", "config.uuid", "config.template", "config.changeVersion", "config.annotation", "config.cpuAffinity",
	"config.guestId", "config.guestFullName",
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"runtime.powerState", "runtime.host", "snapshot",
}

// hostWatchProps are the managed host's.
var hostWatchProps = []string{"datastore", "network", "config.autoStart", "runtime.connectionState"}

// watcher follows one session's property updates and turns them into
// backend events. Only its own goroutine touches it after newWatcher.
type watcher struct {
	b       *Backend
	s       *session
	pc      *property.Collector
	version string
	vms     map[types.ManagedObjectReference]*vmState
	host    map[string]any
	gone    error // set when the managed host went away
	resent  bool  // an object was announced twice in this update set
}

// newWatcher creates the session's collector and filter and reads the
// starting point, which announces nothing: whoever (re)reads the inventory
// after this sees at least that much.
func (b *Backend) newWatcher(ctx context.Context, s *session) (*watcher, error) {
	const op = "watch"
	pc, err := property.DefaultCollector(s.vc).Create(ctx)
	if err != nil {
		return nil, wrap(op, s.hostName, err)
	}
	ref := pc.Reference()
	s.watchPC = &ref
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{
			{Obj: s.view.Reference(), Skip: types.NewBool(true), SelectSet: []types.BaseSelectionSpec{
				&types.TraversalSpec{Type: "ContainerView", Path: "view"},
			}},
			{Obj: s.host},
		},
		PropSet: []types.PropertySpec{
			{Type: "VirtualMachine", PathSet: vmWatchProps},
			{Type: "HostSystem", PathSet: hostWatchProps},
		},
	}
	if _, err := pc.CreateFilter(ctx, types.CreateFilter{Spec: spec, PartialUpdates: true}); err != nil {
		return nil, wrap(op, s.hostName, err)
	}
	w := &watcher{b: b, s: s, pc: pc, vms: map[types.ManagedObjectReference]*vmState{}, host: map[string]any{}}
	for {
		set, err := w.poll(ctx)
		if err != nil {
			return nil, wrap(op, s.hostName, err)
		}
		if set == nil {
			return w, nil
		}
		w.apply(set, true)
		if set.Truncated == nil || !*set.Truncated {
			return w, nil
		}
	}
}

// poll is one WaitForUpdatesEx round: nil when the wait ran out quietly,
// which also shows the session is alive.
func (w *watcher) poll(ctx context.Context) (*types.UpdateSet, error) {
	o := &w.b.opts
	ctx, cancel := context.WithTimeout(ctx, o.UpdateWait+o.CallTimeout)
	defer cancel()
	wait := int32(o.UpdateWait / time.Second)
	res, err := methods.WaitForUpdatesEx(ctx, w.s.vc, &types.WaitForUpdatesEx{
		This: w.pc.Reference(), Version: w.version, Options: &types.WaitOptions{MaxWaitSeconds: &wait},
	})
	if err != nil {
		return nil, err
	}
	return res.Returnval, nil
}

// run follows updates until ctx ends or the session fails; the error says
// why it stopped.
func (w *watcher) run(ctx context.Context) error {
	for {
		set, err := w.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return fmt.Errorf("waiting for vSphere updates: %w", wrap("watch", w.s.hostName, err))
		case set != nil:
			w.apply(set, false)
		}
		if w.gone != nil {
			return w.gone
		}
	}
}

// apply takes in one update set.
//
// An object entering that had entered already breaks the protocol: the
// collector has lost track, and may have lost a removal too (govmomi's
// simulator does this after a container view changes). The inventory is
// then told to resynchronise, as after dropped events.
func (w *watcher) apply(set *types.UpdateSet, seed bool) {
	w.version = set.Version
	w.resent = false
	for _, fs := range set.FilterSet {
		for _, ou := range fs.ObjectSet {
			switch ou.Obj.Type {
			case "VirtualMachine":
				w.vm(ou, seed)
			case "HostSystem":
				if ou.Obj == w.s.host {
					w.hostUpdate(ou, seed)
				}
			}
		}
	}
	if w.resent && !seed {
		w.b.log.Debug("vSphere announced known objects again; asking for a resync")
		w.b.events.Push(backends.Event{Kind: backends.EventOverflow, Detail: "vSphere re-announced objects"})
	}
}

// push queues an event about a VM.
func (w *watcher) push(st *vmState, ev backends.Event) {
	ev.UUID, ev.Name = st.uuid(), st.name()
	w.b.events.Push(ev)
}

// hostUpdate follows the managed host: its datastores, networks and
// autostart list, and whether it is still there at all.
func (w *watcher) hostUpdate(ou types.ObjectUpdate, seed bool) {
	if ou.Kind == types.ObjectUpdateKindLeave {
		w.gone = fmt.Errorf("host %s was removed from the inventory", w.s.hostName)
		return
	}
	old := maps.Clone(w.host)
	applyChanges(w.host, ou.ChangeSet)
	if seed {
		return
	}
	changed := func(p string) bool { return !reflect.DeepEqual(old[p], w.host[p]) }
	if st, _ := w.host["runtime.connectionState"].(types.HostSystemConnectionState); changed("runtime.connectionState") &&
		st != "" && st != types.HostSystemConnectionStateConnected {
		w.gone = fmt.Errorf("host %s is %s in vCenter", w.s.hostName, st)
		return
	}
	if changed("datastore") {
		w.b.events.Push(backends.Event{Kind: backends.EventHostChanged, Detail: "datastores"})
	}
	if changed("network") {
		w.s.forgetNetworks()
		w.b.events.Push(backends.Event{Kind: backends.EventHostChanged, Detail: "networks"})
	}
	if changed("config.autoStart") {
		before, after := autostartSet(old["config.autoStart"]), autostartSet(w.host["config.autoStart"])
		for ref, st := range w.vms {
			if before[ref.Value] != after[ref.Value] && st.visible(w.s.host) {
				w.push(st, backends.Event{Kind: backends.EventConfigChanged, Detail: "autostart"})
			}
		}
	}
}

// applyChanges applies a change set to a property map. Changes to one
// element of a list ("config.hardware.device[4000]") are left to the
// whole-list assignment that goes with them.
func applyChanges(props map[string]any, changes []types.PropertyChange) {
	for _, c := range changes {
		switch {
		case !isPlainPath(c.Name):
		case c.Op == types.PropertyChangeOpRemove || c.Op == types.PropertyChangeOpIndirectRemove || c.Val == nil:
			delete(props, c.Name)
		default:
			props[c.Name] = c.Val
		}
	}
}

func isPlainPath(p string) bool {
	for _, r := range p {
		if r == '[' {
			return false
		}
	}
	return true
}
