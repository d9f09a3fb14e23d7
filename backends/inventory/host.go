package inventory

import (
	"context"
	"reflect"

	"github.com/virtbridge/virtbridge/backends"
)

// hostResult is one re-read of the host after a host event.
type hostResult struct {
	host  backends.Host
	err   error
	epoch uint64         // hostEpoch when the read started
	cause backends.Event // the latest host event before the read
}

// readHost reads the host on behalf of Run, off its loop.
func (inv *Inventory) readHost(ctx context.Context, epoch uint64, cause backends.Event) hostResult {
	cctx, cancel := inv.call(ctx)
	defer cancel()
	h, err := inv.b.Host(cctx)
	return hostResult{host: h, err: err, epoch: epoch, cause: cause}
}

// applyHost publishes a re-read host, announcing it when more than its
// moving figures changed.
func (inv *Inventory) applyHost(r hostResult) {
	inv.wmu.Lock()
	defer inv.wmu.Unlock()
	if r.err != nil {
		inv.stats.RefreshErrors.Add(1)
		inv.needResync = true
		inv.log.Warn("re-reading the host after an event failed; a full resync will follow", "event", r.cause.Detail, "error", r.err)
		return
	}
	if r.epoch != inv.hostEpoch {
		return // a resync has published a host read since this one began
	}
	inv.stats.HostRefreshes.Add(1)
	prev := inv.cur.Load()
	if reflect.DeepEqual(prev.Host, r.host) {
		return
	}
	var changes []Change
	if !sameHost(prev.Host, r.host) {
		changes = []Change{{Kind: HostModified, Cause: r.cause}}
	}
	next := *prev // domains are shared: the snapshot indexes are immutable
	next.Host = r.host
	inv.publish(&next, changes)
}
