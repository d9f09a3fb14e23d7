package provider

import (
	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Snapshots (DSP1057 with DSP1042's snapshot part): each snapshot of a VM
// is a VSSD keyed "VB:UUID/snapshot/NAME", tied to its VM by
// SnapshotOfVirtualSystem; the current one (last taken or reverted to) is
// also tied by LastAppliedSnapshot.
const (
	classSnapshotOf  = "VB_SnapshotOfVirtualSystem"
	classLastApplied = "VB_LastAppliedSnapshot"
)

func snapshotPart(name string) string { return "snapshot/" + name }

// SnapshotSettings is one snapshot of d. The model keeps a snapshot's name,
// description, time and state, not the configuration it saved, so the
// VSSD has no RASDs; its type is the VM's.
func (s Schema) SnapshotSettings(d *backends.Domain, sn backends.Snapshot) (*cim.Instance, error) {
	inst, err := s.vssd(d, snapshotPart(sn.Name), sn.Name)
	if err != nil {
		return nil, err
	}
	if sn.Description != "" {
		inst.Set("Description", cim.String(sn.Description))
	}
	if !sn.Created.IsZero() {
		if ts, err := cim.NewTimestamp(sn.Created); err == nil {
			inst.Set("CreationTime", cim.DatetimeValue(ts))
		}
	}
	return s.finish(classVSSD, inst)
}

// snapshotAssociations are d's SnapshotOfVirtualSystem and
// LastAppliedSnapshot instances.
func (v *View) snapshotAssociations(d *backends.Domain, vm cim.ObjectPath, sink *refSink) error {
	of, last := sink.wants(classSnapshotOf), sink.wants(classLastApplied)
	if !of && !last {
		return nil
	}
	for _, sn := range d.Snapshots {
		vssd, err := v.s.SnapshotSettings(d, sn)
		if err != nil {
			return err
		}
		if of {
			if err := sink.add(v.s.association(classSnapshotOf, "Antecedent", vm, "Dependent", vssd.Path)); err != nil {
				return err
			}
		}
		if last && sn.Current {
			if err := sink.add(v.s.association(classLastApplied, "Antecedent", vssd.Path, "Dependent", vm)); err != nil {
				return err
			}
		}
	}
	return nil
}
