package libvirt_test

import (
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// snapshotNames lists a domain's snapshots by name, marking the current
// one with a "*": sorted, as snapshots taken in the same second are
// listed by name.
func snapshotNames(d *backends.Domain) []string {
	var out []string
	for _, s := range d.Snapshots {
		n := s.Name
		if s.Current {
			n += "*"
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func snapshotNamed(d *backends.Domain, name string) backends.Snapshot {
	i := slices.IndexFunc(d.Snapshots, func(s backends.Snapshot) bool { return s.Name == name })
	if i < 0 {
		return backends.Snapshot{}
	}
	return d.Snapshots[i]
}

// TestSnapshotOps: snapshots are taken (named or not), reverted to and
// deleted, each reaching the inventory; conflicts and absent names are
// refused.
func TestSnapshotOps(t *testing.T) {
	r, node := opsBed(t, 0)
	ctx := t.Context()
	dom := planned(t, node, testbed.StateRunning, 0).UUID

	name, err := r.b.CreateSnapshot(ctx, dom, backends.SnapshotSpec{Name: "first", Description: "before the change"})
	if err != nil || name != "first" {
		t.Fatalf("create: %q, %v", name, err)
	}
	d := r.until(t, "first snapshot", dom, func(d *backends.Domain) bool { return len(d.Snapshots) == 1 })
	if s := d.Snapshots[0]; s.Name != "first" || s.Description != "before the change" || s.State != backends.StateRunning || !s.Current || s.DiskOnly {
		t.Errorf("snapshot %+v", s)
	}

	must(t, r.b.Suspend(ctx, dom))
	r.until(t, "suspend", dom, func(d *backends.Domain) bool { return d.State == backends.StatePaused })
	auto, err := r.b.CreateSnapshot(ctx, dom, backends.SnapshotSpec{})
	if err != nil || auto == "" {
		t.Fatalf("create without a name: %q, %v", auto, err)
	}
	d = r.until(t, "second snapshot", dom, func(d *backends.Domain) bool { return len(d.Snapshots) == 2 })
	if s := snapshotNamed(d, auto); s.Name != auto || s.Parent != "first" || s.State != backends.StatePaused || !s.Current {
		t.Errorf("unnamed snapshot %+v", s)
	}

	for _, c := range []struct {
		what string
		err  error
		kind error
	}{
		{"a name in use", snapErr(r.b.CreateSnapshot(ctx, dom, backends.SnapshotSpec{Name: "first"})), backends.ErrConflict},
		{"a name with a slash", snapErr(r.b.CreateSnapshot(ctx, dom, backends.SnapshotSpec{Name: "a/b"})), backends.ErrInvalidArgument},
		{"an unknown domain", snapErr(r.b.CreateSnapshot(ctx, "00000000-0000-4000-8000-000000000000", backends.SnapshotSpec{})), backends.ErrNotFound},
		{"reverting to an absent snapshot", r.b.RevertSnapshot(ctx, dom, "nope"), backends.ErrNotFound},
		{"deleting an absent snapshot", r.b.DeleteSnapshot(ctx, dom, "nope"), backends.ErrNotFound},
		{"reverting to no name", r.b.RevertSnapshot(ctx, dom, ""), backends.ErrInvalidArgument},
	} {
		wantKind(t, c.what, c.err, c.kind)
	}

	must(t, r.b.RevertSnapshot(ctx, dom, "first"))
	r.until(t, "revert", dom, func(d *backends.Domain) bool {
		return d.State == backends.StateRunning && slices.Equal(snapshotNames(d), slices.Sorted(slices.Values([]string{"first*", auto})))
	})
	must(t, r.b.DeleteSnapshot(ctx, dom, auto))
	r.until(t, "delete", dom, func(d *backends.Domain) bool { return slices.Equal(snapshotNames(d), []string{"first*"}) })
	must(t, r.b.DeleteSnapshot(ctx, dom, "first"))
	r.until(t, "delete the last", dom, func(d *backends.Domain) bool { return len(d.Snapshots) == 0 })
}

func snapErr(_ string, err error) error { return err }
