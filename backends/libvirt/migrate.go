package libvirt

import (
	"context"
	"errors"
	"fmt"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// destConnectTimeout bounds opening the destination connection.
const destConnectTimeout = 30 * time.Second

// Migrate moves a domain to the hypervisor at destURI.
//
// A running or paused domain migrates through libvirt (virDomainMigrate3,
// this process talking to both hosts): live when opts.Live, else with the
// guest paused while its memory is copied; opts.Persistent defines it on
// the destination and opts.Undefine removes the source's definition. ctx
// ending aborts the migration job. A driver that cannot migrate (the test
// driver) makes it ErrNotSupported: copying only the definition would
// leave the guest running here.
//
// A shut-off domain migrates offline, as libvirt's VIR_MIGRATE_OFFLINE
// does: its definition is copied to the destination (always persistently)
// and, with opts.Undefine, removed here; if that removal fails the copy is
// removed again. Disks are not copied: they must be reachable from the
// destination under the same paths. A managed save image (which would be
// lost) is ErrInvalidState, and so are snapshots when opts.Undefine would
// drop them.
//
// Before anything moves, a destination that already has a domain of this
// UUID (such as this very host) or this name is ErrConflict.
func (b *Backend) Migrate(ctx context.Context, uuid string, destURI string, opts backends.MigrateOptions) error {
	const op = "migrate"
	if destURI == "" {
		return b.refuse(op, uuid, errors.New("no destination URI"))
	}
	if destURI == b.uri {
		return b.refuse(op, uuid, fmt.Errorf("the destination %s is this connection's own URI", destURI))
	}
	r, err := b.lookup(ctx, op, uuid)
	if err == nil {
		err = b.migrate(ctx, op, r, destURI, opts)
		r.d.Free()
	}
	b.log.Debug(op, "uuid", uuid, "destination", destURI, "live", opts.Live, "persistent", opts.Persistent, "undefine", opts.Undefine, "error", err)
	return err
}

func (b *Backend) migrate(ctx context.Context, op string, r *domainRef, destURI string, opts backends.MigrateOptions) error {
	if !r.active {
		if has, err := r.d.HasManagedSaveImage(0); err == nil && has {
			return backends.Errorf(op, r.name, backends.ErrInvalidState, "domain has a managed save image, which an offline migration would lose; start it first")
		}
		if n, err := r.d.SnapshotNum(0); err == nil && n > 0 && opts.Undefine {
			return backends.Errorf(op, r.name, backends.ErrInvalidState, "domain has %d snapshots, which undefining the source would lose", n)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, destConnectTimeout)
	dc, err := connect(cctx, destURI)
	cancel()
	if err != nil {
		kind := backends.ErrNotConnected
		if be := (*backends.Error)(nil); errors.As(err, &be) {
			kind = be.Kind
		}
		return &backends.Error{Op: op, Target: r.name, Kind: kind, Err: err}
	}
	defer dc.Close()
	if d, err := dc.LookupDomainByUUIDString(r.uuid); err == nil {
		d.Free()
		return backends.Errorf(op, r.name, backends.ErrConflict, "%s already has a domain with UUID %s (is it this host?)", destURI, r.uuid)
	}
	if d, err := dc.LookupDomainByName(r.name); err == nil {
		d.Free()
		return backends.Errorf(op, r.name, backends.ErrConflict, "%s already has a domain named %q", destURI, r.name)
	}
	if r.active {
		return migrateRunning(ctx, op, r, dc, opts)
	}
	return migrateOffline(op, r, dc, opts)
}

// migrateRunning runs libvirt's migration, aborting its job if ctx ends.
func migrateRunning(ctx context.Context, op string, r *domainRef, dc *lv.Connect, opts backends.MigrateOptions) error {
	var flags lv.DomainMigrateFlags
	if opts.Live {
		flags |= lv.MIGRATE_LIVE
	}
	if opts.Persistent {
		flags |= lv.MIGRATE_PERSIST_DEST
	}
	if opts.Undefine {
		flags |= lv.MIGRATE_UNDEFINE_SOURCE
	}
	done := make(chan error, 1)
	go func() {
		d, err := r.d.Migrate3(dc, &lv.DomainMigrateParameters{}, flags)
		if d != nil {
			d.Free()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return wrap(op, r.name, err)
	case <-ctx.Done():
		abortErr := r.d.AbortJob()
		err := <-done // libvirt returns once the job has stopped
		if err == nil {
			return nil // it finished before the abort took
		}
		if abortErr != nil {
			err = errors.Join(err, fmt.Errorf("aborting: %w", abortErr))
		}
		return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrTimeout, Err: fmt.Errorf("%w: %w", ctx.Err(), err)}
	}
}

// migrateOffline copies the definition and, if asked, removes the source's.
func migrateOffline(op string, r *domainRef, dc *lv.Connect, opts backends.MigrateOptions) error {
	doc, err := r.d.GetXMLDesc(lv.DOMAIN_XML_INACTIVE | lv.DOMAIN_XML_SECURE | lv.DOMAIN_XML_MIGRATABLE)
	if err != nil {
		return wrap(op, r.name, err)
	}
	d, err := dc.DomainDefineXML(doc)
	if err != nil {
		return annotate(wrap(op, r.name, err), "defining it on the destination")
	}
	defer d.Free()
	if !opts.Undefine {
		return nil
	}
	if err := undefine(op, r, backends.UndefineOptions{}); err != nil {
		if rerr := d.Undefine(); rerr != nil {
			return annotate(err, fmt.Sprintf("undefining the source (and the copy on the destination stays: %v)", rerr))
		}
		return annotate(err, "undefining the source (the copy on the destination was removed again)")
	}
	return nil
}

// annotate says which step of an operation a backend error comes from.
func annotate(err error, step string) error {
	if be := (*backends.Error)(nil); errors.As(err, &be) {
		return &backends.Error{Op: be.Op, Target: be.Target, Kind: be.Kind, Err: fmt.Errorf("%s: %w", step, be.Err)}
	}
	return err
}
