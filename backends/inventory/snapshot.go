// Package inventory keeps one consistent, immutable picture of a host and
// its domains, fed by a backend's events and bulk reads, and tells
// subscribers what changed.
package inventory

import (
	"cmp"
	"slices"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// Snapshot is the inventory at one moment. It is never modified once
// published: readers may keep it as long as they like without locks.
type Snapshot struct {
	Generation uint64    // increases with every published snapshot
	Taken      time.Time // when this snapshot was published
	Synced     time.Time // last full resync with the hypervisor
	Host       backends.Host
	// Stale is true while the hypervisor connection is down: the data is
	// the last known, not the current.
	Stale      bool
	StaleSince time.Time

	byUUID []*backends.Domain // sorted by UUID
	byName []*backends.Domain // sorted by name
}

// Len is the number of domains.
func (s *Snapshot) Len() int { return len(s.byUUID) }

// Domains returns the domains ordered by UUID. The slice and the domains are
// shared: do not modify them.
func (s *Snapshot) Domains() []*backends.Domain { return s.byUUID }

// DomainsByName returns the domains ordered by name. Shared, as Domains.
func (s *Snapshot) DomainsByName() []*backends.Domain { return s.byName }

// Domain finds a domain by UUID in O(log n).
func (s *Snapshot) Domain(uuid string) (*backends.Domain, bool) {
	i, ok := slices.BinarySearchFunc(s.byUUID, uuid, func(d *backends.Domain, u string) int { return cmp.Compare(d.UUID, u) })
	if !ok {
		return nil, false
	}
	return s.byUUID[i], true
}

// DomainByName finds a domain by name in O(log n).
func (s *Snapshot) DomainByName(name string) (*backends.Domain, bool) {
	i, ok := slices.BinarySearchFunc(s.byName, name, func(d *backends.Domain, n string) int { return cmp.Compare(d.Name, n) })
	if !ok {
		return nil, false
	}
	return s.byName[i], true
}

func byUUID(a, b *backends.Domain) int { return cmp.Compare(a.UUID, b.UUID) }

// byNameThenUUID orders by name; transient domains may briefly share a name
// with a defined one, so UUID breaks ties.
func byNameThenUUID(a, b *backends.Domain) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.UUID, b.UUID)
}

// newSnapshot indexes domains, which it takes ownership of.
func newSnapshot(prev *Snapshot, host backends.Host, doms []*backends.Domain) *Snapshot {
	s := &Snapshot{Host: host, byUUID: doms}
	if prev != nil {
		s.Generation = prev.Generation
		s.Synced, s.Stale, s.StaleSince = prev.Synced, prev.Stale, prev.StaleSince
	}
	slices.SortFunc(s.byUUID, byUUID)
	s.byName = slices.Clone(s.byUUID)
	slices.SortFunc(s.byName, byNameThenUUID)
	return s
}
