package indication_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/cim/provider"
	"github.com/virtbridge/virtbridge/mof"
)

// TestDurable: what was created is there after a restart on the same
// store, still delivering, with identifiers that keep increasing; a
// second agent on the same store is refused clearly.
func TestDurable(t *testing.T) {
	f := newFixture(t, options{})
	l := listenertest.Start(t)
	sp := f.subscribe(t, "durable", "DMTF:CQL", stateChanges, l.URL, nil)
	uuid := f.running(t)
	f.pauseResume(t, uuid, 1)
	l.WaitFor(t, "before the restart", func(is []*cim.Instance) bool { return len(is) == 2 })

	if _, err := indication.OpenStore(f.store, 50*time.Millisecond); !errors.Is(err, indication.ErrStoreLocked) {
		t.Errorf("second open of a store in use: %v, want ErrStoreLocked", err)
	}
	f.stop()
	f.start(t, options{})
	for class, want := range map[string]int{"CIM_IndicationFilter": 1, "CIM_ListenerDestination": 1, "CIM_IndicationSubscription": 1, "CIM_IndicationService": 1, "CIM_IndicationServiceCapabilities": 1} {
		n := 0
		if err := f.br.EnumerateInstances(interopNS, class, true, func(*cim.Instance) error { n++; return nil }); err != nil || n != want {
			t.Errorf("%s after restart: %d (%v), want %d", class, n, err, want)
		}
	}
	if inst, err := f.br.GetInstance(interopNS, sp); err != nil || u16(inst, "SubscriptionState") != 2 {
		t.Fatalf("subscription after restart: %v", err)
	}
	f.pauseResume(t, uuid, 1)
	// At least once: an indication the listener took just as the agent
	// stopped, before the agent saw the answer, comes again after the
	// restart, with the same identifier. None is missing, and new ones
	// keep increasing.
	var ids []int
	l.WaitFor(t, "after the restart", func(is []*cim.Instance) bool {
		ids = uniqueIDs(is)
		return len(ids) == 4
	})
	if !slices.IsSorted(ids) {
		t.Errorf("identifiers %v: want increasing across the restart", ids)
	}
}

