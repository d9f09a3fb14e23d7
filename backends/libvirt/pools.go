package libvirt

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// poolXML is the part of a storage pool's XML the model needs; sizes come
// from GetInfo, which the pool's driver keeps current.
type poolXML struct {
	Type   string `xml:"type,attr"`
	Name   string `xml:"name"`
	UUID   string `xml:"uuid"`
	Target struct {
		Path string `xml:"path"`
	} `xml:"target"`
}

// networkXML is the part of a network's XML the model needs.
type networkXML struct {
	Name   string `xml:"name"`
	UUID   string `xml:"uuid"`
	Bridge struct {
		Name string `xml:"name,attr"`
	} `xml:"bridge"`
	Forward *struct {
		Mode string `xml:"mode,attr"`
	} `xml:"forward"`
}

// unavailable reports listing errors that mean "this connection has no
// pools (or networks) for us": a driver without them, or an ACL hiding
// them. The host is still worth describing without.
func unavailable(err error) bool {
	return errors.Is(err, backends.ErrNotSupported) || errors.Is(err, backends.ErrAccessDenied)
}

// pools lists every storage pool, sorted by name. A pool that fails on its
// own (typically undefined since the listing) is left out; its event
// follows.
func (b *Backend) pools(c *lv.Connect) ([]backends.StoragePool, error) {
	const op = "list storage pools"
	all, err := c.ListAllStoragePools(0)
	if err != nil {
		werr := wrap(op, "", err)
		if !unavailable(werr) {
			return nil, werr
		}
		b.log.Debug("storage pools not available on this connection", "error", werr)
		return []backends.StoragePool{}, nil
	}
	out := make([]backends.StoragePool, 0, len(all))
	for i := range all {
		p, err := readPool(&all[i])
		_ = all[i].Free()
		switch {
		case errors.Is(err, backends.ErrNotConnected):
			return nil, err
		case err != nil:
			b.log.Debug("skipping a storage pool that could not be read", "error", err)
		default:
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y backends.StoragePool) int { return cmp.Compare(x.Name, y.Name) })
	return out, nil
}

func readPool(p *lv.StoragePool) (backends.StoragePool, error) {
	const op = "read storage pool"
	var out backends.StoragePool
	name, _ := p.GetName() // cached in the handle: no round trip
	doc, err := p.GetXMLDesc(0)
	if err != nil {
		return out, wrap(op, name, err)
	}
	if out, err = poolFromXML(doc); err != nil {
		return out, &backends.Error{Op: op, Target: name, Kind: backends.ErrInternal, Err: err}
	}
	info, err := p.GetInfo()
	if err != nil {
		return out, wrap(op, name, err)
	}
	if out.Autostart, err = p.GetAutostart(); err != nil {
		return out, wrap(op, name, err)
	}
	out.Active = poolActive(info.State)
	out.CapacityB, out.AllocationB, out.AvailableB = info.Capacity, info.Allocation, info.Available
	return out, nil
}

// poolFromXML reads the configuration part of a storage pool.
func poolFromXML(doc string) (backends.StoragePool, error) {
	var x poolXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return backends.StoragePool{}, fmt.Errorf("parsing storage pool XML: %w", err)
	}
	return backends.StoragePool{Name: x.Name, UUID: strings.ToLower(x.UUID), Type: x.Type, Path: x.Target.Path}, nil
}

// poolActive reads virStoragePoolState: degraded and inaccessible pools
// are started, just unwell; a building pool is not started yet.
func poolActive(s lv.StoragePoolState) bool {
	switch s {
	case lv.STORAGE_POOL_RUNNING, lv.STORAGE_POOL_DEGRADED, lv.STORAGE_POOL_INACCESSIBLE:
		return true
	}
	return false
}

// networks lists every virtual network, sorted by name, skipping those
// that fail on their own as pools does.
func (b *Backend) networks(c *lv.Connect) ([]backends.Network, error) {
	const op = "list networks"
	all, err := c.ListAllNetworks(0)
	if err != nil {
		werr := wrap(op, "", err)
		if !unavailable(werr) {
			return nil, werr
		}
		b.log.Debug("networks not available on this connection", "error", werr)
		return []backends.Network{}, nil
	}
	out := make([]backends.Network, 0, len(all))
	for i := range all {
		n, err := readNetwork(&all[i])
		_ = all[i].Free()
		switch {
		case errors.Is(err, backends.ErrNotConnected):
			return nil, err
		case err != nil:
			b.log.Debug("skipping a network that could not be read", "error", err)
		default:
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(x, y backends.Network) int { return cmp.Compare(x.Name, y.Name) })
	return out, nil
}

func readNetwork(n *lv.Network) (backends.Network, error) {
	const op = "read network"
	var out backends.Network
	name, _ := n.GetName() // cached in the handle: no round trip
	doc, err := n.GetXMLDesc(0)
	if err != nil {
		return out, wrap(op, name, err)
	}
	if out, err = networkFromXML(doc); err != nil {
		return out, &backends.Error{Op: op, Target: name, Kind: backends.ErrInternal, Err: err}
	}
	if out.Active, err = n.IsActive(); err != nil {
		return out, wrap(op, name, err)
	}
	if out.Autostart, err = n.GetAutostart(); err != nil {
		return out, wrap(op, name, err)
	}
	return out, nil
}

// networkFromXML reads the configuration part of a network.
func networkFromXML(doc string) (backends.Network, error) {
	var x networkXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return backends.Network{}, fmt.Errorf("parsing network XML: %w", err)
	}
	out := backends.Network{Name: x.Name, UUID: strings.ToLower(x.UUID), Bridge: x.Bridge.Name}
	if x.Forward != nil {
		// A <forward> without a mode is NAT (libvirt formatnetwork).
		out.Forward = cmp.Or(x.Forward.Mode, "nat")
	}
	return out, nil
}
