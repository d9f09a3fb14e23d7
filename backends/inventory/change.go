package inventory

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// ChangeKind says what a Change is about.
type ChangeKind uint8

// Change kinds.
const (
	DomainAdded    ChangeKind = iota + 1 // After is the new domain
	DomainRemoved                        // Before is the domain that went away
	DomainModified                       // Before and After differ in more than counters
	HostModified                         // the host's description changed
	InventoryStale                       // the connection dropped; the snapshot is the last known
	InventoryFresh                       // reconnected and fully resynchronised
)

var changeKindNames = [...]string{
	DomainAdded:    "domain-added",
	DomainRemoved:  "domain-removed",
	DomainModified: "domain-modified",
	HostModified:   "host-modified",
	InventoryStale: "inventory-stale",
	InventoryFresh: "inventory-fresh",
}

func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) && changeKindNames[k] != "" {
		return changeKindNames[k]
	}
	return "unknown"
}

// Change is one step in the inventory's history, in the order it happened.
type Change struct {
	Seq        uint64 // increases by one per change, across all subscribers
	Kind       ChangeKind
	Before     *backends.Domain // nil for DomainAdded and non-domain kinds
	After      *backends.Domain // nil for DomainRemoved and non-domain kinds
	Cause      backends.Event   // the event behind it; Kind is 0 when a resync found it
	Generation uint64           // the first snapshot that shows it
	Time       time.Time        // when that snapshot was published
	// Missed counts changes this subscriber lost to a full queue just before
	// this one; after a miss, re-read the snapshot.
	Missed uint64
}

// ErrClosed is returned by Next once the subscription is closed.
var ErrClosed = errors.New("subscription closed")

// Subscription is one consumer's bounded queue of changes. A slow consumer
// loses changes (counted in Missed and Dropped) instead of slowing the
// inventory down.
type Subscription struct {
	unsubscribe func(*Subscription)

	mu      sync.Mutex
	queue   []Change
	limit   int
	missed  uint64
	dropped uint64
	closed  bool
	ready   chan struct{}
}

func newSubscription(limit int, unsubscribe func(*Subscription)) *Subscription {
	if limit < 1 {
		limit = 1
	}
	return &Subscription{unsubscribe: unsubscribe, limit: limit, ready: make(chan struct{}, 1)}
}

func (s *Subscription) push(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if len(s.queue) >= s.limit {
		s.missed++
		s.dropped++
		return
	}
	c.Missed, s.missed = s.missed, 0
	s.queue = append(s.queue, c)
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Next waits for the next change.
func (s *Subscription) Next(ctx context.Context) (Change, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			c := s.queue[0]
			s.queue[0] = Change{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return c, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Change{}, ErrClosed
		}
		select {
		case <-ctx.Done():
			return Change{}, ctx.Err()
		case <-s.ready:
		}
	}
}

// Dropped is how many changes this subscriber has lost in all.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close stops delivery; Next returns queued changes, then ErrClosed.
func (s *Subscription) Close() {
	s.unsubscribe(s)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
