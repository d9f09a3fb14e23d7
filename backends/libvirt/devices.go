package libvirt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// AttachDisk adds a disk to the running guest, the stored configuration,
// or both. The spec is checked as Define checks it, and a target already
// in use in any definition it touches is ErrConflict, before any change.
func (b *Backend) AttachDisk(ctx context.Context, uuid string, disk backends.DiskSpec, scope backends.Scope) error {
	const op = "attach disk"
	d, err := checkDisk(disk)
	if err != nil {
		return b.refuse(op, uuid, err)
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, parts, err := r.scoped(op, scope)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if slices.ContainsFunc(p.x.Devices.Disks, func(o libvirtxml.DomainDisk) bool { return o.Target != nil && o.Target.Dev == d.Target }) {
				return backends.Errorf(op, r.name, backends.ErrConflict, "the %s already has a disk %s", p.what, d.Target)
			}
		}
		kind, err := sourceKind(d, local(b.uri))
		if err != nil {
			return r.invalid(op, err)
		}
		x := diskDoc(d, kind)
		return r.modify(op, a, r.d.AttachDeviceFlags, &x, func(dl *libvirtxml.DomainDeviceList) {
			dl.Disks = append(dl.Disks, x)
		})
	}, "target", d.Target, "scope", scope)
}

// DetachDisk removes the disk with the given target. It is ErrNotFound
// when a definition it touches has no such disk. Live, QEMU asks the guest
// to let go of it, and it goes once the guest does.
func (b *Backend) DetachDisk(ctx context.Context, uuid string, target string, scope backends.Scope) error {
	const op = "detach disk"
	if !targetRE.MatchString(target) {
		return b.refuse(op, uuid, fmt.Errorf("disk target %q is not a device name such as vda, sdb or hdc", target))
	}
	match := func(o libvirtxml.DomainDisk) bool { return o.Target != nil && o.Target.Dev == target }
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, parts, err := r.scoped(op, scope)
		if err != nil {
			return err
		}
		var x libvirtxml.DomainDisk
		for _, p := range slices.Backward(parts) {
			i := slices.IndexFunc(p.x.Devices.Disks, match)
			if i < 0 {
				return backends.Errorf(op, r.name, backends.ErrNotFound, "the %s has no disk %s", p.what, target)
			}
			x = p.x.Devices.Disks[i]
		}
		x.Alias, x.Address = nil, nil // libvirt finds a disk by its target
		return r.modify(op, a, r.d.DetachDeviceFlags, &x, func(dl *libvirtxml.DomainDeviceList) {
			dl.Disks = slices.DeleteFunc(dl.Disks, match)
		})
	}, "target", target, "scope", scope)
}

// AttachNIC adds a network interface. The spec is checked as Define
// checks it; a MAC address already in use in any definition it touches is
// ErrConflict. Without a MAC, libvirt assigns one.
func (b *Backend) AttachNIC(ctx context.Context, uuid string, nic backends.NICSpec, scope backends.Scope) error {
	const op = "attach nic"
	n, err := checkNIC(nic)
	if err != nil {
		return b.refuse(op, uuid, err)
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, parts, err := r.scoped(op, scope)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if n.MAC != "" && slices.ContainsFunc(p.x.Devices.Interfaces, hasMAC(n.MAC)) {
				return backends.Errorf(op, r.name, backends.ErrConflict, "the %s already has a NIC with MAC address %s", p.what, n.MAC)
			}
		}
		if err := networkExists(r.c, op, r.name, n); err != nil {
			return err
		}
		x := nicDoc(n)
		return r.modify(op, a, r.d.AttachDeviceFlags, &x, func(dl *libvirtxml.DomainDeviceList) {
			dl.Interfaces = append(dl.Interfaces, x)
		})
	}, "mac", n.MAC, "scope", scope)
}

