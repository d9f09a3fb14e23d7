package indication

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store keeps the filters, listener destinations and subscriptions, and
// the indication counter, in a bbolt file: one bucket per kind, one JSON
// record per key, every write one transaction (atomic and synced).
type Store struct {
	db   *bolt.DB
	path string
}

// ErrStoreLocked is wrapped by Open when another process holds the file.
var ErrStoreLocked = errors.New("indication store is locked by another process")

// Bucket names, one per kind of record.
const (
	bucketFilters       = "filters"
	bucketDestinations  = "destinations"
	bucketSubscriptions = "subscriptions"
	bucketMeta          = "meta"
	keyNextID           = "next-indication-id"
)

// OpenStore opens (creating) the store at path, waiting up to
// lockTimeout for another holder of the file to let go.
func OpenStore(path string, lockTimeout time.Duration) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (is another virtbridge running with the same state directory?)", path, ErrStoreLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the indication store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketFilters, bucketDestinations, bucketSubscriptions, bucketMeta, bucketEvents, bucketCursors} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("preparing the indication store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// put writes one record.
func (s *Store) put(bucket, key string, rec any) error {
	return s.apply(storeOp{bucket: bucket, key: key, rec: rec})
}

// del removes one record.
func (s *Store) del(bucket, key string) error { return s.apply(storeOp{bucket: bucket, key: key}) }

// storeOp is one write of apply: rec stored at key, or the key deleted
// when rec is nil.
type storeOp struct {
	bucket, key string
	rec         any
}

// apply makes every op in one transaction: all or none.
func (s *Store) apply(ops ...storeOp) error {
	data := make([][]byte, len(ops))
	for i, op := range ops {
		if op.rec == nil {
			continue
		}
		b, err := json.Marshal(op.rec)
		if err != nil {
			return err
		}
		data[i] = b
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, op := range ops {
			b := tx.Bucket([]byte(op.bucket))
			var err error
			if op.rec == nil {
				err = b.Delete([]byte(op.key))
			} else {
				err = b.Put([]byte(op.key), data[i])
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", op.bucket, op.key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("indication store %s: %w", s.path, err)
	}
	return nil
}

// each decodes every record of bucket into a fresh T and calls fn.
func each[T any](s *Store, bucket string, fn func(key string, rec *T) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			rec := new(T)
			if err := json.Unmarshal(v, rec); err != nil {
				return fmt.Errorf("indication store %s: record %s/%s: %w", s.path, bucket, k, err)
			}
			return fn(string(k), rec)
		})
	})
}

// nextID is the first identifier no run has reserved.
func (s *Store) nextID() (uint64, error) {
	var next uint64 = 1
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(keyNextID)); len(v) == 8 {
			next = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return next, err
}

// reserveIDs returns the first of n indication identifiers no earlier
// run handed out and records that they are taken, so identifiers keep
// increasing across restarts (a crash only leaves a gap).
func (s *Store) reserveIDs(n uint64) (uint64, error) {
	var first uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketMeta))
		if v := b.Get([]byte(keyNextID)); len(v) == 8 {
			first = binary.BigEndian.Uint64(v)
		}
		if first == 0 {
			first = 1
		}
		return b.Put([]byte(keyNextID), binary.BigEndian.AppendUint64(nil, first+n))
	})
	if err != nil {
		return 0, fmt.Errorf("indication store %s: reserving identifiers: %w", s.path, err)
	}
	return first, nil
}
