package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

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

// parseAuth maps a configured auth protocol name; ok is false if unknown.
func parseAuth(s string) (p gosnmp.SnmpV3AuthProtocol, ok bool) {
	switch protoKey(s) {
	case "", "NONE":
		return gosnmp.NoAuth, true
	case "MD5":
		return gosnmp.MD5, true
	case "SHA", "SHA1":
		return gosnmp.SHA, true
	case "SHA224":
		return gosnmp.SHA224, true
	case "SHA256":
		return gosnmp.SHA256, true
	case "SHA384":
		return gosnmp.SHA384, true
	case "SHA512":
		return gosnmp.SHA512, true
	}
	return 0, false
}

// parsePriv maps a configured priv protocol name; ok is false if unknown.
func parsePriv(s string) (p gosnmp.SnmpV3PrivProtocol, ok bool) {
	switch protoKey(s) {
	case "", "NONE":
		return gosnmp.NoPriv, true
	case "DES":
		return gosnmp.DES, true
	case "AES", "AES128":
		return gosnmp.AES, true
	case "AES192":
		return gosnmp.AES192, true
	case "AES256":
		return gosnmp.AES256, true
	case "AES192C":
		return gosnmp.AES192C, true
	case "AES256C":
		return gosnmp.AES256C, true
	}
	return 0, false
}

func protoKey(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}

func newUSM(u User) (*usm, error) {
	switch {
	case u.Name == "":
		return nil, errors.New("version 3 needs a user name")
	case len(u.Name) > 32:
		return nil, fmt.Errorf("user name %q has %d octets; at most 32 are allowed", u.Name, len(u.Name))
	}
	m := &usm{user: u.Name, authPass: u.AuthPass, privPass: u.PrivPass}
	var ok bool
	if m.authProto, ok = parseAuth(u.AuthProto); !ok {
		return nil, fmt.Errorf("user %q: unknown auth protocol %q; want MD5, SHA, SHA224, SHA256, SHA384 or SHA512", u.Name, u.AuthProto)
	}
	if m.privProto, ok = parsePriv(u.PrivProto); !ok {
		return nil, fmt.Errorf("user %q: unknown priv protocol %q; want DES, AES, AES192, AES256, AES192C or AES256C", u.Name, u.PrivProto)
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
	h, n := macHash(m.authProto)
	if h == nil || len(mac) != n {
		return false
	}
	i := bytes.Index(raw, mac)
	if i < 0 {
		return false
	}
	msg := bytes.Clone(raw)
	clear(msg[i : i+n])
	w := hmac.New(h, m.authKey)
	w.Write(msg)
	return hmac.Equal(w.Sum(nil)[:n], mac)
}

// macHash is each auth protocol's hash and truncated MAC length.
func macHash(p gosnmp.SnmpV3AuthProtocol) (func() hash.Hash, int) {
	switch p {
	case gosnmp.MD5:
		return md5.New, 12
	case gosnmp.SHA:
		return sha1.New, 12
	case gosnmp.SHA224:
		return sha256.New224, 16
	case gosnmp.SHA256:
		return sha256.New, 24
	case gosnmp.SHA384:
		return sha512.New384, 32
	case gosnmp.SHA512:
		return sha512.New, 48
	}
	return nil, 0
}