// DetachNIC removes the network interface with the given MAC address; it
// is ErrNotFound when a definition it touches has none.
func (b *Backend) DetachNIC(ctx context.Context, uuid string, mac string, scope backends.Scope) error {
	const op = "detach nic"
	m, err := normalMAC(mac)
	if err != nil {
		return b.refuse(op, uuid, err)
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, parts, err := r.scoped(op, scope)
		if err != nil {
			return err
		}
		var x libvirtxml.DomainInterface
		for _, p := range slices.Backward(parts) {
			i := slices.IndexFunc(p.x.Devices.Interfaces, hasMAC(m))
			if i < 0 {
				return backends.Errorf(op, r.name, backends.ErrNotFound, "the %s has no NIC with MAC address %s", p.what, m)
			}
			x = p.x.Devices.Interfaces[i]
		}
		x.Alias, x.Address = nil, nil // libvirt finds a NIC by its MAC
		return r.modify(op, a, r.d.DetachDeviceFlags, &x, func(dl *libvirtxml.DomainDeviceList) {
			dl.Interfaces = slices.DeleteFunc(dl.Interfaces, hasMAC(m))
		})
	}, "mac", m, "scope", scope)
}

func hasMAC(mac string) func(libvirtxml.DomainInterface) bool {
	return func(o libvirtxml.DomainInterface) bool { return o.MAC != nil && strings.EqualFold(o.MAC.Address, mac) }
}

// refuse logs and returns an ErrInvalidArgument found before any lookup.
func (b *Backend) refuse(op, uuid string, err error) error {
	werr := &backends.Error{Op: op, Target: uuid, Kind: backends.ErrInvalidArgument, Err: err}
	b.log.Debug(op, "uuid", uuid, "error", werr)
	return werr
}

// scoped resolves scope and reads the definitions it touches, each with a
// device list.
func (r *domainRef) scoped(op string, scope backends.Scope) (affect, []part, error) {
	a, err := r.affect(op, scope)
	if err != nil {
		return a, nil, err
	}
	parts, err := r.parts(op, a)
	for _, p := range parts {
		if p.x.Devices == nil {
			p.x.Devices = &libvirtxml.DomainDeviceList{}
		}
	}
	return a, parts, err
}

// modify attaches or detaches a device (call is AttachDeviceFlags or
// DetachDeviceFlags). A driver without device calls, such as the test
// driver, has a configuration-only change made by redefining the domain
// with edit applied to its stored XML, as `virsh edit` would; a live one
// stays ErrNotSupported.
func (r *domainRef) modify(op string, a affect, call func(string, lv.DomainDeviceModifyFlags) error, dev interface{ Marshal() (string, error) }, edit func(*libvirtxml.DomainDeviceList)) error {
	doc, err := dev.Marshal()
	if err != nil {
		return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: err}
	}
	err = call(doc, lv.DomainDeviceModifyFlags(a.flags()))
	var le lv.Error
	if err == nil || a.live || !errors.As(err, &le) || le.Code != lv.ERR_NO_SUPPORT {
		return wrap(op, r.name, err)
	}
	// SECURE keeps secrets (e.g. VNC passwords) that redefining must not lose.
	cur, err := r.d.GetXMLDesc(lv.DOMAIN_XML_INACTIVE | lv.DOMAIN_XML_SECURE)
	if err != nil {
		return wrap(op, r.name, err)
	}
	x := &libvirtxml.Domain{}
	if err := x.Unmarshal(cur); err != nil {
		return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: fmt.Errorf("parsing domain XML: %w", err)}
	}
	if x.Devices == nil {
		x.Devices = &libvirtxml.DomainDeviceList{}
	}
	edit(x.Devices)
	if cur, err = x.Marshal(); err != nil {
		return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: err}
	}
	d, err := r.c.DomainDefineXML(cur)
	if err != nil {
		return wrap(op, r.name, err)
	}
	return wrap(op, r.name, d.Free())
}
