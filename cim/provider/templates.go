package provider

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// DSP1043: each AllocationCapabilities is defined by RASD templates,
// tied to it by SettingsDefineCapabilities. They are RASDs of the pool's
// RASD class, keyed "VB:template/KIND[/NAME]/ROLE", and enumerate along
// with the VMs' RASDs, as DSP1043 implementations do.
const (
	templatePrefix      = "VB:template/"
	propertyIndependent = 0 // SettingsDefineCapabilities.PropertyPolicy
)

// templateRole is one template and the SettingsDefineCapabilities
// ValueRole / ValueRange that say what its values mean (DSP1043;
// libvirt-cim and Hyper-V publish the same four).
type templateRole struct {
	name                  string
	valueRole, valueRange uint16
}

// templateRoles: the Default is ValueRole Default (0), ValueRange Point
// (0); the bounds are ValueRole Supported (3) with ValueRange Minimums
// (1), Maximums (2) and Increments (3).
var templateRoles = []templateRole{
	{"default", 0, 0},
	{"minimum", 3, 1},
	{"maximum", 3, 2},
	{"increment", 3, 3},
}

// quantities are a pool's template VirtualQuantity values, in its units.
type quantities struct{ def, min, max, inc uint64 }

// of picks the value a role carries: ValueRange Point, Minimums, Maximums
// or Increments.
func (q quantities) of(r templateRole) uint64 {
	return [...]uint64{q.def, q.min, q.max, q.inc}[r.valueRange]
}

// bounded keeps the rules of CIM_SettingsDefineCapabilities.ValueRange:
// min ≤ default ≤ max, each a whole number of increments above min. A pool
// with less than the minimum left (an inactive or full storage pool) still
// offers the minimum.
func bounded(def, lo, hi, inc uint64) quantities {
	hi = max(hi, lo)
	hi = lo + (hi-lo)/inc*inc
	def = min(max(def, lo), hi)
	def = lo + (def-lo)/inc*inc
	return quantities{def, lo, hi, inc}
}

// quantities: from one vCPU up to the host's CPUs; memory in MiB steps
// (QEMU sizes guest RAM in MiB) from 64 MiB to the host's memory, 1 GiB by
// default; disks in MiB steps up to what the storage pool has free, 8 GiB
// by default; a NIC is one port.
func (v *View) quantities(p pool) quantities {
	const kiB, miB, giB = 1 << 10, 1 << 20, 1 << 30
	switch p.kind {
	case kindProcessor:
		return bounded(1, 1, uint64(v.snap.Host.CPUs), 1)
	case kindMemory: // in KiB
		return bounded(defaultMemKiB, 64*miB/kiB, v.snap.Host.MemoryTotalKiB, miB/kiB)
	case kindStorage:
		return bounded(8*giB, miB, p.storage.AvailableB, miB)
	}
	return quantities{1, 1, 1, 1}
}

func templateID(p pool, r templateRole) string { return templatePrefix + p.path() + "/" + r.name }

// templateByID resolves "VB:template/KIND[/NAME]/ROLE".
func (v *View) templateByID(id string) (pool, templateRole, bool) {
	rest, ok := strings.CutPrefix(id, templatePrefix)
	i := strings.LastIndexByte(rest, '/')
	if !ok || i < 0 {
		return pool{}, templateRole{}, false
	}
	for _, r := range templateRoles {
		if r.name == rest[i+1:] {
			p, ok := findPool(&v.snap.Host, rest[:i])
			return p, r, ok
		}
	}
	return pool{}, templateRole{}, false
}

// Template is the RASD template of pool p in role r.
func (v *View) Template(p pool, r templateRole) (*cim.Instance, error) {
	k := poolKinds[p.kind]
	inst, err := v.s.newInstance(k.rasdClass)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(templateID(p, r)))
	inst.Set("ElementName", cim.String(p.path()+" "+r.name))
	inst.Set("ResourceType", cim.Uint16(k.resourceType))
	inst.Set("PoolID", cim.String(p.id()))
	inst.Set("AllocationUnits", cim.String(k.units))
	inst.Set("VirtualQuantityUnits", cim.String(k.units))
	inst.Set("VirtualQuantity", cim.Uint64(v.quantities(p).of(r)))
	return v.s.finish(k.rasdClass, inst)
}

// templates emits the templates of class, pool by pool.
func (v *View) templates(class string, emit func(*cim.Instance) error) error {
	for _, p := range hostPools(&v.snap.Host) {
		if poolKinds[p.kind].rasdClass != class {
			continue
		}
		for _, r := range templateRoles {
			inst, err := v.Template(p, r)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
	}
	return nil
}
