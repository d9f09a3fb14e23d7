package vsphere

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// netIndex is the host's networks: what NICs connect to, and the switch
// behind each.
type netIndex struct {
	names   map[string]string                       // distributed port group key or opaque network ID -> name
	bridges map[string]string                       // network name -> standard vSwitch or distributed switch
	refs    map[string]types.ManagedObjectReference // network name -> network
	list    []backends.Network
}

func (n *netIndex) nameOf(key string) string {
	if name, ok := n.names[key]; ok {
		return name
	}
	return key
}

func (n *netIndex) bridge(name string) string { return n.bridges[name] }

// networks returns the host's networks, read once per session and again
// after the watcher saw them change.
func (s *session) networks(ctx context.Context) (*netIndex, error) {
	s.mu.Lock()
	n, gen := s.nets, s.netGen
	s.mu.Unlock()
	if n != nil {
		return n, nil
	}
	n, err := readNetworks(ctx, s)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.netGen == gen {
		s.nets = n
	}
	s.mu.Unlock()
	return n, nil
}

// forgetNetworks drops the cached index, for the watcher.
func (s *session) forgetNetworks() {
	s.mu.Lock()
	s.nets = nil
	s.netGen++
	s.mu.Unlock()
}

// readNetworks reads the host's port groups: standard ones with their
// vSwitch, distributed ones (but their uplinks) with their switch, and
// NSX opaque networks.
func readNetworks(ctx context.Context, s *session) (*netIndex, error) {
	pc := property.DefaultCollector(s.vc)
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, s.host, []string{"network", "config.network.portgroup"}, &h); err != nil {
		return nil, err
	}
	n := &netIndex{names: map[string]string{}, bridges: map[string]string{}, refs: map[string]types.ManagedObjectReference{}}
	if h.Config != nil && h.Config.Network != nil {
		for _, pg := range h.Config.Network.Portgroup {
			n.bridges[pg.Spec.Name] = pg.Spec.VswitchName
		}
	}
	byType := map[string][]types.ManagedObjectReference{}
	for _, r := range h.Network {
		byType[r.Type] = append(byType[r.Type], r)
	}
	add := func(name string, s types.BaseNetworkSummary, ref types.ManagedObjectReference) {
		n.refs[name] = ref
		active := s == nil || s.GetNetworkSummary().Accessible
		n.list = append(n.list, backends.Network{Name: name, Bridge: n.bridges[name], Forward: "bridge", Active: active, Autostart: true})
	}
	if refs := byType["Network"]; len(refs) > 0 {
		var nets []mo.Network
		if err := pc.Retrieve(ctx, refs, []string{"name", "summary"}, &nets); err != nil {
			return nil, err
		}
		for _, x := range nets {
			add(x.Name, x.Summary, x.Self)
		}
	}
	if refs := byType["DistributedVirtualPortgroup"]; len(refs) > 0 {
		if err := readPortgroups(ctx, pc, refs, n, add); err != nil {
			return nil, err
		}
	}
	if refs := byType["OpaqueNetwork"]; len(refs) > 0 {
		var nets []mo.OpaqueNetwork
		if err := pc.Retrieve(ctx, refs, []string{"name", "summary"}, &nets); err != nil {
			return nil, err
		}
		for _, x := range nets {
			if o, ok := x.Summary.(*types.OpaqueNetworkSummary); ok {
				n.names[o.OpaqueNetworkId] = x.Name
			}
			add(x.Name, x.Summary, x.Self)
		}
	}
	slices.SortStableFunc(n.list, func(a, b backends.Network) int { return cmp.Compare(a.Name, b.Name) })
	return n, nil
}

// readPortgroups adds distributed port groups, naming their switches.
func readPortgroups(ctx context.Context, pc *property.Collector, refs []types.ManagedObjectReference, n *netIndex, add func(string, types.BaseNetworkSummary, types.ManagedObjectReference)) error {
	var pgs []mo.DistributedVirtualPortgroup
	if err := pc.Retrieve(ctx, refs, []string{"name", "summary", "key", "config", "tag"}, &pgs); err != nil {
		return err
	}
	switches := map[types.ManagedObjectReference]string{}
	var dvs []types.ManagedObjectReference
	for _, pg := range pgs {
		if r := pg.Config.DistributedVirtualSwitch; r != nil && switches[*r] == "" {
			switches[*r] = r.Value
			dvs = append(dvs, *r)
		}
	}
	uplinks := map[types.ManagedObjectReference]bool{}
	if len(dvs) > 0 {
		var sw []mo.DistributedVirtualSwitch
		if err := pc.Retrieve(ctx, dvs, []string{"name", "config"}, &sw); err != nil {
			return err
		}
		for _, x := range sw {
			switches[x.Self] = x.Name
			if x.Config != nil {
				for _, r := range x.Config.GetDVSConfigInfo().UplinkPortgroup {
					uplinks[r] = true
				}
			}
		}
	}
	for _, pg := range pgs {
		if uplinks[pg.Self] || uplink(pg) {
			continue // carries the switch's physical uplinks, no VM connects to it
		}
		n.names[pg.Key] = pg.Name
		if r := pg.Config.DistributedVirtualSwitch; r != nil {
			n.bridges[pg.Name] = switches[*r]
		}
		add(pg.Name, pg.Summary, pg.Self)
	}
	return nil
}

func uplink(pg mo.DistributedVirtualPortgroup) bool {
	for _, t := range pg.Tag {
		if t.Key == "SYSTEM/DVS.UPLINKPG" {
			return true
		}
	}
	return false
}
