package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// Snapshot types (CIM_VirtualSystemSnapshotService.CreateSnapshot) and
// the snapshot service's methods with their capabilities values.
const snapshotFull = 2

var snapshotMethods = map[string]uint16{"createsnapshot": 2, "destroysnapshot": 3, "applysnapshot": 4}

// snapshotMethodCodes is what the capabilities advertise: the methods,
// all synchronous, when methods are on.
func (s Schema) snapshotMethodCodes() []uint16 {
	if s.Jobs == nil {
		return []uint16{}
	}
	var out []uint16
	for _, c := range snapshotMethods {
		out = append(out, c)
	}
	return sortedCodes(out)
}

// snapshotOf resolves a reference to a snapshot's VSSD
// ("VB:UUID/snapshot/NAME").
func (v *View) snapshotOf(in map[string]cim.Value, name string) (*backends.Domain, string, error) {
	ref, ok := param(in, name)
	p, isRef := ref.Ref()
	if !ok || !isRef {
		return nil, "", fmt.Errorf("%s (a reference to a snapshot's settings) is required: %w", name, cim.ErrInvalidParameter)
	}
	d, part, err := v.rasdOf(keyString(p, "InstanceID"))
	snap, isSnap := strings.CutPrefix(part, "snapshot/")
	if err != nil || !isSnap {
		return nil, "", fmt.Errorf("%s %s is not a snapshot: %w", name, p.String(), cim.ErrNotFound)
	}
	for _, s := range d.Snapshots {
		if s.Name == snap {
			return d, snap, nil
		}
	}
	return nil, "", fmt.Errorf("%s: %s has no snapshot %q: %w", name, d.Name, snap, cim.ErrNotFound)
}

func hasSnapshot(s *inventory.Snapshot, uuid, name string) bool {
	d, ok := s.Domain(uuid)
	if !ok {
		return false
	}
	for _, x := range d.Snapshots {
		if x.Name == name {
			return true
		}
	}
	return false
}

// createSnapshot: a full snapshot of AffectedSystem, named by the
// embedded SnapshotSettings' ElementName when given.
func (v *View) createSnapshot(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, err := v.vmArg(in, "AffectedSystem")
	if err != nil {
		return cim.Value{}, nil, err
	}
	if t, ok := param(in, "SnapshotType"); ok {
		if n, _ := t.Uint(); n != snapshotFull {
			return ret(1, nil) // Not Supported: only full snapshots here
		}
	}
	var spec backends.SnapshotSpec
	if s, ok := param(in, "SnapshotSettings"); ok {
		insts, err := instancesOf("SnapshotSettings", s)
		if err != nil {
			return cim.Value{}, nil, err
		}
		if len(insts) == 1 {
			spec.Name, _ = strProp(insts[0], "ElementName")
			spec.Description, _ = strProp(insts[0], "Description")
		}
	}
	uuid := d.UUID
	var name string
	run := func(ctx context.Context) error {
		var err error
		if name, err = env.Ops.CreateSnapshot(ctx, uuid, spec); err != nil {
			return cimError(err)
		}
		return until(ctx, env.Current, "the new snapshot", func(s *inventory.Snapshot) bool { return hasSnapshot(s, uuid, name) })
	}
	// A snapshot of a running system may take a while (memory is saved):
	// a job, with the system Snapshotting meanwhile.
	job, err := v.s.Jobs.Run("snapshot "+d.Name, JobSnapshot, v.systemPath(uuid), syncWindow, jobLimit, run)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if job != nil {
		return ret(rscJobStarted, map[string]cim.Value{"Job": cim.Ref(v.jobPath(job))})
	}
	p := cim.ObjectPath{Namespace: v.s.Namespace, ClassName: classVSSD, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String(settingID(uuid, "snapshot/"+name))}}}
	return ret(0, map[string]cim.Value{"ResultingSnapshot": cim.Ref(p)})
}

// applySnapshot reverts the VM to the snapshot.
func (v *View) applySnapshot(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, name, err := v.snapshotOf(in, "Snapshot")
	if err != nil {
		return cim.Value{}, nil, err
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if err := env.Ops.RevertSnapshot(ctx, d.UUID, name); err != nil {
		return cim.Value{}, nil, cimError(err)
	}
	uuid := d.UUID
	err = until(ctx, env.Current, "the reverted system", func(s *inventory.Snapshot) bool {
		now, ok := s.Domain(uuid)
		if !ok {
			return false
		}
		for _, x := range now.Snapshots {
			if x.Name == name && x.Current {
				return true
			}
		}
		return false
	})
	if err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, nil)
}

// destroySnapshot deletes the snapshot (not its children).
func (v *View) destroySnapshot(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, name, err := v.snapshotOf(in, "AffectedSnapshot")
	if err != nil {
		return cim.Value{}, nil, err
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if err := env.Ops.DeleteSnapshot(ctx, d.UUID, name); err != nil {
		return cim.Value{}, nil, cimError(err)
	}
	uuid := d.UUID
	if err := until(ctx, env.Current, "the snapshot's removal", func(s *inventory.Snapshot) bool { return !hasSnapshot(s, uuid, name) }); err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, nil)
}
