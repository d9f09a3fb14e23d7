package inventory

import (
	"slices"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// workingSet is the next snapshot under construction: a copy-on-write view
// of the previous one, edited in place by binary search so that one event
// costs a slice copy, not a re-sort.
type workingSet struct {
	prev       *Snapshot
	byUUID     []*backends.Domain
	byName     []*backends.Domain
	dirty      bool
	stale      bool
	staleSince time.Time
}

func newWorkingSet(prev *Snapshot) *workingSet {
	return &workingSet{prev: prev, byUUID: prev.byUUID, byName: prev.byName, stale: prev.Stale, staleSince: prev.StaleSince}
}

func (w *workingSet) own() {
	if !w.dirty {
		w.byUUID = slices.Clone(w.byUUID)
		w.byName = slices.Clone(w.byName)
		w.dirty = true
	}
}

func (w *workingSet) get(uuid string) *backends.Domain {
	i, ok := slices.BinarySearchFunc(w.byUUID, &backends.Domain{UUID: uuid}, byUUID)
	if !ok {
		return nil
	}
	return w.byUUID[i]
}

func (w *workingSet) put(d *backends.Domain) {
	w.own()
	i, ok := slices.BinarySearchFunc(w.byUUID, d, byUUID)
	if ok {
		w.deleteName(w.byUUID[i])
		w.byUUID[i] = d
	} else {
		w.byUUID = slices.Insert(w.byUUID, i, d)
	}
	j, _ := slices.BinarySearchFunc(w.byName, d, byNameThenUUID)
	w.byName = slices.Insert(w.byName, j, d)
}

func (w *workingSet) remove(uuid string) {
	w.own()
	i, ok := slices.BinarySearchFunc(w.byUUID, &backends.Domain{UUID: uuid}, byUUID)
	if !ok {
		return
	}
	w.deleteName(w.byUUID[i])
	w.byUUID = slices.Delete(w.byUUID, i, i+1)
}

func (w *workingSet) deleteName(d *backends.Domain) {
	if j, ok := slices.BinarySearchFunc(w.byName, d, byNameThenUUID); ok {
		w.byName = slices.Delete(w.byName, j, j+1)
	}
}

// snapshot freezes the working set; it must not be edited afterwards.
func (w *workingSet) snapshot() *Snapshot {
	s := &Snapshot{Host: w.prev.Host, Synced: w.prev.Synced, Stale: w.stale, StaleSince: w.staleSince, byUUID: w.byUUID, byName: w.byName}
	return s
}
