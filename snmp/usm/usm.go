// Package usm holds what the agent and the notification sender share of
// SNMPv3's User-based Security Model: the protocol names operators write,
// and the HMAC each authentication protocol uses.
package usm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// norm lets "SHA-256", "sha256" and "SHA_256" name the same protocol.
func norm(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}

var authProtocols = map[string]gosnmp.SnmpV3AuthProtocol{
	"": gosnmp.NoAuth, "NONE": gosnmp.NoAuth, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA,
	"SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

// AES192 / AES256 extend keys as net-snmp's AES-192 / AES-256 do
// (Blumenthal); the C forms as net-snmp's AES-192-C / AES-256-C (Reeder).
var privProtocols = map[string]gosnmp.SnmpV3PrivProtocol{
	"": gosnmp.NoPriv, "NONE": gosnmp.NoPriv, "DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES,
	"AES192": gosnmp.AES192, "AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

// ParseAuth reads an authentication protocol name; "" is none.
func ParseAuth(s string) (gosnmp.SnmpV3AuthProtocol, error) {
	if p, ok := authProtocols[norm(s)]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown authentication protocol %q (want MD5, SHA, SHA224, SHA256, SHA384 or SHA512)", s)
}

// ParsePriv reads a privacy protocol name; "" is none.
func ParsePriv(s string) (gosnmp.SnmpV3PrivProtocol, error) {
	if p, ok := privProtocols[norm(s)]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown privacy protocol %q (want DES, AES, AES192, AES256, AES192C or AES256C)", s)
}

// macs is each protocol's hash and truncated MAC length: RFC 3414 §6-7
// (HMAC-MD5-96, HMAC-SHA-96) and RFC 7860 §4.2 (HMAC-SHA-2).
var macs = map[gosnmp.SnmpV3AuthProtocol]struct {
	h func() hash.Hash
	n int
}{
	gosnmp.MD5: {md5.New, 12}, gosnmp.SHA: {sha1.New, 12}, gosnmp.SHA224: {sha256.New224, 16},
	gosnmp.SHA256: {sha256.New, 24}, gosnmp.SHA384: {sha512.New384, 32}, gosnmp.SHA512: {sha512.New, 48},
}

// MACLen is the length of the protocol's msgAuthenticationParameters; 0
// without authentication.
func MACLen(p gosnmp.SnmpV3AuthProtocol) int { return macs[p].n }

// MAC is the truncated HMAC of msg (with its MAC field zeroed) under a
// localized key; nil without authentication.
func MAC(p gosnmp.SnmpV3AuthProtocol, key, msg []byte) []byte {
	m, ok := macs[p]
	if !ok {
		return nil
	}
	w := hmac.New(m.h, key)
	w.Write(msg)
	return w.Sum(nil)[:m.n]
}
