package libvirt

import (
	"context"
	"fmt"
	"strings"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// domainRef is the domain an operation works on, looked up once.
type domainRef struct {
	c          *lv.Connect
	d          *lv.Domain
	uuid, name string
	active     bool // a guest is running (or paused)
	persistent bool // it has a stored configuration
}

// lookup finds the domain with the given UUID, once ctx still allows work.
// libvirt's calls cannot be interrupted, so ctx bounds when an operation
// may start, and the few long ones (migration) abort their job when ctx
// ends.
func (b *Backend) lookup(ctx context.Context, op, uuid string) (*domainRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, &backends.Error{Op: op, Target: uuid, Kind: backends.ErrTimeout, Err: err}
	}
	c, err := b.connection(op)
	if err != nil {
		return nil, err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return nil, wrap(op, uuid, err)
	}
	r := &domainRef{c: c, d: d, uuid: strings.ToLower(uuid)}
	if r.name, err = d.GetName(); err == nil {
		if r.active, err = d.IsActive(); err == nil {
			r.persistent, err = d.IsPersistent()
		}
	}
	if err != nil {
		d.Free()
		return nil, wrap(op, uuid, err)
	}
	return r, nil
}

// change runs f on the domain and logs the outcome at debug level. After a
// success it queues an event of the backend's own (config-changed, detail
// op) so the inventory re-reads the domain: libvirt announces changes
// unevenly across drivers (none at all for a snapshot, for one), and an
// event too many costs only a re-read that finds nothing new.
func (b *Backend) change(ctx context.Context, op, uuid string, f func(*domainRef) error, args ...any) error {
	r, err := b.lookup(ctx, op, uuid)
	if err != nil {
		b.log.Debug(op, append(args, "uuid", uuid, "error", err)...)
		return err
	}
	defer r.d.Free()
	err = f(r)
	b.log.Debug(op, append(args, "domain", r.name, "uuid", r.uuid, "error", err)...)
	if err == nil {
		b.events.Push(backends.Event{Kind: backends.EventConfigChanged, UUID: r.uuid, Name: r.name, Detail: op})
	}
	return err
}

// affect is what a change in some scope touches.
type affect struct{ live, config bool }

// affect resolves a scope against the domain's state: ScopeCurrent is the
// running guest when there is one, else the stored configuration. A live
// change to a domain that is not running, or a configuration change to a
// transient domain, is refused with ErrInvalidState.
func (r *domainRef) affect(op string, s backends.Scope) (affect, error) {
	var a affect
	switch s {
	case backends.ScopeCurrent:
		a = affect{live: r.active, config: !r.active}
	case backends.ScopeLive:
		a.live = true
	case backends.ScopeConfig:
		a.config = true
	case backends.ScopeBoth:
		a = affect{live: true, config: true}
	default:
		return a, backends.Errorf(op, r.name, backends.ErrInvalidArgument, "unknown scope %d", s)
	}
	if a.live && !r.active {
		return a, backends.Errorf(op, r.name, backends.ErrInvalidState, "domain is not running: a live change needs a running guest")
	}
	if a.config && !r.persistent {
		return a, backends.Errorf(op, r.name, backends.ErrInvalidState, "domain is transient: it has no stored configuration to change")
	}
	return a, nil
}

// flags are libvirt's VIR_DOMAIN_AFFECT_* bits, which the vCPU, memory and
// device calls share; never 0 (CURRENT), so libvirt cannot pick otherwise.
func (a affect) flags() uint32 {
	var f lv.DomainModificationImpact
	if a.live {
		f |= lv.DOMAIN_AFFECT_LIVE
	}
	if a.config {
		f |= lv.DOMAIN_AFFECT_CONFIG
	}
	return uint32(f)
}

// part is the live or the stored definition of a domain.
type part struct {
	what string // "running guest" or "stored configuration", for messages
	x    *libvirtxml.Domain
}

// parts reads the definitions a change touches, to check it against.
func (r *domainRef) parts(op string, a affect) ([]part, error) {
	var out []part
	for _, p := range []struct {
		on    bool
		what  string
		flags lv.DomainXMLFlags
	}{{a.live, "running guest", 0}, {a.config, "stored configuration", lv.DOMAIN_XML_INACTIVE}} {
		if !p.on {
			continue
		}
		doc, err := r.d.GetXMLDesc(p.flags)
		if err != nil {
			return nil, wrap(op, r.name, err)
		}
		x := &libvirtxml.Domain{}
		if err := x.Unmarshal(doc); err != nil {
			return nil, &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: fmt.Errorf("parsing domain XML: %w", err)}
		}
		out = append(out, part{p.what, x})
	}
	return out, nil
}

// invalid is an ErrInvalidArgument about the domain.
func (r *domainRef) invalid(op string, err error) error {
	return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInvalidArgument, Err: err}
}
