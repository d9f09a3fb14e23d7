// Package testbed writes node files for libvirt's test driver
// (test:///ABS/PATH.xml): a <node> with host info, N deterministic
// domains and, on request, storage pools, networks and snapshots, so code
// and tests can run against a realistic, daemon-less libvirt that holds
// many VMs in mixed states.
//
// Plan describes the domains and PlanNode everything; Generate renders
// exactly that, one domain at a time, so memory stays proportional to one
// domain.
package testbed

import (
	"bufio"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// MaxDomains bounds Options.Domains; each domain gets two MACs at most, so
// this also keeps MACs well inside the 24-bit 52:54:00 space.
const MaxDomains = 100000

// States as virsh prints them.
const (
	StateRunning = "running"
	StatePaused  = "paused"
	StateShutOff = "shut off"
)

// Host info written in the node's <cpu> and <memory>; the test driver
// reports them through virsh nodeinfo, counting CPUs across NUMA nodes.
const (
	NodeCPUModel   = "x86_64"
	NodeCPUMHz     = 2400
	NodeNUMANodes  = 2
	NodeSockets    = 2
	NodeCores      = 8
	NodeThreads    = 2
	NodeCPUs       = NodeNUMANodes * NodeSockets * NodeCores * NodeThreads
	NodeMemoryKiB  = 256 * 1024 * 1024
	defaultPrefix  = "vb"
	maxPrefixLen   = 48
	imageDir       = "/var/lib/libvirt/images"
	testNamespace  = "http://libvirt.org/schemas/domain/test/1.0"
	pcgStream      = 0x7669727462726467 // "virtbrdg": fixed so Seed alone decides output
	macOUIPrefix   = "52:54:00"
	macMask        = 1<<24 - 1
	bridgeName     = "br0"
	networkDefault = "default"
)

// Options controls Generate and Plan. The zero value of the pool, network
// and snapshot options writes none, and the same file as before they
// existed.
type Options struct {
	Domains    int    // number of domains, 0..MaxDomains
	Seed       int64  // equal Options give byte-identical output
	NamePrefix string // default "vb"; names are PREFIX-00000, PREFIX-00001, ...
	// Pools is the number of dir storage pools, 0..MaxPools: "default"
	// over /var/lib/libvirt/images, then pool-01, ... under
	// /var/lib/libvirt/pools. Domain i's own disks move to pool i%Pools,
	// each with a volume there; the shared ISO stays in "default".
	Pools int
	// Networks is the number of virtual networks, 0..MaxNetworks: NAT
	// "default", then net-01, ... (routed, isolated, host bridge, NAT in
	// turn). NICs on a network use network i%Networks.
	Networks int
	// Snapshots is the most snapshots a domain has, 0..MaxSnapshots;
	// domain i has i%(Snapshots+1).
	Snapshots int
	// GuestIdentity gives every even domain an SMBIOS <sysinfo> (its
	// system uuid, the domain's, written in upper case) and libosinfo
	// metadata naming its OS (Domain.GuestOS); odd domains get
	// neither. Nothing else of a domain changes.
	GuestIdentity bool
}

// guestOSes are the libosinfo OS identifiers GuestIdentity hands out, in turn.
var guestOSes = [...]string{
	"http://fedoraproject.org/fedora/38", "http://ubuntu.com/ubuntu/22.04",
	"http://microsoft.com/win/2k22", "http://redhat.com/rhel/9.2",
}

// libosinfoNS is the namespace of libosinfo's domain metadata, as
// virt-install writes it.
const libosinfoNS = "http://libosinfo.org/xmlns/libvirt/domain/1.0"

// Domain is what one generated domain looks like to virsh.
type Domain struct {
	Name, UUID   string
	State        string // StateRunning, StatePaused or StateShutOff
	VCPUs        int    // current vCPUs (virsh dominfo "CPU(s)")
	MaxVCPUs     int
	MemoryKiB    uint64 // current memory (dominfo "Used memory")
	MaxMemoryKiB uint64 // dominfo "Max memory"
	Title        string // empty for untitled domains
	GuestOS      string // libosinfo OS identifier; empty without one
	Sysinfo      bool   // has an SMBIOS <sysinfo> with its system uuid
	Disks        []Disk
	NICs         []NIC
	Snapshots    []Snapshot // oldest first
}

// Disk is a file-backed disk or cdrom.
type Disk struct {
	Target, Bus, Device, Source, Format string
	ReadOnly                            bool
	Pool                                string // the pool whose path holds Source; "" without Options.Pools
}

// NIC is a network- or bridge-backed interface; exactly one of Network and
// Bridge is set.
type NIC struct {
	MAC, Model, Network, Bridge, TargetDev string
	LinkUp                                 bool
}

// Plan returns the domains Generate(w, o) writes, in file order. Domain i
// depends only on Seed, NamePrefix and i, so fewer Domains give a prefix of
// a longer plan.
func Plan(o Options) ([]Domain, error) {
	p, err := newPlanner(o)
	if err != nil {
		return nil, err
	}
	out := make([]Domain, o.Domains)
	for i := range out {
		out[i] = p.next()
	}
	return out, nil
}

// Generate streams a test driver node file with Plan(o)'s domains to w.
func Generate(w io.Writer, o Options) error {
	p, err := newPlanner(o)
	if err != nil {
		return err
	}
	// xml.Encoder flushes after every Encode, and libvirtxml's disk and NIC
	// marshalers encode nested elements, flushing several times per domain;
	// bw batches those into few writes. The struct hides bw's type, or the
	// encoder would adopt bw as its own buffer and flush it each time.
	bw := bufio.NewWriterSize(w, 64<<10)
	identity := ""
	if o.GuestIdentity {
		identity = ", guest identity"
	}
	if o.Pools == 0 && o.Networks == 0 && o.Snapshots == 0 {
		fmt.Fprintf(bw, "<!-- virtbridge testbed: %d domains, seed %d%s -->\n", o.Domains, o.Seed, identity)
	} else {
		fmt.Fprintf(bw, "<!-- virtbridge testbed: %d domains, seed %d, %d pools, %d networks, up to %d snapshots%s -->\n",
			o.Domains, o.Seed, o.Pools, o.Networks, o.Snapshots, identity)
	}
	enc := xml.NewEncoder(struct{ io.Writer }{bw})
	enc.Indent("", "  ")
	node := xml.StartElement{Name: xml.Name{Local: "node"}}
	if err := enc.EncodeToken(node); err != nil {
		return err
	}
	if err := enc.Encode(nodeInfo()); err != nil {
		return err
	}
	if err := enc.EncodeElement(uint64(NodeMemoryKiB), xml.StartElement{Name: xml.Name{Local: "memory"}}); err != nil {
		return err
	}
	for range o.Domains {
		if err := enc.Encode(domainXML(p.next())); err != nil {
			return err
		}
	}
	if err := writeHost(enc, o, p); err != nil {
		return err
	}
	if err := enc.EncodeToken(node.End()); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if _, err := bw.WriteString("\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// nodeCPU is the test driver's host CPU block (testParseNodeInfo).
type nodeCPU struct {
	XMLName xml.Name `xml:"cpu"`
	MHz     int      `xml:"mhz"`
	Model   string   `xml:"model"`
	Nodes   int      `xml:"nodes"`
	Sockets int      `xml:"sockets"`
	Cores   int      `xml:"cores"`
	Threads int      `xml:"threads"`
}

func nodeInfo() nodeCPU {
	return nodeCPU{MHz: NodeCPUMHz, Model: NodeCPUModel, Nodes: NodeNUMANodes,
		Sockets: NodeSockets, Cores: NodeCores, Threads: NodeThreads}
}

// testDomain adds the test driver's namespace data to a libvirtxml.Domain,
// which has no field for it. Embedding keeps libvirtxml's element name and
// field order, so <test:runstate> lands last like other hypervisor
// namespaces. encoding/xml writes the prefixed names verbatim, giving the
// same <test:...> form as libvirt's own testnode.xml.
type testDomain struct {
	*libvirtxml.Domain
	NS        string         `xml:"xmlns:test,attr"`
	RunState  int            `xml:"test:runstate"`
	Snapshots []testSnapshot `xml:"test:domainsnapshot"`
}

// runState maps virsh's state names to the test driver's virDomainState
// numbers.
func runState(state string) int {
	switch state {
	case StateRunning:
		return 1
	case StatePaused:
		return 3
	default:
		return 5
	}
}

func domainXML(d Domain) testDomain {
	x := &libvirtxml.Domain{
		Type:          "test",
		Name:          d.Name,
		UUID:          d.UUID,
		Title:         d.Title,
		Memory:        &libvirtxml.DomainMemory{Value: uint(d.MaxMemoryKiB), Unit: "KiB"},
		CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: uint(d.MemoryKiB), Unit: "KiB"},
		VCPU:          &libvirtxml.DomainVCPU{Value: uint(d.MaxVCPUs)},
		OS:            &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Type: "hvm"}},
		Devices:       &libvirtxml.DomainDeviceList{},
	}
	if d.VCPUs != d.MaxVCPUs {
		x.VCPU.Current = uint(d.VCPUs)
	}
	if d.GuestOS != "" {
		x.Metadata = &libvirtxml.DomainMetadata{XML: fmt.Sprintf(`<libosinfo:libosinfo xmlns:libosinfo=%q><libosinfo:os id=%q/></libosinfo:libosinfo>`, libosinfoNS, d.GuestOS)}
	}
	if d.Sysinfo {
		x.SysInfo = []libvirtxml.DomainSysInfo{{SMBIOS: &libvirtxml.DomainSysInfoSMBIOS{
			System: &libvirtxml.DomainSysInfoSystem{Entry: []libvirtxml.DomainSysInfoEntry{
				{Name: "manufacturer", Value: "virtbridge"}, {Name: "uuid", Value: strings.ToUpper(d.UUID)},
			}},
		}}}
	}
	for _, k := range d.Disks {
		disk := libvirtxml.DomainDisk{
			Device: k.Device,
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: k.Format},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: k.Source}},
			Target: &libvirtxml.DomainDiskTarget{Dev: k.Target, Bus: k.Bus},
		}
		if k.ReadOnly {
			disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
		}
		x.Devices.Disks = append(x.Devices.Disks, disk)
	}
	for _, n := range d.NICs {
		nic := libvirtxml.DomainInterface{
			MAC:    &libvirtxml.DomainInterfaceMAC{Address: n.MAC},
			Source: &libvirtxml.DomainInterfaceSource{},
			Target: &libvirtxml.DomainInterfaceTarget{Dev: n.TargetDev},
			Model:  &libvirtxml.DomainInterfaceModel{Type: n.Model},
		}
		if n.Bridge != "" {
			nic.Source.Bridge = &libvirtxml.DomainInterfaceSourceBridge{Bridge: n.Bridge}
		} else {
			nic.Source.Network = &libvirtxml.DomainInterfaceSourceNetwork{Network: n.Network}
		}
		if !n.LinkUp {
			nic.Link = &libvirtxml.DomainInterfaceLink{State: "down"}
		}
		x.Devices.Interfaces = append(x.Devices.Interfaces, nic)
	}
	return testDomain{Domain: x, NS: testNamespace, RunState: runState(d.State), Snapshots: snapshotsXML(d)}
}

