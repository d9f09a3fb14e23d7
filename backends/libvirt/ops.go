package libvirt

import (
	"context"
	"errors"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// on runs f on the domain with the given UUID.
func (b *Backend) on(op, uuid string, f func(d *lv.Domain) error) error {
	c, err := b.connection(op)
	if err != nil {
		return err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return wrap(op, uuid, err)
	}
	defer d.Free()
	if err := f(d); err != nil {
		name, _ := d.GetName()
		if name == "" {
			name = uuid
		}
		return wrap(op, name, err)
	}
	return nil
}

// Start boots a defined domain (restoring a managed save when present).
func (b *Backend) Start(_ context.Context, uuid string) error {
	return b.on("start", uuid, func(d *lv.Domain) error { return d.Create() })
}

// Shutdown asks the guest to shut down.
func (b *Backend) Shutdown(_ context.Context, uuid string) error {
	return b.on("shutdown", uuid, func(d *lv.Domain) error { return d.Shutdown() })
}

// Destroy powers the domain off.
func (b *Backend) Destroy(_ context.Context, uuid string) error {
	return b.on("destroy", uuid, func(d *lv.Domain) error { return d.Destroy() })
}

// Reboot asks the guest to reboot.
func (b *Backend) Reboot(_ context.Context, uuid string) error {
	return b.on("reboot", uuid, func(d *lv.Domain) error { return d.Reboot(0) })
}

// Reset resets the virtual hardware at once.
func (b *Backend) Reset(_ context.Context, uuid string) error {
	return b.on("reset", uuid, func(d *lv.Domain) error { return d.Reset(0) })
}

// Suspend pauses the domain's vCPUs.
func (b *Backend) Suspend(_ context.Context, uuid string) error {
	return b.on("suspend", uuid, func(d *lv.Domain) error { return d.Suspend() })
}

// Resume continues a paused domain.
func (b *Backend) Resume(_ context.Context, uuid string) error {
	return b.on("resume", uuid, func(d *lv.Domain) error { return d.Resume() })
}

// ManagedSave saves the domain's memory and stops it; Start restores it.
func (b *Backend) ManagedSave(_ context.Context, uuid string) error {
	return b.on("managed save", uuid, func(d *lv.Domain) error { return d.ManagedSave(0) })
}

// errLater marks the operations a later issue implements.
var errLater = errors.New("not implemented in this release of the libvirt backend")

func notYet(op, uuid string) error {
	return &backends.Error{Op: op, Target: uuid, Kind: backends.ErrNotSupported, Err: errLater}
}

// Define is not implemented yet.
func (b *Backend) Define(_ context.Context, spec backends.DomainSpec) (string, error) {
	return "", notYet("define", spec.Name)
}

// Undefine is not implemented yet.
func (b *Backend) Undefine(_ context.Context, uuid string, _ backends.UndefineOptions) error {
	return notYet("undefine", uuid)
}

// SetVCPUs is not implemented yet.
func (b *Backend) SetVCPUs(_ context.Context, uuid string, _ int, _ backends.Scope) error {
	return notYet("set vcpus", uuid)
}

// SetMemory is not implemented yet.
func (b *Backend) SetMemory(_ context.Context, uuid string, _ uint64, _ backends.Scope) error {
	return notYet("set memory", uuid)
}

// AttachDisk is not implemented yet.
func (b *Backend) AttachDisk(_ context.Context, uuid string, _ backends.DiskSpec, _ backends.Scope) error {
	return notYet("attach disk", uuid)
}

// DetachDisk is not implemented yet.
func (b *Backend) DetachDisk(_ context.Context, uuid string, _ string, _ backends.Scope) error {
	return notYet("detach disk", uuid)
}

// AttachNIC is not implemented yet.
func (b *Backend) AttachNIC(_ context.Context, uuid string, _ backends.NICSpec, _ backends.Scope) error {
	return notYet("attach nic", uuid)
}

// DetachNIC is not implemented yet.
func (b *Backend) DetachNIC(_ context.Context, uuid string, _ string, _ backends.Scope) error {
	return notYet("detach nic", uuid)
}

// CreateSnapshot is not implemented yet.
func (b *Backend) CreateSnapshot(_ context.Context, uuid string, _ backends.SnapshotSpec) (string, error) {
	return "", notYet("create snapshot", uuid)
}

// RevertSnapshot is not implemented yet.
func (b *Backend) RevertSnapshot(_ context.Context, uuid string, _ string) error {
	return notYet("revert snapshot", uuid)
}

// DeleteSnapshot is not implemented yet.
func (b *Backend) DeleteSnapshot(_ context.Context, uuid string, _ string) error {
	return notYet("delete snapshot", uuid)
}

// Migrate is not implemented yet.
func (b *Backend) Migrate(_ context.Context, uuid string, _ string, _ backends.MigrateOptions) error {
	return notYet("migrate", uuid)
}
