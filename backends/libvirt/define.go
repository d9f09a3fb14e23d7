package libvirt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// Define creates a persistent, shut-off domain from spec and returns its
// UUID. Everything is checked first, so a refused spec defines nothing:
// the spec itself, the name (ErrConflict when in use), the vCPU count
// against the hypervisor's limit, and, on a local connection, that disk
// sources exist; named networks must exist on the host. Its domain type
// and architecture come from the hypervisor's capabilities (see guestFor).
// The inventory learns of it from libvirt's defined event.
func (b *Backend) Define(ctx context.Context, spec backends.DomainSpec) (string, error) {
	const op = "define"
	uuid, err := b.define(ctx, op, spec)
	b.log.Debug(op, "domain", spec.Name, "uuid", uuid, "error", err)
	return uuid, err
}

func (b *Backend) define(ctx context.Context, op string, spec backends.DomainSpec) (string, error) {
	name := spec.Name
	spec, err := checkSpec(spec)
	if err != nil {
		return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrInvalidArgument, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrTimeout, Err: err}
	}
	c, err := b.connection(op)
	if err != nil {
		return "", err
	}
	if err := nameFree(c, op, name); err != nil {
		return "", err
	}
	caps := &libvirtxml.Caps{}
	if doc, err := c.GetCapabilities(); err != nil {
		return "", wrap(op, name, err)
	} else if err := caps.Unmarshal(doc); err != nil {
		return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrInternal, Err: fmt.Errorf("parsing capabilities: %w", err)}
	}
	g, err := guestFor(caps)
	if err != nil {
		return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrNotSupported, Err: err}
	}
	if limit, err := c.GetMaxVcpus(g.domType); err == nil && limit > 0 && spec.MaxVCPUs > limit {
		return "", backends.Errorf(op, name, backends.ErrInvalidArgument, "%d vCPUs is above the hypervisor's limit of %d for %s guests", spec.MaxVCPUs, limit, g.domType)
	}
	kinds := make([]diskKind, len(spec.Disks))
	for i, d := range spec.Disks {
		if kinds[i], err = sourceKind(d, local(b.uri)); err != nil {
			return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrInvalidArgument, Err: err}
		}
	}
	for _, n := range spec.NICs {
		if err := networkExists(c, op, name, n); err != nil {
			return "", err
		}
	}
	doc, err := domainDoc(spec, g, kinds).Marshal()
	if err != nil {
		return "", &backends.Error{Op: op, Target: name, Kind: backends.ErrInternal, Err: err}
	}
	d, err := c.DomainDefineXML(doc)
	if err != nil {
		if nerr := nameFree(c, op, name); errors.Is(nerr, backends.ErrConflict) {
			return "", nerr // defined by someone else meanwhile
		}
		return "", wrap(op, name, err)
	}
	defer d.Free()
	uuid, err := d.GetUUIDString()
	if err != nil {
		return "", wrap(op, name, err)
	}
	return strings.ToLower(uuid), nil
}

// nameFree is ErrConflict when a domain has the name.
func nameFree(c *lv.Connect, op, name string) error {
	d, err := c.LookupDomainByName(name)
	if err == nil {
		u, _ := d.GetUUIDString()
		d.Free()
		return backends.Errorf(op, name, backends.ErrConflict, "a domain named %q exists (UUID %s)", name, strings.ToLower(u))
	}
	if werr := wrap(op, name, err); !errors.Is(werr, backends.ErrNotFound) {
		return werr
	}
	return nil
}

// sourceKind checks a disk's source and says how to give it to libvirt.
// Only a local connection's files are this process's to look at; a remote
// source is taken as a file, and libvirt checks it when the domain starts.
func sourceKind(d backends.DiskSpec, local bool) (diskKind, error) {
	if d.Source == "" || !local {
		return diskFile, nil
	}
	fi, err := os.Stat(d.Source)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("disk %s: source %s does not exist", d.Target, d.Source)
	case err != nil:
		return "", fmt.Errorf("disk %s: %w", d.Target, err)
	case fi.Mode().IsRegular():
		if d.Device == backends.DiskDeviceLUN {
			return "", fmt.Errorf("disk %s: a lun needs a block device, and %s is a file", d.Target, d.Source)
		}
		return diskFile, nil
	case fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0:
		return diskBlock, nil
	}
	return "", fmt.Errorf("disk %s: source %s is neither a file nor a block device", d.Target, d.Source)
}

// networkExists refuses a NIC on a virtual network the host lacks. A
// driver without networks cannot say, and libvirt checks at start.
func networkExists(c *lv.Connect, op, target string, n backends.NICSpec) error {
	if n.Network == "" {
		return nil
	}
	nw, err := c.LookupNetworkByName(n.Network)
	if err == nil {
		nw.Free()
		return nil
	}
	switch werr := wrap(op, target, err); {
	case errors.Is(werr, backends.ErrNotFound):
		return backends.Errorf(op, target, backends.ErrInvalidArgument, "the host has no network named %q", n.Network)
	case errors.Is(werr, backends.ErrNotSupported):
		return nil
	default:
		return werr
	}
}

// Undefine removes a shut-off domain's configuration. A running domain is
// refused with ErrInvalidState, though libvirt would make it transient: it
// would then keep running yet vanish when it stops, which a caller asking
// to remove a VM does not expect, and nothing here could make it persistent
// again. A managed save image or snapshots are refused with
// ErrInvalidState unless opts says to remove them too (snapshot metadata
// only: QEMU's internal snapshots stay in their qcow2 files). An NVRAM file
// is kept. The inventory learns of it from libvirt's undefined event.
func (b *Backend) Undefine(ctx context.Context, uuid string, opts backends.UndefineOptions) error {
	const op = "undefine"
	r, err := b.lookup(ctx, op, uuid)
	if err == nil {
		err = undefine(op, r, opts)
		r.d.Free()
	}
	b.log.Debug(op, "uuid", uuid, "managedSave", opts.ManagedSave, "snapshots", opts.Snapshots, "error", err)
	return err
}

func undefine(op string, r *domainRef, opts backends.UndefineOptions) error {
	if r.active {
		return backends.Errorf(op, r.name, backends.ErrInvalidState, "domain is running; stop it first")
	}
	var flags lv.DomainUndefineFlagsValues
	if has, err := r.d.HasManagedSaveImage(0); err == nil && has {
		if !opts.ManagedSave {
			return backends.Errorf(op, r.name, backends.ErrInvalidState, "domain has a managed save image; ask to remove it too")
		}
		flags |= lv.DOMAIN_UNDEFINE_MANAGED_SAVE
	}
	if n, err := r.d.SnapshotNum(0); err == nil && n > 0 {
		if !opts.Snapshots {
			return backends.Errorf(op, r.name, backends.ErrInvalidState, "domain has %d snapshots; ask to remove their metadata too", n)
		}
		flags |= lv.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
	}
	parts, err := r.parts(op, affect{config: true})
	if err != nil {
		return err
	}
	if o := parts[0].x.OS; o != nil && o.NVRam != nil {
		flags |= lv.DOMAIN_UNDEFINE_KEEP_NVRAM
	}
	return wrap(op, r.name, r.d.UndefineFlags(flags))
}
