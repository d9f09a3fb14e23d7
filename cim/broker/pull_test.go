package broker_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/mof"
)

func (f *fixture) openCount(t *testing.T) int {
	t.Helper()
	return f.b.OpenEnumerations()
}

type opener func(broker.PullOptions, func(*cim.Instance) error) (broker.Page, error)

// pullAll opens with MaxObjectCount 0, then pulls pages of size until
// EndOfSequence, checking the page protocol on the way: a full page and a
// context until the last, which alone has EndOfSequence and no context,
// and EnumerationCount telling what is left before each pull.
func (f *fixture) pullAll(t *testing.T, kind broker.PullKind, size uint32, open opener) []*cim.Instance {
	t.Helper()
	var got []*cim.Instance
	collect := func(inst *cim.Instance) error { got = append(got, inst); return nil }
	page, err := open(broker.PullOptions{Kind: kind}, collect)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("open with MaxObjectCount 0 returned %d instances", len(got))
	}
	if page.EndOfSequence {
		if page.Context != "" {
			t.Errorf("ended open has context %q", page.Context)
		}
		return got
	}
	if page.Context == "" {
		t.Fatal("open gave neither EndOfSequence nor a context")
	}
	var total uint64
	for i := 0; !page.EndOfSequence; i++ {
		// Each count runs the operation again: check the first few.
		if i < 3 {
			left, err := f.b.EnumerationCount(ns, page.Context)
			if err != nil {
				t.Fatalf("EnumerationCount before pull %d: %v", i, err)
			}
			if i == 0 {
				total = left
			} else if left != total-uint64(len(got)) {
				t.Errorf("EnumerationCount after %d of %d: %d", len(got), total, left)
			}
		}
		before := len(got)
		ctx := page.Context
		if page, err = f.b.Pull(ns, ctx, kind, size, collect); err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		n := len(got) - before
		switch {
		case page.EndOfSequence && (page.Context != "" || n == 0 || n > int(size)):
			t.Errorf("last page: %d instances, context %q", n, page.Context)
		case !page.EndOfSequence && (page.Context == "" || n != int(size)):
			t.Errorf("page %d: %d instances (asked %d), context %q, not the end", i, n, size, page.Context)
		}
		if page.EndOfSequence {
			_, err := f.b.Pull(ns, ctx, kind, size, collect)
			wantKind(t, "pull after the end", err, cim.ErrInvalidEnumerationContext)
			_, err = f.b.EnumerationCount(ns, ctx)
			wantKind(t, "count after the end", err, cim.ErrInvalidEnumerationContext)
		}
	}
	if uint64(len(got)) != total {
		t.Errorf("pulled %d, EnumerationCount said %d", len(got), total)
	}
	return got
}

// TestPullMatchesEnumerate: every page size yields exactly what
// EnumerateInstances does, in the same order with the same values.
func TestPullMatchesEnumerate(t *testing.T) {
	f := standard(t)
	for _, class := range []string{"CIM_ComputerSystem", "CIM_LogicalDevice", "CIM_ResourceAllocationSettingData", "CIM_ConcreteJob"} {
		want := f.enumerate(ns, class, true)
		for _, size := range []uint32{1, 2, 7, uint32(len(want)), uint32(len(want)) + 1, 1000} {
			if size == 0 {
				continue
			}
			got := f.pullAll(t, broker.WithPath, size, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
				return f.b.OpenEnumerateInstances(ns, class, o, emit)
			})
			if len(got) != len(want) {
				t.Fatalf("%s by %d: pulled %d, enumerated %d", class, size, len(got), len(want))
			}
			for i := range got {
				if !got[i].Equal(want[i]) {
					t.Fatalf("%s by %d: item %d is %s, enumerated %s", class, size, i, got[i].Path.String(), want[i].Path.String())
				}
				checkFull(t, got[i].Path, f.host, ns)
			}
			paths := f.pullAll(t, broker.PathsOnly, size, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
				return f.b.OpenEnumerateInstances(ns, class, o, emit)
			})
			if !slices.Equal(identities(paths, instPath), identities(want, instPath)) {
				t.Errorf("%s by %d: paths differ", class, size)
			}
		}
	}
	// 21 systems in pages of 7: three pages, the last with the end.
	if n := len(f.enumerate(ns, "CIM_ComputerSystem", true)); n != 21 {
		t.Fatalf("%d systems", n)
	}
	// Everything in the open when it fits.
	var got []*cim.Instance
	page, err := f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{MaxObjectCount: 21}, func(inst *cim.Instance) error {
		got = append(got, inst)
		return nil
	})
	if err != nil || !page.EndOfSequence || page.Context != "" || len(got) != 21 {
		t.Errorf("open of everything: %+v, %d instances, %v", page, len(got), err)
	}
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations open after all ended", n)
	}
}

