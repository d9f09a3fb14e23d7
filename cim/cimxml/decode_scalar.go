package cimxml

import (
	"math"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// parseScalar parses the text of a VALUE of type t (DSP0201 §3.2.6:
// integers decimal or 0x hex, reals with NaN/INF/-INF, booleans any case).
func parseScalar(t cim.Type, text string) (cim.Value, error) {
	s := text
	if t != cim.TypeString && t != cim.TypeChar16 {
		s = strings.TrimSpace(text)
	}
	switch {
	case t.IsInteger():
		neg, mag, err := parseInteger(s)
		if err != nil {
			return cim.Value{}, err
		}
		v, err := cim.IntegerValue(t, neg, mag)
		if err != nil {
			return cim.Value{}, notValid("%v", err)
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
				return cim.Value{}, notValid("bad %s %q", t, s)
			}
			f, err = strconv.ParseFloat(s, t.Bits())
			if err != nil {
				return cim.Value{}, notValid("bad %s %q", t, s)
			}
		}
		if t == cim.TypeReal32 {
			return cim.Real32(float32(f)), nil
		}
		return cim.Real64(f), nil
	}
	switch t {
	case cim.TypeBoolean:
		switch strings.ToUpper(s) {
		case "TRUE":
			return cim.Bool(true), nil
		case "FALSE":
			return cim.Bool(false), nil
		}
		return cim.Value{}, notValid("bad boolean %q", s)
	case cim.TypeString:
		return cim.String(s), nil
	case cim.TypeChar16, cim.TypeDatetime, cim.TypeReference:
		v, err := cim.NewValue(t, s)
		if err != nil {
			return cim.Value{}, notValid("%v", err)
		}
		return v, nil
	}
	return cim.Value{}, notValid("no scalar text form for %s", t)
}

func parseInteger(s string) (bool, uint64, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if neg && strings.HasPrefix(s, "-+") {
		return false, 0, notValid("bad integer %q", s)
	}
	base := 10
	if len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
		base, digits = 16, digits[2:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return false, 0, notValid("bad integer %q", s)
	}
	mag, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return false, 0, notValid("bad integer %q", s)
	}
	return neg, mag, nil
}

// parseNumeric types an untyped numeric KEYVALUE: sint64, uint64 beyond
// its range, real64 with a '.' or exponent.
func parseNumeric(s string) (cim.Value, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "0x") && strings.ContainsAny(s, ".eE") {
		return parseScalar(cim.TypeReal64, s)
	}
	neg, mag, err := parseInteger(s)
	if err != nil {
		return cim.Value{}, err
	}
	if !neg && mag > math.MaxInt64 {
		return cim.Uint64(mag), nil
	}
	v, err := cim.IntegerValue(cim.TypeSint64, neg, mag)
	if err != nil {
		return cim.Value{}, notValid("%v", err)
	}
	return v, nil
}
