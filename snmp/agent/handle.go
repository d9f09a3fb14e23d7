package agent

import (
	"bytes"
	"context"
	"errors"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// handle processes one datagram and returns the datagram to answer with,
// or nil. It may modify pkt (it zeroes the MAC to check it).
func (a *Agent) handle(ctx context.Context, pkt []byte) []byte {
	a.stats.inPkts.Add(1)
	if len(pkt) > a.maxMsgSize {
		// Beyond snmpEngineMaxMessageSize: we do not receive it.
		return a.drop(&a.stats.inASNParseErrs, "message larger than our msgMaxSize", "size", len(pkt))
	}
	r, version, err := decodeVersion(pkt)
	switch {
	case errors.Is(err, errVersion):
		return a.drop(&a.stats.inBadVersions, "unsupported version", "err", err)
	case err != nil:
		return a.drop(&a.stats.inASNParseErrs, "malformed message", "err", err)
	case version == version3:
		return a.handleV3(ctx, r, pkt)
	}
	return a.handleCommunity(ctx, r, version)
}

type counter32 interface{ Add(uint32) uint32 }

func (a *Agent) drop(c counter32, why string, args ...any) []byte {
	if c != nil {
		c.Add(1)
	}
	a.log.Debug("snmp agent: dropped: "+why, args...)
	return nil
}

// confirmed reports whether a PDU expects an answer (RFC 3411 §2.8).
func confirmed(typ byte) bool {
	switch typ {
	case pduGet, pduGetNext, pduGetBulk, pduSet, pduInform:
		return true
	}
	return false
}

func (a *Agent) handleCommunity(ctx context.Context, r *reader, version int) []byte {
	m, err := decodeCommunityMsg(r, version)
	switch {
	case errors.Is(err, errTrapV1) && version == version1:
		return a.drop(nil, "a trap: we are no notification receiver")
	case err != nil:
		return a.drop(&a.stats.inASNParseErrs, "malformed message", "err", err)
	}
	p := m.pdu
	if version == version1 && p.typ != pduGet && p.typ != pduGetNext && p.typ != pduSet && p.typ != pduResponse {
		// GetBulk, Inform, SNMPv2-Trap and Report are not in SNMPv1's
		// PDUs CHOICE (RFC 1157 §4): the message does not parse as v1.
		return a.drop(&a.stats.inASNParseErrs, "PDU type not in SNMPv1", "type", p.typ)
	}
	c := a.communities[string(m.community)]
	if c == nil {
		return a.drop(&a.stats.inBadCommunityNames, "unknown community")
	}
	if p.typ != pduGet && p.typ != pduGetNext && p.typ != pduGetBulk && p.typ != pduSet {
		return a.drop(nil, "not a request", "type", p.typ)
	}
	resp := &response{version: version, community: m.community, pduType: pduResponse, requestID: p.requestID}
	acc := access{version: version, read: c.read, write: c.write, roCommunity: c.readOnly}
	return a.dispatch(ctx, acc, p, resp, a.maxMsgSize)
}

// handleV3 follows RFC 3412 §7.2 and RFC 3414 §3.2, in their order.
func (a *Agent) handleV3(ctx context.Context, r *reader, pkt []byte) []byte {
	s := &a.stats
	m, err := decodeV3(r)
	if err != nil {
		return a.drop(&s.inASNParseErrs, "malformed v3 message", "err", err)
	}
	if m.secModel != usmModel {
		return a.drop(&s.unknownSecurityModels, "unknown security model", "model", m.secModel)
	}
	if m.flags&flagPriv != 0 && m.flags&flagAuth == 0 {
		return a.drop(&s.invalidMsgs, "privacy without authentication")
	}
	level := m.flags & (flagAuth | flagPriv)
	resp := &response{
		version: version3, msgID: m.msgID, userName: m.user,
		ctxEngineID: a.engineID, boots: a.boots, time: a.engineTime(),
		pduType: pduReport,
	}
	limit := min(a.maxMsgSize, int(m.maxSize))

	// A plaintext PDU can be read before security is checked: Reports
	// answer only the Confirmed Class and carry the request's request-id.
	var plain *pdu
	if !m.encrypted {
		_, _, plain, _ = decodeScoped(m.data)
	}
	report := func(oid mib.OID, count uint32, level byte, u *usmUser, why string) []byte {
		a.log.Debug("snmp agent: report: "+why, "user", string(m.user), "level", levelName(m.flags&levelPriv))
		if m.flags&flagReport == 0 || plain != nil && !confirmed(plain.typ) {
			return nil
		}
		resp.level, resp.user = level, u
		if plain != nil {
			resp.requestID = plain.requestID
		}
		vbl, _ := appendVarbind(nil, oid, mib.Varbind{Type: gosnmp.Counter32, Value: count})
		if a.size(resp, len(vbl)) > limit {
			return a.drop(&s.silentDrops, "report larger than the requester's msgMaxSize")
		}
		return a.encode(resp, vbl)
	}

	if !bytes.Equal(m.engineID, a.engineID) {
		// Discovery lands here too (an empty msgAuthoritativeEngineID).
		return report(usmStat(usmUnknownEngineIDs), s.unknownEngineIDs.Add(1), levelNoAuth, nil, "unknown engine ID")
	}
	u := a.users[string(m.user)]
	if u == nil {
		return report(usmStat(usmUnknownUserNames), s.unknownUserNames.Add(1), levelNoAuth, nil, "unknown user")
	}
	if level > u.level {
		return report(usmStat(usmUnsupportedSecLevels), s.unsupportedSecLevels.Add(1), levelNoAuth, nil, "security level above the user's")
	}
	if level&flagAuth != 0 {
		digest := bytes.Clone(m.authParams)
		clear(m.authParams) // the MAC covers the message with a zeroed MAC field
		if !u.authentic(pkt, digest) {
			return report(usmStat(usmWrongDigests), s.wrongDigests.Add(1), levelNoAuth, nil, "wrong digest")
		}
		diff := int64(m.time) - int64(resp.time)
		if resp.boots == maxBoots || uint32(m.boots) != resp.boots || diff > timeWindow || diff < -timeWindow {
			// Authenticated, so the requester can trust our clock.
			return report(usmStat(usmNotInTimeWindows), s.notInTimeWindows.Add(1), levelAuth, u, "not in time window")
		}
	}
	data := m.data
	switch {
	case level == levelPriv && !m.encrypted:
		return report(usmStat(usmDecryptionErrors), s.decryptionErrors.Add(1), levelNoAuth, nil, "plaintext where privacy was asked")
	case level == levelPriv:
		if data, err = u.decrypt(m.data, m.privParams, uint32(m.boots), uint32(m.time)); err != nil {
			return report(usmStat(usmDecryptionErrors), s.decryptionErrors.Add(1), levelNoAuth, nil, err.Error())
		}
	case m.encrypted:
		return a.drop(&s.inASNParseErrs, "encryptedPDU without privacy")
	}
	ctxEngineID, ctxName, p, err := decodeScoped(data)
	if err != nil {
		if level == levelPriv {
			// What a wrong privacy key makes of the scopedPDU.
			return report(usmStat(usmDecryptionErrors), s.decryptionErrors.Add(1), levelNoAuth, nil, "decrypted scopedPDU does not parse")
		}
		return a.drop(&s.inASNParseErrs, "malformed scopedPDU", "err", err)
	}
	plain = p
	var ru *usmUser
	if level != levelNoAuth {
		ru = u
	}
	switch p.typ {
	case pduGet, pduGetNext, pduGetBulk, pduSet:
	case pduInform:
		// We receive no notifications (RFC 3412 §4.2.2.1).
		return report(mpdStat(mpdUnknownPDUHandlers), s.unknownPDUHandlers.Add(1), level, ru, "inform")
	default:
		return a.drop(nil, "not a request", "type", p.typ)
	}
	// An empty contextEngineID is taken as ours: some managers send one
	// before they know it.
	if len(ctxEngineID) != 0 && !bytes.Equal(ctxEngineID, a.engineID) {
		return report(mpdStat(mpdUnknownPDUHandlers), s.unknownPDUHandlers.Add(1), level, ru, "unknown contextEngineID")
	}
	// We serve the default context only (RFC 3413 §3.2 step 3).
	if len(ctxName) != 0 {
		return report(targetStat(targetUnknownContexts), s.unknownContexts.Add(1), level, ru, "unknown context")
	}
	resp.pduType, resp.level, resp.user = pduResponse, level, ru
	resp.ctxEngineID, resp.ctxName, resp.requestID = ctxEngineID, ctxName, p.requestID
	if level < u.level {
		// Below the level the user is configured for: the VACM answer
		// (RFC 3413 §3.2 step 5), lest a name alone read the MIB.
		resp.errStatus = int32(gosnmp.AuthorizationError)
		return a.finish(resp, p, echo(p), limit)
	}
	acc := access{version: version3, read: u.read, write: u.write}
	return a.dispatch(ctx, acc, p, resp, limit)
}
