package libvirt

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
)

// domainXML is the part of libvirt's domain XML the model needs. Decoding
// only these elements costs a fraction of libvirtxml's full schema, which
// matters when a resync reads 10,000 of them (see BENCHMARKS.md); libvirtxml
// stays the tool for writing domain XML.
type domainXML struct {
	Name        string `xml:"name"`
	UUID        string `xml:"uuid"`
	Title       string `xml:"title"`
	Description string `xml:"description"`
	VCPU        *struct {
		CPUSet  string `xml:"cpuset,attr"`
		Current uint64 `xml:"current,attr"`
		Value   uint64 `xml:",chardata"`
	} `xml:"vcpu"`
	Memory        *memoryXML `xml:"memory"`
	CurrentMemory *memoryXML `xml:"currentMemory"`
	OS            struct {
		Type struct {
			Arch  string `xml:"arch,attr"`
			Value string `xml:",chardata"`
		} `xml:"type"`
	} `xml:"os"`
	VCPUPins []struct {
		VCPU   uint64 `xml:"vcpu,attr"`
		CPUSet string `xml:"cpuset,attr"`
	} `xml:"cputune>vcpupin"`
	Disks      []diskXML `xml:"devices>disk"`
	Interfaces []nicXML  `xml:"devices>interface"`
	Sysinfo    []struct {
		Type   string `xml:"type,attr"`
		System []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"system>entry"`
	} `xml:"sysinfo"`
	Metadata struct {
		OS struct {
			ID string `xml:"id,attr"`
		} `xml:"http://libosinfo.org/xmlns/libvirt/domain/1.0 libosinfo>os"`
	} `xml:"metadata"`
}

type memoryXML struct {
	Unit  string `xml:"unit,attr"`
	Value uint64 `xml:",chardata"`
}

type diskXML struct {
	Type   string `xml:"type,attr"`
	Device string `xml:"device,attr"`
	Driver struct {
		Type string `xml:"type,attr"`
	} `xml:"driver"`
	Source struct {
		File     string `xml:"file,attr"`
		Dev      string `xml:"dev,attr"`
		Dir      string `xml:"dir,attr"`
		Pool     string `xml:"pool,attr"`
		Volume   string `xml:"volume,attr"`
		Protocol string `xml:"protocol,attr"`
		Name     string `xml:"name,attr"`
	} `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
		Bus string `xml:"bus,attr"`
	} `xml:"target"`
	ReadOnly *struct{} `xml:"readonly"`
}

type nicXML struct {
	Type string `xml:"type,attr"`
	MAC  struct {
		Address string `xml:"address,attr"`
	} `xml:"mac"`
	Model struct {
		Type string `xml:"type,attr"`
	} `xml:"model"`
	Source struct {
		Network string `xml:"network,attr"`
		Bridge  string `xml:"bridge,attr"`
		Dev     string `xml:"dev,attr"`
	} `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
	} `xml:"target"`
	Link *struct {
		State string `xml:"state,attr"`
	} `xml:"link"`
}

// fromXML fills the configuration part of d from a domain's live XML.
func fromXML(doc string, d *backends.Domain) error {
	var x domainXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return fmt.Errorf("parsing domain XML: %w", err)
	}
	d.Name, d.UUID, d.Title, d.Description = x.Name, strings.ToLower(x.UUID), x.Title, x.Description
	d.OSType, d.Arch = strings.TrimSpace(x.OS.Type.Value), x.OS.Type.Arch
	d.BIOSUUID, d.GuestOS = biosUUID(&x), strings.TrimSpace(x.Metadata.OS.ID)
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
		if d.MaxMemKiB, err = toKiB(x.Memory.Value, x.Memory.Unit); err != nil {
			return err
		}
	}
	d.MemoryKiB = d.MaxMemKiB
	if x.CurrentMemory != nil {
		if d.MemoryKiB, err = toKiB(x.CurrentMemory.Value, x.CurrentMemory.Unit); err != nil {
			return err
		}
	}
	if d.VCPUInfo, err = vcpus(&x, d.VCPUs); err != nil {
		return err
	}
	for i := range x.Disks {
		d.Disks = append(d.Disks, disk(&x.Disks[i]))
	}
	for i := range x.Interfaces {
		d.NICs = append(d.NICs, nic(&x.Interfaces[i]))
	}
	return nil
}

// biosUUID is the UUID the guest's SMBIOS shows: the <sysinfo
// type='smbios'> system uuid entry when there is one (libvirt makes it
// agree with the domain UUID), else the domain UUID, which is what QEMU
// and the other drivers give SMBIOS.
func biosUUID(x *domainXML) string {
	for _, si := range x.Sysinfo {
		if si.Type != "smbios" {
			continue
		}
		for _, e := range si.System {
			if e.Name == "uuid" && strings.TrimSpace(e.Value) != "" {
				return strings.ToLower(strings.TrimSpace(e.Value))
			}
		}
	}
	return strings.ToLower(x.UUID)
}

// vcpus lists the active vCPUs with their pinning: a <vcpupin> wins over
// the domain-wide <vcpu cpuset>.
func vcpus(x *domainXML, n int) ([]backends.VCPU, error) {
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
	for _, p := range x.VCPUPins {
		if p.VCPU >= uint64(n) {
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

// disk reads a <disk>; its type attribute says which source attribute
// holds the source (libvirt formatdomain, "Hard drives, floppy disks,
// CDROMs").
func disk(x *diskXML) backends.Disk {
	d := backends.Disk{Device: backends.DiskDevice(x.Device), ReadOnly: x.ReadOnly != nil,
		Target: x.Target.Dev, Bus: x.Target.Bus, Format: x.Driver.Type}
	if d.Device == "" {
		d.Device = backends.DiskDeviceDisk
	}
	s := &x.Source
	switch x.Type {
	case "file", "":
		d.Source = s.File
	case "block":
		d.Source = s.Dev
	case "dir":
		d.Source = s.Dir
	case "volume":
		d.Pool, d.Volume = s.Pool, s.Volume
		d.Source = s.Pool + "/" + s.Volume
	case "network":
		d.Source = s.Protocol + ":" + s.Name
	}
	return d
}

// nic reads an <interface>; a macvtap (type direct) reports its host
// device as the bridge it hangs off.
func nic(x *nicXML) backends.NIC {
	n := backends.NIC{LinkUp: x.Link == nil || x.Link.State != "down",
		MAC: strings.ToLower(x.MAC.Address), Model: x.Model.Type, HostIface: x.Target.Dev}
	switch x.Type {
	case "network":
		n.Network, n.Bridge = x.Source.Network, x.Source.Bridge
	case "bridge":
		n.Bridge = x.Source.Bridge
	case "direct":
		n.Bridge = x.Source.Dev
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
