package vsphere

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// vmState is what the watcher last heard of one VM: its watched
// properties by path.
type vmState struct{ props map[string]any }

func (st *vmState) uuid() string {
	s, _ := st.props["config.instanceUuid"].(string)
	return strings.ToLower(s)
}

func (st *vmState) name() string {
	s, _ := st.props["name"].(string)
	return unescapeName(s)
}

func (st *vmState) power() types.VirtualMachinePowerState {
	p, _ := st.props["runtime.powerState"].(types.VirtualMachinePowerState)
	return p
}

// visible reports whether the VM belongs in the inventory of host: known
// by UUID, registered there, and no template.
func (st *vmState) visible(host types.ManagedObjectReference) bool {
	h, _ := st.props["runtime.host"].(types.ManagedObjectReference)
	t, _ := st.props["config.template"].(bool)
	return st.uuid() != "" && h == host && !t
}

// configProps are the watched paths whose changes are configuration
// changes with no event kind of their own.
var configProps = []string{"config.uuid", "config.guestId", "config.guestFullName", "config.annotation", "config.cpuAffinity",
	"config.hardware.numCPU", "config.hardware.memoryMB", "snapshot", "config.changeVersion"}

// vm takes in one VM's update.
func (w *watcher) vm(ou types.ObjectUpdate, seed bool) {
	host := w.s.host
	st, known := w.vms[ou.Obj]
	if ou.Kind == types.ObjectUpdateKindLeave {
		if known {
			delete(w.vms, ou.Obj)
			w.s.forget(st.uuid())
			if st.visible(host) {
				w.push(st, backends.Event{Kind: backends.EventUndefined, Detail: "undefined/removed"})
			}
		}
		return
	}
	if !known {
		st = &vmState{props: map[string]any{}}
		w.vms[ou.Obj] = st
	} else if ou.Kind == types.ObjectUpdateKindEnter {
		w.resent = true
	}
	old := &vmState{props: maps.Clone(st.props)}
	applyChanges(st.props, ou.ChangeSet)
	if old.uuid() != st.uuid() {
		w.s.forget(old.uuid())
	}
	if st.uuid() != "" {
		w.s.remember(st.uuid(), ou.Obj)
	}
	if seed {
		return
	}
	was, is := old.visible(host), st.visible(host)
	moved := !reflect.DeepEqual(old.props["runtime.host"], st.props["runtime.host"])
	if was && (!is || old.uuid() != st.uuid()) {
		detail := "undefined/removed"
		if moved {
			detail = "undefined/migrated"
		}
		w.push(old, backends.Event{Kind: backends.EventUndefined, Detail: detail})
	}
	if !is {
		return
	}
	if !was || old.uuid() != st.uuid() {
		detail := "defined/added"
		if moved && known {
			detail = "defined/migrated"
		}
		w.push(st, backends.Event{Kind: backends.EventDefined, Detail: detail})
		return
	}
	w.vmChanges(old, st)
}

// vmChanges announces what changed on a VM that stays in the inventory.
func (w *watcher) vmChanges(old, st *vmState) {
	changed := func(p string) bool { return !reflect.DeepEqual(old.props[p], st.props[p]) }
	if changed("runtime.powerState") {
		p := st.power()
		s, _ := powerState(p)
		w.push(st, backends.Event{Kind: backends.EventLifecycle, State: s, Detail: "powerState/" + string(p)})
	}
	if changed("name") {
		w.push(st, backends.Event{Kind: backends.EventDefined, Detail: "defined/renamed"})
	}
	var what []string
	if changed("config.hardware.device") {
		before, after := modelDevices(deviceList(old.props["config.hardware.device"])), modelDevices(deviceList(st.props["config.hardware.device"]))
		for _, k := range slices.Sorted(maps.Keys(after)) {
			if _, ok := before[k]; !ok {
				w.push(st, backends.Event{Kind: backends.EventDeviceAdded, Device: k, Detail: "device-added"})
			}
		}
		for _, k := range slices.Sorted(maps.Keys(before)) {
			if _, ok := after[k]; !ok {
				w.push(st, backends.Event{Kind: backends.EventDeviceRemoved, Device: k, Detail: "device-removed"})
			}
		}
		what = append(what, "devices")
	}
	for _, p := range configProps {
		if changed(p) {
			what = append(what, p)
		}
	}
	if len(what) > 0 {
		w.push(st, backends.Event{Kind: backends.EventConfigChanged, Detail: strings.Join(what, ",")})
	}
}

// deviceList reads a device list property, as decoded from SOAP or as
// handed over in process.
func deviceList(v any) []types.BaseVirtualDevice {
	switch l := v.(type) {
	case types.ArrayOfVirtualDevice:
		return l.VirtualDevice
	case []types.BaseVirtualDevice:
		return l
	}
	return nil
}

// autostartSet lists the VMs (by managed object ID) the host starts with
// itself.
func autostartSet(v any) map[string]bool {
	var cfg *types.HostAutoStartManagerConfig
	switch c := v.(type) {
	case types.HostAutoStartManagerConfig:
		cfg = &c
	case *types.HostAutoStartManagerConfig:
		cfg = c
	}
	out := map[string]bool{}
	if cfg == nil || (cfg.Defaults != nil && cfg.Defaults.Enabled != nil && !*cfg.Defaults.Enabled) {
		return out // the host starts no VM at all
	}
	for _, p := range cfg.PowerInfo {
		if strings.EqualFold(p.StartAction, "powerOn") {
			out[p.Key.Value] = true
		}
	}
	return out
}
