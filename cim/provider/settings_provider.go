package provider

import (
	"fmt"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// settingProvider serves the VSSD class (each VM's state VSSD and its
// snapshots) or one RASD class (the VMs' RASDs, then the pools' templates).
func settingProvider(class string) classProvider {
	each := func(v *View, d *backends.Domain, emit func(*cim.Instance) error) error {
		if class == classVSSD {
			inst, err := v.s.SystemSettings(d)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
			for _, sn := range d.Snapshots {
				inst, err := v.s.SnapshotSettings(d, sn)
				if err != nil {
					return err
				}
				if err := emit(inst); err != nil {
					return err
				}
			}
			return nil
		}
		for _, st := range settings(&v.snap.Host, d) {
			if st.class != class {
				continue
			}
			inst, err := v.s.ResourceSettings(d, st)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	}
	return classProvider{
		enumerate: func(v *View, emit func(*cim.Instance) error) error {
			for _, d := range v.snap.Domains() {
				if err := each(v, d, emit); err != nil {
					return err
				}
			}
			return v.templates(class, emit)
		},
		get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
			var found *cim.Instance
			id := keyString(p, "InstanceID")
			if pl, r, ok := v.templateByID(id); ok {
				if poolKinds[pl.kind].rasdClass == class {
					t, err := v.Template(pl, r)
					if err != nil {
						return nil, err
					}
					if samePath(t.Path, p) {
						found = t
					}
				}
			} else if d, ok := v.vmOf(p); ok {
				err := each(v, d, func(inst *cim.Instance) error {
					if samePath(inst.Path, p) {
						found = inst
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
			}
			if found == nil {
				return nil, fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
			}
			return found, nil
		},
	}
}
