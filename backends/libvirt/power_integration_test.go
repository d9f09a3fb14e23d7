package libvirt_test

import (
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestResetAndManagedSave: reset keeps a running domain running and is
// refused for a shut-off one; a managed save stops the domain with an
// image that the next start restores.
func TestResetAndManagedSave(t *testing.T) {
	r, node := opsBed(t, 0)
	ctx := t.Context()
	dom := planned(t, node, testbed.StateRunning, 0).UUID
	off := planned(t, node, testbed.StateShutOff, 0).UUID

	must(t, r.b.Reset(ctx, dom))
	wantKind(t, "reset a shut-off domain", r.b.Reset(ctx, off), backends.ErrInvalidState)
	wantKind(t, "managed save of a shut-off domain", r.b.ManagedSave(ctx, off), backends.ErrInvalidState)

	must(t, r.b.ManagedSave(ctx, dom))
	d := r.until(t, "managed save", dom, func(d *backends.Domain) bool { return d.State == backends.StateShutOff && d.ManagedSave })
	if d.StateReason != "saved" {
		t.Errorf("state reason %q, want saved", d.StateReason)
	}
	must(t, r.b.Start(ctx, dom))
	d = r.until(t, "restore", dom, func(d *backends.Domain) bool { return d.State == backends.StateRunning })
	// The test driver gives the reason as "booted", not "restored".
	if d.ManagedSave {
		t.Errorf("the image is still there after the restore (reason %q)", d.StateReason)
	}
}
