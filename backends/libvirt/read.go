package libvirt

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// statsTypes is what one bulk statistics call asks for.
const statsTypes = lv.DOMAIN_STATS_STATE | lv.DOMAIN_STATS_CPU_TOTAL | lv.DOMAIN_STATS_BALLOON |
	lv.DOMAIN_STATS_VCPU | lv.DOMAIN_STATS_INTERFACE | lv.DOMAIN_STATS_BLOCK

// counterTypes is the subset refreshed on the counter interval.
const counterTypes = lv.DOMAIN_STATS_CPU_TOTAL | lv.DOMAIN_STATS_VCPU | lv.DOMAIN_STATS_INTERFACE | lv.DOMAIN_STATS_BLOCK

// domFlags are per-domain facts that ListAllDomains answers in bulk.
type domFlags struct{ persistent, autostart, managedSave, hasSnapshot bool }

// flagLists are the filtered listings that answer domFlags for every domain
// at once: one call each instead of four per domain.
var flagLists = []struct {
	filter lv.ConnectListAllDomainsFlags
	set    func(*domFlags)
}{
	{lv.CONNECT_LIST_DOMAINS_PERSISTENT, func(f *domFlags) { f.persistent = true }},
	{lv.CONNECT_LIST_DOMAINS_AUTOSTART, func(f *domFlags) { f.autostart = true }},
	{lv.CONNECT_LIST_DOMAINS_MANAGEDSAVE, func(f *domFlags) { f.managedSave = true }},
	{lv.CONNECT_LIST_DOMAINS_HAS_SNAPSHOT, func(f *domFlags) { f.hasSnapshot = true }},
}

// Domains lists every domain: a handful of bulk calls, plus one XML
// description per domain (libvirt has no bulk call for that).
func (b *Backend) Domains(ctx context.Context) ([]backends.Domain, error) {
	const op = "list domains"
	c, err := b.connection(op)
	if err != nil {
		return nil, err
	}
	all, err := c.ListAllDomains(0)
	if err != nil {
		return nil, wrap(op, "", err)
	}
	defer freeAll(all)
	flags := make(map[string]*domFlags, len(all))
	uuids := make([]string, len(all))
	for i := range all {
		u, err := all[i].GetUUIDString()
		if err != nil {
			return nil, wrap(op, "", err)
		}
		uuids[i] = strings.ToLower(u)
		flags[uuids[i]] = &domFlags{}
	}
	for _, fl := range flagLists {
		doms, err := c.ListAllDomains(fl.filter)
		if err != nil {
			return nil, wrap(op, "", err)
		}
		for i := range doms {
			if u, err := doms[i].GetUUIDString(); err == nil {
				if f, ok := flags[strings.ToLower(u)]; ok {
					fl.set(f)
				}
			}
		}
		freeAll(doms)
	}
	stats, err := b.bulkStats(c, nil, statsTypes)
	if err != nil {
		return nil, err
	}
	out := make([]backends.Domain, len(all))
	keep := make([]bool, len(all))
	errs := make([]error, len(all))
	parallel(ctx, len(all), func(i int) {
		d, err := b.read(&all[i], *flags[uuids[i]], stats[uuids[i]])
		switch {
		case errors.Is(err, backends.ErrNotFound):
			// Undefined between the listing and now; its event follows.
		case err != nil:
			errs[i] = err
		default:
			out[i], keep[i] = d, true
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, &backends.Error{Op: op, Kind: backends.ErrTimeout, Err: err}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n := 0
	for i := range out {
		if keep[i] {
			out[n] = out[i]
			n++
		}
	}
	return out[:n], nil
}

// parallel runs f(0..n-1) on a few workers, stopping early when ctx ends.
// Remote connections pipeline requests, so a few in flight pay off.
func parallel(ctx context.Context, n int, f func(int)) {
	workers := min(max(runtime.GOMAXPROCS(0), 2), 8, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

// Domain reads one domain, after an event about it.
func (b *Backend) Domain(ctx context.Context, uuid string) (backends.Domain, error) {
	const op = "read domain"
	c, err := b.connection(op)
	if err != nil {
		return backends.Domain{}, err
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		return backends.Domain{}, wrap(op, uuid, err)
	}
	defer d.Free()
	var f domFlags
	if f.persistent, err = d.IsPersistent(); err != nil {
		return backends.Domain{}, wrap(op, uuid, err)
	}
	if f.autostart, err = d.GetAutostart(); err != nil {
		return backends.Domain{}, wrap(op, uuid, err)
	}
	if f.managedSave, err = d.HasManagedSaveImage(0); err != nil {
		f.managedSave = false // drivers without managed save
	}
	f.hasSnapshot = true // one domain: just list its snapshots, maybe none
	stats, err := b.bulkStats(c, []*lv.Domain{d}, statsTypes)
	if err != nil {
		return backends.Domain{}, err
	}
	return b.read(d, f, stats[strings.ToLower(uuid)])
}

// read assembles one domain from its XML, the bulk facts and its stats.
func (b *Backend) read(d *lv.Domain, f domFlags, st *lv.DomainStats) (backends.Domain, error) {
	const op = "read domain"
	var out backends.Domain
	doc, err := d.GetXMLDesc(0)
	if err != nil {
		name, _ := d.GetName()
		return out, wrap(op, name, err)
	}
	if err := fromXML(doc, &out); err != nil {
		return out, &backends.Error{Op: op, Target: out.Name, Kind: backends.ErrInternal, Err: err}
	}
	out.Persistent, out.Autostart, out.ManagedSave = f.persistent, f.autostart, f.managedSave
	if st != nil && st.State != nil && st.State.StateSet {
		out.State, out.StateReason = state(st.State.State, st.State.Reason)
	} else {
		s, reason, err := d.GetState()
		if err != nil {
			return out, wrap(op, out.Name, err)
		}
		out.State, out.StateReason = state(s, reason)
	}
	if st != nil {
		applyStats(&out, st)
	}
	if f.hasSnapshot {
		if out.Snapshots, err = snapshots(d); err != nil {
			// The domain is worth having without them; the next read retries.
			b.log.Debug("reading snapshots failed", "domain", out.Name, "error", err)
		}
	}
	return out, nil
}

// Counters refreshes CPU time and traffic for all domains in one call.
func (b *Backend) Counters(ctx context.Context) (map[string]backends.Counters, error) {
	c, err := b.connection("read counters")
	if err != nil {
		return nil, err
	}
	stats, err := b.bulkStats(c, nil, counterTypes)
	if err != nil {
		return nil, err
	}
	out := make(map[string]backends.Counters, len(stats))
	for u, st := range stats {
		out[u] = counters(st)
	}
	return out, nil
}

// bulkStats runs one statistics call; drivers without it yield an empty
// map and the caller falls back to what XML and GetState say.
func (b *Backend) bulkStats(c *lv.Connect, doms []*lv.Domain, types lv.DomainStatsTypes) (map[string]*lv.DomainStats, error) {
	list, err := c.GetAllDomainStats(doms, types, 0)
	if err != nil {
		werr := wrap("read domain statistics", "", err)
		if errors.Is(werr, backends.ErrNotSupported) {
			return map[string]*lv.DomainStats{}, nil
		}
		return nil, werr
	}
	out := make(map[string]*lv.DomainStats, len(list))
	for i := range list {
		if u, err := list[i].Domain.GetUUIDString(); err == nil {
			out[strings.ToLower(u)] = &list[i]
		}
		_ = list[i].Domain.Free()
	}
	return out, nil
}

func freeAll(doms []lv.Domain) {
	for i := range doms {
		_ = doms[i].Free()
	}
}
