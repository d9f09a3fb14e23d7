package libvirt_test

import (
	"errors"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestAutostartAndDescription: both settings reach the inventory through
// events alone.
func TestAutostartAndDescription(t *testing.T) {
	path, plan := writeTestbed(t, t.TempDir(), 4)
	r := startRig(t, "test://"+path, eventsOnly, libvirt.Options{})
	ctx := t.Context()
	uuid := testbed.UUIDsIn(plan, testbed.StateRunning)[0]
	if err := r.b.SetDescription(ctx, uuid, "notes from a test"); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "description", func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == uuid && c.After.Description == "notes from a test"
	})
	if err := r.b.SetAutostart(ctx, uuid, true); err != nil {
		t.Fatal(err)
	}
	// libvirt sends no event for autostart; the backend makes one.
	r.waitFor(t, "autostart", func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == uuid && c.After.Autostart
	})
	if err := r.b.SetAutostart(ctx, "00000000-0000-4000-8000-000000000000", true); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("unknown domain: %v", err)
	}
}
