package provider

import (
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// vmOf finds the VM a path belongs to, whatever the class: a VM by Name, a
// device by SystemName, a setting by its InstanceID "VB:UUID[/part]", its
// capabilities by "VB:caps/UUID".
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
		id = strings.TrimPrefix(id, "caps/") // vmCapsPrefix without "VB:"
		uuid, _, _ = strings.Cut(id, "/")
	}
	return v.snap.Domain(strings.ToLower(uuid))
}

// vmAssociations passes every association instance of one VM to sink:
// SystemDevice (VM–device), VirtualSystemSettingDataComponent (VSSD–RASD),
// SettingsDefineState (VM–VSSD, device–RASD), ElementSettingData
// (VM–VSSD), ElementCapabilities (VM–its capabilities), the snapshot
// associations, and ElementAllocatedFromPool / ResourceAllocationFromPool
// to the pools it draws on. Its cost is one VM's, however many the host has.
func (v *View) vmAssociations(d *backends.Domain, sink *refSink) error {
	vm, err := v.s.VirtualSystem(d, v.now)
	if err != nil {
		return err
	}
	vssd, err := v.s.SystemSettings(d)
	if err != nil {
		return err
	}
	sysDev, sds := sink.wants(classSystemDevice), sink.wants(classSettingsDefines)
	devPaths := map[string]cim.ObjectPath{}
	for _, dev := range devices(d) {
		if !sysDev && !sds {
			break
		}
		dp, err := v.s.devicePath(d, dev)
		if err != nil {
			return err
		}
		devPaths[dev.class+"/"+dev.id] = dp
		if sysDev {
			if err := sink.add(v.s.association(classSystemDevice, "GroupComponent", vm.Path, "PartComponent", dp)); err != nil {
				return err
			}
		}
	}
	if sds {
		if err := sink.add(v.s.association(classSettingsDefines, "ManagedElement", vm.Path, "SettingData", vssd.Path)); err != nil {
			return err
		}
	}
	if sink.wants(classElementSetting) {
		esd, err := v.s.association(classElementSetting, "ManagedElement", vm.Path, "SettingData", vssd.Path)
		if err != nil {
			return err
		}
		// The one VSSD is both the current and the next configuration.
		esd.Set("IsCurrent", cim.Uint16(1))
		esd.Set("IsNext", cim.Uint16(1))
		esd.Set("IsDefault", cim.Uint16(2))
		if err := sink.add(esd, nil); err != nil {
			return err
		}
	}
	if component := sink.wants(classVSSDComponent); component || sds {
		for _, st := range settings(&v.snap.Host, d) {
			rp, err := v.s.settingPath(d, st)
			if err != nil {
				return err
			}
			if component {
				if err := sink.add(v.s.association(classVSSDComponent, "GroupComponent", vssd.Path, "PartComponent", rp)); err != nil {
					return err
				}
			}
			if sds {
				if err := sink.add(v.s.association(classSettingsDefines, "ManagedElement", devPaths[st.dev.class+"/"+st.dev.id], "SettingData", rp)); err != nil {
					return err
				}
			}
		}
	}
	if sink.wants(classElementCaps) {
		caps, err := v.s.VMCapabilities(d)
		if err != nil {
			return err
		}
		if err := sink.add(v.s.association(classElementCaps, "ManagedElement", vm.Path, "Capabilities", caps.Path)); err != nil {
			return err
		}
	}
	if err := v.snapshotAssociations(d, vm.Path, sink); err != nil {
		return err
	}
	return v.vmAllocations(d, sink)
}

// canon is a path's identity: class and keys, not host or namespace,
// which clients may or may not send.
func canon(p cim.ObjectPath) string {
	p.Host, p.Namespace = "", ""
	return p.Canonical()
}

func samePath(a, b cim.ObjectPath) bool { return idOf(a).is(b) }

// pathID is a path's identity, for comparing many paths with one: the
// class name rules most out before any formatting.
type pathID struct{ class, canon string }

func idOf(p cim.ObjectPath) pathID { return pathID{p.ClassName, canon(p)} }

func (id pathID) is(p cim.ObjectPath) bool {
	return strings.EqualFold(p.ClassName, id.class) && canon(p) == id.canon
}
