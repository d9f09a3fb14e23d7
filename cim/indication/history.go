package indication

import (
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// history keeps the latest published indications, unfiltered, so a
// WS-Eventing subscriber can replay from a bookmark (DSP0226 §10.2.6).
type history struct {
	mu    sync.Mutex
	items []held // a ring: the oldest at start
	start int
	size  int
}

type held struct {
	id  uint64
	at  time.Time
	ind *cim.Instance
}

func newHistory(size int) *history { return &history{size: max(size, 0)} }

// add keeps ind, forgetting the oldest when full.
func (h *history) add(id uint64, ind *cim.Instance, at time.Time) {
	if h.size == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.items) < h.size {
		h.items = append(h.items, held{id, at, ind})
		return
	}
	h.items[h.start] = held{id, at, ind}
	h.start = (h.start + 1) % h.size
}

// since returns what is held after the identifier after, oldest first,
// and how many identifiers after it are no longer held: an upper bound,
// as identifiers reserved by a run that stopped were never used. next
// is the identifier the service hands out next. From the earliest
// (after 0), nothing counts as lost.
func (h *history) since(after, next uint64) ([]held, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []held
	reaches := after == 0
	for i := range h.items {
		e := h.items[(h.start+i)%len(h.items)]
		if e.id > after {
			out = append(out, e)
		} else {
			reaches = true
		}
	}
	if reaches {
		return out, 0
	}
	bound := next
	if len(out) > 0 {
		bound = out[0].id
	}
	if bound <= after+1 {
		return out, 0
	}
	return out, bound - after - 1
}