// planner yields domains in order from one seeded stream; Plan and Generate
// both drive it, which is what keeps them in agreement.
type planner struct {
	rng       *rand.Rand
	i         int
	nics      uint32
	macA      uint32 // odd multipliers and an offset keying the MAC permutation
	macB      uint32
	macC      uint32
	nameFmt   string
	pools     []Pool // without volumes
	networks  []Network
	snapshots int
	identity  bool
}

func newPlanner(o Options) (*planner, error) {
	if o.Domains < 0 || o.Domains > MaxDomains {
		return nil, fmt.Errorf("testbed: Options.Domains = %d, want 0..%d", o.Domains, MaxDomains)
	}
	if o.Pools < 0 || o.Pools > MaxPools {
		return nil, fmt.Errorf("testbed: Options.Pools = %d, want 0..%d", o.Pools, MaxPools)
	}
	if o.Networks < 0 || o.Networks > MaxNetworks {
		return nil, fmt.Errorf("testbed: Options.Networks = %d, want 0..%d", o.Networks, MaxNetworks)
	}
	if o.Snapshots < 0 || o.Snapshots > MaxSnapshots {
		return nil, fmt.Errorf("testbed: Options.Snapshots = %d, want 0..%d", o.Snapshots, MaxSnapshots)
	}
	prefix := o.NamePrefix
	if prefix == "" {
		prefix = defaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), pcgStream))
	pools, networks := hostObjects(o)
	return &planner{
		rng:       rng,
		macA:      rng.Uint32() | 1,
		macB:      rng.Uint32(),
		macC:      rng.Uint32() | 1,
		nameFmt:   prefix + "-%05d",
		pools:     pools,
		networks:  networks,
		snapshots: o.Snapshots,
		identity:  o.GuestIdentity,
	}, nil
}

