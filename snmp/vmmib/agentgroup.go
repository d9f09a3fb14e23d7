package vmmib

import (
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// agentGroup is VIRTBRIDGE-MIB's vbAgent scalars: what the agent is
// connected to and how fresh and busy its inventory is.
func (b *Builder) agentGroup(snap *inventory.Snapshot) []mib.Subtree {
	root := b.cfg.Enterprise.Append(arcObjects, arcAgent)
	stats := b.inv.Stats()
	stamp := func(t time.Time) uint32 { // TimeStamp: sysUpTime at t
		if t.IsZero() || t.Before(b.started) {
			return 0
		}
		return centis(t.Sub(b.started))
	}
	staleSince := uint32(0)
	if snap.Stale {
		staleSince = stamp(snap.StaleSince)
	}
	c32 := func(v uint64) uint32 { return uint32(v) }
	return mib.Each(
		mib.Scalar{OID: root.Append(1), Type: gosnmp.OctetString, Get: func() any { return b.cfg.BackendURI }},
		mib.Scalar{OID: root.Append(2), Type: gosnmp.OctetString, Get: func() any { return b.cfg.BackendName }},
		mib.Scalar{OID: root.Append(3), Type: gosnmp.Integer, Get: func() any { return truth(snap.Stale) }},
		mib.Scalar{OID: root.Append(4), Type: gosnmp.TimeTicks, Get: func() any { return staleSince }},
		mib.Scalar{OID: root.Append(5), Type: gosnmp.TimeTicks, Get: func() any { return stamp(snap.Synced) }},
		mib.Scalar{OID: root.Append(6), Type: gosnmp.Counter64, Get: func() any { return snap.Generation }},
		mib.Scalar{OID: root.Append(7), Type: gosnmp.Counter32, Get: func() any { return c32(stats.Resyncs.Load()) }},
		mib.Scalar{OID: root.Append(8), Type: gosnmp.Counter32, Get: func() any { return c32(stats.Events.Load()) }},
		mib.Scalar{OID: root.Append(9), Type: gosnmp.Counter32, Get: func() any { return c32(b.Control.Requests.Load()) }},
		mib.Scalar{OID: root.Append(10), Type: gosnmp.Counter32, Get: func() any { return c32(b.Control.Failures.Load()) }},
		mib.Scalar{OID: root.Append(11), Type: gosnmp.Counter32, Get: func() any { return c32(b.NotificationsSent.Load()) }},
		mib.Scalar{OID: root.Append(12), Type: gosnmp.Counter32, Get: func() any {
			if b.NotificationsLost == nil {
				return uint32(0)
			}
			return c32(b.NotificationsLost())
		}},
	)
}