// TestPullAssociations: OpenAssociators and OpenReferences page what
// Associators and References return.
func TestPullAssociations(t *testing.T) {
	f := standard(t)
	d := f.snap.Domains()[2]
	for _, af := range []broker.AssocFilter{{}, {AssocClass: "CIM_SystemDevice"}, {Role: "Dependent"}} {
		want := f.associators(ns, vmPath(d), af)
		got := f.pullAll(t, broker.WithPath, 2, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
			return f.b.OpenAssociators(ns, vmPath(d), af, o, emit)
		})
		if !slices.Equal(identities(got, instPath), identities(want, instPath)) {
			t.Errorf("OpenAssociators(%+v): %d, Associators %d", af, len(got), len(want))
		}
		wantRefs := f.references(ns, vmPath(d), af)
		gotRefs := f.pullAll(t, broker.PathsOnly, 3, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
			return f.b.OpenReferences(ns, vmPath(d), af, o, emit)
		})
		if !slices.Equal(identities(gotRefs, instPath), identities(wantRefs, instPath)) {
			t.Errorf("OpenReferences(%+v): %d, References %d", af, len(gotRefs), len(wantRefs))
		}
	}
	// Errors surface at open or at the first pull, never as a short
	// result.
	page, err := f.b.OpenAssociators(ns, vmPath(d), broker.AssocFilter{AssocClass: "XX_Nothing"}, broker.PullOptions{}, nil)
	wantKind(t, fmt.Sprintf("OpenAssociators with a bad AssocClass (page %+v)", page), err, cim.ErrInvalidClass)
	_, err = f.b.OpenAssociators("root/nowhere", vmPath(d), broker.AssocFilter{}, broker.PullOptions{}, nil)
	wantKind(t, "OpenAssociators in root/nowhere", err, cim.ErrInvalidNamespace)
	_, err = f.b.OpenReferences(ns, cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String("x")}, {Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}}}, broker.AssocFilter{}, broker.PullOptions{MaxObjectCount: 5}, func(*cim.Instance) error { return nil })
	wantKind(t, "OpenReferences of nothing", err, cim.ErrNotFound)
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations open", n)
	}
}

func (f *fixture) open(t *testing.T, class string, o broker.PullOptions) broker.Page {
	t.Helper()
	page, err := f.b.OpenEnumerateInstances(ns, class, o, func(*cim.Instance) error { return nil })
	if err != nil {
		t.Fatalf("OpenEnumerateInstances(%s): %v", class, err)
	}
	if page.EndOfSequence || page.Context == "" {
		t.Fatalf("OpenEnumerateInstances(%s) ended at once", class)
	}
	return page
}

