package indication

import (
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/virtbridge/virtbridge/cim"
)

// TestEventLogKeepsTheNewest: the log holds its size's newest
// indications whatever the batches, counting them without walking the
// store, and since() reads them back after a cursor, with the gap.
func TestEventLogKeepsTheNewest(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "log.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	codec := Codec{
		Marshal: func(i *cim.Instance) ([]byte, error) { return []byte(str(i, "IndicationIdentifier")), nil },
		Unmarshal: func(b []byte) (*cim.Instance, error) {
			i := &cim.Instance{ClassName: "X"}
			i.Set("IndicationIdentifier", cim.String(string(b)))
			return i, nil
		},
	}
	l := newEventLog(st, codec, 10, slog.New(slog.DiscardHandler))
	id := uint64(0)
	for _, batch := range []int{3, 1, 25, 7, 2} {
		for range batch {
			id++
			ind := &cim.Instance{ClassName: "X"}
			ind.Set("IndicationIdentifier", cim.String(strconv.FormatUint(id, 10)))
			l.add(id, ind, time.Now())
		}
		if err := l.commit(); err != nil {
			t.Fatal(err)
		}
	}
	var keys []uint64
	_ = st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketEvents)).ForEach(func(k, _ []byte) error {
			keys = append(keys, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if len(keys) != 10 || keys[0] != id-9 || keys[9] != id || l.held != 10 {
		t.Fatalf("log holds %v (counted %d), want the newest 10 of %d", keys, l.held, id)
	}
	held, gap, err := l.since(id-12, id+1)
	if err != nil || len(held) != 10 || held[0].id != id-9 || gap != 2 {
		t.Errorf("since(%d): %d held from %v, gap %d, %v; want 10 from %d, gap 2", id-12, len(held), held, gap, err, id-9)
	}
	if held, gap, _ := l.since(id-3, id+1); len(held) != 3 || gap != 0 {
		t.Errorf("since(%d): %d held, gap %d; want 3, 0", id-3, len(held), gap)
	}
}
