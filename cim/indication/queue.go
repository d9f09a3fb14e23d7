package indication

import (
	"context"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// Why indications were lost (VB_LostIndications.Reason).
const (
	reasonQueueFull      = 1
	reasonDeliveryFailed = 2
	reasonStream         = 3
	reasonHistory        = 4 // replayed from a bookmark older than what is held
)

// loss counts indications lost in a row.
type loss struct {
	n           uint64
	reason      uint16 // the first one's
	first, last time.Time
}

func (l *loss) add(n uint64, reason uint16, at time.Time) {
	if l.n == 0 {
		l.reason, l.first = reason, at
	}
	l.n += n
	l.last = at
}

func (l *loss) merge(o loss) {
	if o.n > 0 {
		l.add(o.n, o.reason, o.first)
		l.last = o.last
	}
}

// entry is one queued indication and what was lost just before it, so
// the loss is reported in its place in the order.
type entry struct {
	ind    *cim.Instance
	before loss
}

// queue is a subscription's bounded queue of undelivered indications.
// When full, what arrives is counted, not kept: the queue keeps the
// oldest, the listener learns of the rest from a lost-indications
// indication.
type queue struct {
	mu      sync.Mutex
	items   []entry
	size    int
	pending loss // lost after the last queued entry
	total   uint64
	ready   chan struct{}
}

func newQueue(size int) *queue {
	return &queue{size: size, ready: make(chan struct{}, 1)}
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// push queues ind, or counts it lost when the queue is full.
func (q *queue) push(ind *cim.Instance, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.size {
		q.pending.add(1, reasonQueueFull, at)
		q.total++
		return
	}
	q.items = append(q.items, entry{ind: ind, before: q.pending})
	q.pending = loss{}
	q.signal()
}

// lose counts n indications lost for a reason other than a full queue.
func (q *queue) lose(n uint64, reason uint16, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending.add(n, reason, at)
	q.total += n
	q.signal()
}

// next waits for the head of the queue and returns it (ind nil when only
// a loss is pending) with the loss before it, which it hands out once.
// The head stays queued until pop.
func (q *queue) next(ctx context.Context) (*cim.Instance, loss, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			e := &q.items[0]
			l := e.before
			e.before = loss{}
			q.mu.Unlock()
			return e.ind, l, nil
		}
		if q.pending.n > 0 {
			l := q.pending
			q.pending = loss{}
			q.mu.Unlock()
			return nil, l, nil
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, loss{}, ctx.Err()
		case <-q.ready:
		}
	}
}

// length is how many indications are queued.
func (q *queue) length() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// pop drops the head.
func (q *queue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		q.items[0] = entry{}
		q.items = q.items[1:]
	}
}

// lost is how many indications this queue has lost in all; count adds
// those lost elsewhere (failed deliveries).
func (q *queue) lost(count uint64) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.total += count
	return q.total
}

// await waits until the queue holds want entries (or, for want 1, a
// loss to report) or ctx ends, then returns copies of up to max entries
// from the head and, when they are all there is, the loss after them.
// Nothing is removed: drop does.
func (q *queue) await(ctx context.Context, max, want int) ([]entry, loss) {
	for {
		q.mu.Lock()
		if len(q.items) >= want || (want <= 1 && q.pending.n > 0) || ctx.Err() != nil {
			n := min(max, len(q.items))
			out := append([]entry(nil), q.items[:n]...)
			var after loss
			if n == len(q.items) {
				after = q.pending
			}
			q.mu.Unlock()
			return out, after
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-q.ready:
		}
	}
}

// drop removes n entries from the head and the reported part of the
// loss after them.
func (q *queue) drop(n int, reported loss) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.items))
	clear(q.items[:n])
	q.items = q.items[n:]
	if reported.n > 0 {
		q.pending.n -= min(reported.n, q.pending.n)
		if q.pending.n == 0 {
			q.pending = loss{}
		}
	}
	if len(q.items) > 0 || q.pending.n > 0 {
		q.signal()
	}
}
