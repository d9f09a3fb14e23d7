package cim

import (
	"fmt"
	"math"
	"reflect"
)

// NewValue converts the Go value x to a scalar of type t: any Go integer
// for an integer or real type (range-checked), floats for reals, bool,
// string (also parsed for datetime and reference, and a single character
// for char16), rune, Datetime, ObjectPath or *ObjectPath, *Instance, *Class,
// or an existing Value of type t. A nil x gives NULL.
func NewValue(t Type, x any) (Value, error) {
	if !t.Valid() {
		return Value{}, fmt.Errorf("converting %T: invalid CIM type", x)
	}
	if x == nil {
		return Null(t), nil
	}
	if v, ok := x.(Value); ok {
		if v.typ != t || v.array {
			return Value{}, fmt.Errorf("converting %s value to %s", v.TypeName(), t)
		}
		return v, nil
	}
	switch {
	case t.IsInteger():
		return newInteger(t, x)
	case t.IsReal():
		return newReal(t, x)
	}
	switch t {
	case TypeBoolean:
		if b, ok := x.(bool); ok {
			return Bool(b), nil
		}
	case TypeString:
		if s, ok := x.(string); ok {
			return String(s), nil
		}
	case TypeChar16:
		return newChar16(x)
	case TypeDatetime:
		switch d := x.(type) {
		case Datetime:
			return DatetimeValue(d), nil
		case string:
			dt, err := ParseDatetime(d)
			if err != nil {
				return Value{}, err
			}
			return DatetimeValue(dt), nil
		}
	case TypeReference:
		switch p := x.(type) {
		case ObjectPath:
			return Ref(p), nil
		case *ObjectPath:
			if p == nil {
				return Null(t), nil
			}
			return Ref(*p), nil
		case string:
			op, err := ParseObjectPath(p)
			if err != nil {
				return Value{}, err
			}
			return Ref(op), nil
		}
	case TypeInstance:
		if inst, ok := x.(*Instance); ok {
			return InstanceValue(inst), nil
		}
	case TypeObject:
		if o, ok := x.(Object); ok {
			return ObjectValue(o), nil
		}
	}
	return Value{}, fmt.Errorf("converting %T to %s: unsupported Go type", x, t)
}

// NewArray converts each of xs with NewValue and returns the array of type
// t. NULL elements (nil) are kept.
func NewArray(t Type, xs ...any) (Value, error) {
	elems := make([]Value, len(xs))
	for i, x := range xs {
		e, err := NewValue(t, x)
		if err != nil {
			return Value{}, fmt.Errorf("array element %d: %w", i, err)
		}
		elems[i] = e
	}
	return Value{typ: t, array: true, v: elems}, nil
}

// goInteger returns x as sign and magnitude when it is a Go integer.
func goInteger(x any) (neg bool, mag uint64, ok bool) {
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		if i < 0 {
			return true, uint64(-(i + 1)) + 1, true // no overflow at MinInt64
		}
		return false, uint64(i), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return false, rv.Uint(), true
	}
	return false, 0, false
}

func newInteger(t Type, x any) (Value, error) {
	neg, mag, ok := goInteger(x)
	if !ok {
		return Value{}, fmt.Errorf("converting %T to %s: not an integer", x, t)
	}
	return IntegerValue(t, neg, mag)
}

// IntegerValue returns the integer -mag (neg) or mag as type t, or an error
// if it is out of range for t. Parsers hold literals as sign and magnitude
// so that all of uint64 and sint64 fit.
func IntegerValue(t Type, neg bool, mag uint64) (Value, error) {
	bits := t.Bits()
	switch {
	case t.IsUnsigned():
		if (neg && mag != 0) || (bits < 64 && mag >= 1<<bits) {
			return Value{}, fmt.Errorf("%s out of range for %s", intText(neg, mag), t)
		}
	case t.IsSigned():
		limit := uint64(1) << (bits - 1) // |min|; max is limit-1
		if (neg && mag > limit) || (!neg && mag >= limit) {
			return Value{}, fmt.Errorf("%s out of range for %s", intText(neg, mag), t)
		}
	default:
		return Value{}, fmt.Errorf("%s is not an integer type", t)
	}
	s := int64(mag) // two's complement wraps correctly for MinInt64
	if neg {
		s = -s
	}
	switch t {
	case TypeUint8:
		return Uint8(uint8(mag)), nil
	case TypeUint16:
		return Uint16(uint16(mag)), nil
	case TypeUint32:
		return Uint32(uint32(mag)), nil
	case TypeUint64:
		return Uint64(mag), nil
	case TypeSint8:
		return Sint8(int8(s)), nil
	case TypeSint16:
		return Sint16(int16(s)), nil
	case TypeSint32:
		return Sint32(int32(s)), nil
	}
	return Sint64(s), nil
}

func intText(neg bool, mag uint64) string {
	if neg {
		return fmt.Sprintf("-%d", mag)
	}
	return fmt.Sprintf("%d", mag)
}

func newReal(t Type, x any) (Value, error) {
	var f float64
	switch r := x.(type) {
	case float32:
		f = float64(r)
	case float64:
		f = r
	default:
		neg, mag, ok := goInteger(x)
		if !ok {
			return Value{}, fmt.Errorf("converting %T to %s: not a number", x, t)
		}
		f = float64(mag)
		if neg {
			f = -f
		}
	}
	if t == TypeReal32 {
		if !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
			return Value{}, fmt.Errorf("%g out of range for real32", f)
		}
		return Real32(float32(f)), nil
	}
	return Real64(f), nil
}

func newChar16(x any) (Value, error) {
	var r rune
	switch c := x.(type) {
	case rune:
		r = c
	case string:
		rs := []rune(c)
		if len(rs) != 1 {
			return Value{}, fmt.Errorf("converting string of %d characters to char16", len(rs))
		}
		r = rs[0]
	default:
		return Value{}, fmt.Errorf("converting %T to char16: unsupported Go type", x)
	}
	if r < 0 || r > 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
		return Value{}, fmt.Errorf("character U+%04X is outside UCS-2 for char16", r)
	}
	return Char16(r), nil
}
