package provider

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// vmOf finds the VM a path belongs to, whatever the class: a VM by Name, a
// device by SystemName, a setting by its InstanceID "VB:UUID[/part]".
func (v *View) vmOf(p cim.ObjectPath) (*backends.Domain, bool) {
	uuid := keyString(p, "Name")
	switch {
	case keyString(p, "SystemName") != "":
		uuid = keyString(p, "SystemName")
	case keyString(p, "InstanceID") != "":
		id, ok := strings.CutPrefix(keyString(p, "InstanceID"), "VB:")
		if !ok {
			return nil, false
		}
		uuid, _, _ = strings.Cut(id, "/")
	}
	return v.snap.Domain(strings.ToLower(uuid))
}

// vmAssociations builds every association instance of one VM: SystemDevice
// (VM–device), VirtualSystemSettingDataComponent (VSSD–RASD),
// SettingsDefineState (VM–VSSD, device–RASD) and ElementSettingData
// (VM–VSSD). Its cost is one VM's, however many the host has.
func (v *View) vmAssociations(d *backends.Domain) ([]*cim.Instance, error) {
	vm, err := v.s.VirtualSystem(d, v.now)
	if err != nil {
		return nil, err
	}
	vssd, err := v.s.SystemSettings(d)
	if err != nil {
		return nil, err
	}
	var out []*cim.Instance
	add := func(inst *cim.Instance, err error) error {
		if err == nil {
			out = append(out, inst)
		}
		return err
	}
	devPaths := map[string]cim.ObjectPath{}
	for _, dev := range devices(d) {
		inst, err := v.s.Device(d, dev)
		if err != nil {
			return nil, err
		}
		devPaths[dev.class+"/"+dev.id] = inst.Path
		if err := add(v.s.association(classSystemDevice, "GroupComponent", vm.Path, "PartComponent", inst.Path)); err != nil {
			return nil, err
		}
	}
	if err := add(v.s.association(classSettingsDefines, "ManagedElement", vm.Path, "SettingData", vssd.Path)); err != nil {
		return nil, err
	}
	esd, err := v.s.association(classElementSetting, "ManagedElement", vm.Path, "SettingData", vssd.Path)
	if err != nil {
		return nil, err
	}
	// The one VSSD is both the current and the next configuration.
	esd.Set("IsCurrent", cim.Uint16(1))
	esd.Set("IsNext", cim.Uint16(1))
	esd.Set("IsDefault", cim.Uint16(2))
	out = append(out, esd)
	for _, st := range settings(d) {
		rasd, err := v.s.ResourceSettings(d, st)
		if err != nil {
			return nil, err
		}
		if err := add(v.s.association(classVSSDComponent, "GroupComponent", vssd.Path, "PartComponent", rasd.Path)); err != nil {
			return nil, err
		}
		if err := add(v.s.association(classSettingsDefines, "ManagedElement", devPaths[st.dev.class+"/"+st.dev.id], "SettingData", rasd.Path)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// samePath compares class and keys, not host or namespace, which clients
// may or may not send.
func samePath(a, b cim.ObjectPath) bool {
	a.Host, a.Namespace, b.Host, b.Namespace = "", "", "", ""
	return a.Equal(b)
}

// settingProvider serves the VSSD or one RASD class over every VM.
func settingProvider(class string) classProvider {
	each := func(v *View, d *backends.Domain, emit func(*cim.Instance) error) error {
		if class == classVSSD {
			inst, err := v.s.SystemSettings(d)
			if err != nil {
				return err
			}
			return emit(inst)
		}
		for _, st := range settings(d) {
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
			return nil
		},
		get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
			var found *cim.Instance
			if d, ok := v.vmOf(p); ok {
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