// TestPullContexts: a context serves its own kind in its own namespace
// until it ends or is closed.
func TestPullContexts(t *testing.T) {
	f := standard(t)
	nothing := func(*cim.Instance) error { return nil }
	ctx := f.open(t, "CIM_ComputerSystem", broker.PullOptions{Kind: broker.PathsOnly, MaxObjectCount: 3}).Context

	// The wrong kind or namespace is refused, and leaves the context be.
	for _, kind := range []broker.PullKind{broker.WithPath, broker.Instances} {
		_, err := f.b.Pull(ns, ctx, kind, 1, nothing)
		wantKind(t, "pull of kind "+kind.String(), err, cim.ErrInvalidEnumerationContext)
	}
	_, err := f.b.Pull(interop, ctx, broker.PathsOnly, 1, nothing)
	wantKind(t, "pull in another namespace", err, cim.ErrInvalidEnumerationContext)
	_, err = f.b.EnumerationCount(interop, ctx)
	wantKind(t, "count in another namespace", err, cim.ErrInvalidEnumerationContext)
	wantKind(t, "close in another namespace", f.b.CloseEnumeration(interop, ctx), cim.ErrInvalidEnumerationContext)
	left, err := f.b.EnumerationCount("/ROOT/Virtualization", ctx)
	if err != nil || left != 18 {
		t.Errorf("EnumerationCount = %d, %v; want 18", left, err)
	}
	var got []string
	page, err := f.b.Pull(ns, ctx, broker.PathsOnly, 4, func(inst *cim.Instance) error {
		got = append(got, inst.Path.String())
		return nil
	})
	if err != nil || len(got) != 4 || page.EndOfSequence {
		t.Fatalf("pull after refusals: %d, %+v, %v", len(got), page, err)
	}
	if left, _ := f.b.EnumerationCount(ns, ctx); left != 14 {
		t.Errorf("EnumerationCount after 7: %d", left)
	}
	// MaxObjectCount 0 keeps the context open without moving.
	if page, err = f.b.Pull(ns, ctx, broker.PathsOnly, 0, nothing); err != nil || page.EndOfSequence || page.Context == "" {
		t.Errorf("pull of 0: %+v, %v", page, err)
	}

	// Closed: gone for every operation.
	if err := f.b.CloseEnumeration(ns, ctx); err != nil {
		t.Fatal(err)
	}
	_, err = f.b.Pull(ns, ctx, broker.PathsOnly, 1, nothing)
	wantKind(t, "pull after close", err, cim.ErrInvalidEnumerationContext)
	_, err = f.b.EnumerationCount(ns, ctx)
	wantKind(t, "count after close", err, cim.ErrInvalidEnumerationContext)
	wantKind(t, "second close", f.b.CloseEnumeration(ns, ctx), cim.ErrInvalidEnumerationContext)
	for _, bogus := range []string{"", "0123", ctx + "0"} {
		_, err = f.b.Pull(ns, bogus, broker.PathsOnly, 1, nothing)
		wantKind(t, "pull of "+bogus, err, cim.ErrInvalidEnumerationContext)
	}
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations open", n)
	}

	// An error from emit ends the enumeration.
	ctx = f.open(t, "CIM_ComputerSystem", broker.PullOptions{}).Context
	boom := errors.New("client went away")
	if _, err := f.b.Pull(ns, ctx, broker.WithPath, 5, func(*cim.Instance) error { return boom }); err != boom {
		t.Errorf("pull with failing emit: %v", err)
	}
	_, err = f.b.Pull(ns, ctx, broker.WithPath, 5, nothing)
	wantKind(t, "pull after a failed pull", err, cim.ErrInvalidEnumerationContext)

	// OperationTimeout beyond the limit.
	for _, to := range []time.Duration{-time.Second, 31 * time.Minute} {
		_, err := f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{Timeout: to}, nothing)
		wantKind(t, fmt.Sprintf("OperationTimeout %v", to), err, cim.ErrInvalidOperationTimeout)
	}
	_, err = f.b.OpenEnumerateInstances(ns, "XX_Nothing", broker.PullOptions{}, nothing)
	wantKind(t, "open of an unknown class", err, cim.ErrInvalidClass)
	_, err = f.b.OpenEnumerateInstances("root/nowhere", "CIM_ComputerSystem", broker.PullOptions{}, nothing)
	wantKind(t, "open in an unknown namespace", err, cim.ErrInvalidNamespace)
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations open", n)
	}
}

// TestPullLimit: MaxEnumerations open contexts at most; ending one makes
// room.
func TestPullLimit(t *testing.T) {
	f := newFixture(t, testbed.Options{Domains: 5, Seed: 2}, virt.Config{MaxEnumerations: 3})
	nothing := func(*cim.Instance) error { return nil }
	var ctxs []string
	for range 3 {
		ctxs = append(ctxs, f.open(t, "CIM_ComputerSystem", broker.PullOptions{}).Context)
	}
	_, err := f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{}, nothing)
	wantKind(t, "fourth open", err, cim.ErrServerLimitsExceeded)
	_, err = f.b.OpenQueryInstances(ns, "WQL", "SELECT * FROM CIM_ComputerSystem", broker.PullOptions{Kind: broker.Instances}, nothing)
	wantKind(t, "fourth open (query)", err, cim.ErrServerLimitsExceeded)
	// Closing one makes room for one.
	if err := f.b.CloseEnumeration(ns, ctxs[0]); err != nil {
		t.Fatal(err)
	}
	ctxs[0] = f.open(t, "CIM_ComputerSystem", broker.PullOptions{}).Context
	_, err = f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{}, nothing)
	wantKind(t, "open when full again", err, cim.ErrServerLimitsExceeded)
	// Pulled to the end: the slot is free.
	if page, err := f.b.Pull(ns, ctxs[1], broker.WithPath, 100, nothing); err != nil || !page.EndOfSequence {
		t.Fatalf("pull to the end: %+v, %v", page, err)
	}
	f.open(t, "CIM_ComputerSystem", broker.PullOptions{})
	if n := f.openCount(t); n != 3 {
		t.Errorf("%d open, want 3", n)
	}
}

