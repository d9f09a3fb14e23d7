package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// Config tunes the inventory. A zero interval disables that refresh.
type Config struct {
	ResyncInterval  time.Duration // full resync; default 60 s
	CounterInterval time.Duration // bulk counter refresh; default 10 s
	CallTimeout     time.Duration // bound on each backend call; default 30 s
	Logger          *slog.Logger
}

// DefaultConfig is what the agent runs with unless told otherwise.
func DefaultConfig() Config {
	return Config{ResyncInterval: 60 * time.Second, CounterInterval: 10 * time.Second, CallTimeout: 30 * time.Second}
}

// maxBatch bounds how many queued events are folded into one snapshot.
const maxBatch = 1024

// Inventory owns the current snapshot. One goroutine (Run) writes; any
// number read through Snapshot without locks.
type Inventory struct {
	b   backends.Backend
	cfg Config
	log *slog.Logger
	cur atomic.Pointer[Snapshot]

	wmu sync.Mutex // serialises writers (Sync and Run)

	smu  sync.Mutex // guards subs and seq
	subs map[*Subscription]struct{}
	seq  uint64

	needResync   bool // only touched with wmu held
	disconnected bool // only touched with wmu held
	// hostDue asks Run to re-read the host after hostCause; hostEpoch
	// counts resyncs, so a host read overtaken by one is dropped. Only
	// touched with wmu held.
	hostDue   bool
	hostCause backends.Event
	hostEpoch uint64
	stats     Stats
}

// Stats count what the inventory has done, for diagnostics.
type Stats struct {
	Events, Resyncs, ResyncErrors, CounterRefreshes, RefreshErrors, HostRefreshes atomic.Uint64
}

// New makes an inventory over b. Call Sync, then Run.
func New(b backends.Backend, cfg Config) *Inventory {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inv := &Inventory{b: b, cfg: cfg, log: log, subs: map[*Subscription]struct{}{}}
	inv.cur.Store(&Snapshot{})
	return inv
}

// Snapshot returns the current snapshot: one atomic load, never a
// hypervisor call.
func (inv *Inventory) Snapshot() *Snapshot { return inv.cur.Load() }

// Stats returns the inventory's counters.
func (inv *Inventory) Stats() *Stats { return &inv.stats }

// Subscribe returns a queue of future changes holding at most limit
// undelivered ones.
func (inv *Inventory) Subscribe(limit int) *Subscription {
	s := newSubscription(limit, inv.unsubscribe)
	inv.smu.Lock()
	inv.subs[s] = struct{}{}
	inv.smu.Unlock()
	return s
}

func (inv *Inventory) unsubscribe(s *Subscription) {
	inv.smu.Lock()
	delete(inv.subs, s)
	inv.smu.Unlock()
}

// publish stores the next snapshot and then tells subscribers, so a
// subscriber that looks at the snapshot sees at least what it was told.
func (inv *Inventory) publish(s *Snapshot, changes []Change) {
	now := time.Now()
	s.Generation = inv.cur.Load().Generation + 1
	s.Taken = now
	inv.cur.Store(s)
	if len(changes) == 0 {
		return
	}
	inv.smu.Lock()
	defer inv.smu.Unlock()
	for i := range changes {
		inv.seq++
		changes[i].Seq = inv.seq
		changes[i].Generation = s.Generation
		changes[i].Time = now
		for sub := range inv.subs {
			sub.push(changes[i])
		}
	}
}

func (inv *Inventory) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, inv.cfg.CallTimeout)
}

// Sync reads everything from the backend and publishes it, announcing the
// differences from the previous snapshot.
func (inv *Inventory) Sync(ctx context.Context) error {
	inv.wmu.Lock()
	defer inv.wmu.Unlock()
	return inv.resync(ctx)
}

