package libvirt

import (
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// callbacks are a connection's event subscriptions, each with its own
// deregistration: libvirt has one deregister call per kind of object.
type callbacks []func()

func (cs callbacks) deregister() {
	for _, f := range cs {
		f()
	}
}

// register subscribes to the domain, storage pool and network events the
// inventory follows. Each callback only reads the object's cached UUID and
// name (no round trip) and queues; the inventory does the reading, off
// libvirt's event loop.
func (b *Backend) register(c *lv.Connect) (callbacks, error) {
	var cbs callbacks
	add := func(id int, err error) error {
		if err == nil {
			cbs = append(cbs, func() { _ = c.DomainEventDeregister(id) })
		}
		return err
	}
	fail := func(err error) (callbacks, error) {
		cbs.deregister()
		return nil, err
	}
	if err := add(c.DomainEventLifecycleRegister(nil, func(_ *lv.Connect, d *lv.Domain, e *lv.DomainEventLifecycle) {
		kind, st, detail := lifecycle(e.Event, e.Detail)
		b.push(d, backends.Event{Kind: kind, State: st, Detail: detail})
	})); err != nil {
		return fail(err)
	}
	if err := add(c.DomainEventRebootRegister(nil, func(_ *lv.Connect, d *lv.Domain) {
		b.push(d, backends.Event{Kind: backends.EventReboot, Detail: "reboot"})
	})); err != nil {
		return fail(err)
	}
	// The rest are optional: drivers without them (e.g. test) still work.
	optional := []func() (int, error){
		func() (int, error) {
			return c.DomainEventDeviceAddedRegister(nil, func(_ *lv.Connect, d *lv.Domain, e *lv.DomainEventDeviceAdded) {
				b.push(d, backends.Event{Kind: backends.EventDeviceAdded, Device: e.DevAlias, Detail: "device-added"})
			})
		},
		func() (int, error) {
			return c.DomainEventDeviceRemovedRegister(nil, func(_ *lv.Connect, d *lv.Domain, e *lv.DomainEventDeviceRemoved) {
				b.push(d, backends.Event{Kind: backends.EventDeviceRemoved, Device: e.DevAlias, Detail: "device-removed"})
			})
		},
		func() (int, error) {
			return c.DomainEventBalloonChangeRegister(nil, func(_ *lv.Connect, d *lv.Domain, _ *lv.DomainEventBalloonChange) {
				b.push(d, backends.Event{Kind: backends.EventConfigChanged, Detail: "balloon"})
			})
		},
		func() (int, error) {
			return c.DomainEventTunableRegister(nil, func(_ *lv.Connect, d *lv.Domain, _ *lv.DomainEventTunable) {
				b.push(d, backends.Event{Kind: backends.EventConfigChanged, Detail: "tunable"})
			})
		},
		func() (int, error) {
			return c.DomainEventMetadataChangeRegister(nil, func(_ *lv.Connect, d *lv.Domain, _ *lv.DomainEventMetadataChange) {
				b.push(d, backends.Event{Kind: backends.EventConfigChanged, Detail: "metadata"})
			})
		},
	}
	for _, reg := range optional {
		if err := add(reg()); err != nil {
			b.log.Debug("optional libvirt event not available", "error", err)
		}
	}
	return append(cbs, b.registerHost(c)...), nil
}

// push completes ev with the domain's identity and queues it.
func (b *Backend) push(d *lv.Domain, ev backends.Event) {
	uuid, err := d.GetUUIDString()
	if err != nil {
		// Without an identity the event is useless; a resync repairs it.
		b.events.Push(backends.Event{Kind: backends.EventOverflow, Detail: "event without a domain UUID"})
		return
	}
	ev.UUID = strings.ToLower(uuid)
	ev.Name, _ = d.GetName()
	b.events.Push(ev)
}
