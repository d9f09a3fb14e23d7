package libvirt_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// writeTestbed writes an n-domain test-driver file into dir.
func writeTestbed(t testing.TB, dir string, n int) (string, []testbed.Domain) {
	t.Helper()
	path := filepath.Join(dir, "node.xml")
	plan, err := testbed.WriteFile(path, testbed.Options{Domains: n, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return path, plan
}

// rig is a backend with an inventory following it.
type rig struct {
	b   *libvirt.Backend
	inv *inventory.Inventory
	sub *inventory.Subscription
}

// eventsOnly turns off every periodic refresh: whatever the inventory
// learns after the first sync, it learns from events.
var eventsOnly = inventory.Config{ResyncInterval: 0, CounterInterval: 0, CallTimeout: 30 * time.Second}

func startRig(t testing.TB, uri string, cfg inventory.Config, opts libvirt.Options) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, err := libvirt.Open(ctx, uri, opts)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", uri, err)
	}
	inv := inventory.New(b, cfg)
	if err := inv.Sync(ctx); err != nil {
		cancel()
		b.Close()
		t.Fatalf("first sync: %v", err)
	}
	r := &rig{b: b, inv: inv, sub: inv.Subscribe(4096)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = inv.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		r.sub.Close()
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return r
}

// waitFor returns the first change satisfying ok, failing after a generous
// deadline (a hang, not a performance threshold).
func (r *rig) waitFor(t testing.TB, what string, ok func(inventory.Change) bool) inventory.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := r.sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(c) {
			return c
		}
	}
}

// quiet consumes changes until none has come for d.
func (r *rig) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := r.sub.Next(ctx)
		cancel()
		if err != nil {
			return
		}
	}
}

// stateChange matches a change putting uuid into state st.
func stateChange(uuid string, st backends.State) func(inventory.Change) bool {
	return func(c inventory.Change) bool {
		return c.Kind == inventory.DomainModified && c.After != nil && c.After.UUID == uuid && c.After.State == st
	}
}

func needVirsh(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("virsh"); err != nil {
		t.Skip("virsh not installed (apt-get install libvirt-clients)")
	}
}