// TestPullExpires: a context nobody touches for its OperationTimeout is
// dropped. The test watches the slot it held come free (MaxEnumerations
// is 1) without touching the context, which would restart its timer.
func TestPullExpires(t *testing.T) {
	f := newFixture(t, testbed.Options{Domains: 3, Seed: 2}, virt.Config{MaxEnumerations: 1})
	nothing := func(*cim.Instance) error { return nil }
	ctx := f.open(t, "CIM_ComputerSystem", broker.PullOptions{Timeout: time.Second}).Context
	// The hang guard is far above the timeout: the outcome is what is
	// tested, not how long it took.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		page, err := f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{MaxObjectCount: 100}, nothing)
		if err == nil {
			if !page.EndOfSequence {
				t.Fatalf("second open: %+v", page)
			}
			break
		}
		wantKind(t, "open while the first is alive", err, cim.ErrServerLimitsExceeded)
		if time.Now().After(deadline) {
			t.Fatal("the enumeration did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := f.b.Pull(ns, ctx, broker.WithPath, 1, nothing)
	wantKind(t, "pull of an expired context", err, cim.ErrInvalidEnumerationContext)
	_, err = f.b.EnumerationCount(ns, ctx)
	wantKind(t, "count of an expired context", err, cim.ErrInvalidEnumerationContext)
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d open after expiry", n)
	}
}

// TestBrokerClose ends every enumeration.
func TestBrokerClose(t *testing.T) {
	f := standard(t)
	nothing := func(*cim.Instance) error { return nil }
	var ctxs []string
	for _, class := range []string{"CIM_ComputerSystem", "CIM_LogicalDevice", "CIM_Processor"} {
		ctxs = append(ctxs, f.open(t, class, broker.PullOptions{MaxObjectCount: 1}).Context)
	}
	f.b.Close()
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d open after Close", n)
	}
	for _, ctx := range ctxs {
		_, err := f.b.Pull(ns, ctx, broker.WithPath, 10, nothing)
		wantKind(t, "pull after Close", err, cim.ErrInvalidEnumerationContext)
		wantKind(t, "close after Close", f.b.CloseEnumeration(ns, ctx), cim.ErrInvalidEnumerationContext)
	}
}

