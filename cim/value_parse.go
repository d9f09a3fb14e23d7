package cim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseScalar parses the text form of a scalar of type t, as CIM-XML
// (DSP0201 §3.2.6) and WS-Man selectors write it: integers decimal or 0x
// hex, reals with NaN/INF/-INF, booleans in any case.
func ParseScalar(t Type, text string) (Value, error) {
	s := text
	if t != TypeString && t != TypeChar16 {
		s = strings.TrimSpace(text)
	}
	switch {
	case t.IsInteger():
		neg, mag, err := parseInteger(s)
		if err != nil {
			return Value{}, err
		}
		v, err := IntegerValue(t, neg, mag)
		if err != nil {
			return Value{}, fmt.Errorf("%v", err)
		}
		return v, nil
	case t.IsReal():
		var f float64
		var err error
		switch s {
		case "NaN":
			f = math.NaN()
		case "INF":
			f = math.Inf(1)
		case "-INF":
			f = math.Inf(-1)
		default:
			if strings.ContainsAny(s, "xXpP_iInN") {
				return Value{}, fmt.Errorf("bad %s %q", t, s)
			}
			f, err = strconv.ParseFloat(s, t.Bits())
			if err != nil {
				return Value{}, fmt.Errorf("bad %s %q", t, s)
			}
		}
		if t == TypeReal32 {
			return Real32(float32(f)), nil
		}
		return Real64(f), nil
	}
	switch t {
	case TypeBoolean:
		switch strings.ToUpper(s) {
		case "TRUE":
			return Bool(true), nil
		case "FALSE":
			return Bool(false), nil
		}
		return Value{}, fmt.Errorf("bad boolean %q", s)
	case TypeString:
		return String(s), nil
	case TypeChar16, TypeDatetime, TypeReference:
		v, err := NewValue(t, s)
		if err != nil {
			return Value{}, fmt.Errorf("%v", err)
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("no scalar text form for %s", t)
}

func parseInteger(s string) (bool, uint64, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if neg && strings.HasPrefix(s, "-+") {
		return false, 0, fmt.Errorf("bad integer %q", s)
	}
	base := 10
	if len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
		base, digits = 16, digits[2:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return false, 0, fmt.Errorf("bad integer %q", s)
	}
	mag, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return false, 0, fmt.Errorf("bad integer %q", s)
	}
	return neg, mag, nil
}

// ParseNumeric types an untyped numeric value (a CIM-XML KEYVALUE): sint64, uint64 beyond
// its range, real64 with a '.' or exponent.
func ParseNumeric(s string) (Value, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "0x") && strings.ContainsAny(s, ".eE") {
		return ParseScalar(TypeReal64, s)
	}
	neg, mag, err := parseInteger(s)
	if err != nil {
		return Value{}, err
	}
	if !neg && mag > math.MaxInt64 {
		return Uint64(mag), nil
	}
	v, err := IntegerValue(TypeSint64, neg, mag)
	if err != nil {
		return Value{}, fmt.Errorf("%v", err)
	}
	return v, nil
}