// checkPrefix keeps names safe as libvirt names, virsh arguments and file
// name parts: libvirt rejects '/', and a leading '-' reads as a virsh option.
func checkPrefix(p string) error {
	if len(p) > maxPrefixLen {
		return fmt.Errorf("testbed: Options.NamePrefix is %d bytes, want at most %d", len(p), maxPrefixLen)
	}
	for i, c := range p {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return fmt.Errorf("testbed: Options.NamePrefix %q: want a letter or digit first, then letters, digits, '-', '_' or '.'", p)
		}
	}
	return nil
}

func (p *planner) next() Domain {
	i := p.i
	p.i++
	r := p.rng
	d := Domain{
		Name:  fmt.Sprintf(p.nameFmt, i),
		UUID:  uuidV4(r),
		State: [...]string{StateRunning, StatePaused, StateShutOff}[i%3],
	}

	d.MaxVCPUs = [...]int{1, 2, 4, 8}[r.IntN(4)]
	d.VCPUs = d.MaxVCPUs
	if d.MaxVCPUs > 1 && r.IntN(3) == 0 {
		d.VCPUs = 1 + r.IntN(d.MaxVCPUs-1)
	}
	d.MaxMemoryKiB = [...]uint64{512, 1024, 2048, 4096, 8192}[r.IntN(5)] * 1024
	d.MemoryKiB = d.MaxMemoryKiB
	if r.IntN(3) == 0 {
		d.MemoryKiB = d.MaxMemoryKiB / 2
	}
	if r.IntN(2) == 0 {
		// '&' and '<' make every consumer prove its escaping.
		role := [...]string{"web", "db", "cache", "batch"}[r.IntN(4)]
		d.Title = fmt.Sprintf("%s #%d <%s & co>", role, i, role)
	}

	format, ext := "qcow2", "qcow2"
	if r.IntN(3) == 0 {
		format, ext = "raw", "img"
	}
	dir, pool := imageDir, ""
	if len(p.pools) > 0 {
		k := i % len(p.pools)
		dir, pool = p.pools[k].Path, p.pools[k].Name
	}
	d.Disks = append(d.Disks, Disk{Target: "vda", Bus: "virtio", Device: "disk",
		Source: fmt.Sprintf("%s/%s.%s", dir, d.Name, ext), Format: format, Pool: pool})
	switch r.IntN(4) {
	case 0:
		iso := Disk{Target: "sda", Bus: "sata", Device: "cdrom",
			Source: imageDir + "/" + isoName, Format: "raw", ReadOnly: true}
		if len(p.pools) > 0 {
			iso.Pool = p.pools[0].Name
		}
		d.Disks = append(d.Disks, iso)
	case 1:
		d.Disks = append(d.Disks, Disk{Target: "vdb", Bus: "virtio", Device: "disk",
			Source: fmt.Sprintf("%s/%s-data.img", dir, d.Name), Format: "raw", Pool: pool})
	}

	first := p.nic(r)
	if r.IntN(3) == 0 {
		first.Bridge = bridgeName
	} else {
		first.Network = networkDefault
		if len(p.networks) > 0 {
			first.Network = p.networks[i%len(p.networks)].Name
		}
	}
	d.NICs = append(d.NICs, first)
	if r.IntN(4) == 0 {
		second := p.nic(r)
		second.Bridge = bridgeName
		d.NICs = append(d.NICs, second)
	}
	d.Snapshots = planSnapshots(i, p.snapshots, &d)
	if p.identity && i%2 == 0 { // no random draws: the rest stays as without
		d.GuestOS, d.Sysinfo = guestOSes[i/2%len(guestOSes)], true
	}
	return d
}

