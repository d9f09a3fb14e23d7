package agent

import (
	"errors"
	"fmt"
	"math"

	"github.com/virtbridge/virtbridge/snmp/usm"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// PDU tags (RFC 3416 §3).
const (
	pduGet      = 0xa0
	pduGetNext  = 0xa1
	pduResponse = 0xa2
	pduSet      = 0xa3
	pduTrapV1   = 0xa4
	pduGetBulk  = 0xa5
	pduInform   = 0xa6
	pduTrapV2   = 0xa7
	pduReport   = 0xa8
)

// SNMP versions as msgVersion carries them.
const (
	version1  = 0
	version2c = 1
	version3  = 3
)

var (
	errVersion = errors.New("unsupported SNMP version")
	errTrapV1  = errors.New("an SNMPv1 Trap-PDU")
)

// pdu is a decoded request PDU.
type pdu struct {
	typ       byte
	requestID int32
	// nonRepeaters and maxRepetitions take error-status and error-index's
	// place in a GetBulkRequest.
	errStatus, errIndex int32
	names               []mib.OID
	values              []mib.Varbind // decoded for a SetRequest only
	raw                 [][]byte      // each varbind as received, echoed in errors
	badValue            int           // 1-based index of a SET value whose content does not fit its tag
}

// decodePDU reads any PDU but a v1 Trap, which has another shape and
// which it reports as errTrapV1.
func decodePDU(r *reader) (*pdu, error) {
	tag, start, stop, err := r.next()
	if err != nil {
		return nil, err
	}
	if tag == pduTrapV1 {
		return nil, errTrapV1 // well formed or not, no concern of ours
	}
	if tag < pduGet || tag > pduReport {
		return nil, fmt.Errorf("%w: PDU tag %#x", errBER, tag)
	}
	if r.more() {
		return nil, fmt.Errorf("%w: octets after the PDU", errBER)
	}
	p := &pdu{typ: tag}
	in := &reader{buf: r.buf, pos: start, end: stop}
	var v int64
	if v, err = in.integer(math.MinInt32, math.MaxInt32); err != nil {
		return nil, err
	}
	p.requestID = int32(v)
	if v, err = in.integer(math.MinInt32, math.MaxInt32); err != nil {
		return nil, err
	}
	p.errStatus = int32(v)
	if v, err = in.integer(math.MinInt32, math.MaxInt32); err != nil {
		return nil, err
	}
	p.errIndex = int32(v)
	vbl, err := in.enter(tagSequence)
	if err != nil {
		return nil, err
	}
	if in.more() {
		return nil, fmt.Errorf("%w: octets after the varbind list", errBER)
	}
	for vbl.more() {
		vbStart := vbl.pos
		vb, err := vbl.enter(tagSequence)
		if err != nil {
			return nil, err
		}
		s, e, err := vb.expect(tagOID)
		if err != nil {
			return nil, err
		}
		name, err := parseOID(vb.buf[s:e])
		if err != nil {
			return nil, err
		}
		vtag, s, e, err := vb.next()
		if err != nil {
			return nil, err
		}
		if vb.more() {
			return nil, fmt.Errorf("%w: octets after a varbind's value", errBER)
		}
		p.names = append(p.names, name)
		p.raw = append(p.raw, vbl.buf[vbStart:vbl.pos])
		if tag != pduSet {
			continue
		}
		val, ok, err := decodeValue(vtag, vb.buf[s:e])
		if err != nil {
			return nil, err
		}
		if !ok && p.badValue == 0 {
			p.badValue = len(p.names)
		}
		p.values = append(p.values, mib.Varbind{OID: name, Type: gosnmp.Asn1BER(vtag), Value: val})
	}
	return p, nil
}

// communityMsg is a decoded v1 or v2c message.
type communityMsg struct {
	version   int
	community []byte
	pdu       *pdu
}

// decodeVersion reads the outer SEQUENCE and msgVersion; errVersion means
// the message is well formed that far but not a version we speak.
func decodeVersion(pkt []byte) (*reader, int, error) {
	r, err := newReader(pkt).enter(tagSequence)
	if err != nil {
		return nil, 0, err
	}
	if r.end != len(pkt) {
		return nil, 0, fmt.Errorf("%w: %d octets after the message", errBER, len(pkt)-r.end)
	}
	v, err := r.integer(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, 0, err
	}
	switch v {
	case version1, version2c, version3:
		return r, int(v), nil
	}
	return nil, 0, fmt.Errorf("%w: %d", errVersion, v)
}

func decodeCommunityMsg(r *reader, version int) (*communityMsg, error) {
	c, err := r.octets()
	if err != nil {
		return nil, err
	}
	p, err := decodePDU(r)
	if err != nil {
		return nil, err
	}
	return &communityMsg{version: version, community: c, pdu: p}, nil
}

// v3Msg is a v3 message decoded up to its (maybe encrypted) scopedPDU.
type v3Msg struct {
	msgID, maxSize int32
	flags          byte
	secModel       int32
	engineID, user []byte
	boots, time    int32
	authParams     []byte
	authOffset     int // of msgAuthenticationParameters' content in the message
	privParams     []byte
	encrypted      bool
	data           []byte // the scopedPDU's TLV, or the encryptedPDU's content
}

// decodeV3 reads msgGlobalData and the USM security parameters (RFC 3412
// §6, RFC 3414 §2.4). Values out of their ranges are parse errors.
func decodeV3(r *reader) (*v3Msg, error) {
	m := &v3Msg{}
	hdr, err := r.enter(tagSequence)
	if err != nil {
		return nil, err
	}
	var v int64
	if v, err = hdr.integer(0, math.MaxInt32); err != nil {
		return nil, fmt.Errorf("msgID: %w", err)
	}
	m.msgID = int32(v)
	if v, err = hdr.integer(484, math.MaxInt32); err != nil {
		return nil, fmt.Errorf("msgMaxSize: %w", err)
	}
	m.maxSize = int32(v)
	flags, err := hdr.octets()
	if err != nil || len(flags) != 1 {
		return nil, fmt.Errorf("%w: msgFlags", errBER)
	}
	m.flags = flags[0]
	if v, err = hdr.integer(1, math.MaxInt32); err != nil {
		return nil, fmt.Errorf("msgSecurityModel: %w", err)
	}
	m.secModel = int32(v)
	if hdr.more() {
		return nil, fmt.Errorf("%w: octets after msgGlobalData", errBER)
	}
	s, e, err := r.expect(tagOctets)
	if err != nil {
		return nil, err
	}
	if m.secModel == usmModel {
		if err := m.decodeUSM(&reader{buf: r.buf, pos: s, end: e}); err != nil {
			return nil, err
		}
	}
	tag, s, e, err := r.next()
	if err != nil {
		return nil, err
	}
	switch tag {
	case tagSequence:
		m.data = r.buf[r.last:e]
	case tagOctets:
		m.encrypted, m.data = true, r.buf[s:e]
	default:
		return nil, fmt.Errorf("%w: msgData tag %#x", errBER, tag)
	}
	if r.more() {
		return nil, fmt.Errorf("%w: octets after msgData", errBER)
	}
	return m, nil
}

func (m *v3Msg) decodeUSM(r *reader) error {
	sp, err := r.enter(tagSequence)
	if err != nil {
		return err
	}
	if r.more() {
		return fmt.Errorf("%w: octets after the security parameters", errBER)
	}
	if m.engineID, err = sp.octets(); err != nil {
		return err
	}
	var v int64
	if v, err = sp.integer(0, maxBoots); err != nil {
		return fmt.Errorf("msgAuthoritativeEngineBoots: %w", err)
	}
	m.boots = int32(v)
	if v, err = sp.integer(0, math.MaxInt32); err != nil {
		return fmt.Errorf("msgAuthoritativeEngineTime: %w", err)
	}
	m.time = int32(v)
	if m.user, err = sp.octets(); err != nil {
		return err
	}
	s, e, err := sp.expect(tagOctets)
	if err != nil {
		return err
	}
	m.authParams, m.authOffset = sp.buf[s:e], s
	if m.privParams, err = sp.octets(); err != nil {
		return err
	}
	if sp.more() {
		return fmt.Errorf("%w: octets after msgPrivacyParameters", errBER)
	}
	return nil
}

// decodeScoped reads a scopedPDU; octets after it (DES padding) are ignored.
func decodeScoped(b []byte) (ctxEngineID, ctxName []byte, p *pdu, err error) {
	r := newReader(b)
	sp, err := r.enter(tagSequence)
	if err != nil {
		return nil, nil, nil, err
	}
	if ctxEngineID, err = sp.octets(); err != nil {
		return nil, nil, nil, err
	}
	if ctxName, err = sp.octets(); err != nil {
		return nil, nil, nil, err
	}
	if p, err = decodePDU(sp); err != nil {
		return nil, nil, nil, err
	}
	return ctxEngineID, ctxName, p, nil
}

// response is what goes back: the PDU fields and whatever the message
// around it needs.
type response struct {
	version   int
	community []byte // v1, v2c

	// v3
	msgID                int32
	level                byte
	user                 *usmUser // nil: noAuthNoPriv to whoever named userName
	userName             []byte
	ctxEngineID, ctxName []byte
	boots, time          uint32 // read once, so sizing and encoding agree

	pduType             byte
	requestID           int32
	errStatus, errIndex int32
}

// size is the encoded size of the message carrying vblLen octets of
// varbinds; it is what encode produces, computed without encoding.
func (a *Agent) size(r *response, vblLen int) int {
	pduLen := tlvLen(intLen(int64(r.requestID)) + 2 + intLen(int64(r.errStatus)) + 2 + intLen(int64(r.errIndex)) + 2 + tlvLen(vblLen))
	if r.version != version3 {
		return tlvLen(3 + tlvLen(len(r.community)) + pduLen)
	}
	data := tlvLen(tlvLen(len(r.ctxEngineID)) + tlvLen(len(r.ctxName)) + pduLen)
	privLen := 0
	if r.level == levelPriv {
		data = tlvLen(r.user.encryptedLen(data))
		privLen = 8
	}
	authLen := 0
	if r.level&flagAuth != 0 {
		authLen = usm.MACLen(r.user.auth)
	}
	sec := tlvLen(tlvLen(len(a.engineID)) + 2 + intLen(int64(r.boots)) + 2 + intLen(int64(r.time)) +
		tlvLen(len(r.userName)) + tlvLen(authLen) + tlvLen(privLen))
	hdr := tlvLen(2 + intLen(int64(r.msgID)) + 2 + intLen(int64(a.maxMsgSize)) + 3 + 3)
	return tlvLen(3 + hdr + tlvLen(sec) + data)
}

// encode builds the message around vbl, the concatenated varbinds.
func (a *Agent) encode(r *response, vbl []byte) []byte {
	p := make([]byte, 0, tlvLen(len(vbl))+24)
	p = appendInt(p, tagInteger, int64(r.requestID))
	p = appendInt(p, tagInteger, int64(r.errStatus))
	p = appendInt(p, tagInteger, int64(r.errIndex))
	p = appendTLV(p, tagSequence, vbl)
	p = wrap(p, 0, r.pduType)

	if r.version != version3 {
		m := make([]byte, 0, a.size(r, len(vbl)))
		m = appendInt(m, tagInteger, int64(r.version))
		m = appendTLV(m, tagOctets, r.community)
		m = append(m, p...)
		return wrap(m, 0, tagSequence)
	}

	data := make([]byte, 0, len(p)+len(r.ctxEngineID)+len(r.ctxName)+16)
	data = appendTLV(data, tagOctets, r.ctxEngineID)
	data = appendTLV(data, tagOctets, r.ctxName)
	data = append(data, p...)
	data = wrap(data, 0, tagSequence)
	var salt []byte
	if r.level == levelPriv {
		data, salt = r.user.encrypt(data, a.salt.Add(1), r.boots, r.time)
		data = wrap(data, 0, tagOctets)
	}

	hdr := make([]byte, 0, 32)
	hdr = appendInt(hdr, tagInteger, int64(r.msgID))
	hdr = appendInt(hdr, tagInteger, int64(a.maxMsgSize))
	hdr = appendTLV(hdr, tagOctets, []byte{r.level})
	hdr = appendInt(hdr, tagInteger, usmModel)
	hdr = wrap(hdr, 0, tagSequence)

	authLen := 0
	if r.level&flagAuth != 0 {
		authLen = usm.MACLen(r.user.auth)
	}
	sec := make([]byte, 0, 128)
	sec = appendTLV(sec, tagOctets, a.engineID)
	sec = appendInt(sec, tagInteger, int64(r.boots))
	sec = appendInt(sec, tagInteger, int64(r.time))
	sec = appendTLV(sec, tagOctets, r.userName)
	authAt := len(sec) + 2 // a MAC is at most 48 octets: one length octet
	sec = appendTLV(sec, tagOctets, make([]byte, authLen))
	sec = appendTLV(sec, tagOctets, salt)
	n := len(sec)
	sec = wrap(sec, 0, tagSequence)
	authAt += len(sec) - n

	content := 3 + len(hdr) + tlvLen(len(sec)) + len(data)
	m := make([]byte, 0, tlvLen(content))
	m = append(m, tagSequence)
	m = appendLength(m, content)
	m = appendInt(m, tagInteger, version3)
	m = append(m, hdr...)
	m = append(m, tagOctets)
	m = appendLength(m, len(sec))
	authAt += len(m)
	m = append(m, sec...)
	m = append(m, data...)
	if authLen > 0 {
		copy(m[authAt:], r.user.mac(m))
	}
	return m
}
