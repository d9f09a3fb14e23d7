package libvirt

import (
	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// poolEvents and networkEvents name libvirt's storage pool and network
// lifecycle events (libvirt-storage.h, libvirt-network.h); their details
// carry nothing, so the event name is the whole story.
var poolEvents = map[lv.StoragePoolEventLifecycleType]string{
	lv.STORAGE_POOL_EVENT_DEFINED: "defined", lv.STORAGE_POOL_EVENT_UNDEFINED: "undefined",
	lv.STORAGE_POOL_EVENT_STARTED: "started", lv.STORAGE_POOL_EVENT_STOPPED: "stopped",
	lv.STORAGE_POOL_EVENT_CREATED: "created", lv.STORAGE_POOL_EVENT_DELETED: "deleted",
}

var networkEvents = map[lv.NetworkEventLifecycleType]string{
	lv.NETWORK_EVENT_DEFINED: "defined", lv.NETWORK_EVENT_UNDEFINED: "undefined",
	lv.NETWORK_EVENT_STARTED: "started", lv.NETWORK_EVENT_STOPPED: "stopped",
}

// eventName looks an event up, "unknown" for one newer than the table.
func eventName[K comparable](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return "unknown"
}

// registerHost subscribes to the storage pool and network events that
// change backends.Host. All are optional: a connection without a storage
// or network driver still describes its domains, and the periodic resync
// still refreshes the host.
func (b *Backend) registerHost(c *lv.Connect) callbacks {
	var cbs callbacks
	pool := func(id int, err error) {
		if err != nil {
			b.log.Debug("storage pool events not available", "error", err)
			return
		}
		cbs = append(cbs, func() { _ = c.StoragePoolEventDeregister(id) })
	}
	pool(c.StoragePoolEventLifecycleRegister(nil, func(_ *lv.Connect, p *lv.StoragePool, e *lv.StoragePoolEventLifecycle) {
		name, _ := p.GetName()
		b.pushHost(name, "storage-pool/"+eventName(poolEvents, e.Event))
	}))
	// Refresh re-reads a pool's sizes: its capacity and allocation move.
	pool(c.StoragePoolEventRefreshRegister(nil, func(_ *lv.Connect, p *lv.StoragePool) {
		name, _ := p.GetName()
		b.pushHost(name, "storage-pool/refreshed")
	}))
	id, err := c.NetworkEventLifecycleRegister(nil, func(_ *lv.Connect, n *lv.Network, e *lv.NetworkEventLifecycle) {
		name, _ := n.GetName()
		b.pushHost(name, "network/"+eventName(networkEvents, e.Event))
	})
	if err != nil {
		b.log.Debug("network events not available", "error", err)
	} else {
		cbs = append(cbs, func() { _ = c.NetworkEventDeregister(id) })
	}
	return cbs
}

// pushHost queues a host-wide change; the inventory re-reads the host.
func (b *Backend) pushHost(name, detail string) {
	b.events.Push(backends.Event{Kind: backends.EventHostChanged, Name: name, Detail: detail})
}
