package libvirt

import (
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// applyStats overlays live statistics on a domain read from XML: the
// balloon is the live memory size; disks and NICs gain their counters.
func applyStats(d *backends.Domain, st *lv.DomainStats) {
	if b := st.Balloon; b != nil {
		if b.CurrentSet && b.Current > 0 {
			d.MemoryKiB = b.Current
		}
		if b.MaximumSet && b.Maximum > 0 {
			d.MaxMemKiB = b.Maximum
		}
	}
	d.ApplyCounters(counters(st))
}

// counters extracts the fast-moving figures from one statistics record.
func counters(st *lv.DomainStats) backends.Counters {
	var c backends.Counters
	if st.Cpu != nil && st.Cpu.TimeSet {
		c.CPUTime = time.Duration(st.Cpu.Time)
	}
	if len(st.Vcpu) > 0 {
		c.VCPUTimes = make([]time.Duration, len(st.Vcpu))
		for i, v := range st.Vcpu {
			c.VCPUTimes[i] = time.Duration(v.Time)
		}
	}
	if len(st.Block) > 0 {
		c.Disks = make(map[string]backends.DiskCounters, len(st.Block))
		for _, blk := range st.Block {
			if blk.BackingIndexSet && blk.BackingIndex > 0 {
				continue // a backing-chain layer, not the disk itself
			}
			c.Disks[blk.Name] = backends.DiskCounters{
				CapacityB: blk.Capacity, AllocationB: blk.Allocation,
				ReadBytes: blk.RdBytes, WriteBytes: blk.WrBytes, ReadRequests: blk.RdReqs, WriteReqs: blk.WrReqs,
			}
		}
	}
	if len(st.Net) > 0 {
		c.NICs = make(map[string]backends.NICCounters, len(st.Net))
		for _, n := range st.Net {
			c.NICs[n.Name] = backends.NICCounters{RxBytes: n.RxBytes, RxPackets: n.RxPkts, TxBytes: n.TxBytes, TxPackets: n.TxPkts}
		}
	}
	return c
}
