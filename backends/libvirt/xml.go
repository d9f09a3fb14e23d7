package libvirt

import (
	"fmt"
	"slices"
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
	var all []int
	if x.VCPU != nil && x.VCPU.CPUSet != "" {
		var err error
		if all, err = parseCPUSet(x.VCPU.CPUSet); err != nil {
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
		if int(p.VCPU) >= n {
			continue
		}
		set, err := parseCPUSet(p.CPUSet)
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

// unitKiB is how many KiB one of each libvirt memory unit is; "b"/"bytes"
// are below one KiB and handled apart. See libvirt's formatdomain "memory".
var unitKiB = map[string]uint64{
	"": 1, "k": 1, "KiB": 1, "KB": 1, // libvirt rounds KB to KiB in output
	"M": 1 << 10, "MiB": 1 << 10, "MB": 1 << 10,
	"G": 1 << 20, "GiB": 1 << 20, "GB": 1 << 20,
	"T": 1 << 30, "TiB": 1 << 30, "TB": 1 << 30,
}

func toKiB(v uint64, unit string) (uint64, error) {
	if unit == "b" || unit == "bytes" {
		return v / 1024, nil
	}
	m, ok := unitKiB[unit]
	if !ok {
		return 0, fmt.Errorf("unknown memory unit %q in domain XML", unit)
	}
	return v * m, nil
}

// maxCPU bounds cpuset ranges so a hostile XML cannot make us allocate
// without limit.
const maxCPU = 1 << 16

// parseCPUSet reads libvirt's cpuset syntax: "0-3,^2,6".
func parseCPUSet(s string) ([]int, error) {
	set := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		neg := strings.HasPrefix(part, "^")
		part = strings.TrimPrefix(part, "^")
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad cpuset %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > maxCPU {
				return nil, fmt.Errorf("bad cpuset %q", s)
			}
		}
		for c := a; c <= b; c++ {
			set[c] = !neg
		}
	}
	out := make([]int, 0, len(set))
	for c, on := range set {
		if on {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}
