package libvirt

import (
	"context"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// power applies a power operation to the domain with the given UUID,
// refusing it up front when the domain's state does not allow it, so every
// driver answers ErrInvalidState alike (the test driver, for one, reports
// some of these as internal errors).
func (b *Backend) power(op backends.PowerOp, uuid string, f func(d *lv.Domain) error) error {
	c, err := b.connection(op.String())
	if err != nil {
		return err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return wrap(op.String(), uuid, err)
	}
	defer d.Free()
	name, err := d.GetName()
	if err != nil {
		return wrap(op.String(), uuid, err)
	}
	s, reason, err := d.GetState()
	if err != nil {
		return wrap(op.String(), name, err)
	}
	if st, _ := state(s, reason); !op.Allows(st) {
		return backends.Errorf(op.String(), name, backends.ErrInvalidState, "domain is %s", st.Label())
	}
	return wrap(op.String(), name, f(d))
}

// Start boots a defined domain (restoring a managed save when present).
func (b *Backend) Start(_ context.Context, uuid string) error {
	return b.power(backends.OpStart, uuid, func(d *lv.Domain) error { return d.Create() })
}

// Shutdown asks the guest to shut down.
func (b *Backend) Shutdown(_ context.Context, uuid string) error {
	return b.power(backends.OpShutdown, uuid, func(d *lv.Domain) error { return d.Shutdown() })
}

// Destroy powers the domain off.
func (b *Backend) Destroy(_ context.Context, uuid string) error {
	return b.power(backends.OpDestroy, uuid, func(d *lv.Domain) error { return d.Destroy() })
}

// Reboot asks the guest to reboot.
func (b *Backend) Reboot(_ context.Context, uuid string) error {
	return b.power(backends.OpReboot, uuid, func(d *lv.Domain) error { return d.Reboot(0) })
}

// Reset resets the virtual hardware at once.
func (b *Backend) Reset(_ context.Context, uuid string) error {
	return b.power(backends.OpReset, uuid, func(d *lv.Domain) error { return d.Reset(0) })
}

// Suspend pauses the domain's vCPUs.
func (b *Backend) Suspend(_ context.Context, uuid string) error {
	return b.power(backends.OpSuspend, uuid, func(d *lv.Domain) error { return d.Suspend() })
}

// Resume continues a paused domain.
func (b *Backend) Resume(_ context.Context, uuid string) error {
	return b.power(backends.OpResume, uuid, func(d *lv.Domain) error { return d.Resume() })
}

// ManagedSave saves the domain's memory and stops it; Start restores it.
func (b *Backend) ManagedSave(_ context.Context, uuid string) error {
	return b.power(backends.OpManagedSave, uuid, func(d *lv.Domain) error { return d.ManagedSave(0) })
}

// Rename renames an inactive domain; libvirt refuses running ones, and so
// does this, up front and in the same words for every driver.
func (b *Backend) Rename(_ context.Context, uuid, name string) error {
	const op = "rename"
	if err := checkName("domain", name); err != nil {
		return &backends.Error{Op: op, Target: uuid, Kind: backends.ErrInvalidArgument, Err: err}
	}
	c, err := b.connection(op)
	if err != nil {
		return err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return wrap(op, uuid, err)
	}
	defer d.Free()
	old, err := d.GetName()
	if err != nil {
		return wrap(op, uuid, err)
	}
	if old == name {
		return nil
	}
	if active, err := d.IsActive(); err != nil {
		return wrap(op, old, err)
	} else if active {
		return backends.Errorf(op, old, backends.ErrInvalidState, "cannot rename a running domain; shut it down first")
	}
	if other, err := c.LookupDomainByName(name); err == nil {
		_ = other.Free()
		return backends.Errorf(op, old, backends.ErrConflict, "a domain named %q exists", name)
	}
	return wrap(op, old, d.Rename(name, 0))
}