// TestPullConcurrent runs pulls on many contexts at once, several pullers
// sharing one context, and opens and closes alongside: run with -race.
func TestPullConcurrent(t *testing.T) {
	f := standard(t)
	want := identities(f.enumerate(ns, "CIM_LogicalDevice", true), instPath)
	var wg sync.WaitGroup
	errs := make(chan error, 100)

	// Own contexts, pulled in pages.
	for i := range 6 {
		wg.Go(func() {
			var got []*cim.Instance
			collect := func(inst *cim.Instance) error { got = append(got, inst); return nil }
			page, err := f.b.OpenEnumerateInstances(ns, "CIM_LogicalDevice", broker.PullOptions{MaxObjectCount: uint32(i)}, collect)
			for err == nil && !page.EndOfSequence {
				page, err = f.b.Pull(ns, page.Context, broker.WithPath, uint32(i+1), collect)
			}
			if err != nil {
				errs <- err
				return
			}
			if ids := identities(got, instPath); !slices.Equal(ids, want) {
				errs <- fmt.Errorf("puller %d: %d instances, want %d", i, len(ids), len(want))
			}
		})
	}

	// One context, four pullers: together they get everything once.
	shared := f.open(t, "CIM_LogicalDevice", broker.PullOptions{}).Context
	var mu sync.Mutex
	var sharedGot []*cim.Instance
	for range 4 {
		wg.Go(func() {
			for {
				var mine []*cim.Instance
				page, err := f.b.Pull(ns, shared, broker.WithPath, 1, func(inst *cim.Instance) error {
					mine = append(mine, inst)
					return nil
				})
				mu.Lock()
				sharedGot = append(sharedGot, mine...)
				mu.Unlock()
				if errors.Is(err, cim.ErrInvalidEnumerationContext) {
					return // another puller reached the end
				}
				if err != nil {
					errs <- err
					return
				}
				if page.EndOfSequence {
					return
				}
			}
		})
	}

	// Opens, counts and closes.
	for range 4 {
		wg.Go(func() {
			for range 20 {
				page, err := f.b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{MaxObjectCount: 2}, func(*cim.Instance) error { return nil })
				if err != nil {
					errs <- err
					return
				}
				if n, err := f.b.EnumerationCount(ns, page.Context); err != nil || n != 19 {
					errs <- fmt.Errorf("count %d, %v", n, err)
				}
				if err := f.b.CloseEnumeration(ns, page.Context); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ids := identities(sharedGot, instPath); !slices.Equal(ids, want) {
		t.Errorf("shared context: %d instances, want %d once each", len(ids), len(want))
	}
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations left open", n)
	}
}

// gatedSource is a Source test double (not a libvirt stand-in): Enumerate
// emits n instances of VB_ComputerSystem, waiting at gate (when set)
// after the first, and fails with failAfter's error after that many when
// failAfter > 0.
type gatedSource struct {
	n, failAfter int
	gate         chan struct{}
}

var errSource = errors.New("source failed")

func (s *gatedSource) Enumerate(class string, emit func(*cim.Instance) error) error {
	for i := range s.n {
		if i == s.failAfter && s.failAfter > 0 {
			return fmt.Errorf("after %d: %w (%w)", i, errSource, cim.ErrFailed)
		}
		if i == 1 && s.gate != nil {
			<-s.gate
		}
		name := fmt.Sprintf("vm%04d", i)
		inst := &cim.Instance{ClassName: "VB_ComputerSystem", Path: cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
			{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(name)}}},
			Properties: []cim.PropertyValue{{Name: "Name", Value: cim.String(name)}}}
		if err := emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (s *gatedSource) Get(p cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

func (s *gatedSource) References(cim.ObjectPath, string, func(*cim.Instance) error) error {
	return nil
}

func doubleBroker(t *testing.T, src broker.Source) *broker.Broker {
	t.Helper()
	repo := cim.NewRepository()
	if _, err := cimmof.Load(mof.FS, mof.Files, repo, ns); err != nil {
		t.Fatal(err)
	}
	b := broker.New(broker.Config{Repo: repo, Host: "h", Open: func() map[string]broker.Source {
		return map[string]broker.Source{ns: src}
	}})
	t.Cleanup(b.Close)
	return b
}

// TestPullSourceError: a source failing half way fails the pull that
// reaches the failure, not a short EndOfSequence.
func TestPullSourceError(t *testing.T) {
	b := doubleBroker(t, &gatedSource{n: 10, failAfter: 5})
	n := 0
	count := func(*cim.Instance) error { n++; return nil }
	page, err := b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{MaxObjectCount: 3}, count)
	if err != nil || n != 3 || page.EndOfSequence {
		t.Fatalf("open: %+v, %d, %v", page, n, err)
	}
	_, err = b.EnumerationCount(ns, page.Context)
	if !errors.Is(err, errSource) {
		t.Errorf("EnumerationCount: %v", err)
	}
	_, err = b.Pull(ns, page.Context, broker.WithPath, 10, count)
	if !errors.Is(err, errSource) || !errors.Is(err, cim.ErrFailed) {
		t.Errorf("pull over the failure: %v after %d", err, n)
	}
	if b.OpenEnumerations() != 0 {
		t.Error("failed enumeration left open")
	}
	// All at once: the open itself fails.
	_, err = b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{MaxObjectCount: 100}, count)
	if !errors.Is(err, errSource) {
		t.Errorf("open over the failure: %v", err)
	}
}

// TestCloseDuringPull: Close while a pull waits for its producer must not
// let that pull end the sequence as if the result were complete.
func TestCloseDuringPull(t *testing.T) {
	const n = 64
	gate := make(chan struct{})
	b := doubleBroker(t, &gatedSource{n: n, gate: gate})
	page, err := b.OpenEnumerateInstances(ns, "CIM_ComputerSystem", broker.PullOptions{}, nil)
	if err != nil || page.EndOfSequence {
		t.Fatalf("open: %+v, %v", page, err)
	}
	first := make(chan struct{})
	type result struct {
		page broker.Page
		n    int
		err  error
	}
	done := make(chan result)
	go func() {
		got := 0
		page, err := b.Pull(ns, page.Context, broker.WithPath, 2*n, func(*cim.Instance) error {
			if got++; got == 1 {
				close(first)
			}
			return nil
		})
		done <- result{page, got, err}
	}()
	<-first // the pull has the first instance and waits for the second
	b.Close()
	close(gate)
	r := <-done
	switch {
	case r.err != nil:
		wantKind(t, "pull cut short by Close", r.err, cim.ErrServerIsShuttingDown)
	case !r.page.EndOfSequence || r.n != n:
		t.Errorf("pull cut short by Close: %d of %d instances, %+v, no error", r.n, n, r.page)
	}
}
