package agent

import (
	"context"
	"sync/atomic"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// stats are the agent's own counters. Counter32 wraps, as uint32 does.
type stats struct {
	inPkts, inBadVersions, inBadCommunityNames, inBadCommunityUses, inASNParseErrs atomic.Uint32
	silentDrops, proxyDrops                                                        atomic.Uint32
	// SNMP-MPD-MIB snmpMPDStats (RFC 3412 §5)
	unknownSecurityModels, invalidMsgs, unknownPDUHandlers atomic.Uint32
	// SNMP-TARGET-MIB (RFC 3413 §4.1.3)
	unavailableContexts, unknownContexts atomic.Uint32
	// SNMP-USER-BASED-SM-MIB usmStats (RFC 3414 §5)
	unsupportedSecLevels, notInTimeWindows, unknownUserNames, unknownEngineIDs, wrongDigests, decryptionErrors atomic.Uint32
}

// The instances of the counters Reports carry, by arc under their group.
func usmStat(n uint32) mib.OID { return mib.OID{1, 3, 6, 1, 6, 3, 15, 1, 1, n, 0} }
func mpdStat(n uint32) mib.OID { return mib.OID{1, 3, 6, 1, 6, 3, 11, 2, 1, n, 0} }
func targetStat(n uint32) mib.OID {
	return mib.OID{1, 3, 6, 1, 6, 3, 12, 1, n, 0}
}

const (
	usmUnsupportedSecLevels = 1
	usmNotInTimeWindows     = 2
	usmUnknownUserNames     = 3
	usmUnknownEngineIDs     = 4
	usmWrongDigests         = 5
	usmDecryptionErrors     = 6
	mpdUnknownPDUHandlers   = 3
	targetUnknownContexts   = 5
)

func counter(oid mib.OID, c *atomic.Uint32) mib.Scalar {
	return mib.Scalar{OID: oid, Type: gosnmp.Counter32, Get: func() any { return c.Load() }}
}

// ownSubtrees builds the MIB objects the agent itself instruments.
func (a *Agent) ownSubtrees() []mib.Subtree {
	s := &a.stats
	snmp := mib.OID{1, 3, 6, 1, 2, 1, 11} // SNMPv2-MIB snmp group (RFC 3418)
	engine := mib.OID{1, 3, 6, 1, 6, 3, 10, 2, 1}
	mpd := mib.OID{1, 3, 6, 1, 6, 3, 11, 2, 1}
	usm := mib.OID{1, 3, 6, 1, 6, 3, 15, 1, 1}
	// Two single-object groups, so that the rest of snmpTargetObjects stays
	// free for whoever serves the target tables.
	unavailable := mib.OID{1, 3, 6, 1, 6, 3, 12, 1, 4}
	unknown := mib.OID{1, 3, 6, 1, 6, 3, 12, 1, 5}
	return []mib.Subtree{
		mib.NewScalars(snmp,
			counter(snmp.Append(1), &s.inPkts),
			counter(snmp.Append(3), &s.inBadVersions),
			counter(snmp.Append(4), &s.inBadCommunityNames),
			counter(snmp.Append(5), &s.inBadCommunityUses),
			counter(snmp.Append(6), &s.inASNParseErrs),
			mib.Scalar{
				OID: snmp.Append(30), Type: gosnmp.Integer,
				Get: func() any { return int(a.authenTraps.Load()) },
				Test: func(vb mib.Varbind) gosnmp.SNMPError {
					if v, ok := vb.Value.(int); !ok || v != 1 && v != 2 {
						return gosnmp.WrongValue
					}
					return gosnmp.NoError
				},
				Commit: func(_ context.Context, vb mib.Varbind) error {
					a.authenTraps.Store(int32(vb.Value.(int)))
					return nil
				},
			},
			counter(snmp.Append(31), &s.silentDrops),
			counter(snmp.Append(32), &s.proxyDrops),
		),
		mib.NewScalars(engine,
			mib.Scalar{OID: engine.Append(1), Type: gosnmp.OctetString, Get: func() any { return a.engineID }},
			mib.Scalar{OID: engine.Append(2), Type: gosnmp.Integer, Get: func() any { return int(a.boots) }},
			mib.Scalar{OID: engine.Append(3), Type: gosnmp.Integer, Get: func() any { return int(a.engineTime()) }},
			mib.Scalar{OID: engine.Append(4), Type: gosnmp.Integer, Get: func() any { return a.maxMsgSize }},
		),
		mib.NewScalars(mpd,
			counter(mpd.Append(1), &s.unknownSecurityModels),
			counter(mpd.Append(2), &s.invalidMsgs),
			counter(mpd.Append(3), &s.unknownPDUHandlers),
		),
		mib.NewScalars(unavailable, counter(unavailable, &s.unavailableContexts)),
		mib.NewScalars(unknown, counter(unknown, &s.unknownContexts)),
		mib.NewScalars(usm,
			counter(usm.Append(1), &s.unsupportedSecLevels),
			counter(usm.Append(2), &s.notInTimeWindows),
			counter(usm.Append(3), &s.unknownUserNames),
			counter(usm.Append(4), &s.unknownEngineIDs),
			counter(usm.Append(5), &s.wrongDigests),
			counter(usm.Append(6), &s.decryptionErrors),
		),
	}
}
