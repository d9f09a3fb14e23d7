package backends

import (
	"reflect"
	"slices"
)

// Clone returns a deep copy, so a snapshot's Domain can be changed into the
// next snapshot's without touching the old one.
func (d *Domain) Clone() *Domain {
	c := *d
	c.VCPUInfo = slices.Clone(d.VCPUInfo)
	for i := range c.VCPUInfo {
		c.VCPUInfo[i].Pinning = slices.Clone(d.VCPUInfo[i].Pinning)
	}
	c.Disks = slices.Clone(d.Disks)
	c.NICs = slices.Clone(d.NICs)
	c.Snapshots = slices.Clone(d.Snapshots)
	return &c
}

// withoutCounters is d with every counter zeroed, for comparing what is
// configuration and state rather than traffic.
func (d *Domain) withoutCounters() *Domain {
	c := d.Clone()
	c.CPUTime = 0
	for i := range c.VCPUInfo {
		c.VCPUInfo[i].Time = 0
	}
	for i := range c.Disks {
		x := &c.Disks[i]
		x.AllocationB, x.ReadBytes, x.WriteBytes, x.ReadRequests, x.WriteReqs = 0, 0, 0, 0, 0
	}
	for i := range c.NICs {
		x := &c.NICs[i]
		x.RxBytes, x.RxPackets, x.TxBytes, x.TxPackets = 0, 0, 0, 0
	}
	return c
}

// SameConfig reports whether d and o differ only in counters (CPU time,
// traffic, disk allocation), i.e. whether a change is worth announcing.
func (d *Domain) SameConfig(o *Domain) bool {
	return reflect.DeepEqual(d.withoutCounters(), o.withoutCounters())
}

// ApplyCounters copies bulk counters into d. Entries the backend did not
// report leave the old value.
func (d *Domain) ApplyCounters(c Counters) {
	d.CPUTime = c.CPUTime
	for i := range d.VCPUInfo {
		if i < len(c.VCPUTimes) {
			d.VCPUInfo[i].Time = c.VCPUTimes[i]
		}
	}
	for i := range d.Disks {
		x := &d.Disks[i]
		if dc, ok := c.Disks[x.Target]; ok {
			if dc.CapacityB != 0 {
				x.CapacityB = dc.CapacityB
			}
			x.AllocationB = dc.AllocationB
			x.ReadBytes, x.WriteBytes = dc.ReadBytes, dc.WriteBytes
			x.ReadRequests, x.WriteReqs = dc.ReadRequests, dc.WriteReqs
		}
	}
	for i := range d.NICs {
		x := &d.NICs[i]
		key := x.HostIface
		if key == "" {
			key = x.MAC
		}
		if nc, ok := c.NICs[key]; ok {
			x.RxBytes, x.RxPackets = nc.RxBytes, nc.RxPackets
			x.TxBytes, x.TxPackets = nc.TxBytes, nc.TxPackets
		}
	}
}
