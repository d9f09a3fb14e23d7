package cim

import (
	"fmt"
	"slices"
)

// Value is a typed CIM value, scalar or array, possibly NULL. The zero Value
// is invalid (it has no type); NULL is a typed Value with nothing in it,
// distinct from 0, "" and the empty array.
//
// The Go value inside is, by Type: uint8, uint16, uint32, uint64, int8,
// int16, int32, int64, float32, float64, bool, string, rune (char16),
// Datetime, ObjectPath (reference), *Instance (instance) and *Instance or
// *Class (object). An array holds []Value whose elements have the array's
// type and may each be NULL.
//
// Values are immutable: the accessors return copies of arrays.
type Value struct {
	typ   Type
	array bool
	v     any // nil is NULL
}

// Object is what an embedded object holds: an *Instance or a *Class.
type Object interface{ cimObject() }

// Scalar constructors.

// Uint8 returns a uint8 value.
func Uint8(x uint8) Value { return Value{typ: TypeUint8, v: x} }

// Uint16 returns a uint16 value.
func Uint16(x uint16) Value { return Value{typ: TypeUint16, v: x} }

// Uint32 returns a uint32 value.
func Uint32(x uint32) Value { return Value{typ: TypeUint32, v: x} }

// Uint64 returns a uint64 value.
func Uint64(x uint64) Value { return Value{typ: TypeUint64, v: x} }

// Sint8 returns a sint8 value.
func Sint8(x int8) Value { return Value{typ: TypeSint8, v: x} }

// Sint16 returns a sint16 value.
func Sint16(x int16) Value { return Value{typ: TypeSint16, v: x} }

// Sint32 returns a sint32 value.
func Sint32(x int32) Value { return Value{typ: TypeSint32, v: x} }

// Sint64 returns a sint64 value.
func Sint64(x int64) Value { return Value{typ: TypeSint64, v: x} }

// Real32 returns a real32 value.
func Real32(x float32) Value { return Value{typ: TypeReal32, v: x} }

// Real64 returns a real64 value.
func Real64(x float64) Value { return Value{typ: TypeReal64, v: x} }

// Bool returns a boolean value.
func Bool(x bool) Value { return Value{typ: TypeBoolean, v: x} }

// String returns a string value.
func String(x string) Value { return Value{typ: TypeString, v: x} }

// Char16 returns a char16 value. CIM char16 is a UCS-2 code unit; callers
// keep r within the Basic Multilingual Plane.
func Char16(r rune) Value { return Value{typ: TypeChar16, v: r} }

// DatetimeValue returns a datetime value.
func DatetimeValue(d Datetime) Value { return Value{typ: TypeDatetime, v: d} }

// Ref returns a reference value.
func Ref(p ObjectPath) Value { return Value{typ: TypeReference, v: p} }

// InstanceValue returns an embedded instance value; a nil inst is NULL.
func InstanceValue(inst *Instance) Value {
	if inst == nil {
		return Null(TypeInstance)
	}
	return Value{typ: TypeInstance, v: inst}
}

// ObjectValue returns an embedded object value; a nil o is NULL.
func ObjectValue(o Object) Value {
	switch x := o.(type) {
	case *Instance:
		if x != nil {
			return Value{typ: TypeObject, v: x}
		}
	case *Class:
		if x != nil {
			return Value{typ: TypeObject, v: x}
		}
	}
	return Null(TypeObject)
}

// Null returns the NULL scalar of type t.
func Null(t Type) Value { return Value{typ: t} }

// NullArray returns the NULL array of type t.
func NullArray(t Type) Value { return Value{typ: t, array: true} }

// Array returns an array of type t holding elems, which must be scalars of
// type t (NULL elements allowed). An empty elems gives the empty array, not
// NULL.
func Array(t Type, elems ...Value) (Value, error) {
	for i, e := range elems {
		if e.typ != t || e.array {
			return Value{}, fmt.Errorf("array of %s: element %d is %s", t, i, e.TypeName())
		}
	}
	return Value{typ: t, array: true, v: slices.Clone(elems)}, nil
}

// Strings returns a string array.
func Strings(ss ...string) Value {
	elems := make([]Value, len(ss))
	for i, s := range ss {
		elems[i] = String(s)
	}
	return Value{typ: TypeString, array: true, v: elems}
}

// Type returns the CIM type of v (of its elements, for an array).
func (v Value) Type() Type { return v.typ }

// IsArray reports whether v is an array.
func (v Value) IsArray() bool { return v.array }

// IsNull reports whether v is NULL. The invalid zero Value is not NULL.
func (v Value) IsNull() bool { return v.typ != TypeInvalid && v.v == nil }

// IsValid reports whether v has a type.
func (v Value) IsValid() bool { return v.typ.Valid() }

// TypeName returns "uint16" or "uint16[]" and so on.
func (v Value) TypeName() string {
	if v.array {
		return v.typ.String() + "[]"
	}
	return v.typ.String()
}

// Interface returns the Go value inside v (see Value), nil for NULL.
func (v Value) Interface() any {
	if e, ok := v.v.([]Value); ok {
		return slices.Clone(e)
	}
	return v.v
}

// Elems returns the elements of a non-NULL array, nil otherwise.
func (v Value) Elems() []Value {
	e, _ := v.v.([]Value)
	return slices.Clone(e)
}

// Len returns the number of elements of an array, 0 for NULL or a scalar.
func (v Value) Len() int {
	e, _ := v.v.([]Value)
	return len(e)
}

// Uint returns the value of a non-NULL unsigned integer scalar.
func (v Value) Uint() (uint64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	}
	return 0, false
}

// Int returns the value of a non-NULL signed integer scalar.
func (v Value) Int() (int64, bool) {
	if !v.typ.IsSigned() || v.array {
		return 0, false // char16 is held as an int32 too
	}
	switch x := v.v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Float returns the value of a non-NULL real scalar.
func (v Value) Float() (float64, bool) {
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Bool returns the value of a non-NULL boolean scalar.
func (v Value) Bool() (bool, bool) {
	x, ok := v.v.(bool)
	return x, ok
}

// Str returns the value of a non-NULL string scalar.
func (v Value) Str() (string, bool) {
	x, ok := v.v.(string)
	return x, ok
}

// Char16 returns the value of a non-NULL char16 scalar.
func (v Value) Char16() (rune, bool) {
	x, ok := v.v.(rune)
	return x, ok && v.typ == TypeChar16
}

// Datetime returns the value of a non-NULL datetime scalar.
func (v Value) Datetime() (Datetime, bool) {
	x, ok := v.v.(Datetime)
	return x, ok
}

// Ref returns the path of a non-NULL reference scalar.
func (v Value) Ref() (ObjectPath, bool) {
	x, ok := v.v.(ObjectPath)
	return x, ok
}

// Instance returns the instance of a non-NULL embedded instance, or of an
// embedded object that holds an instance.
func (v Value) Instance() (*Instance, bool) {
	x, ok := v.v.(*Instance)
	return x, ok
}

// Class returns the class held by a non-NULL embedded object.
func (v Value) Class() (*Class, bool) {
	x, ok := v.v.(*Class)
	return x, ok
}

// StringSlice returns the elements of a non-NULL string array, with ""
// for NULL elements.
func (v Value) StringSlice() ([]string, bool) {
	e, ok := v.v.([]Value)
	if !ok || v.typ != TypeString {
		return nil, false
	}
	out := make([]string, len(e))
	for i, x := range e {
		out[i], _ = x.Str()
	}
	return out, true
}
