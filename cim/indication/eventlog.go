package indication

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/virtbridge/virtbridge/cim"
)

// Codec is how the log stores an indication: cim/cimxml's
// MarshalInstance and UnmarshalInstance (DSP0201 INSTANCE).
type Codec struct {
	Marshal   func(*cim.Instance) ([]byte, error)
	Unmarshal func([]byte) (*cim.Instance, error)
}

// eventLog keeps the published indications in the store, so that what a
// subscription has not yet delivered survives a crash (its queue is
// refilled from the log at start) and a WS-Eventing subscriber can
// replay from a bookmark. Writes are group-committed by one goroutine:
// while one transaction syncs the next batch gathers, so publishing
// never waits for the disk. A crash loses at most the batch in flight.
//
// Each subscription has a cursor, the identifier of the last indication
// it delivered (or dropped). The log keeps the newest `size`
// indications; older ones are deleted as new ones come.
type eventLog struct {
	store *Store
	codec Codec
	log   *slog.Logger
	size  int

	mu      sync.Mutex
	pending []held
	cursors map[string]uint64 // changed since the last commit
	forgot  map[string]bool   // subscriptions removed since the last commit
	kick    chan struct{}

	writeMu sync.Mutex // one commit at a time
	// held is how many indications the store holds, counted once (-1
	// until then) and kept by commit, under writeMu: counting is a walk
	// of every page.
	held int
}

type held struct {
	id  uint64
	at  time.Time
	ind *cim.Instance
}

// Buckets of the log.
const (
	bucketEvents  = "events"
	bucketCursors = "cursors"
)

// newEventLog keeps size indications; without a codec, none.
func newEventLog(store *Store, codec Codec, size int, log *slog.Logger) *eventLog {
	if codec.Marshal == nil || codec.Unmarshal == nil {
		size = 0
	}
	return &eventLog{store: store, codec: codec, log: log, size: max(size, 0), cursors: map[string]uint64{}, forgot: map[string]bool{}, kick: make(chan struct{}, 1), held: -1}
}

func (l *eventLog) signal() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// add logs a published indication; the caller numbers them in order.
func (l *eventLog) add(id uint64, ind *cim.Instance, at time.Time) {
	if l.size == 0 {
		return
	}
	l.mu.Lock()
	l.pending = append(l.pending, held{id, at, ind})
	l.mu.Unlock()
	l.signal()
}

// delivered moves subscription key's cursor to the indication ind.
func (l *eventLog) delivered(key string, ind *cim.Instance) {
	id, err := strconv.ParseUint(str(ind, "IndicationIdentifier"), 10, 64)
	if err != nil {
		return
	}
	l.setCursor(key, id)
}

func (l *eventLog) setCursor(key string, id uint64) {
	l.mu.Lock()
	l.cursors[key] = id
	delete(l.forgot, key)
	l.mu.Unlock()
	l.signal()
}

// forget drops a removed subscription's cursor.
func (l *eventLog) forget(key string) {
	l.mu.Lock()
	delete(l.cursors, key)
	l.forgot[key] = true
	l.mu.Unlock()
	l.signal()
}

// run commits what gathers until ctx ends, then commits the rest.
func (l *eventLog) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if err := l.commit(); err != nil {
				l.log.Warn("indications not stored at shutdown", "err", err)
			}
			return
		case <-l.kick:
			if err := l.commit(); err != nil {
				// The agent keeps delivering from memory; only a crash
				// would lose what is not stored.
				l.log.Warn("undelivered indications not stored; they are held in memory only", "err", err)
			}
		}
	}
}

// commit writes the pending indications and cursors in one transaction
// and trims the log to its size.
func (l *eventLog) commit() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	batch, cursors, forgot := l.pending, l.cursors, l.forgot
	l.pending, l.cursors, l.forgot = nil, map[string]uint64{}, map[string]bool{}
	l.mu.Unlock()
	if len(batch) == 0 && len(cursors) == 0 && len(forgot) == 0 {
		return nil
	}
	data := make([][]byte, len(batch))
	for i, h := range batch {
		b, err := l.codec.Marshal(h.ind)
		if err != nil {
			return fmt.Errorf("encoding indication %d: %w", h.id, err)
		}
		data[i] = b
	}
	err := l.store.db.Update(func(tx *bolt.Tx) error {
		ev, cur := tx.Bucket([]byte(bucketEvents)), tx.Bucket([]byte(bucketCursors))
		if l.held < 0 {
			l.held = ev.Stats().KeyN // before this transaction's writes, which it does not see
		}
		for i, h := range batch {
			if err := ev.Put(idKey(h.id), data[i]); err != nil {
				return err
			}
		}
		for k, id := range cursors {
			if err := cur.Put([]byte(k), idKey(id)); err != nil {
				return err
			}
		}
		for k := range forgot {
			if err := cur.Delete([]byte(k)); err != nil {
				return err
			}
		}
		l.held += len(batch)
		n, err := trim(ev, l.held-l.size)
		l.held -= n
		return err
	})
	if err != nil {
		l.held = -1 // the transaction was rolled back: count again
	}
	if err != nil {
		return fmt.Errorf("indication store %s: logging %d indications: %w", l.store.path, len(batch), err)
	}
	return nil
}

// trim deletes the oldest extra entries and says how many it deleted.
func trim(b *bolt.Bucket, extra int) (int, error) {
	var old [][]byte // collected first: deleting moves a cursor
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(old) < extra; k, _ = c.Next() {
		old = append(old, k)
	}
	for i, k := range old {
		if err := b.Delete(k); err != nil {
			return i, err
		}
	}
	return len(old), nil
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// cursor returns subscription key's stored cursor.
func (l *eventLog) cursor(key string) (uint64, bool) {
	var id uint64
	var ok bool
	_ = l.store.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketCursors)).Get([]byte(key)); len(v) == 8 {
			id, ok = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	return id, ok
}

// since commits what is pending, then returns the logged indications
// after the identifier after, oldest first, and how many identifiers
// after it are no longer logged: an upper bound, as identifiers
// reserved by a run that stopped were never used. next is the
// identifier the service hands out next. After 0 means from the
// earliest, and nothing counts as lost.
func (l *eventLog) since(after, next uint64) ([]held, uint64, error) {
	if err := l.commit(); err != nil {
		l.log.Warn("replaying without the newest indications", "err", err)
	}
	if l.size == 0 {
		return nil, 0, nil
	}
	var out []held
	var oldest uint64
	err := l.store.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketEvents)).Cursor()
		if k, _ := c.First(); k != nil {
			oldest = binary.BigEndian.Uint64(k)
		}
		for k, v := c.Seek(idKey(after + 1)); k != nil; k, v = c.Next() {
			ind, err := l.codec.Unmarshal(v)
			if err != nil {
				l.log.Warn("stored indication unreadable; skipped", "id", binary.BigEndian.Uint64(k), "err", err)
				continue
			}
			out = append(out, held{id: binary.BigEndian.Uint64(k), ind: ind})
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("indication store %s: reading the log: %w", l.store.path, err)
	}
	if after == 0 {
		return out, 0, nil
	}
	bound := next
	if oldest != 0 {
		if oldest <= after+1 {
			return out, 0, nil
		}
		bound = oldest
	}
	if bound <= after+1 {
		return out, 0, nil
	}
	return out, bound - after - 1, nil
}
