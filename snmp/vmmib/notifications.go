package vmmib

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// Sink takes a notification: its snmpTrapOID and the varbinds after
// sysUpTime and snmpTrapOID.
type Sink func(trapOID mib.OID, vbs []mib.Varbind)

// NotifierConfig chooses when per-VM notifications give way to bulk ones.
type NotifierConfig struct {
	// More than Threshold changes within Window switch to bulk
	// notifications (vmAffectedVMs) for the rest of that window.
	Window    time.Duration // default 1 s
	Threshold int           // default 20
}

// Notifier turns inventory changes into RFC 7666 notifications: per VM
// while changes are few, bulk (one per kind, listing the affected VMs) when
// they come in a burst, as the RFC intends. Every change is either sent on
// its own or listed in a bulk notification; Stats count both.
type Notifier struct {
	b    *Builder
	cfg  NotifierConfig
	sink Sink

	// Stats.
	Changes, PerVM, InBulk, Bulks, Suppressed, Missed atomic.Uint64
}

// NewNotifier makes a notifier sending to sink.
func NewNotifier(b *Builder, cfg NotifierConfig, sink Sink) *Notifier {
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	if cfg.Threshold <= 0 {
		cfg.Threshold = 20
	}
	return &Notifier{b: b, cfg: cfg, sink: sink}
}

// Run follows sub until ctx ends.
func (n *Notifier) Run(ctx context.Context, sub *inventory.Subscription) error {
	changes := make(chan inventory.Change)
	go func() {
		defer close(changes)
		for {
			c, err := sub.Next(ctx)
			if err != nil {
				return
			}
			select {
			case changes <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		windowEnd time.Time
		count     int
		pending   = map[uint32][]int32{} // bulk arc -> vmIndexes
		flush     = time.NewTimer(time.Hour)
	)
	flush.Stop()
	for {
		select {
		case <-ctx.Done():
			n.flushBulk(pending)
			return ctx.Err()
		case <-flush.C:
			n.flushBulk(pending)
		case c, ok := <-changes:
			if !ok {
				n.flushBulk(pending)
				return ctx.Err()
			}
			n.Missed.Add(c.Missed)
			n.agentNotification(c)
			arc, vbs, index, ok := n.perVM(c)
			if !ok {
				continue
			}
			n.Changes.Add(1)
			now := time.Now()
			if now.After(windowEnd) {
				windowEnd, count = now.Add(n.cfg.Window), 0
			}
			count++
			perVM := !n.b.Switches.PerVMOff.Load()
			bulk := !n.b.Switches.BulkOff.Load()
			switch {
			case perVM && (!bulk || count <= n.cfg.Threshold):
				n.PerVM.Add(1)
				n.sink(oidVMNotifications.Append(arc), vbs)
			case bulk:
				if len(pending) == 0 {
					flush.Reset(time.Until(windowEnd))
				}
				pending[arc+bulkOffset] = append(pending[arc+bulkOffset], index)
				n.InBulk.Add(1)
			default:
				n.Suppressed.Add(1)
			}
		}
	}
}

// perVM maps a change to its per-VM notification: the arc under
// vmNotifications, the varbinds, and the VM's vmIndex.
func (n *Notifier) perVM(c inventory.Change) (uint32, []mib.Varbind, int32, bool) {
	var d *backends.Domain
	var arc uint32
	prior := operUnknown
	switch c.Kind {
	case inventory.DomainRemoved:
		d, arc, prior = c.Before, notifDeleted, operState(c.Before)
	case inventory.DomainAdded, inventory.DomainModified:
		d = c.After
		now := operState(d)
		if c.Before != nil {
			prior = operState(c.Before)
		}
		a, ok := notificationFor[now]
		if !ok || now == prior || (c.Kind == inventory.DomainAdded && now == operShutdown) {
			return 0, nil, 0, false // not a state change; defining a VM is not one
		}
		arc = a
	default:
		return 0, nil, 0, false
	}
	nums, err := n.b.idx.Assign([]string{d.UUID})
	if err != nil || len(nums) != 1 {
		return 0, nil, 0, false
	}
	i := uint32(nums[0])
	// The RFC's varbinds; vmOperState carries the state before the change.
	vbs := []mib.Varbind{
		{OID: oidVMEntry.Append(colVMName, i), Type: gosnmp.OctetString, Value: d.Name},
		{OID: oidVMEntry.Append(colVMUUID, i), Type: gosnmp.OctetString, Value: uuidOctets(d.UUID)},
		{OID: oidVMEntry.Append(colVMOperState, i), Type: gosnmp.Integer, Value: prior},
	}
	if arc == notifDeleted {
		vbs = append(vbs, mib.Varbind{OID: oidVMEntry.Append(colVMPersistent, i), Type: gosnmp.Integer, Value: truth(d.Persistent) + 1})
	}
	return arc, vbs, nums[0], true
}

// flushBulk sends one bulk notification per kind, listing its VMs.
func (n *Notifier) flushBulk(pending map[uint32][]int32) {
	for arc, idx := range pending {
		n.Bulks.Add(1)
		n.sink(oidVMNotifications.Append(arc), []mib.Varbind{
			{OID: oidVMAffectedVMs.Append(0), Type: gosnmp.OctetString, Value: vmList(idx)},
		})
		delete(pending, arc)
	}
}

// vmList encodes VirtualMachineList: bit (i-1) of the string, most
// significant bit first, for each vmIndex i.
func vmList(idx []int32) []byte {
	var top int32
	for _, i := range idx {
		top = max(top, i)
	}
	out := make([]byte, (top+7)/8)
	for _, i := range idx {
		out[(i-1)/8] |= 0x80 >> ((i - 1) % 8)
	}
	return out
}

// agentNotification sends VIRTBRIDGE-MIB's stale / fresh notifications.
func (n *Notifier) agentNotification(c inventory.Change) {
	var arc uint32
	switch c.Kind {
	case inventory.InventoryStale:
		arc = 1
	case inventory.InventoryFresh:
		arc = 2
	default:
		return
	}
	e := n.b.cfg.Enterprise
	n.sink(e.Append(arcNotifications, arc), []mib.Varbind{
		{OID: e.Append(arcObjects, arcAgent, 1, 0), Type: gosnmp.OctetString, Value: n.b.cfg.BackendURI},
	})
}

// ControlFailed is the vbVmControlFailed notification for a failed
// control request; wire it to Control.OnFailure.
func (n *Notifier) ControlFailed(uuid string, request int, errText string) {
	nums, err := n.b.idx.Assign([]string{uuid})
	if err != nil {
		return
	}
	i := uint32(nums[0])
	e := n.b.cfg.Enterprise
	n.sink(e.Append(arcNotifications, 3), []mib.Varbind{
		{OID: e.Append(arcObjects, arcControl, 1, 1, i), Type: gosnmp.Integer, Value: request},
		{OID: e.Append(arcObjects, arcControl, 1, 3, i), Type: gosnmp.OctetString, Value: truncate(errText, 255)},
	})
}
