package provider

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// DSP1043 Allocation Capabilities: one VB_AllocationCapabilities per pool,
// keyed "VB:caps/pool/KIND[/NAME]" after the pool it describes.
const (
	classAllocCaps = "VB_AllocationCapabilities"
	classSDC       = "VB_SettingsDefineCapabilities"
	poolCapsPrefix = "VB:caps/pool/"
)

func allocCapsID(p pool) string { return poolCapsPrefix + p.path() }

// AllocationCapabilities says what may be allocated from p, and how.
// SupportedAddStates and SupportedRemoveStates stay NULL: the read side
// adds and removes nothing.
func (s Schema) AllocationCapabilities(p pool) (*cim.Instance, error) {
	inst, err := s.newInstance(classAllocCaps)
	if err != nil {
		return nil, err
	}
	k := poolKinds[p.kind]
	inst.Set("InstanceID", cim.String(allocCapsID(p)))
	inst.Set("ElementName", cim.String("Allocation capabilities of pool "+p.path()))
	inst.Set("ResourceType", cim.Uint16(k.resourceType))
	inst.Set("RequestTypesSupported", cim.Uint16(k.requestTypes))
	inst.Set("SharingMode", cim.Uint16(k.sharing))
	switch {
	case p.storage != nil:
		inst.Set("ResourceSubType", cim.String(p.storage.Type))
	case p.network != nil && p.network.Forward != "":
		inst.Set("ResourceSubType", cim.String(p.network.Forward))
	}
	return s.finish(classAllocCaps, inst)
}

// allocCapsProvider serves VB_AllocationCapabilities.
var allocCapsProvider = classProvider{
	enumerate: func(v *View, emit func(*cim.Instance) error) error {
		for _, p := range hostPools(&v.snap.Host) {
			inst, err := v.s.AllocationCapabilities(p)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	},
	get: func(v *View, path cim.ObjectPath) (*cim.Instance, error) {
		rest, ok := strings.CutPrefix(keyString(path, "InstanceID"), poolCapsPrefix)
		p, found := findPool(&v.snap.Host, rest)
		if !ok || !found {
			return nil, fmt.Errorf("no instance %s: %w", path.String(), cim.ErrNotFound)
		}
		return v.s.AllocationCapabilities(p)
	},
}

// poolRole is which of a pool's objects an association walk starts from.
type poolRole int

const (
	rolePool poolRole = iota
	roleCaps
	roleTemplate
)

// poolAssociations are the associations of a pool, its capabilities or one
// of its templates (role): HostedResourcePool (host–pool),
// ElementCapabilities (pool–capabilities), SettingsDefineCapabilities
// (capabilities–templates) and, from the pool only, ElementAllocatedFromPool
// and ResourceAllocationFromPool to what every VM draws from it.
func (v *View) poolAssociations(p pool, role poolRole, sink *refSink) error {
	pp, err := v.s.poolPath(p.id())
	if err != nil {
		return err
	}
	caps, err := v.s.AllocationCapabilities(p)
	if err != nil {
		return err
	}
	if role == rolePool && sink.wants(classHostedPool) {
		host, err := v.s.HostSystem(v.snap.Host)
		if err != nil {
			return err
		}
		if err := sink.add(v.s.association(classHostedPool, "GroupComponent", host.Path, "PartComponent", pp)); err != nil {
			return err
		}
	}
	if role != roleTemplate && sink.wants(classElementCaps) {
		if err := sink.add(v.s.association(classElementCaps, "ManagedElement", pp, "Capabilities", caps.Path)); err != nil {
			return err
		}
	}
	if role != rolePool && sink.wants(classSDC) {
		for _, r := range templateRoles {
			if err := sink.add(v.settingsDefineCapabilities(caps.Path, p, r)); err != nil {
				return err
			}
		}
	}
	if role == rolePool {
		return v.allocatedFrom(p, pp, sink)
	}
	return nil
}

// settingsDefineCapabilities ties caps to one template, with the role and
// range DSP1043 gives it.
func (v *View) settingsDefineCapabilities(caps cim.ObjectPath, p pool, r templateRole) (*cim.Instance, error) {
	t, err := v.Template(p, r)
	if err != nil {
		return nil, err
	}
	inst, err := v.s.association(classSDC, "GroupComponent", caps, "PartComponent", t.Path)
	if err != nil {
		return nil, err
	}
	inst.Set("PropertyPolicy", cim.Uint16(propertyIndependent))
	inst.Set("ValueRole", cim.Uint16(r.valueRole))
	inst.Set("ValueRange", cim.Uint16(r.valueRange))
	return inst, nil
}