func (inv *Inventory) resync(ctx context.Context) error {
	cctx, cancel := inv.call(ctx)
	defer cancel()
	host, err := inv.b.Host(cctx)
	if err != nil {
		inv.stats.ResyncErrors.Add(1)
		return fmt.Errorf("resync: reading host: %w", err)
	}
	list, err := inv.b.Domains(cctx)
	if err != nil {
		inv.stats.ResyncErrors.Add(1)
		return fmt.Errorf("resync: listing domains: %w", err)
	}
	inv.stats.Resyncs.Add(1)
	prev := inv.cur.Load()
	now := time.Now()
	doms := make([]*backends.Domain, 0, len(list))
	var changes []Change
	seen := make(map[string]bool, len(list))
	for i := range list {
		d := &list[i]
		if seen[d.UUID] {
			continue // listed twice while it changed; the first read stands
		}
		seen[d.UUID] = true
		old, _ := prev.Domain(d.UUID)
		keepStartTime(old, d, now)
		switch {
		case old == nil:
			changes = append(changes, Change{Kind: DomainAdded, After: d})
		case !old.SameConfig(d):
			changes = append(changes, Change{Kind: DomainModified, Before: old, After: d})
		}
		doms = append(doms, d)
	}
	for _, old := range prev.Domains() {
		if !seen[old.UUID] {
			changes = append(changes, Change{Kind: DomainRemoved, Before: old})
		}
	}
	if prev.Generation > 0 && !sameHost(prev.Host, host) {
		changes = append(changes, Change{Kind: HostModified})
	}
	next := newSnapshot(prev, host, doms)
	next.Synced = now
	if next.Stale {
		next.Stale, next.StaleSince = false, time.Time{}
		changes = append(changes, Change{Kind: InventoryFresh})
	}
	inv.needResync = false
	// This read of the host follows every event applied so far.
	inv.hostDue = false
	inv.hostEpoch++
	inv.publish(next, changes)
	inv.log.Debug("inventory resynchronised", "domains", len(doms), "changes", len(changes))
	return nil
}

// sameHost ignores free memory and storage pool sizes, which move all the
// time: they are published, not announced.
func sameHost(a, b backends.Host) bool {
	a.MemoryFreeKiB, b.MemoryFreeKiB = 0, 0
	a.StoragePools, b.StoragePools = withoutSizes(a.StoragePools), withoutSizes(b.StoragePools)
	return reflect.DeepEqual(a, b)
}

// withoutSizes is a copy of pools with the figures that move zeroed.
func withoutSizes(pools []backends.StoragePool) []backends.StoragePool {
	out := slices.Clone(pools)
	for i := range out {
		out[i].CapacityB, out[i].AllocationB, out[i].AvailableB = 0, 0, 0
	}
	return out
}

// keepStartTime carries a running domain's start time across reads; a
// domain seen becoming active starts now.
func keepStartTime(old, d *backends.Domain, now time.Time) {
	switch {
	case !d.State.Active():
		d.StartTime = time.Time{}
	case !d.StartTime.IsZero():
	case old != nil && old.State.Active():
		d.StartTime = old.StartTime
	case old != nil:
		d.StartTime = now
	}
}

// Run follows the backend's events and refresh intervals until ctx ends.
func (inv *Inventory) Run(ctx context.Context) error {
	events := inv.b.Events()
	resync := ticker(inv.cfg.ResyncInterval)
	counters := ticker(inv.cfg.CounterInterval)
	defer resync.Stop()
	defer counters.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := time.Second
	fetched := make(chan map[string]backends.Counters, 1)
	fetching := false
	hostRead := make(chan hostResult, 1)
	readingHost := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok {
				return errors.New("inventory: backend event stream closed")
			}
			batch := []backends.Event{ev}
		drain:
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			inv.apply(ctx, batch)
		case <-resync.C:
			inv.wmu.Lock()
			inv.needResync = true
			inv.wmu.Unlock()
		case <-counters.C:
			// Fetched off the loop so a slow bulk call never delays events.
			if !fetching && !inv.Snapshot().Stale {
				fetching = true
				go func() { fetched <- inv.fetchCounters(ctx) }()
			}
		case all := <-fetched:
			fetching = false
			inv.applyCounters(all)
		case r := <-hostRead:
			readingHost = false
			inv.applyHost(r)
		case <-retry.C:
		}
		inv.wmu.Lock()
		if inv.needResync && !inv.disconnected {
			if err := inv.resync(ctx); err != nil {
				inv.log.Warn("inventory resync failed; retrying", "error", err, "in", backoff)
				retry.Reset(backoff)
				backoff = min(backoff*2, time.Minute)
			} else {
				backoff = time.Second
			}
		}
		if inv.hostDue && !readingHost && !inv.disconnected {
			// Read off the loop like counters; events that come meanwhile
			// set hostDue again and get a read of their own.
			readingHost = true
			epoch, cause := inv.hostEpoch, inv.hostCause
			inv.hostDue = false
			go func() { hostRead <- inv.readHost(ctx, epoch, cause) }()
		}
		inv.wmu.Unlock()
	}
}

