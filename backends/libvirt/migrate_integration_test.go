package libvirt_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// defaultURI is libvirt's built-in test host. Unlike a test:///PATH node,
// whose state each connection reads afresh from the file, every
// connection in a process shares it while one is open: the destination
// rig sees what the migration defines over its own connection.
const defaultURI = "test:///default"

// TestMigrateOffline: shut-off domains move to another host by their
// definition, the source keeping or dropping its own; the test driver
// cannot migrate running ones, and refused migrations change nothing.
func TestMigrateOffline(t *testing.T) {
	src, node := opsBed(t, 2)
	dst := startRig(t, defaultURI, eventsOnly, libvirt.Options{})
	ctx := t.Context()
	running := planned(t, node, testbed.StateRunning, 0)
	moved := node.Domains[slices.IndexFunc(node.Domains, func(d testbed.Domain) bool {
		return d.State == testbed.StateRunning && len(d.Snapshots) == 0 && d.UUID != running.UUID
	})]
	must(t, src.b.Destroy(ctx, moved.UUID))
	src.until(t, "destroy", moved.UUID, func(d *backends.Domain) bool { return d.State == backends.StateShutOff })
	copied, err := src.b.Define(ctx, backends.DomainSpec{Name: "copied", VCPUs: 1, MemoryKiB: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	src.until(t, "define", copied, func(*backends.Domain) bool { return true })
	t.Cleanup(func() {
		for _, u := range []string{moved.UUID, copied} {
			_ = dst.b.Undefine(t.Context(), u, backends.UndefineOptions{})
		}
	})

	srcDom, _ := src.inv.Snapshot().Domain(moved.UUID)
	must(t, src.b.Migrate(ctx, moved.UUID, defaultURI, backends.MigrateOptions{Live: true, Undefine: true}))
	src.waitFor(t, "source removed", func(c inventory.Change) bool {
		return c.Kind == inventory.DomainRemoved && c.Before.UUID == moved.UUID
	})
	c := dst.waitFor(t, "destination added", func(c inventory.Change) bool {
		return c.Kind == inventory.DomainAdded && c.After.UUID == moved.UUID
	})
	got := c.After
	if got.Name != moved.Name || got.State != backends.StateShutOff || !got.Persistent || got.VCPUs != srcDom.VCPUs ||
		got.MemoryKiB != srcDom.MemoryKiB || !slices.Equal(targets(got), targets(srcDom)) || !slices.Equal(macs(got), macs(srcDom)) {
		t.Errorf("on the destination: %+v\n      on the source: %+v", got, srcDom)
	}

	// Without Undefine the source keeps its definition.
	must(t, src.b.Migrate(ctx, copied, defaultURI, backends.MigrateOptions{}))
	dst.until(t, "copy on the destination", copied, func(*backends.Domain) bool { return true })
	if _, ok := src.inv.Snapshot().Domain(copied); !ok || domainCount(t, src) != len(node.Domains) {
		t.Errorf("the source lost %s or another domain", copied)
	}

	withSnaps := planned(t, node, testbed.StateShutOff, 2)
	missing := "test://" + filepath.Join(t.TempDir(), "no-such-node.xml")
	dstBefore := domainCount(t, dst)
	for _, c := range []struct {
		what string
		err  error
		kind error
	}{
		{"a running domain", src.b.Migrate(ctx, running.UUID, defaultURI, backends.MigrateOptions{Live: true}), backends.ErrNotSupported},
		{"a domain the destination has", src.b.Migrate(ctx, copied, defaultURI, backends.MigrateOptions{Undefine: true}), backends.ErrConflict},
		{"snapshots that undefining would drop", src.b.Migrate(ctx, withSnaps.UUID, defaultURI, backends.MigrateOptions{Undefine: true}), backends.ErrInvalidState},
		{"a destination that cannot be opened", src.b.Migrate(ctx, withSnaps.UUID, missing, backends.MigrateOptions{}), backends.ErrInvalidArgument},
		{"no destination", src.b.Migrate(ctx, withSnaps.UUID, "", backends.MigrateOptions{}), backends.ErrInvalidArgument},
		{"the source's own URI", dst.b.Migrate(ctx, copied, defaultURI, backends.MigrateOptions{}), backends.ErrInvalidArgument},
		{"an unknown domain", src.b.Migrate(ctx, "00000000-0000-4000-8000-000000000000", defaultURI, backends.MigrateOptions{}), backends.ErrNotFound},
	} {
		wantKind(t, c.what, c.err, c.kind)
	}
	if n := domainCount(t, src); n != len(node.Domains) {
		t.Errorf("refused migrations left %d domains on the source, want %d", n, len(node.Domains))
	}
	if n := domainCount(t, dst); n != dstBefore {
		t.Errorf("refused migrations left %d domains on the destination, want %d", n, dstBefore)
	}
	if d, _ := src.inv.Snapshot().Domain(running.UUID); d.State != backends.StateRunning {
		t.Errorf("the running domain is now %v", d.State)
	}
}
