package mib

import "github.com/gosnmp/gosnmp"

// Varbind is one name and value. Value holds what gosnmp encodes for Type:
// int for Integer, []byte or string for OctetString, string (dotted) for
// ObjectIdentifier, uint32 for Counter32 / Gauge32 / TimeTicks, uint64 for
// Counter64, string for IPAddress, nil for Null and the exceptions.
type Varbind struct {
	OID   OID
	Type  gosnmp.Asn1BER
	Value any
}

// Exception reports whether the varbind is noSuchObject, noSuchInstance or
// endOfMibView (RFC 3416 §3).
func (v Varbind) Exception() bool {
	switch v.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return true
	}
	return false
}

func noSuchObject(o OID) Varbind   { return Varbind{OID: o, Type: gosnmp.NoSuchObject} }
func noSuchInstance(o OID) Varbind { return Varbind{OID: o, Type: gosnmp.NoSuchInstance} }