// ticker returns a ticker, or one that never fires when d is not positive.
func ticker(d time.Duration) *time.Ticker {
	if d > 0 {
		return time.NewTicker(d)
	}
	t := time.NewTicker(time.Hour)
	t.Stop()
	return t
}

// apply folds a batch of events into one new snapshot.
func (inv *Inventory) apply(ctx context.Context, batch []backends.Event) {
	inv.wmu.Lock()
	defer inv.wmu.Unlock()
	inv.stats.Events.Add(uint64(len(batch)))
	prev := inv.cur.Load()
	work := newWorkingSet(prev)
	var changes []Change
	for _, ev := range batch {
		switch ev.Kind {
		case backends.EventConnectionLost:
			if !work.stale {
				work.stale, work.staleSince = true, ev.Time
				changes = append(changes, Change{Kind: InventoryStale, Cause: ev})
			}
			inv.log.Warn("hypervisor connection lost; serving the last snapshot as stale", "backend", inv.b.Name(), "detail", ev.Detail)
			inv.disconnected = true
		case backends.EventConnectionRestored:
			// Stay stale until the resync that follows succeeds.
			inv.disconnected = false
			inv.needResync = true
		case backends.EventOverflow:
			inv.needResync = true
		case backends.EventHostChanged:
			inv.hostDue, inv.hostCause = true, ev
		default:
			if c, ok := inv.refreshDomain(ctx, work, ev); ok {
				changes = append(changes, c)
			}
		}
	}
	if !work.dirty && len(changes) == 0 && work.stale == prev.Stale {
		return
	}
	inv.publish(work.snapshot(), changes)
}

// refreshDomain re-reads the domain an event is about.
func (inv *Inventory) refreshDomain(ctx context.Context, work *workingSet, ev backends.Event) (Change, bool) {
	old := work.get(ev.UUID)
	cctx, cancel := inv.call(ctx)
	fresh, err := inv.b.Domain(cctx, ev.UUID)
	cancel()
	switch {
	case errors.Is(err, backends.ErrNotFound):
		if old == nil {
			return Change{}, false
		}
		work.remove(ev.UUID)
		return Change{Kind: DomainRemoved, Before: old, Cause: ev}, true
	case err != nil:
		inv.stats.RefreshErrors.Add(1)
		inv.needResync = true
		inv.log.Warn("refreshing a domain after an event failed; a full resync will follow", "uuid", ev.UUID, "event", ev.Kind.String(), "error", err)
		return Change{}, false
	}
	d := &fresh
	if ev.Kind == backends.EventLifecycle && ev.State != backends.StateUnknown && d.State != ev.State {
		// The domain moved on since the event; report the state the event
		// announced so that no transition is lost. The next event corrects it.
		d.State = ev.State
		if _, reason, ok := strings.Cut(ev.Detail, "/"); ok {
			d.StateReason = reason
		}
	}
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	keepStartTime(old, d, at)
	work.put(d)
	switch {
	case old == nil:
		return Change{Kind: DomainAdded, After: d, Cause: ev}, true
	case !old.SameConfig(d) || ev.Kind == backends.EventReboot:
		return Change{Kind: DomainModified, Before: old, After: d, Cause: ev}, true
	}
	return Change{}, false
}

// fetchCounters reads CPU time and traffic in bulk; nil on failure.
func (inv *Inventory) fetchCounters(ctx context.Context) map[string]backends.Counters {
	cctx, cancel := inv.call(ctx)
	defer cancel()
	all, err := inv.b.Counters(cctx)
	if err != nil {
		inv.log.Warn("bulk counter refresh failed", "error", err)
		return nil
	}
	return all
}

// applyCounters publishes counters over the current snapshot; counters are
// not changes, so nothing is announced.
func (inv *Inventory) applyCounters(all map[string]backends.Counters) {
	if len(all) == 0 {
		return
	}
	inv.wmu.Lock()
	defer inv.wmu.Unlock()
	prev := inv.cur.Load()
	inv.stats.CounterRefreshes.Add(1)
	doms := make([]*backends.Domain, 0, prev.Len())
	for _, d := range prev.Domains() {
		if c, ok := all[d.UUID]; ok {
			d = d.Clone()
			d.ApplyCounters(c)
		}
		doms = append(doms, d)
	}
	inv.publish(newSnapshot(prev, prev.Host, doms), nil)
}
