package provider

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// poolUse is what the active VMs hold of the host-wide pools: the one
// figure of a pool that needs every VM. It is summed once per view, on
// first use, so a walk that meets the pool many times pays once.
type poolUse struct {
	vcpus, memKiB uint64
	nics          map[string]uint64 // NICs of active VMs, by network name
}

func (v *View) poolUse() *poolUse {
	v.useOnce.Do(func() {
		v.use.nics = map[string]uint64{}
		for _, d := range v.snap.Domains() {
			if !d.State.Active() {
				continue
			}
			v.use.vcpus += uint64(d.VCPUs)
			v.use.memKiB += d.MemoryKiB
			for _, n := range d.NICs {
				if n.Network != "" {
					v.use.nics[n.Network]++
				}
			}
		}
	})
	return &v.use
}

// Pool is a pool as a DSP1041 primordial VB_ResourcePool. Capacity and
// Reserved are in AllocationUnits: host CPUs and the vCPUs of active VMs;
// host memory and the memory of active VMs; a storage pool's bytes and
// what its volumes take; a network has no port limit, so no Capacity, and
// reserves the NICs of active VMs.
func (v *View) Pool(p pool) (*cim.Instance, error) {
	inst, err := v.s.newInstance(classPool)
	if err != nil {
		return nil, err
	}
	k := poolKinds[p.kind]
	h := &v.snap.Host
	inst.Set("InstanceID", cim.String(p.id()))
	inst.Set("PoolID", cim.String(p.id()))
	inst.Set("Primordial", cim.Bool(true))
	inst.Set("ResourceType", cim.Uint16(k.resourceType))
	inst.Set("AllocationUnits", cim.String(k.units))
	active := true
	switch p.kind {
	case kindProcessor:
		inst.Set("ElementName", cim.String("Processors"))
		inst.Set("Capacity", cim.Uint64(uint64(h.CPUs)))
		inst.Set("Reserved", cim.Uint64(v.poolUse().vcpus))
	case kindMemory:
		inst.Set("ElementName", cim.String("Memory"))
		inst.Set("Capacity", cim.Uint64(h.MemoryTotalKiB))
		inst.Set("Reserved", cim.Uint64(v.poolUse().memKiB))
	case kindStorage:
		sp := p.storage
		active = sp.Active
		inst.Set("ElementName", cim.String(sp.Name))
		inst.Set("ResourceSubType", cim.String(sp.Type))
		inst.Set("Capacity", cim.Uint64(sp.CapacityB))
		inst.Set("Reserved", cim.Uint64(sp.AllocationB))
	case kindNetwork:
		n := p.network
		active = n.Active
		inst.Set("ElementName", cim.String(n.Name))
		if n.Forward != "" {
			inst.Set("ResourceSubType", cim.String(n.Forward))
		}
		inst.Set("Reserved", cim.Uint64(v.poolUse().nics[n.Name]))
	}
	// An inactive libvirt pool or network is there but serves nothing.
	status := []uint16{opOK}
	if !active {
		status = []uint16{opStopped}
	}
	inst.Set("OperationalStatus", uint16s(status))
	inst.Set("HealthState", cim.Uint16(healthOK))
	return v.s.finish(classPool, inst)
}

// poolProvider serves VB_ResourcePool.
var poolProvider = classProvider{
	enumerate: func(v *View, emit func(*cim.Instance) error) error {
		for _, p := range hostPools(&v.snap.Host) {
			inst, err := v.Pool(p)
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
		p, ok := poolByID(&v.snap.Host, keyString(path, "InstanceID"))
		if !ok {
			return nil, fmt.Errorf("no instance %s: %w", path.String(), cim.ErrNotFound)
		}
		return v.Pool(p)
	},
}
