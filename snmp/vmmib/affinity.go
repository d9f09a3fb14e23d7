package vmmib

import (
	"context"
	"slices"
	"sort"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/snmp/mib"
)

// affinityTable is vmCpuAffinityTable, computed rather than stored: it has
// a row for every (VM, vCPU, host CPU), which at 10,000 VMs on a 64-CPU
// host is millions of rows. Rows are found by binary search over the VMs
// and arithmetic over the CPUs.
type affinityTable struct {
	vms  []*vmRow // sorted by vmIndex
	cpus int      // host CPUs: vmCpuPhysIndex runs 1..cpus
}

func newAffinityTable(vms []*vmRow, hostCPUs int) *affinityTable {
	sorted := slices.Clone(vms)
	slices.SortFunc(sorted, func(a, b *vmRow) int { return int(a.index) - int(b.index) })
	return &affinityTable{vms: sorted, cpus: hostCPUs}
}

const colAffinity = 3

// vmCpuAffinity values (RFC 7666).
const (
	affinityEnable  = 1
	affinityDisable = 2
)

func (t *affinityTable) Root() mib.OID { return oidVMAffEntry }

func (t *affinityTable) value(v *vmRow, cpu, phys int) int {
	pins := v.d.VCPUInfo[cpu].Pinning
	if len(pins) == 0 {
		return affinityEnable // unpinned: may run anywhere
	}
	if _, ok := slices.BinarySearch(pins, phys); ok {
		return affinityEnable
	}
	return affinityDisable
}

func (t *affinityTable) vb(v *vmRow, cpu, phys int) mib.Varbind {
	return mib.Varbind{OID: oidVMAffEntry.Append(colAffinity, uint32(v.index), uint32(cpu+1), uint32(phys+1)),
		Type: gosnmp.Integer, Value: t.value(v, cpu, phys)}
}

func (t *affinityTable) Get(oid mib.OID) mib.Varbind {
	n := len(oidVMAffEntry)
	if len(oid) <= n || oid[n] != colAffinity {
		return mib.Varbind{OID: oid, Type: gosnmp.NoSuchObject}
	}
	if len(oid) == n+4 {
		i := sort.Search(len(t.vms), func(i int) bool { return uint32(t.vms[i].index) >= oid[n+1] })
		cpu, phys := int(oid[n+2])-1, int(oid[n+3])-1
		if i < len(t.vms) && uint32(t.vms[i].index) == oid[n+1] && cpu >= 0 && cpu < len(t.vms[i].d.VCPUInfo) && phys >= 0 && phys < t.cpus {
			return t.vb(t.vms[i], cpu, phys)
		}
	}
	return mib.Varbind{OID: oid, Type: gosnmp.NoSuchInstance}
}

// Next finds the first row after oid: the index (vm, cpu, phys) is
// compared arc by arc, so "after" means the same VM and vCPU with a later
// host CPU, else a later vCPU, else a later VM.
func (t *affinityTable) Next(oid mib.OID) (mib.Varbind, bool) {
	n := len(oidVMAffEntry)
	switch {
	case oid.Compare(oidVMAffEntry.Append(colAffinity)) < 0:
		return t.first(0)
	case !oid.HasPrefix(oidVMAffEntry.Append(colAffinity)):
		return mib.Varbind{}, false
	}
	idx := oid[n+1:]
	if len(idx) == 0 {
		return t.first(0)
	}
	i := sort.Search(len(t.vms), func(i int) bool { return uint32(t.vms[i].index) >= idx[0] })
	if i < len(t.vms) && uint32(t.vms[i].index) == idx[0] {
		if vb, ok := t.nextIn(t.vms[i], idx[1:]); ok {
			return vb, true
		}
		i++
	}
	return t.first(i)
}

// nextIn is the first row of v whose (cpu, phys) index is after rest.
func (t *affinityTable) nextIn(v *vmRow, rest mib.OID) (mib.Varbind, bool) {
	cpus := len(v.d.VCPUInfo)
	if t.cpus == 0 || cpus == 0 {
		return mib.Varbind{}, false
	}
	if len(rest) == 0 {
		return t.vb(v, 0, 0), true
	}
	cpu := int(rest[0]) // 1-based in the OID
	switch {
	case cpu == 0:
		return t.vb(v, 0, 0), true
	case cpu > cpus:
		return mib.Varbind{}, false
	}
	if len(rest) == 1 {
		return t.vb(v, cpu-1, 0), true
	}
	// rest[1] is a host CPU, 1-based, so as a 0-based number it is the
	// next one; a longer OID (cpu.p.x) also sorts before cpu.p+1.
	phys := int(rest[1])
	if phys < t.cpus {
		return t.vb(v, cpu-1, phys), true
	}
	if cpu < cpus {
		return t.vb(v, cpu, 0), true
	}
	return mib.Varbind{}, false
}

// first is the first row of the first VM from i on that has vCPUs.
func (t *affinityTable) first(i int) (mib.Varbind, bool) {
	if t.cpus == 0 {
		return mib.Varbind{}, false
	}
	for ; i < len(t.vms); i++ {
		if len(t.vms[i].d.VCPUInfo) > 0 {
			return t.vb(t.vms[i], 0, 0), true
		}
	}
	return mib.Varbind{}, false
}

func (t *affinityTable) Test(mib.Varbind) gosnmp.SNMPError { return gosnmp.NotWritable }

func (t *affinityTable) Commit(context.Context, mib.Varbind) error { return nil }
