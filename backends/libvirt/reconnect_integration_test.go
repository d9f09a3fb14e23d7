package libvirt_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestReconnectResync: a remote connection whose daemon goes away leaves
// the last snapshot readable and marked stale; when the daemon is back the
// backend reconnects by itself and a full resync brings the truth back.
func TestReconnectResync(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	d := libvirttest.SessionDaemon(t)
	_, plan := writeTestbed(t, d.Dir(), 9)
	uri := d.URI(d.Dir() + "/node.xml")
	t.Run("drop and return", func(t *testing.T) {
		r := startRig(t, uri, eventsOnly, libvirt.Options{ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
		dom := testbed.UUIDsIn(plan, testbed.StateRunning)[0]
		ctx := t.Context()
		if err := r.b.Destroy(ctx, dom); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, "destroy", stateChange(dom, backends.StateShutOff))

		d.Stop()
		r.waitFor(t, "stale", func(c inventory.Change) bool { return c.Kind == inventory.InventoryStale })
		snap := r.inv.Snapshot()
		if !snap.Stale || snap.StaleSince.IsZero() {
			t.Fatalf("snapshot not marked stale: %+v", snap.Stale)
		}
		if snap.Len() != len(plan) {
			t.Fatalf("stale snapshot lost domains: %d of %d", snap.Len(), len(plan))
		}
		if got, _ := snap.Domain(dom); got.State != backends.StateShutOff {
			t.Errorf("stale snapshot: %v, want the last known shut-off", got.State)
		}
		if err := r.b.Start(ctx, dom); !errors.Is(err, backends.ErrNotConnected) {
			t.Errorf("operation while disconnected: %v, want ErrNotConnected", err)
		}

		d.Restart()
		// A new connection to the test driver reloads the file, so the
		// destroyed domain runs again: only a resync can know that.
		c := r.waitFor(t, "resync after reconnect", stateChange(dom, backends.StateRunning))
		if c.Cause.Kind != 0 {
			t.Errorf("change came from %v, want the resync", c.Cause.Kind)
		}
		r.waitFor(t, "fresh", func(c inventory.Change) bool { return c.Kind == inventory.InventoryFresh })
		snap = r.inv.Snapshot()
		if snap.Stale || snap.Len() != len(plan) {
			t.Fatalf("after reconnect: stale=%v domains=%d", snap.Stale, snap.Len())
		}
		// Events flow on the new connection.
		if err := r.b.Suspend(ctx, dom); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, "suspend after reconnect", stateChange(dom, backends.StatePaused))
	})
	// Nothing the backend and inventory started outlives them.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}

// TestReconnectBackoff: while the daemon stays down the backend keeps
// trying, and Close stops it promptly.
func TestReconnectBackoff(t *testing.T) {
	d := libvirttest.SessionDaemon(t)
	r := startRig(t, d.URI(""), eventsOnly, libvirt.Options{ReconnectMin: 10 * time.Millisecond, ReconnectMax: 40 * time.Millisecond})
	d.Stop()
	r.waitFor(t, "stale", func(c inventory.Change) bool { return c.Kind == inventory.InventoryStale })
	time.Sleep(300 * time.Millisecond) // several failed attempts
	done := make(chan error, 1)
	go func() { done <- r.b.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung while reconnecting")
	}
}
