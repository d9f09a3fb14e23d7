package testbed

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"

	"libvirt.org/go/libvirtxml"
)

// Bounds of the host-wide options.
const (
	MaxPools    = 16
	MaxNetworks = 16
)

// PoolCapacityB is every pool's capacity: the test driver ignores the
// file's sizes, fixes capacity at 100 GiB and sums its volumes'
// allocations (testStoragePoolObjSetDefaults, testOpenVolumesForPool).
const PoolCapacityB = 100 << 30

const (
	poolDir       = "/var/lib/libvirt/pools"
	hostStream    = 0x766270686f737473 // "vbphosts": pool and network UUIDs
	isoName       = "install.iso"
	isoCapacityB  = 700 << 20
	volumeUnit    = 32 << 10 // allocation step; 100,000 domains stay under PoolCapacityB
	poolDefault   = "default"
	forwardBridge = "bridge"
)

// Pool is a generated dir storage pool as virsh shows it. The first is
// "default" over the image directory every disk lived in before pools.
type Pool struct {
	Name, UUID, Path string
	Type             string // "dir"
	// Sizes as the test driver reports them (see PoolCapacityB).
	CapacityB, AllocationB, AvailableB uint64
	Volumes                            []Volume // what vol-list shows, in file order
}

// Volume is a file in a pool: the disks placed there and, in "default",
// the shared install ISO.
type Volume struct {
	Name, Path, Format     string
	CapacityB, AllocationB uint64
}

// Network is a generated virtual network; the test driver starts them all.
type Network struct {
	Name, UUID, Bridge string
	Forward            string // "nat", "route", "bridge"; "" when isolated
}

// Node is everything Generate writes.
type Node struct {
	Pools    []Pool    // sorted by name
	Networks []Network // sorted by name
	Domains  []Domain  // in file order, as Plan returns them
}

// PlanNode returns what Generate(w, o) writes: Plan's domains plus the
// storage pools and networks.
func PlanNode(o Options) (Node, error) {
	p, err := newPlanner(o)
	if err != nil {
		return Node{}, err
	}
	n := Node{Pools: make([]Pool, len(p.pools)), Networks: p.networks, Domains: make([]Domain, o.Domains)}
	for k := range n.Pools {
		n.Pools[k] = p.pools[k]
		n.Pools[k].Volumes = poolVolumes(k)
	}
	for i := range n.Domains {
		n.Domains[i] = p.next()
		if len(n.Pools) > 0 {
			k := i % len(n.Pools)
			n.Pools[k].Volumes = append(n.Pools[k].Volumes, domainVolumes(i, &n.Domains[i])...)
		}
	}
	for k := range n.Pools {
		pl := &n.Pools[k]
		for _, v := range pl.Volumes {
			pl.AllocationB += v.AllocationB
		}
		pl.AvailableB = pl.CapacityB - pl.AllocationB
	}
	return n, nil
}

