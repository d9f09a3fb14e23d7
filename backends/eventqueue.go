package backends

import (
	"sync"
	"time"
)

// EventQueue decouples a hypervisor's callback thread from the consumer:
// Push never blocks, and when more than limit events wait, the excess is
// dropped and an EventOverflow is delivered in its place so the consumer
// resynchronises instead of silently missing a change.
type EventQueue struct {
	out chan Event

	mu       sync.Mutex
	pending  []Event
	limit    int
	overflow bool
	dropped  uint64
	closed   bool
	wake     chan struct{}
	done     chan struct{}
}

// NewEventQueue starts a queue holding at most limit undelivered events.
func NewEventQueue(limit int) *EventQueue {
	q := &EventQueue{out: make(chan Event), limit: limit, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.forward()
	return q
}

// C is the consumer's side. It is closed by Close.
func (q *EventQueue) C() <-chan Event { return q.out }

// Dropped counts events lost to a full queue.
func (q *EventQueue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Push enqueues ev without blocking.
func (q *EventQueue) Push(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	q.mu.Lock()
	switch {
	case q.closed:
	case len(q.pending) >= q.limit:
		q.dropped++
		q.overflow = true
	default:
		q.pending = append(q.pending, ev)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close stops delivery and closes C; undelivered events are discarded.
func (q *EventQueue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.mu.Unlock()
	close(q.done)
}

func (q *EventQueue) forward() {
	defer close(q.out)
	for {
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		if q.overflow {
			// The overflow marker goes after what was kept, so the consumer's
			// resync happens after it has seen everything still queued.
			batch = append(batch, Event{Kind: EventOverflow, Time: time.Now()})
			q.overflow = false
		}
		q.mu.Unlock()
		for _, ev := range batch {
			select {
			case q.out <- ev:
			case <-q.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.wake:
		case <-q.done:
			return
		}
	}
}
