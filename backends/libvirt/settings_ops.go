package libvirt

import (
	"context"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// onDomain looks the domain up and runs f on it, wrapping errors with op
// and the domain's name.
func (b *Backend) onDomain(op, uuid string, f func(d *lv.Domain) error) error {
	c, err := b.connection(op)
	if err != nil {
		return err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return wrap(op, uuid, err)
	}
	defer d.Free()
	name, err := d.GetName()
	if err != nil {
		return wrap(op, uuid, err)
	}
	return wrap(op, name, f(d))
}

// SetAutostart marks the domain to start with the host, or not; only a
// persistent domain can be.
func (b *Backend) SetAutostart(_ context.Context, uuid string, on bool) error {
	return b.onDomain("set autostart", uuid, func(d *lv.Domain) error {
		if persistent, err := d.IsPersistent(); err == nil && !persistent {
			return backends.Errorf("set autostart", uuid, backends.ErrInvalidState, "a transient domain cannot start with the host")
		}
		if err := d.SetAutostart(on); err != nil {
			return err
		}
		// libvirt has no event for autostart: tell the inventory ourselves.
		b.push(d, backends.Event{Kind: backends.EventConfigChanged, Detail: "autostart", Time: time.Now()})
		return nil
	})
}

// SetDescription sets the domain's <description>, in the live state when
// it runs and in its configuration when it has one.
func (b *Backend) SetDescription(_ context.Context, uuid string, text string) error {
	return b.onDomain("set description", uuid, func(d *lv.Domain) error {
		flags := lv.DOMAIN_AFFECT_CURRENT
		if persistent, err := d.IsPersistent(); err == nil && persistent {
			if active, err := d.IsActive(); err == nil && active {
				flags = lv.DOMAIN_AFFECT_LIVE | lv.DOMAIN_AFFECT_CONFIG
			}
		}
		return d.SetMetadata(lv.DOMAIN_METADATA_DESCRIPTION, text, "", "", flags)
	})
}
