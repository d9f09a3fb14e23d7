package libvirt

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// fromXML fills the configuration part of d from a domain's live XML.
func fromXML(doc string, d *backends.Domain) error {
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return fmt.Errorf("parsing domain XML: %w", err)
	}
	d.Name, d.UUID, d.Title = x.Name, strings.ToLower(x.UUID), x.Title
	if x.OS != nil && x.OS.Type != nil {
		d.OSType, d.Arch = x.OS.Type.Type, x.OS.Type.Arch
	}
	if x.VCPU != nil {
		if x.VCPU.Value > maxVCPUs || x.VCPU.Current > maxVCPUs {
			return fmt.Errorf("domain XML has %d vCPUs (current %d), want at most %d", x.VCPU.Value, x.VCPU.Current, maxVCPUs)
		}
		d.MaxVCPUs = int(x.VCPU.Value)
		d.VCPUs = d.MaxVCPUs
		if x.VCPU.Current != 0 {
			d.VCPUs = int(x.VCPU.Current)
		}
	}
	var err error
	if x.Memory != nil {
		if d.MaxMemKiB, err = toKiB(uint64(x.Memory.Value), x.Memory.Unit); err != nil {
			return err
		}
	}
	d.MemoryKiB = d.MaxMemKiB
	if x.CurrentMemory != nil {
		if d.MemoryKiB, err = toKiB(uint64(x.CurrentMemory.Value), x.CurrentMemory.Unit); err != nil {
			return err
		}
	}
	if d.VCPUInfo, err = vcpus(&x, d.VCPUs); err != nil {
		return err
	}
	if x.Devices != nil {
		d.Disks = make([]backends.Disk, 0, len(x.Devices.Disks))
		for i := range x.Devices.Disks {
			d.Disks = append(d.Disks, disk(&x.Devices.Disks[i]))
		}
		d.NICs = make([]backends.NIC, 0, len(x.Devices.Interfaces))
		for i := range x.Devices.Interfaces {
			d.NICs = append(d.NICs, nic(&x.Devices.Interfaces[i]))
		}
	}
	return nil
}

// vcpus lists the active vCPUs with their pinning: a <vcpupin> wins over
// the domain-wide <vcpu cpuset>.
func vcpus(x *libvirtxml.Domain, n int) ([]backends.VCPU, error) {
	// One budget for all of the domain's cpusets, and a cpuset repeated
	// verbatim parsed once and shared, as the domain-wide one already is.
	work := maxCPUSetWork
	sets := map[string][]int{}
	parse := func(s string) ([]int, error) {
		if set, ok := sets[s]; ok {
			return set, nil
		}
		set, err := cpuSet(s, &work)
		if err == nil {
			sets[s] = set
		}
		return set, err
	}
	var all []int
	if x.VCPU != nil && x.VCPU.CPUSet != "" {
		var err error
		if all, err = parse(x.VCPU.CPUSet); err != nil {
			return nil, err
		}
	}
	out := make([]backends.VCPU, n)
	for i := range out {
		out[i] = backends.VCPU{Number: i, Pinning: all}
	}
	if x.CPUTune == nil {
		return out, nil
	}
	for _, p := range x.CPUTune.VCPUPin {
		if p.VCPU >= uint(n) {
			continue
		}
		set, err := parse(p.CPUSet)
		if err != nil {
			return nil, err
		}
		out[p.VCPU].Pinning = set
	}
	return out, nil
}

func disk(x *libvirtxml.DomainDisk) backends.Disk {
	d := backends.Disk{Device: backends.DiskDevice(x.Device), ReadOnly: x.ReadOnly != nil}
	if d.Device == "" {
		d.Device = backends.DiskDeviceDisk
	}
	if x.Target != nil {
		d.Target, d.Bus = x.Target.Dev, x.Target.Bus
	}
	if x.Driver != nil {
		d.Format = x.Driver.Type
	}
	if s := x.Source; s != nil {
		switch {
		case s.File != nil:
			d.Source = s.File.File
		case s.Block != nil:
			d.Source = s.Block.Dev
		case s.Volume != nil:
			d.Pool, d.Volume = s.Volume.Pool, s.Volume.Volume
			d.Source = s.Volume.Pool + "/" + s.Volume.Volume
		case s.Network != nil:
			d.Source = s.Network.Protocol + ":" + s.Network.Name
		case s.Dir != nil:
			d.Source = s.Dir.Dir
		}
	}
	return d
}

