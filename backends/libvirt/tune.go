package libvirt

import (
	"context"
	"fmt"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// SetVCPUs sets the number of active vCPUs of the running guest, the
// stored configuration, or both, up to the domain's maximum (which this
// does not change). A count above the maximum of any definition it touches
// is refused before anything changes. QEMU hot-plugs vCPUs live; lowering
// them live needs the guest's cooperation.
func (b *Backend) SetVCPUs(ctx context.Context, uuid string, n int, scope backends.Scope) error {
	const op = "set vcpus"
	if n < 1 || n > maxVCPUs {
		return b.refuse(op, uuid, fmt.Errorf("%d vCPUs: want 1 to %d", n, maxVCPUs))
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, err := r.affect(op, scope)
		if err != nil {
			return err
		}
		parts, err := r.parts(op, a)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.x.VCPU == nil {
				continue
			}
			if limit := int(p.x.VCPU.Value); n > limit {
				return r.invalid(op, fmt.Errorf("%d vCPUs is above the maximum of %d in the %s", n, limit, p.what))
			}
		}
		return wrap(op, r.name, r.d.SetVcpusFlags(uint(n), lv.DomainVcpuFlags(a.flags())))
	}, "vcpus", n, "scope", scope)
}

// SetMemory sets the current memory (the balloon target) of the running
// guest, the stored configuration, or both, up to the domain's maximum
// memory (which this does not change). Live, QEMU needs a balloon device,
// and the guest's balloon driver to actually give the memory back.
func (b *Backend) SetMemory(ctx context.Context, uuid string, kib uint64, scope backends.Scope) error {
	const op = "set memory"
	if kib == 0 || kib > maxMemKiB {
		return b.refuse(op, uuid, fmt.Errorf("%d KiB: want 1 to %d", kib, uint64(maxMemKiB)))
	}
	return b.change(ctx, op, uuid, func(r *domainRef) error {
		a, err := r.affect(op, scope)
		if err != nil {
			return err
		}
		parts, err := r.parts(op, a)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.x.Memory == nil {
				continue
			}
			limit, err := toKiB(uint64(p.x.Memory.Value), p.x.Memory.Unit)
			if err != nil {
				return &backends.Error{Op: op, Target: r.name, Kind: backends.ErrInternal, Err: err}
			}
			if kib > limit {
				return r.invalid(op, fmt.Errorf("%d KiB is above the maximum memory of %d KiB in the %s", kib, limit, p.what))
			}
		}
		return wrap(op, r.name, r.d.SetMemoryFlags(kib, lv.DomainMemoryModFlags(a.flags())))
	}, "kib", kib, "scope", scope)
}
