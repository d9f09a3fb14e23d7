package inventory_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// The inventory is tested over the real libvirt test driver: its events
// and listing calls are libvirt's own.

func openTestbed(t *testing.T, n int, opts libvirt.Options) (*libvirt.Backend, []testbed.Domain) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.xml")
	plan, err := testbed.WriteFile(path, testbed.Options{Domains: n, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := libvirt.Open(t.Context(), "test://"+path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, plan
}

func running(plan []testbed.Domain) []string { return testbed.UUIDsIn(plan, testbed.StateRunning) }

var eventsOnly = inventory.Config{CallTimeout: 30 * time.Second}

func run(t *testing.T, inv *inventory.Inventory) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func next(t *testing.T, s *inventory.Subscription) inventory.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next change: %v", err)
	}
	return c
}

// TestChangesOrderedAndBounded: every subscriber sees changes in order with
// consecutive sequence numbers; a subscriber that does not keep up loses
// the excess, counted, and is told on its next change.
func TestChangesOrderedAndBounded(t *testing.T) {
	b, plan := openTestbed(t, 3, libvirt.Options{})
	inv := inventory.New(b, eventsOnly)
	if err := inv.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	all := inv.Subscribe(1000)
	small := inv.Subscribe(2)
	run(t, inv)
	dom := running(plan)[0]
	ctx := t.Context()
	for i := range 10 {
		op := b.Suspend
		if i%2 == 1 {
			op = b.Resume
		}
		if err := op(ctx, dom); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []uint64
	for i := range 10 {
		c := next(t, all)
		want := backends.StatePaused
		if i%2 == 1 {
			want = backends.StateRunning
		}
		if c.Kind != inventory.DomainModified || c.After.State != want || c.Before.State == want {
			t.Fatalf("change %d: %v %v -> %v, want -> %v", i, c.Kind, c.Before.State, c.After.State, want)
		}
		seqs = append(seqs, c.Seq)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence numbers not consecutive: %v", seqs)
		}
	}
	// Subscribers are told one after another: the small one may hear of
	// the last change a moment after the big one, and reading its queue
	// before then would make room for it.
	deadline := time.Now().Add(10 * time.Second)
	for small.Dropped() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	var smallSeqs []uint64
	for range 2 {
		c := next(t, small)
		if c.Missed != 0 {
			t.Fatalf("first changes of the small queue report %d missed", c.Missed)
		}
		smallSeqs = append(smallSeqs, c.Seq)
	}
	if got := small.Dropped(); got != 8 {
		t.Fatalf("small subscriber dropped %d, want 8 (it kept %v; the big one got %v)", got, smallSeqs, seqs)
	}
	if err := b.Suspend(ctx, dom); err != nil {
		t.Fatal(err)
	}
	if c := next(t, small); c.Missed != 8 || c.Seq != seqs[9]+1 {
		t.Fatalf("after the gap: missed %d seq %d, want 8 and %d", c.Missed, c.Seq, seqs[9]+1)
	}
	small.Close()
	if _, err := small.Next(ctx); err != inventory.ErrClosed {
		t.Fatalf("Next after Close: %v", err)
	}
}

// TestEventOverflowResyncs: when the backend's event queue overflows, the
// inventory resynchronises and ends up right anyway.
func TestEventOverflowResyncs(t *testing.T) {
	b, plan := openTestbed(t, 12, libvirt.Options{EventQueueMax: 1})
	inv := inventory.New(b, eventsOnly)
	if err := inv.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	sub := inv.Subscribe(1000)
	// Events pile up before anyone reads them: most are dropped.
	for _, u := range running(plan) {
		if err := b.Suspend(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // let libvirt's loop deliver them
	run(t, inv)
	want := len(running(plan))
	paused := map[string]bool{}
	for len(paused) < want {
		c := next(t, sub)
		if c.Kind == inventory.DomainModified && c.After.State == backends.StatePaused {
			paused[c.After.UUID] = true
		}
	}
	if inv.Stats().Resyncs.Load() < 2 {
		t.Errorf("no resync after the overflow")
	}
	for _, u := range running(plan) {
		if d, _ := inv.Snapshot().Domain(u); d.State != backends.StatePaused {
			t.Errorf("%s: %v after overflow resync", d.Name, d.State)
		}
	}
}

// TestConcurrentReaders: readers never see a half-built snapshot while
// events are applied (run with -race).
func TestConcurrentReaders(t *testing.T) {
	b, plan := openTestbed(t, 60, libvirt.Options{})
	inv := inventory.New(b, eventsOnly)
	if err := inv.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	sub := inv.Subscribe(10000)
	run(t, inv)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := inv.Snapshot()
				if s.Len() != len(plan) || len(s.DomainsByName()) != s.Len() {
					t.Errorf("snapshot %d has %d/%d domains", s.Generation, s.Len(), len(s.DomainsByName()))
					return
				}
				if !slices.IsSortedFunc(s.DomainsByName(), func(a, b *backends.Domain) int { return strings.Compare(a.Name, b.Name) }) {
					t.Error("names out of order")
					return
				}
				for _, d := range s.Domains() {
					if got, ok := s.Domain(d.UUID); !ok || got != d {
						t.Errorf("lookup of %s failed in generation %d", d.UUID, s.Generation)
						return
					}
					_ = d.State.String()
				}
			}
		})
	}
	ops := 0
	for round := range 5 {
		for _, u := range running(plan) {
			op := b.Suspend
			if round%2 == 1 {
				op = b.Resume
			}
			if err := op(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			ops++
		}
	}
	for range ops {
		next(t, sub)
	}
	close(stop)
	wg.Wait()
	for _, u := range running(plan) {
		if d, _ := inv.Snapshot().Domain(u); d.State != backends.StatePaused {
			t.Errorf("%s ended %v, want paused", d.Name, d.State)
		}
	}
}