func nic(x *libvirtxml.DomainInterface) backends.NIC {
	n := backends.NIC{LinkUp: x.Link == nil || x.Link.State != "down"}
	if x.MAC != nil {
		n.MAC = strings.ToLower(x.MAC.Address)
	}
	if x.Model != nil {
		n.Model = x.Model.Type
	}
	if x.Target != nil {
		n.HostIface = x.Target.Dev
	}
	if s := x.Source; s != nil {
		switch {
		case s.Network != nil:
			n.Network, n.Bridge = s.Network.Network, s.Network.Bridge
		case s.Bridge != nil:
			n.Bridge = s.Bridge.Bridge
		case s.Direct != nil:
			n.Bridge = s.Direct.Dev
		}
	}
	return n
}

// unitBytes is how many bytes one of a libvirt memory unit is. Like
// libvirt's virScaleInteger it ignores case, takes "b", "byte" and "bytes",
// and reads a bare prefix (k, M, ... E) or prefix+"iB" as powers of 1024 and
// prefix+"B" as powers of 1000; no unit means KiB.
func unitBytes(unit string) (uint64, bool) {
	u := strings.ToLower(unit)
	switch u {
	case "":
		return 1024, true
	case "b", "byte", "bytes":
		return 1, true
	}
	var base uint64
	switch u[1:] {
	case "", "ib":
		base = 1024
	case "b":
		base = 1000
	default:
		return 0, false
	}
	n := strings.IndexByte("kmgtpe", u[0])
	if n < 0 {
		return 0, false
	}
	scale := base
	for range n {
		scale *= base
	}
	return scale, true
}

// toKiB converts a memory size as libvirt does when it parses domain XML
// (virDomainParseMemory): at most math.MaxInt64 bytes, rounded up to KiB.
func toKiB(v uint64, unit string) (uint64, error) {
	scale, ok := unitBytes(unit)
	if !ok {
		return 0, fmt.Errorf("unknown memory unit %q in domain XML", unit)
	}
	if v > math.MaxInt64/scale {
		return 0, fmt.Errorf("memory size %d %s in domain XML is too large", v, unit)
	}
	return (v*scale + 1023) / 1024, nil // v*scale <= MaxInt64: no overflow
}

// maxVCPUs bounds <vcpu>, which sizes Domain.VCPUInfo, so a corrupt or
// hostile XML cannot make us allocate gigabytes; it is far above what
// hypervisors support.
const maxVCPUs = 16384

// maxCPU bounds the CPU numbers of a cpuset, so a hostile XML cannot make
// us allocate without limit; libvirt itself takes CPUs below 16384.
const maxCPU = 1 << 16

// maxCPUSetWork bounds the CPUs the cpusets of one domain XML may name in
// all, each range counted in full: without it, thousands of <vcpupin>s or a
// long cpuset of overlapping ranges cost seconds and gigabytes. libvirt
// writes each cpuset with every CPU once, and repeats are parsed once.
const maxCPUSetWork = 1 << 20

// parseCPUSet reads libvirt's cpuset syntax: "0-3,^2,6".
func parseCPUSet(s string) ([]int, error) {
	work := maxCPUSetWork
	return cpuSet(s, &work)
}

// cpuSet is parseCPUSet charging the CPUs s names to *work.
func cpuSet(s string, work *int) ([]int, error) {
	var set []bool // set[c]: CPU c is in, so far
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		neg := strings.HasPrefix(part, "^")
		part = strings.TrimPrefix(part, "^")
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > maxCPU {
			return nil, fmt.Errorf("bad cpuset %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > maxCPU {
				return nil, fmt.Errorf("bad cpuset %q", s)
			}
		}
		if *work -= b - a + 1; *work < 0 {
			return nil, fmt.Errorf("cpuset %q: the domain's cpusets name more than %d CPUs in all", s, maxCPUSetWork)
		}
		if b >= len(set) {
			set = append(set, make([]bool, b+1-len(set))...)
		}
		for c := a; c <= b; c++ {
			set[c] = !neg
		}
	}
	n := 0
	for _, in := range set {
		if in {
			n++
		}
	}
	out := make([]int, 0, n)
	for c, in := range set {
		if in {
			out = append(out, c)
		}
	}
	return out, nil
}