// nic fills the fields common to every NIC. The target is "vbnetN", not
// "vnetN": libvirt drops vnet* (and macvtap*) names as auto-generated when
// parsing, and the test driver then shows testnet0, testnet1, ...
func (p *planner) nic(r *rand.Rand) NIC {
	k := p.nics
	p.nics++
	return NIC{
		MAC:       p.mac(k),
		Model:     [...]string{"virtio", "e1000"}[r.IntN(2)],
		TargetDev: "vbnet" + strconv.FormatUint(uint64(k), 10),
		LinkUp:    r.IntN(5) != 0,
	}
}

// mac maps the k-th NIC through a seeded bijection of the 24-bit space, so
// MACs look random yet never repeat; random draws would collide (birthday)
// long before MaxDomains.
func (p *planner) mac(k uint32) string {
	x := (k*p.macA + p.macB) & macMask
	x ^= x >> 12
	x = (x * p.macC) & macMask
	x ^= x >> 11
	return fmt.Sprintf("%s:%02x:%02x:%02x", macOUIPrefix, x>>16, x>>8&0xff, x&0xff)
}

// uuidV4 draws 122 random bits; a collision among MaxDomains is ~1e-27
// likely, so uniqueness is not tracked (that would cost memory per domain).
func uuidV4(r *rand.Rand) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// UUIDsIn lists, in plan order, the UUIDs of the planned domains in state
// (StateRunning, StatePaused or StateShutOff).
func UUIDsIn(plan []Domain, state string) []string {
	var out []string
	for _, d := range plan {
		if d.State == state {
			out = append(out, d.UUID)
		}
	}
	return out
}

// WriteFile writes Generate's output to path, readable by all (a libvirtd
// running as another user may load it), and returns the plan. A failed
// write leaves no file behind.
func WriteFile(path string, o Options) ([]Domain, error) {
	n, err := WriteNode(path, o)
	return n.Domains, err
}
