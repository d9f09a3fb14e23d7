package cim

import "strings"

// Type is a CIM data type (DSP0004 §5.2). Arrays are not separate types:
// values, properties and parameters carry an Array flag beside their Type.
type Type uint8

// The CIM types. TypeInstance and TypeObject are the embedded types: on the
// wire they are strings qualified EmbeddedInstance or EmbeddedObject, in
// this model they hold the embedded *Instance (or *Class for an object).
const (
	TypeInvalid Type = iota
	TypeUint8
	TypeUint16
	TypeUint32
	TypeUint64
	TypeSint8
	TypeSint16
	TypeSint32
	TypeSint64
	TypeReal32
	TypeReal64
	TypeBoolean
	TypeString
	TypeChar16
	TypeDatetime
	TypeReference
	TypeInstance
	TypeObject
	typeCount
)

// String returns the DSP0004 name of t ("uint16", "reference", ...).
func (t Type) String() string {
	switch t {
	case TypeUint8:
		return "uint8"
	case TypeUint16:
		return "uint16"
	case TypeUint32:
		return "uint32"
	case TypeUint64:
		return "uint64"
	case TypeSint8:
		return "sint8"
	case TypeSint16:
		return "sint16"
	case TypeSint32:
		return "sint32"
	case TypeSint64:
		return "sint64"
	case TypeReal32:
		return "real32"
	case TypeReal64:
		return "real64"
	case TypeBoolean:
		return "boolean"
	case TypeString:
		return "string"
	case TypeChar16:
		return "char16"
	case TypeDatetime:
		return "datetime"
	case TypeReference:
		return "reference"
	case TypeInstance:
		return "instance"
	case TypeObject:
		return "object"
	}
	return "invalid"
}

// ParseType maps a DSP0004 type name (any case) to its Type. It accepts
// "ref" as well as "reference".
func ParseType(name string) (Type, bool) {
	if strings.EqualFold(name, "ref") {
		return TypeReference, true
	}
	for t := TypeUint8; t < typeCount; t++ {
		if strings.EqualFold(name, t.String()) {
			return t, true
		}
	}
	return TypeInvalid, false
}

// Valid reports whether t is one of the CIM types.
func (t Type) Valid() bool { return t > TypeInvalid && t < typeCount }

// IsUnsigned reports whether t is uint8, uint16, uint32 or uint64.
func (t Type) IsUnsigned() bool { return t >= TypeUint8 && t <= TypeUint64 }

// IsSigned reports whether t is sint8, sint16, sint32 or sint64.
func (t Type) IsSigned() bool { return t >= TypeSint8 && t <= TypeSint64 }

// IsInteger reports whether t is one of the eight integer types.
func (t Type) IsInteger() bool { return t.IsUnsigned() || t.IsSigned() }

// IsReal reports whether t is real32 or real64.
func (t Type) IsReal() bool { return t == TypeReal32 || t == TypeReal64 }

// IsEmbedded reports whether t is an embedded instance or object, which
// travel as strings.
func (t Type) IsEmbedded() bool { return t == TypeInstance || t == TypeObject }

// Bits returns the width of an integer or real type, 0 for the others.
func (t Type) Bits() int {
	switch t {
	case TypeUint8, TypeSint8:
		return 8
	case TypeUint16, TypeSint16:
		return 16
	case TypeUint32, TypeSint32, TypeReal32:
		return 32
	case TypeUint64, TypeSint64, TypeReal64:
		return 64
	}
	return 0
}
