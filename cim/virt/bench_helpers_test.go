package virt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
)

// What the CIM-XML (bench_test.go) and WS-Management
// (bench_wsman_test.go) benchmarks share: the test bed, synced and cut
// off from libvirt, its broker, and an HTTP server in front of a handler.

const namespace = "root/virtualization"

// countingBackend counts every read of the hypervisor made through it.
// Nothing in the CIM code holds the backend, only the inventory does; the
// count shows the inventory is not asked either while requests run.
type countingBackend struct {
	backends.Backend
	reads atomic.Int64
}

func (c *countingBackend) Host(ctx context.Context) (backends.Host, error) {
	c.reads.Add(1)
	return c.Backend.Host(ctx)
}

func (c *countingBackend) Domains(ctx context.Context) ([]backends.Domain, error) {
	c.reads.Add(1)
	return c.Backend.Domains(ctx)
}

func (c *countingBackend) Domain(ctx context.Context, uuid string) (backends.Domain, error) {
	c.reads.Add(1)
	return c.Backend.Domain(ctx, uuid)
}

func (c *countingBackend) Counters(ctx context.Context) (map[string]backends.Counters, error) {
	c.reads.Add(1)
	return c.Backend.Counters(ctx)
}

// bed is a synced test bed whose libvirt connection has been closed, and
// virt.New's broker over its inventory: whatever a front end answers comes
// from the snapshot.
type bed struct {
	uri     string // the test bed's libvirt URI
	plan    []testbed.Domain
	inv     *inventory.Inventory
	snap    *inventory.Snapshot
	backend *countingBackend
	lv      *libvirt.Backend
	broker  *broker.Broker
}

// newBed writes an n-domain test bed (the same file `virtbridge testbed
// --domains n` writes), opens it through the libvirt backend, syncs an
// inventory (no Run: no resync, no events, nothing in the background),
// closes the libvirt connection and builds the broker.
func newBed(tb testing.TB, n int) *bed {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "node.xml")
	plan, err := testbed.WriteFile(path, testbed.Options{Domains: n, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	lv, err := libvirt.Open(tb.Context(), "test://"+path, libvirt.Options{})
	if err != nil {
		tb.Fatalf("opening the test bed: %v", err)
	}
	tb.Cleanup(func() { lv.Close() })
	cb := &countingBackend{Backend: lv}
	inv := inventory.New(cb, inventory.Config{CallTimeout: time.Minute})
	if err := inv.Sync(tb.Context()); err != nil {
		tb.Fatalf("first sync: %v", err)
	}
	// From here on libvirt is unreachable: the connection is gone.
	if err := lv.Close(); err != nil {
		tb.Fatalf("closing the libvirt connection: %v", err)
	}
	br, err := virt.New(virt.Config{Namespace: namespace, Version: "bench"}, inv)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(br.Close)
	cb.reads.Store(0)
	return &bed{uri: "test://" + path, plan: plan, inv: inv, snap: inv.Snapshot(), backend: cb, lv: lv, broker: br}
}

// checkOffline fails tb if the hypervisor was read since newBed.
func (b *bed) checkOffline(tb testing.TB) {
	tb.Helper()
	if calls := b.backend.reads.Load(); calls != 0 {
		tb.Fatalf("%d hypervisor calls while serving requests", calls)
	}
}

// serve puts h on an httptest server, every request made as the
// read-only user "bench" (what cim/server does once it has checked the
// credentials), and returns the server's URL with path and its client.
func serve(tb testing.TB, h http.Handler, path string) (url string, client *http.Client) {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(server.ContextWithRole(r.Context(), server.RoleReadOnly, "bench")))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + path, srv.Client()
}
