package backends

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestEventQueueOrderAndOverflow(t *testing.T) {
	q := NewEventQueue(3)
	defer q.Close()
	// The forwarder holds at most one batch in flight and three pending;
	// push far more than that before reading anything.
	for i := range 50 {
		q.Push(Event{Kind: EventLifecycle, Detail: strconv.Itoa(i)})
	}
	// Read until the queue is quiet: the forwarder may take a batch (and
	// an overflow marker) while pushes go on, which frees room for later
	// ones, so kept events and markers can alternate.
	var kept []int
	markers := 0
	for quiet := false; !quiet; {
		select {
		case ev := <-q.C():
			if ev.Kind == EventOverflow {
				markers++
				continue
			}
			n, _ := strconv.Atoi(ev.Detail)
			if ev.Time.IsZero() {
				t.Fatalf("event %d has no time", n)
			}
			kept = append(kept, n)
		case <-time.After(200 * time.Millisecond):
			quiet = true
		}
	}
	if q.Dropped() == 0 || markers == 0 {
		t.Fatalf("dropped %d with %d overflow markers: want some of each", q.Dropped(), markers)
	}
	if len(kept)+int(q.Dropped()) != 50 {
		t.Fatalf("delivered %d + dropped %d != 50 pushed", len(kept), q.Dropped())
	}
	if !slices.IsSorted(kept) || kept[0] != 0 {
		t.Fatalf("kept %v: want push order, from the first", kept)
	}
	// After the overflow, the queue works normally again.
	q.Push(Event{Kind: EventReboot})
	if ev := <-q.C(); ev.Kind != EventReboot {
		t.Fatalf("after overflow: %v", ev.Kind)
	}
}

func TestEventQueueClose(t *testing.T) {
	q := NewEventQueue(10)
	q.Push(Event{Kind: EventReboot})
	q.Close()
	q.Close() // twice is harmless
	q.Push(Event{Kind: EventReboot})
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-q.C():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("C not closed after Close")
		}
	}
}

func TestTransitionsCoverEveryState(t *testing.T) {
	// Every state allows something (at least destroy or start), and the
	// table agrees with State.Active: start only from inactive states.
	for s := range State(len(stateTable)) {
		if s == StateUnknown {
			continue
		}
		allowed := false
		for op := OpStart; op <= OpManagedSave; op++ {
			allowed = allowed || op.Allows(s)
		}
		if !allowed {
			t.Errorf("%v allows no operation", s)
		}
		if OpStart.Allows(s) == s.Active() {
			t.Errorf("%v: start allowed=%v but active=%v", s, OpStart.Allows(s), s.Active())
		}
		if OpDestroy.Allows(s) != s.Active() {
			t.Errorf("%v: destroy allowed=%v but active=%v", s, OpDestroy.Allows(s), s.Active())
		}
		if got, ok := ParseState(s.String()); !ok || got != s {
			t.Errorf("ParseState(%q) = %v", s.String(), got)
		}
	}
	if OpResume.Allows(StateRunning) || !OpResume.Allows(StatePaused) {
		t.Error("resume must need a paused domain")
	}
}
