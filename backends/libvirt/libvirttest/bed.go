package libvirttest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// Bed is a test-driver test bed opened through the libvirt backend, with a
// synchronised inventory over it: what most front-end tests start from.
type Bed struct {
	Path      string // the node file
	Plan      []testbed.Domain
	Pools     []testbed.Pool    // empty unless Options.Pools
	Networks  []testbed.Network // empty unless Options.Networks
	Backend   *libvirt.Backend
	Inventory *inventory.Inventory
}

// NewBed writes a test bed into a temporary directory, opens it (closed at
// the end of the test) and syncs an inventory with periodic refreshes off,
// so everything after the first sync comes from events.
func NewBed(t testing.TB, opts testbed.Options) *Bed {
	t.Helper()
	b := &Bed{Path: filepath.Join(t.TempDir(), "node.xml")}
	node, err := testbed.WriteNode(b.Path, opts)
	if err != nil {
		t.Fatal(err)
	}
	b.Plan, b.Pools, b.Networks = node.Domains, node.Pools, node.Networks
	if b.Backend, err = libvirt.Open(t.Context(), "test://"+b.Path, libvirt.Options{}); err != nil {
		t.Fatalf("opening the test bed: %v", err)
	}
	t.Cleanup(func() { b.Backend.Close() })
	b.Inventory = inventory.New(b.Backend, inventory.Config{CallTimeout: time.Minute})
	if err := b.Inventory.Sync(t.Context()); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	return b
}

// Run keeps the inventory following events until the test ends: for tests
// that change the bed and read the result from the inventory.
func (b *Bed) Run(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.Inventory.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}
