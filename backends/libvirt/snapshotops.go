package libvirt

import (
	"context"
	"errors"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// CreateSnapshot takes a full snapshot (disks, and memory when the domain
// runs) and returns its name; without a name libvirt names it after the
// time. A name in use is ErrConflict. On QEMU a full snapshot is internal,
// so it needs qcow2 disks: other disks make it ErrNotSupported.
func (b *Backend) CreateSnapshot(ctx context.Context, uuid string, spec backends.SnapshotSpec) (string, error) {
	const op = "create snapshot"
	if spec.Name != "" {
		if err := checkName("snapshot", spec.Name); err != nil {
			return "", b.refuse(op, uuid, err)
		}
	}
	var name string
	err := b.change(ctx, op, uuid, func(r *domainRef) error {
		if spec.Name != "" {
			if s, err := r.d.SnapshotLookupByName(spec.Name, 0); err == nil {
				s.Free()
				return backends.Errorf(op, r.name, backends.ErrConflict, "the domain has a snapshot named %q", spec.Name)
			}
		}
		doc, err := (&libvirtxml.DomainSnapshot{Name: spec.Name, Description: spec.Description}).Marshal()
		if err != nil {
			return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: err}
		}
		s, err := r.d.CreateSnapshotXML(doc, 0)
		if err != nil {
			return wrap(op, r.name, err)
		}
		defer s.Free()
		name, err = s.GetName()
		return wrap(op, r.name, err)
	}, "snapshot", spec.Name)
	return name, err
}

// RevertSnapshot returns the domain to a snapshot: its disks, and its
// state (running, paused or shut off) as it was when taken.
func (b *Backend) RevertSnapshot(ctx context.Context, uuid string, name string) error {
	return b.onSnapshot(ctx, "revert snapshot", uuid, name, func(s *lv.DomainSnapshot) error {
		return s.RevertToSnapshot(0)
	})
}

// DeleteSnapshot deletes one snapshot; its children, if any, become
// children of its parent.
func (b *Backend) DeleteSnapshot(ctx context.Context, uuid string, name string) error {
	return b.onSnapshot(ctx, "delete snapshot", uuid, name, func(s *lv.DomainSnapshot) error {
		return s.Delete(0)
	})
}

// onSnapshot looks a snapshot up (ErrNotFound when the domain has none of
// that name) and applies f to it.
func (b *Backend) onSnapshot(ctx context.Context, op, uuid, name string, f func(*lv.DomainSnapshot) error) error {
	if err := checkName("snapshot", name); err != nil {
		return b.refuse(op, uuid, err)
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		s, err := r.d.SnapshotLookupByName(name, 0)
		if err != nil {
			if werr := wrap(op, r.name, err); !errors.Is(werr, backends.ErrNotFound) {
				return werr
			}
			return backends.Errorf(op, r.name, backends.ErrNotFound, "the domain has no snapshot named %q", name)
		}
		defer s.Free()
		return wrap(op, r.name, f(s))
	}, "snapshot", name)
}
