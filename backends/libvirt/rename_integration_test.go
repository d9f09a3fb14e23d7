package libvirt_test

import (
	"errors"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestRename: an inactive domain takes a new name, which reaches the
// inventory through events with its UUID unchanged; a running one, an
// empty name and a name in use are refused with typed errors.
func TestRename(t *testing.T) {
	path, plan := writeTestbed(t, t.TempDir(), 6)
	r := startRig(t, "test://"+path, eventsOnly, libvirt.Options{})
	ctx := t.Context()
	off := testbed.UUIDsIn(plan, testbed.StateShutOff)[0]
	running := testbed.UUIDsIn(plan, testbed.StateRunning)[0]
	if err := r.b.Rename(ctx, off, "renamed-by-test"); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "rename", func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == off && c.After.Name == "renamed-by-test"
	})
	if d, ok := r.inv.Snapshot().DomainByName("renamed-by-test"); !ok || d.UUID != off {
		t.Errorf("renamed domain by name: %v %v", d, ok)
	}
	runningName, _ := r.inv.Snapshot().Domain(running)
	for _, c := range []struct {
		uuid, name string
		want       error
	}{
		{running, "x", backends.ErrInvalidState},
		{off, "", backends.ErrInvalidArgument},
		{off, runningName.Name, backends.ErrConflict},
		{"00000000-0000-4000-8000-000000000000", "y", backends.ErrNotFound},
	} {
		if err := r.b.Rename(ctx, c.uuid, c.name); !errors.Is(err, c.want) {
			t.Errorf("rename %s to %q: %v, want %v", c.uuid, c.name, err, c.want)
		}
	}
}
