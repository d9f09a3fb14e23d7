package provider

import (
	"strings"

	"github.com/virtbridge/virtbridge/backends"
)

// DSP1041 Resource Allocation: the host's primordial pools. Processors and
// memory are one pool each; every storage pool and virtual network of the
// host is a pool of its own. Keys are "VB:pool/KIND[/NAME]", from names
// the hypervisor keeps across restarts.
const (
	classPool  = "VB_ResourcePool"
	poolPrefix = "VB:pool/"

	kindProcessor = "processor"
	kindMemory    = "memory"
	kindStorage   = "storage"
	kindNetwork   = "network"
)

// RequestTypesSupported and SharingMode values (CIM_AllocationCapabilities
// ValueMap; DSP1043).
const (
	requestGeneral   = 3 // a quantity, not a named host resource
	requestBoth      = 4
	sharingDedicated = 2
	sharingShared    = 3
)

// poolKind is what one kind of pool hands out: the same facts serve the
// pool, its AllocationCapabilities and its RASD templates.
type poolKind struct {
	resourceType uint16 // ResourceType of pool, capabilities and RASDs alike (DSP1041)
	units        string // AllocationUnits, a DSP0004 Annex C programmatic unit
	rasdClass    string
	requestTypes uint16
	sharing      uint16
}

// poolKinds: vCPUs are time-shared on host CPUs (DSP1044); guest memory is
// the guest's own (DSP1045); a disk image is one VM's, and may be named
// (a volume) or just sized (DSP1047); many NICs share one network (DSP1050).
var poolKinds = map[string]poolKind{
	kindProcessor: {resourceTypes["processor"], "count", classProcRASD, requestGeneral, sharingShared},
	kindMemory:    {resourceTypes["memory"], "byte*2^10", classMemRASD, requestGeneral, sharingDedicated},
	kindStorage:   {resourceTypes["disk"], "byte", classStorageRASD, requestBoth, sharingDedicated},
	kindNetwork:   {resourceTypes["ethernet"], "count", classEthernetRASD, requestGeneral, sharingShared},
}

// pool is one pool of the host.
type pool struct {
	kind    string
	storage *backends.StoragePool // for kindStorage
	network *backends.Network     // for kindNetwork
}

func (p pool) name() string {
	switch {
	case p.storage != nil:
		return p.storage.Name
	case p.network != nil:
		return p.network.Name
	}
	return ""
}

// path is "KIND" or "KIND/NAME": the pool's part of every key built on it.
func (p pool) path() string { return poolPath(p.kind, p.name()) }

func (p pool) id() string { return poolPrefix + p.path() }

func poolPath(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + "/" + name
}

// hostPools lists the host's pools: processors, memory, then storage pools
// and networks by name.
func hostPools(h *backends.Host) []pool {
	out := []pool{{kind: kindProcessor}, {kind: kindMemory}}
	for i := range h.StoragePools {
		out = append(out, pool{kind: kindStorage, storage: &h.StoragePools[i]})
	}
	for i := range h.Networks {
		out = append(out, pool{kind: kindNetwork, network: &h.Networks[i]})
	}
	return out
}

// findPool resolves a pool's path ("storage/images"). The host has a
// handful of pools, so a scan is as fast as a search.
func findPool(h *backends.Host, path string) (pool, bool) {
	kind, name, named := strings.Cut(path, "/")
	switch kind {
	case kindProcessor, kindMemory:
		return pool{kind: kind}, !named
	case kindStorage:
		for i := range h.StoragePools {
			if h.StoragePools[i].Name == name {
				return pool{kind: kind, storage: &h.StoragePools[i]}, true
			}
		}
	case kindNetwork:
		for i := range h.Networks {
			if h.Networks[i].Name == name {
				return pool{kind: kind, network: &h.Networks[i]}, true
			}
		}
	}
	return pool{}, false
}

// poolByID resolves a pool's InstanceID.
func poolByID(h *backends.Host, id string) (pool, bool) {
	path, ok := strings.CutPrefix(id, poolPrefix)
	if !ok {
		return pool{}, false
	}
	return findPool(h, path)
}

// devicePool is the InstanceID of the pool a device of d is allocated
// from, "" when none of the host's pools is its source.
func devicePool(h *backends.Host, d *backends.Domain, dev device) string {
	switch dev.class {
	case classProcessor:
		return poolPrefix + kindProcessor
	case classMemory:
		return poolPrefix + kindMemory
	case classLogicalDisk:
		for _, k := range d.Disks {
			if k.Target == dev.id {
				return diskPool(h, k)
			}
		}
	case classEthernetPort:
		for _, n := range d.NICs {
			if n.MAC == dev.id && n.Network != "" {
				if p, ok := findPool(h, poolPath(kindNetwork, n.Network)); ok {
					return p.id()
				}
			}
		}
	}
	return ""
}

// diskPool is the storage pool a disk image comes from: the volume's pool,
// else the pool whose directory holds the file (the deepest, when pools
// nest). CD and floppy media are inserted, not allocated, and have none.
func diskPool(h *backends.Host, k backends.Disk) string {
	if k.Device == backends.DiskDeviceCDROM || k.Device == backends.DiskDeviceFloppy {
		return ""
	}
	if k.Pool != "" {
		if p, ok := findPool(h, poolPath(kindStorage, k.Pool)); ok {
			return p.id()
		}
		return ""
	}
	best, bestLen := "", 0
	for _, sp := range h.StoragePools {
		dir := strings.TrimRight(sp.Path, "/")
		if dir != "" && len(dir) > bestLen && strings.HasPrefix(k.Source, dir+"/") {
			best, bestLen = poolPrefix+poolPath(kindStorage, sp.Name), len(dir)
		}
	}
	return best
}
