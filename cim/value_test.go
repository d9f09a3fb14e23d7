package cim

import (
	"math"
	"strings"
	"testing"
)

func TestValueNull(t *testing.T) {
	empty, err := Array(TypeUint8)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v            Value
		null, array  bool
		str, typName string
	}{
		{Null(TypeString), true, false, "null", "string"},
		{String(""), false, false, `""`, "string"},
		{Uint32(0), false, false, "0", "uint32"},
		{NullArray(TypeUint8), true, true, "null", "uint8[]"},
		{empty, false, true, "{}", "uint8[]"},
		{Value{}, false, false, "null", "invalid"},
	} {
		if tc.v.IsNull() != tc.null || tc.v.IsArray() != tc.array || tc.v.String() != tc.str || tc.v.TypeName() != tc.typName {
			t.Errorf("%#v: null=%v array=%v String=%q TypeName=%q", tc.v, tc.v.IsNull(), tc.v.IsArray(), tc.v.String(), tc.v.TypeName())
		}
	}
	if Null(TypeString).Equal(String("")) || NullArray(TypeUint8).Equal(empty) || Null(TypeUint8).Equal(Null(TypeUint16)) {
		t.Error("NULL equals an empty or zero value, or a NULL of another type")
	}
	if !Null(TypeString).Equal(Null(TypeString)) {
		t.Error("NULL does not equal itself")
	}
	if _, ok := Null(TypeUint8).Uint(); ok {
		t.Error("Uint() of NULL succeeded")
	}
}

func TestValueAccessors(t *testing.T) {
	if u, ok := Uint16(65535).Uint(); !ok || u != 65535 {
		t.Errorf("Uint16.Uint() = %d, %v", u, ok)
	}
	if i, ok := Sint8(-128).Int(); !ok || i != -128 {
		t.Errorf("Sint8.Int() = %d, %v", i, ok)
	}
	// char16 and sint32 share a Go representation; the CIM type keeps them apart.
	if _, ok := Char16('x').Int(); ok {
		t.Error("Char16.Int() succeeded")
	}
	if _, ok := Sint32(120).Char16(); ok {
		t.Error("Sint32.Char16() succeeded")
	}
	if r, ok := Char16('x').Char16(); !ok || r != 'x' {
		t.Errorf("Char16.Char16() = %q, %v", r, ok)
	}
	ss, ok := Strings("a", "b").StringSlice()
	if !ok || len(ss) != 2 || ss[1] != "b" {
		t.Errorf("StringSlice() = %v, %v", ss, ok)
	}
	arr, _ := Array(TypeString, String("a"), Null(TypeString))
	elems := arr.Elems()
	elems[0] = String("changed")
	if e := arr.Elems(); !e[0].Equal(String("a")) || !e[1].IsNull() || arr.Len() != 2 {
		t.Errorf("Elems() = %v: arrays must be immutable and keep NULL elements", e)
	}
	if _, err := Array(TypeString, Uint8(1)); err == nil {
		t.Error("Array of string accepted a uint8")
	}
}

func TestNewValue(t *testing.T) {
	ref := mustPath(t, `/root/cimv2:CIM_Foo.Id=1`)
	for _, tc := range []struct {
		t    Type
		x    any
		want Value
	}{
		{TypeUint8, 255, Uint8(255)},
		{TypeSint8, -128, Sint8(-128)},
		{TypeUint64, uint64(math.MaxUint64), Uint64(math.MaxUint64)},
		{TypeSint64, int64(math.MinInt64), Sint64(math.MinInt64)},
		{TypeReal32, 2, Real32(2)},
		{TypeReal64, float32(0.5), Real64(0.5)},
		{TypeBoolean, true, Bool(true)},
		{TypeChar16, "é", Char16('é')},
		{TypeChar16, 'x', Char16('x')},
		{TypeDatetime, "00000000000500.000000:000", DatetimeValue(mustDatetime(t, "00000000000500.000000:000"))},
		{TypeReference, "/root/cimv2:CIM_Foo.Id=1", Ref(ref)},
		{TypeReference, &ref, Ref(ref)},
		{TypeString, nil, Null(TypeString)},
	} {
		got, err := NewValue(tc.t, tc.x)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("NewValue(%s, %#v) = %s, %v; want %s", tc.t, tc.x, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		t    Type
		x    any
		want string
	}{
		{TypeUint8, 256, "256 out of range for uint8"},
		{TypeSint8, 128, "128 out of range for sint8"},
		{TypeSint8, -129, "-129 out of range for sint8"},
		{TypeUint64, -1, "-1 out of range for uint64"},
		{TypeSint64, uint64(math.MaxInt64 + 1), "out of range for sint64"},
		{TypeReal32, 1e39, "out of range for real32"},
		{TypeChar16, "ab", "2 characters"},
		{TypeChar16, rune(0xD800), "outside UCS-2"},
		{TypeChar16, rune(0x1F600), "outside UCS-2"},
		{TypeString, 5, "unsupported Go type"},
		{TypeUint8, "5", "not an integer"},
		{TypeInvalid, 5, "invalid CIM type"},
	} {
		if _, err := NewValue(tc.t, tc.x); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewValue(%s, %#v) error %v, want %q", tc.t, tc.x, err, tc.want)
		}
	}
	arr, err := NewArray(TypeUint16, 1, nil, 3)
	if err != nil || arr.String() != "{1, null, 3}" {
		t.Errorf("NewArray = %s, %v", arr, err)
	}
	if _, err := NewArray(TypeUint16, 1, -1); err == nil || !strings.Contains(err.Error(), "element 1") {
		t.Errorf("NewArray with -1: %v", err)
	}
}

func TestValueMOF(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{String("a\"b\\c\n\x01"), `"a\"b\\c\n\x0001"`},
		{Char16('\''), `'\''`},
		{Real64(1), "1.0"},
		{Real32(0.1), "0.1"},
		{Real64(1e21), "1.0e+21"},
		{Bool(false), "false"},
		{Sint16(-7), "-7"},
		{Strings("x", "y"), `{"x", "y"}`},
		{DatetimeValue(Datetime{}), `"**************.******+000"`},
		{Ref(ObjectPath{Namespace: "r", ClassName: "C", Keys: []KeyBinding{{"K", String("v")}}}), `"/r:C.K=\"v\""`},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() = %s, want %s", got, tc.want)
		}
	}
}