// WriteNode is WriteFile returning the whole Node.
func WriteNode(path string, o Options) (Node, error) {
	n, err := PlanNode(o)
	if err != nil {
		return Node{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return Node{}, fmt.Errorf("testbed: %w", err)
	}
	w := bufio.NewWriter(f)
	err = errors.Join(Generate(w, o), w.Flush(), f.Chmod(0o644), f.Close())
	if err != nil {
		os.Remove(path)
		return Node{}, fmt.Errorf("testbed: writing %s: %w", path, err)
	}
	return n, nil
}

// hostObjects plans the pools (without volumes) and networks of o. Their
// UUIDs come from a stream of their own, so domains stay what they were
// without them.
func hostObjects(o Options) ([]Pool, []Network) {
	r := rand.New(rand.NewPCG(uint64(o.Seed), hostStream))
	pools := make([]Pool, o.Pools)
	for k := range pools {
		pools[k] = Pool{Name: poolName(k), UUID: uuidV4(r), Path: poolPath(k), Type: "dir", CapacityB: PoolCapacityB}
	}
	nets := make([]Network, o.Networks)
	for k := range nets {
		nets[k] = network(k, uuidV4(r))
	}
	return pools, nets
}

func poolName(k int) string {
	if k == 0 {
		return poolDefault
	}
	return fmt.Sprintf("pool-%02d", k)
}

func poolPath(k int) string {
	if k == 0 {
		return imageDir
	}
	return fmt.Sprintf("%s/%s", poolDir, poolName(k))
}

// network k: "default" is libvirt's usual NAT network; the others cycle
// through route, isolated and host-bridge forwarding.
func network(k int, uuid string) Network {
	if k == 0 {
		return Network{Name: networkDefault, UUID: uuid, Bridge: "virbr0", Forward: "nat"}
	}
	n := Network{Name: fmt.Sprintf("net-%02d", k), UUID: uuid, Bridge: fmt.Sprintf("virbr%d", k)}
	switch k % 4 {
	case 0:
		n.Forward = "nat"
	case 1:
		n.Forward = "route"
	case 3:
		n.Forward, n.Bridge = forwardBridge, fmt.Sprintf("br%d", k/4)
	}
	return n
}

// poolVolumes lists the volumes pool k holds besides domain disks.
func poolVolumes(k int) []Volume {
	if k != 0 {
		return nil
	}
	return []Volume{{Name: isoName, Path: imageDir + "/" + isoName, Format: "raw",
		CapacityB: isoCapacityB, AllocationB: isoCapacityB}}
}

// domainVolumes lists the volumes backing domain i's own disks, all in
// pool i % Pools (the shared ISO is not one). Sizes follow from i alone.
func domainVolumes(i int, d *Domain) []Volume {
	var out []Volume
	for j, k := range d.Disks {
		if k.Pool == "" || path.Base(k.Source) == isoName {
			continue
		}
		out = append(out, Volume{Name: path.Base(k.Source), Path: k.Source, Format: k.Format,
			CapacityB: 8 << 30 << (i % 4) >> j, AllocationB: uint64(1+(i+j)%8) * volumeUnit})
	}
	return out
}

// writeHost streams the networks and pools after the domains. Each pool
// re-plans the domains to list its volumes, so memory stays proportional
// to one domain at the price of one planning pass per pool.
func writeHost(enc *xml.Encoder, o Options, p *planner) error {
	for k, n := range p.networks {
		if err := enc.Encode(networkXML(k, n)); err != nil {
			return err
		}
	}
	for k, pl := range p.pools {
		if err := writePool(enc, o, k, pl); err != nil {
			return err
		}
	}
	return nil
}

func writePool(enc *xml.Encoder, o Options, k int, pl Pool) error {
	start := xml.StartElement{Name: xml.Name{Local: "pool"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: pl.Type}}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	var target struct {
		Path string `xml:"path"`
	}
	target.Path = pl.Path
	// The capacity is informative: the test driver sets its own.
	head := []struct {
		name string
		v    any
	}{
		{"name", pl.Name}, {"uuid", pl.UUID},
		{"capacity", libvirtxml.StoragePoolSize{Unit: "bytes", Value: pl.CapacityB}},
		{"target", target},
	}
	for _, e := range head {
		if err := enc.EncodeElement(e.v, xml.StartElement{Name: xml.Name{Local: e.name}}); err != nil {
			return err
		}
	}
	encode := func(vols []Volume) error {
		for _, v := range vols {
			if err := enc.Encode(volumeXML(v)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := encode(poolVolumes(k)); err != nil {
		return err
	}
	vp, err := newPlanner(o)
	if err != nil {
		return err
	}
	for i := range o.Domains {
		d := vp.next()
		if i%len(vp.pools) != k {
			continue
		}
		if err := encode(domainVolumes(i, &d)); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

func volumeXML(v Volume) *libvirtxml.StorageVolume {
	return &libvirtxml.StorageVolume{
		Type:       "file",
		Name:       v.Name,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: v.CapacityB},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: v.AllocationB},
		Target:     &libvirtxml.StorageVolumeTarget{Path: v.Path, Format: &libvirtxml.StorageVolumeTargetFormat{Type: v.Format}},
	}
}

// networkXML renders network k; NAT, routed and isolated networks get an
// address of their own (libvirt refuses the first two without), host-bridge
// ones take none.
func networkXML(k int, n Network) *libvirtxml.Network {
	x := &libvirtxml.Network{Name: n.Name, UUID: n.UUID, Bridge: &libvirtxml.NetworkBridge{Name: n.Bridge}}
	if n.Forward != "" {
		x.Forward = &libvirtxml.NetworkForward{Mode: n.Forward}
	}
	switch {
	case k == 0:
		x.IPs = []libvirtxml.NetworkIP{{Address: "192.168.122.1", Prefix: 24}}
	case n.Forward != forwardBridge:
		x.IPs = []libvirtxml.NetworkIP{{Address: fmt.Sprintf("10.%d.0.1", 100+k), Prefix: 24}}
	}
	return x
}