// uniqueIDs is the IndicationIdentifiers of is, each once, in order of
// first arrival.
func uniqueIDs(is []*cim.Instance) []int {
	var out []int
	seen := map[int]bool{}
	for _, ind := range is {
		n, _ := strconv.Atoi(str(ind, "IndicationIdentifier"))
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// TestJobIndications: a kept job is announced by VB_InstCreation of its
// VB_ConcreteJob (running) and its end by VB_InstModification (running →
// completed).
func TestJobIndications(t *testing.T) {
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 1, Seed: 3})
	bed.Run(t)
	repo := cim.NewRepository()
	for _, ns := range []string{implNS, interopNS} {
		if _, err := cimmof.Load(mof.FS, mof.Files, repo, ns); err != nil {
			t.Fatal(err)
		}
	}
	jobs := provider.NewJobs(10, time.Minute)
	defer jobs.Close()
	st, err := indication.OpenStore(filepath.Join(t.TempDir(), "i.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := indication.New(indication.Config{Repo: repo, Schema: provider.Schema{Repo: repo, Namespace: implNS, Jobs: jobs},
		Interop: interopNS, Inventory: bed.Inventory, Store: st, Host: "host", QueueSize: 10, MaxInstances: 5,
		Exporter: export.New(10*time.Second, false)})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Watch(svc.JobWatcher)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	l := listenertest.Start(t)
	for _, inst := range []*cim.Instance{
		filterInst("jobs", "DMTF:CQL", "SELECT * FROM CIM_InstIndication WHERE SourceInstance ISA CIM_ConcreteJob"), destInst("jobs", l.URL),
	} {
		if _, err := svc.CreateInstance(ctx, interopNS, inst); err != nil {
			t.Fatal(err)
		}
	}
	ref := func(class string) cim.ObjectPath {
		return cim.ObjectPath{ClassName: class, Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String("jobs")}}}
	}
	if _, err := svc.CreateInstance(ctx, interopNS, subInst(ref("CIM_IndicationFilter"), ref("CIM_ListenerDestinationCIMXML"), nil)); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	if _, err := jobs.Run("test job", provider.JobState, cim.ObjectPath{ClassName: "VB_ComputerSystem"}, 0, time.Minute, func(context.Context) error {
		<-release
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	l.WaitFor(t, "the job's creation", func(is []*cim.Instance) bool { return len(is) == 1 })
	close(release)
	got := l.WaitFor(t, "the job's end", func(is []*cim.Instance) bool { return len(is) == 2 })
	src0, src1, prev := listenertest.Embedded(got[0], "SourceInstance"), listenertest.Embedded(got[1], "SourceInstance"), listenertest.Embedded(got[1], "PreviousInstance")
	if got[0].ClassName != "VB_InstCreation" || got[1].ClassName != "VB_InstModification" || src0 == nil || src1 == nil || prev == nil {
		t.Fatalf("want creation then modification:\n%s", listenertest.Describe(got))
	}
	if u16(src0, "JobState") != 4 || u16(prev, "JobState") != 4 || u16(src1, "JobState") != 7 || src0.ClassName != "VB_ConcreteJob" {
		t.Errorf("JobState created %d, then %d → %d; want 4, then 4 → 7", u16(src0, "JobState"), u16(prev, "JobState"), u16(src1, "JobState"))
	}
}

// TestUndeliveredSurviveRestart: indications queued for a listener that
// is down are stored; after a restart they are delivered, in order,
// once it is back.
func TestUndeliveredSurviveRestart(t *testing.T) {
	f := newFixture(t, options{retries: 100000})
	l := listenertest.Start(t)
	l.SetDown(true)
	f.subscribe(t, "queued", "DMTF:CQL", stateChanges, l.URL, nil)
	uuid := f.running(t)
	f.pauseResume(t, uuid, 2)
	f.waitDomain(t, uuid, func(d *backends.Domain) bool { return d.State == backends.StateRunning })
	time.Sleep(200 * time.Millisecond) // the four are published and logged
	f.stop()
	if n := len(l.Received()); n != 0 {
		t.Fatalf("the listener was down, yet received %d", n)
	}
	l.SetDown(false)
	f.start(t, options{})
	// At least once: a retry the stopped agent had in flight may reach
	// the listener as it comes back (the listener looks at its state
	// when it handles a request), so one may come twice; none is missing
	// and their order holds.
	var once []*cim.Instance
	l.WaitFor(t, "the queued four", func(is []*cim.Instance) bool {
		once = listenertest.FirstOfEach(is)
		return len(once) >= 4
	})
	if s := enabledStates(once); !slices.Equal(s, []uint64{9, 2, 9, 2}) {
		t.Errorf("after the restart: EnabledState %v, want [9 2 9 2]\n%s", s, listenertest.Describe(once))
	}
	if ids := uniqueIDs(once); !slices.IsSorted(ids) {
		t.Errorf("identifiers %v: want increasing", ids)
	}
}

// enabledStates is the SourceInstance EnabledState of each indication.
func enabledStates(is []*cim.Instance) []uint64 { return listenertest.SourceUints(is, "EnabledState") }

// TestSequenceNumbers: each subscription numbers what it delivers from
// 0 in a context of its own; a restart starts a new context.
func TestSequenceNumbers(t *testing.T) {
	f := newFixture(t, options{})
	l1, l2 := listenertest.Start(t), listenertest.Start(t)
	f.subscribe(t, "one", "DMTF:CQL", stateChanges, l1.URL, nil)
	f.subscribe(t, "two", "DMTF:CQL", stateChanges, l2.URL, nil)
	uuid := f.running(t)
	f.pauseResume(t, uuid, 1)
	a := l1.WaitFor(t, "two on the first", func(is []*cim.Instance) bool { return len(is) >= 2 })
	b := l2.WaitFor(t, "two on the second", func(is []*cim.Instance) bool { return len(is) >= 2 })
	seq := func(ind *cim.Instance) (string, int64) {
		v, _ := ind.Get("SequenceNumber")
		n, _ := v.Int()
		return str(ind, "SequenceContext"), n
	}
	c1, n0 := seq(a[0])
	_, n1 := seq(a[1])
	c2, m0 := seq(b[0])
	if c1 == "" || n0 != 0 || n1 != 1 || m0 != 0 {
		t.Errorf("sequence %q %d %d, %d: want a context and 0, 1 per subscription", c1, n0, n1, m0)
	}
	if c1 == c2 {
		t.Errorf("two subscriptions share SequenceContext %q", c1)
	}
	f.stop()
	f.start(t, options{})
	f.pauseResume(t, uuid, 1)
	got := l1.WaitFor(t, "after the restart", func(is []*cim.Instance) bool { return len(is) >= 4 })
	for _, ind := range got {
		if c, n := seq(ind); c != c1 {
			if n != 0 {
				t.Errorf("after a restart: the new context %q starts at %d, want 0", c, n)
			}
			return
		}
	}
	t.Errorf("after a restart: still context %q, want a new one", c1)
}
