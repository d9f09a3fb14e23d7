package agent

import (
	"context"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// maxBulkVarbinds bounds the work of one GETBULK whatever its
// max-repetitions (RFC 3416 §4.2.3 lets an agent stop early).
const maxBulkVarbinds = 10000

// access is what the requester may see and change.
type access struct {
	version     int
	read, write *view // write nil: no SET at all
	roCommunity bool  // a SET is a bad community use (RFC 3418 snmpInBadCommunityUses)
}

// dispatch answers a GET, GETNEXT, GETBULK or SET within limit octets.
func (a *Agent) dispatch(ctx context.Context, acc access, p *pdu, r *response, limit int) []byte {
	m := a.tree()
	switch p.typ {
	case pduGet:
		return a.get(m, acc, p, r, limit)
	case pduGetNext:
		return a.getNext(m, acc, p, r, limit)
	case pduGetBulk:
		return a.getBulk(m, acc, p, r, limit)
	}
	return a.set(ctx, m, acc, p, r, limit)
}

// echo is the request's varbind list as received, which error responses
// carry (RFC 3416 §4.2.1, RFC 1157 §4.1.2).
func echo(p *pdu) []byte {
	var b []byte
	for _, vb := range p.raw {
		b = append(b, vb...)
	}
	return b
}

// finish encodes the response, or its tooBig alternative when it does not
// fit (RFC 3416 §4.2.1: no varbinds; RFC 1157 §4.1.2: v1 echoes them), or
// nothing when even that does not fit.
func (a *Agent) finish(r *response, p *pdu, vbl []byte, limit int) []byte {
	if a.size(r, len(vbl)) <= limit {
		return a.encode(r, vbl)
	}
	r.errStatus, r.errIndex, vbl = int32(gosnmp.TooBig), 0, nil
	if r.version == version1 {
		vbl = echo(p)
	}
	if a.size(r, len(vbl)) <= limit {
		return a.encode(r, vbl)
	}
	return a.drop(&a.stats.silentDrops, "even tooBig does not fit")
}

// fail answers with an error status on the index-th (1-based) varbind.
func (a *Agent) fail(r *response, p *pdu, st gosnmp.SNMPError, index int, limit int) []byte {
	if r.version == version1 {
		st = v1Error(st)
	}
	r.errStatus, r.errIndex = int32(st), int32(index)
	return a.finish(r, p, echo(p), limit)
}

// v1Error maps SNMPv2 error statuses to SNMPv1's (RFC 3584 §4.4).
func v1Error(st gosnmp.SNMPError) gosnmp.SNMPError {
	switch st {
	case gosnmp.NoAccess, gosnmp.NotWritable, gosnmp.NoCreation, gosnmp.InconsistentName, gosnmp.AuthorizationError:
		return gosnmp.NoSuchName
	case gosnmp.WrongType, gosnmp.WrongLength, gosnmp.WrongEncoding, gosnmp.WrongValue, gosnmp.InconsistentValue:
		return gosnmp.BadValue
	case gosnmp.ResourceUnavailable, gosnmp.CommitFailed, gosnmp.UndoFailed:
		return gosnmp.GenErr
	}
	return st
}

func (a *Agent) badValue(name mib.OID, err error) {
	a.log.Error("snmp agent: the MIB returned a value that cannot be sent", "oid", name.String(), "err", err)
}

func (a *Agent) get(m mib.MIB, acc access, p *pdu, r *response, limit int) []byte {
	var vbl []byte
	for i, name := range p.names {
		vb := mib.Varbind{Type: gosnmp.NoSuchObject} // outside the view (RFC 3415 §3.2)
		if acc.read.contains(name) {
			vb = m.Get(name)
		}
		if acc.version == version1 && (vb.Exception() || vb.Type == gosnmp.Counter64) {
			// RFC 3584 §4.2.1: SNMPv1 has neither exceptions nor Counter64.
			return a.fail(r, p, gosnmp.NoSuchName, i+1, limit)
		}
		var err error
		if vbl, err = appendVarbind(vbl, name, vb); err != nil {
			a.badValue(name, err)
			return a.fail(r, p, gosnmp.GenErr, i+1, limit)
		}
	}
	return a.finish(r, p, vbl, limit)
}

// next is the first instance after o the requester may see; SNMPv1 skips
// Counter64 instances (RFC 3584 §4.2.1).
func (a *Agent) next(m mib.MIB, acc access, o mib.OID) (mib.Varbind, bool) {
	for {
		vb, ok := acc.read.next(m, o)
		if !ok {
			return vb, false
		}
		if vb.Exception() {
			a.log.Error("snmp agent: the MIB's Next returned an exception", "from", o.String(), "to", vb.OID.String())
			return mib.Varbind{}, false
		}
		if acc.version != version1 || vb.Type != gosnmp.Counter64 {
			return vb, true
		}
		o = vb.OID
	}
}

func (a *Agent) getNext(m mib.MIB, acc access, p *pdu, r *response, limit int) []byte {
	var vbl []byte
	for i, name := range p.names {
		vb, ok := a.next(m, acc, name)
		if !ok {
			if acc.version == version1 {
				return a.fail(r, p, gosnmp.NoSuchName, i+1, limit)
			}
			vb = mib.Varbind{OID: name, Type: gosnmp.EndOfMibView}
		}
		var err error
		if vbl, err = appendVarbind(vbl, vb.OID, vb); err != nil {
			a.badValue(vb.OID, err)
			return a.fail(r, p, gosnmp.GenErr, i+1, limit)
		}
	}
	return a.finish(r, p, vbl, limit)
}

// getBulk follows RFC 3416 §4.2.3. It stops adding varbinds at the first
// that would not fit, so a bulk is shortened, never tooBig.
func (a *Agent) getBulk(m mib.MIB, acc access, p *pdu, r *response, limit int) []byte {
	nonRep, maxRep := int(max(p.errStatus, 0)), int(max(p.errIndex, 0))
	nonRep = min(nonRep, len(p.names))
	r.errStatus, r.errIndex = 0, 0
	if a.size(r, 0) > limit {
		return a.drop(&a.stats.silentDrops, "an empty response does not fit")
	}
	var vbl, enc []byte
	count := 0
	// add reports whether vb was added and there is room for more.
	add := func(i int, vb mib.Varbind) (ok bool, fail []byte) {
		var err error
		if enc, err = appendVarbind(enc[:0], vb.OID, vb); err != nil {
			a.badValue(vb.OID, err)
			return false, a.fail(r, p, gosnmp.GenErr, i+1, limit)
		}
		if count == maxBulkVarbinds || a.size(r, len(vbl)+len(enc)) > limit {
			return false, nil
		}
		vbl = append(vbl, enc...)
		count++
		return true, nil
	}
	for i, name := range p.names[:nonRep] {
		vb, ok := a.next(m, acc, name)
		if !ok {
			vb = mib.Varbind{OID: name, Type: gosnmp.EndOfMibView}
		}
		if ok, fail := add(i, vb); !ok {
			if fail != nil {
				return fail
			}
			return a.encode(r, vbl)
		}
	}
	rep := p.names[nonRep:]
	cur := make([]mib.Varbind, len(rep))
	for j, name := range rep {
		cur[j] = mib.Varbind{OID: name}
	}
	for range min(maxRep, maxBulkVarbinds) {
		ended := 0
		for j := range cur {
			if cur[j].Type != gosnmp.EndOfMibView {
				vb, ok := a.next(m, acc, cur[j].OID)
				if !ok {
					vb = mib.Varbind{OID: cur[j].OID, Type: gosnmp.EndOfMibView}
				}
				cur[j] = vb
			}
			if cur[j].Type == gosnmp.EndOfMibView {
				ended++
			}
			if ok, fail := add(nonRep+j, cur[j]); !ok {
				if fail != nil {
					return fail
				}
				return a.encode(r, vbl)
			}
		}
		if ended == len(cur) {
			break // every repeater is at the end: more would repeat it
		}
	}
	return a.encode(r, vbl)
}

// set checks the write view of every varbind, then hands the list to the
// MIB's two-phase Set, which applies all or none.
func (a *Agent) set(ctx context.Context, m mib.MIB, acc access, p *pdu, r *response, limit int) []byte {
	if acc.write == nil && acc.roCommunity {
		a.stats.inBadCommunityUses.Add(1)
	}
	for i, name := range p.names {
		if acc.write == nil || !acc.write.contains(name) {
			return a.fail(r, p, gosnmp.NoAccess, i+1, limit)
		}
	}
	if p.badValue > 0 {
		return a.fail(r, p, gosnmp.WrongEncoding, p.badValue, limit)
	}
	if len(p.values) > 0 {
		if st, idx := m.Set(ctx, p.values); st != gosnmp.NoError {
			if idx < 0 || idx > len(p.values) {
				idx = 0
			}
			return a.fail(r, p, st, idx, limit)
		}
	}
	return a.finish(r, p, echo(p), limit)
}
