package deliverybench

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Arrival is one delivery as a subscriber's receiver had it.
type Arrival struct {
	// Key is, for arrivals made by New, the key of the change the
	// delivery reports (Rig.Key), decoded on arrival; a receiver puts
	// what was wrong with a delivery there too, which then matches no
	// change. For NewByID it is only that: any Key fails the check.
	Key string
	// ID is the delivery's identifier (NewByID).
	ID string
	// Body is the delivery as it came, kept by NewByID's subscriber 0
	// and decoded into its key after the timed part.
	Body []byte
	// At is when the receiver had it.
	At time.Time
}

// Arrivals records what each subscriber received, in order, and when,
// and checks it against the changes made: every one delivered to every
// subscriber, in order, and nothing else.
type Arrivals struct {
	decode func([]byte) string // NewByID's
	mu     sync.Mutex
	got    [][]Arrival
	total  int
	signal chan struct{}
}

// New is the arrivals of subscribers whose receivers decode each
// delivery into its key as it arrives (Arrival.Key): each subscriber
// must have every change's key, in order.
func New(subscribers int) *Arrivals {
	return &Arrivals{got: make([][]Arrival, subscribers), signal: make(chan struct{}, 1)}
}

// NewByID is the arrivals of subscribers whose receivers only pick out
// each delivery's identifier (Arrival.ID), subscriber 0 keeping the
// bodies too (Arrival.Body), so that decoding is not timed: subscriber
// 0's bodies, decoded into keys after the timed part, must be every
// change's key, in order, and every other subscriber's identifiers
// subscriber 0's, in the same order.
func NewByID(subscribers int, decode func(body []byte) string) *Arrivals {
	a := New(subscribers)
	a.decode = decode
	return a
}

// Record adds subscriber sub's next delivery. Receivers call it, from
// any goroutine.
func (a *Arrivals) Record(sub int, got Arrival) {
	a.mu.Lock()
	a.got[sub] = append(a.got[sub], got)
	a.total++
	a.mu.Unlock()
	select {
	case a.signal <- struct{}{}:
	default:
	}
}

func (a *Arrivals) subscribers() int { return len(a.got) }

func (a *Arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// lens is how many deliveries each subscriber has had.
func (a *Arrivals) lens() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]int, len(a.got))
	for s := range a.got {
		out[s] = len(a.got[s])
	}
	return out
}

// wait waits until want deliveries arrived in all, failing b when none
// arrives for Stall.
func (a *Arrivals) wait(b *testing.B, want int) {
	b.Helper()
	last, lastAt := a.count(), time.Now()
	for {
		n := a.count()
		if n >= want {
			return
		}
		if n != last {
			last, lastAt = n, time.Now()
		}
		if time.Since(lastAt) > Stall {
			b.Fatalf("lost: %d of %d deliveries arrived, none for %v", n, want, Stall)
		}
		select {
		case <-a.signal:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// quiet waits until nothing has arrived for d.
func (a *Arrivals) quiet(d time.Duration) {
	for n := -1; n != a.count(); {
		n = a.count()
		time.Sleep(d)
	}
}

// delivered is a delivery that passed a check: the index in want of
// the change it reports, and when it arrived.
type delivered struct {
	change int
	at     time.Time
}

// check looks at each subscriber s's deliveries from index from[s] on,
// once all are in: they must be want (one key per change), in order,
// none missing, none extra (see New and NewByID). It lets subscriber
// 0's bodies go.
func (a *Arrivals) check(from []int, want []string) ([][]delivered, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([][]delivered, len(a.got))
	var ids []string // NewByID's subscriber 0's
	for s := range a.got {
		got := a.got[s][from[s]:]
		if len(got) != len(want) {
			return nil, fmt.Errorf("subscriber %d: %d deliveries, want %d", s, len(got), len(want))
		}
		out[s] = make([]delivered, len(got))
		for k := range got {
			out[s][k] = delivered{k, got[k].At}
			g := &got[k]
			switch {
			case a.decode == nil:
				if g.Key != want[k] {
					return nil, fmt.Errorf("subscriber %d, change %d: got %q, want %q (lost, out of order or unexpected)", s, k, g.Key, want[k])
				}
			case g.Key != "":
				return nil, fmt.Errorf("subscriber %d, change %d: %s", s, k, g.Key)
			case s == 0:
				key := a.decode(g.Body)
				g.Body = nil
				if key != want[k] || g.ID == "" {
					return nil, fmt.Errorf("subscriber 0, change %d: got %q (identifier %q), want %q (lost, out of order or unexpected)", k, key, g.ID, want[k])
				}
				ids = append(ids, g.ID)
			case g.ID != ids[k]:
				return nil, fmt.Errorf("subscriber %d, change %d: identifier %q, subscriber 0 got %q (lost, out of order or unexpected)", s, k, g.ID, ids[k])
			}
		}
	}
	return out, nil
}

// inOrder is check where deliveries may be lost on the way: each
// subscriber's deliveries from index from[s] on must be want with some
// left out, none repeated, none out of order. Only for arrivals made
// by New.
func (a *Arrivals) inOrder(from []int, want []string) ([][]delivered, error) {
	if a.decode != nil {
		return nil, errors.New("deliverybench: losses are counted only for arrivals made by New")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([][]delivered, len(a.got))
	for s := range a.got {
		k := 0
		for _, g := range a.got[s][from[s]:] {
			for k < len(want) && want[k] != g.Key {
				k++
			}
			if k == len(want) {
				return nil, fmt.Errorf("subscriber %d: %q is out of order, repeated or unexpected", s, g.Key)
			}
			out[s] = append(out[s], delivered{k, g.At})
			k++
		}
	}
	return out, nil
}
