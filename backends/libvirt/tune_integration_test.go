package libvirt_test

import (
	"context"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
)

// sizes are a domain's vCPU and memory figures, live and stored.
type sizes struct{ vcpus, maxVCPUs, memKiB, maxMemKiB uint }

func sizesOf(t *testing.T, r *rig, uuid string, inactive bool) sizes {
	t.Helper()
	x := definition(t, r, uuid, inactive)
	s := sizes{vcpus: x.VCPU.Current, maxVCPUs: x.VCPU.Value, memKiB: x.CurrentMemory.Value, maxMemKiB: x.Memory.Value}
	if s.vcpus == 0 {
		s.vcpus = s.maxVCPUs
	}
	return s
}

// TestSetVCPUsAndMemory: each scope changes what it names, the inventory
// follows, and refused changes leave both definitions as they were.
func TestSetVCPUsAndMemory(t *testing.T) {
	r, _ := opsBed(t, 0)
	ctx := t.Context()
	spec := backends.DomainSpec{VCPUs: 1, MaxVCPUs: 4, MemoryKiB: 128 << 10, MaxMemKiB: 512 << 10}
	spec.Name = "tune-off"
	off, err := r.b.Define(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "tune-on"
	on, err := r.b.Define(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.b.Start(ctx, on); err != nil {
		t.Fatal(err)
	}
	r.until(t, "start", on, func(d *backends.Domain) bool { return d.State == backends.StateRunning })

	// A shut-off domain: the current scope is its configuration.
	must(t, r.b.SetVCPUs(ctx, off, 3, backends.ScopeCurrent))
	r.until(t, "vcpus of the shut-off domain", off, func(d *backends.Domain) bool { return d.VCPUs == 3 })
	must(t, r.b.SetMemory(ctx, off, 300<<10, backends.ScopeConfig))
	r.until(t, "memory of the shut-off domain", off, func(d *backends.Domain) bool { return d.MemoryKiB == 300<<10 })

	// A running one: live, config and both.
	must(t, r.b.SetVCPUs(ctx, on, 2, backends.ScopeLive))
	r.until(t, "live vcpus", on, func(d *backends.Domain) bool { return d.VCPUs == 2 })
	if s := sizesOf(t, r, on, true); s.vcpus != 1 {
		t.Errorf("a live change reached the configuration: %+v", s)
	}
	must(t, r.b.SetMemory(ctx, on, 256<<10, backends.ScopeCurrent))
	r.until(t, "live memory", on, func(d *backends.Domain) bool { return d.MemoryKiB == 256<<10 })
	must(t, r.b.SetMemory(ctx, on, 200<<10, backends.ScopeConfig))
	if s := sizesOf(t, r, on, true); s.memKiB != 200<<10 {
		t.Errorf("stored memory %d KiB, want %d", s.memKiB, 200<<10)
	}
	if s := sizesOf(t, r, on, false); s.memKiB != 256<<10 {
		t.Errorf("a configuration change reached the guest: %+v", s)
	}
	must(t, r.b.SetVCPUs(ctx, on, 4, backends.ScopeBoth))
	r.until(t, "vcpus in both", on, func(d *backends.Domain) bool { return d.VCPUs == 4 })
	if s := sizesOf(t, r, on, true); s.vcpus != 4 {
		t.Errorf("stored vcpus %d, want 4", s.vcpus)
	}

	liveBefore, storedBefore := sizesOf(t, r, on, false), sizesOf(t, r, on, true)
	offBefore := sizesOf(t, r, off, true)
	unknown := "00000000-0000-4000-8000-000000000000"
	ended, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		what string
		err  error
		kind error
	}{
		{"vcpus above max", r.b.SetVCPUs(ctx, on, 5, backends.ScopeBoth), backends.ErrInvalidArgument},
		{"no vcpus", r.b.SetVCPUs(ctx, on, 0, backends.ScopeLive), backends.ErrInvalidArgument},
		{"live vcpus of a shut-off domain", r.b.SetVCPUs(ctx, off, 2, backends.ScopeLive), backends.ErrInvalidState},
		{"vcpus in both of a shut-off domain", r.b.SetVCPUs(ctx, off, 2, backends.ScopeBoth), backends.ErrInvalidState},
		{"an unknown scope", r.b.SetVCPUs(ctx, on, 2, backends.Scope(7)), backends.ErrInvalidArgument},
		{"vcpus of an unknown domain", r.b.SetVCPUs(ctx, unknown, 1, backends.ScopeCurrent), backends.ErrNotFound},
		{"memory above max", r.b.SetMemory(ctx, on, 600<<10, backends.ScopeLive), backends.ErrInvalidArgument},
		{"stored memory above max", r.b.SetMemory(ctx, off, 513<<10, backends.ScopeCurrent), backends.ErrInvalidArgument},
		{"no memory", r.b.SetMemory(ctx, off, 0, backends.ScopeConfig), backends.ErrInvalidArgument},
		{"live memory of a shut-off domain", r.b.SetMemory(ctx, off, 1<<10, backends.ScopeLive), backends.ErrInvalidState},
		{"memory of an unknown domain", r.b.SetMemory(ctx, unknown, 1<<10, backends.ScopeConfig), backends.ErrNotFound},
		{"vcpus once ctx has ended", r.b.SetVCPUs(ended, on, 2, backends.ScopeLive), backends.ErrTimeout},
	} {
		wantKind(t, c.what, c.err, c.kind)
	}
	if s := sizesOf(t, r, on, false); s != liveBefore {
		t.Errorf("refused changes altered the guest: %+v, was %+v", s, liveBefore)
	}
	if s := sizesOf(t, r, on, true); s != storedBefore {
		t.Errorf("refused changes altered the configuration: %+v, was %+v", s, storedBefore)
	}
	if s := sizesOf(t, r, off, true); s != offBefore {
		t.Errorf("refused changes altered the shut-off domain: %+v, was %+v", s, offBefore)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
