package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	snmpusm "github.com/virtbridge/virtbridge/snmp/usm"

	"github.com/gosnmp/gosnmp"
)

// usm is one destination's SNMPv3 user and, once known, the authoritative
// engine its keys are localized to: ours for traps, the receiver's for
// informs (RFC 3414 §2.6).
type usm struct {
	user               string
	authProto          gosnmp.SnmpV3AuthProtocol
	privProto          gosnmp.SnmpV3PrivProtocol
	authPass, privPass string
	level              gosnmp.SnmpV3MsgFlags

	engineID         []byte
	authKey, privKey []byte

	// The receiver's clock as of syncedAt (informs only): RFC 3414 §2.3
	// has the non-authoritative side keep its own estimate.
	boots    uint32
	engTime  uint32
	syncedAt time.Time

	// salt makes each encrypted message's IV unique (RFC 3826 §3.1.2.1,
	// RFC 3414 §8.1.1.1); it starts at a random value.
	salt uint64
}

func newUSM(u User) (*usm, error) {
	switch {
	case u.Name == "":
		return nil, errors.New("version 3 needs a user name")
	case len(u.Name) > 32:
		return nil, fmt.Errorf("user name %q has %d octets; at most 32 are allowed", u.Name, len(u.Name))
	}
	m := &usm{user: u.Name, authPass: u.AuthPass, privPass: u.PrivPass}
	var err error
	if m.authProto, err = snmpusm.ParseAuth(u.AuthProto); err != nil {
		return nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	if m.privProto, err = snmpusm.ParsePriv(u.PrivProto); err != nil {
		return nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	switch {
	case m.privProto != gosnmp.NoPriv && m.authProto == gosnmp.NoAuth:
		return nil, fmt.Errorf("user %q: priv protocol %s needs an auth protocol (USM has no privacy without authentication)", u.Name, u.PrivProto)
	case m.authProto == gosnmp.NoAuth && u.AuthPass != "":
		return nil, fmt.Errorf("user %q: auth pass phrase given without an auth protocol", u.Name)
	case m.privProto == gosnmp.NoPriv && u.PrivPass != "":
		return nil, fmt.Errorf("user %q: priv pass phrase given without a priv protocol", u.Name)
	// gosnmp turns an empty pass phrase into an empty key without an error.
	case m.authProto != gosnmp.NoAuth && len(u.AuthPass) < 8:
		return nil, fmt.Errorf("user %q: auth pass phrase must have at least 8 characters", u.Name)
	case m.privProto != gosnmp.NoPriv && len(u.PrivPass) < 8:
		return nil, fmt.Errorf("user %q: priv pass phrase must have at least 8 characters", u.Name)
	}
	switch {
	case m.privProto != gosnmp.NoPriv:
		m.level = gosnmp.AuthPriv
	case m.authProto != gosnmp.NoAuth:
		m.level = gosnmp.AuthNoPriv
	default:
		m.level = gosnmp.NoAuthNoPriv
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("user %q: seeding the privacy salt: %w", u.Name, err)
	}
	m.salt = binary.BigEndian.Uint64(b[:])
	return m, nil
}

func (m *usm) known() bool { return len(m.engineID) > 0 }

// localize derives the user's keys for engineID (RFC 3414 §2.6), keeping
// them when the engine is unchanged.
func (m *usm) localize(engineID []byte) error {
	if m.known() && bytes.Equal(m.engineID, engineID) {
		return nil
	}
	if m.level == gosnmp.NoAuthNoPriv {
		m.engineID = bytes.Clone(engineID)
		return nil
	}
	sp := &gosnmp.UsmSecurityParameters{
		AuthoritativeEngineID:    string(engineID),
		UserName:                 m.user,
		AuthenticationProtocol:   m.authProto,
		PrivacyProtocol:          m.privProto,
		AuthenticationPassphrase: m.authPass,
		PrivacyPassphrase:        m.privPass,
	}
	if err := sp.InitSecurityKeys(); err != nil {
		return err
	}
	if len(sp.SecretKey) == 0 || (m.privProto != gosnmp.NoPriv && len(sp.PrivacyKey) == 0) {
		return errors.New("gosnmp derived an empty key")
	}
	m.engineID = bytes.Clone(engineID)
	m.authKey, m.privKey = sp.SecretKey, sp.PrivacyKey
	return nil
}

// sync records the receiver's engine clock.
func (m *usm) sync(boots, engTime uint32, now time.Time) {
	m.boots, m.engTime, m.syncedAt = boots, engTime, now
}

// clock estimates the receiver's engine boots and time now.
func (m *usm) clock(now time.Time) (uint32, uint32) {
	return m.boots, m.engTime + uint32(now.Sub(m.syncedAt)/time.Second)
}

// newerClock reports whether (boots, t) is later than our estimate: the
// only case in which an authentic message updates it (RFC 3414 §3.2 7b).
func (m *usm) newerClock(boots, t uint32, now time.Time) bool {
	b, e := m.clock(now)
	return boots > b || (boots == b && t > e)
}

// marshal builds one v3 message whose authoritative engine is engineID at
// (boots, engTime): ours for traps, the receiver's for informs.
func (m *usm) marshal(pduType gosnmp.PDUType, msgID, reqID uint32, pdus []gosnmp.SnmpPDU,
	engineID, contextEngineID []byte, boots, engTime uint32,
) ([]byte, error) {
	sp := &gosnmp.UsmSecurityParameters{
		AuthoritativeEngineID:    string(engineID),
		AuthoritativeEngineBoots: boots,
		AuthoritativeEngineTime:  engTime,
		UserName:                 m.user,
		AuthenticationProtocol:   m.authProto,
		PrivacyProtocol:          m.privProto,
		SecretKey:                m.authKey,
		PrivacyKey:               m.privKey,
	}
	if m.privProto != gosnmp.NoPriv {
		m.salt++
		sp.PrivacyParameters = make([]byte, 8)
		if m.privProto == gosnmp.DES {
			// RFC 3414 §8.1.1.1: engineBoots then a local counter.
			binary.BigEndian.PutUint32(sp.PrivacyParameters, boots)
			binary.BigEndian.PutUint32(sp.PrivacyParameters[4:], uint32(m.salt))
		} else {
			binary.BigEndian.PutUint64(sp.PrivacyParameters, m.salt)
		}
	}
	flags := m.level
	if pduType == gosnmp.InformRequest {
		// Confirmed class: the receiver must answer errors with a Report
		// (RFC 3412 §6.4); traps must not set the flag.
		flags |= gosnmp.Reportable
	}
	pkt := &gosnmp.SnmpPacket{
		Version:            gosnmp.Version3,
		MsgFlags:           flags,
		SecurityModel:      gosnmp.UserSecurityModel,
		SecurityParameters: sp,
		ContextEngineID:    string(contextEngineID),
		PDUType:            pduType,
		MsgID:              msgID,
		RequestID:          reqID,
		Variables:          pdus,
	}
	return marshal(pkt)
}

// marshalProbe builds the engine discovery request of RFC 3414 §4: no
// user, no engine ID, noAuthNoPriv, reportable, empty GetRequest.
func marshalProbe(msgID, reqID uint32) ([]byte, error) {
	pkt := &gosnmp.SnmpPacket{
		Version:       gosnmp.Version3,
		MsgFlags:      gosnmp.Reportable | gosnmp.NoAuthNoPriv,
		SecurityModel: gosnmp.UserSecurityModel,
		SecurityParameters: &gosnmp.UsmSecurityParameters{
			AuthenticationProtocol: gosnmp.NoAuth,
			PrivacyProtocol:        gosnmp.NoPriv,
		},
		PDUType:   gosnmp.GetRequest,
		MsgID:     msgID,
		RequestID: reqID,
	}
	return marshal(pkt)
}

// decoded is an incoming v3 message, with whether its MAC checked out
// against our keys for the engine we know.
type decoded struct {
	pkt       *gosnmp.SnmpPacket
	sp        *gosnmp.UsmSecurityParameters
	authentic bool
}

// decode parses (and decrypts) a v3 message from the receiver. gosnmp's
// decoder does not verify the MAC, so it is checked here.
func (m *usm) decode(raw []byte) (decoded, error) {
	x := &gosnmp.GoSNMP{
		Version:       gosnmp.Version3,
		SecurityModel: gosnmp.UserSecurityModel,
		MsgFlags:      m.level,
		SecurityParameters: &gosnmp.UsmSecurityParameters{
			AuthoritativeEngineID:    string(m.engineID),
			UserName:                 m.user,
			AuthenticationProtocol:   m.authProto,
			PrivacyProtocol:          m.privProto,
			AuthenticationPassphrase: m.authPass,
			PrivacyPassphrase:        m.privPass,
			SecretKey:                m.authKey,
			PrivacyKey:               m.privKey,
		},
	}
	// The decoder blanks the MAC and decrypts in place: keep the original.
	pkt, err := decode(x, bytes.Clone(raw))
	if err != nil {
		return decoded{}, err
	}
	if pkt.Version != gosnmp.Version3 {
		return decoded{}, fmt.Errorf("version %v, want 3", pkt.Version)
	}
	sp, ok := pkt.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	if !ok {
		return decoded{}, errors.New("not a USM message")
	}
	d := decoded{pkt: pkt, sp: sp}
	if pkt.MsgFlags&gosnmp.AuthNoPriv != 0 {
		d.authentic = m.authProto != gosnmp.NoAuth && m.known() &&
			sp.AuthoritativeEngineID == string(m.engineID) && sp.UserName == m.user &&
			m.verify(raw, []byte(sp.AuthenticationParameters))
	}
	return d, nil
}

// verify checks an incoming message's MAC (RFC 3414 §6.3.2, RFC 7860 §4.2.2):
// HMAC over the whole message with the MAC field zeroed.
func (m *usm) verify(raw, mac []byte) bool {
	n := snmpusm.MACLen(m.authProto)
	if n == 0 || len(mac) != n {
		return false
	}
	i := bytes.Index(raw, mac)
	if i < 0 {
		return false
	}
	msg := bytes.Clone(raw)
	clear(msg[i : i+n])
	return hmac.Equal(snmpusm.MAC(m.authProto, m.authKey, msg), mac)
}
