package cim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseKeyValue reads the key value at the start of s, "(type)value" in
// the typed form, and returns the rest of s.
func parseKeyValue(s string, typed bool) (Value, string, error) {
	if !typed {
		if strings.HasPrefix(s, `"`) {
			str, rest, err := unquotePath(s)
			if err != nil {
				return Value{}, "", err
			}
			if ref, err := parsePath(str); err == nil && ref.IsInstance() {
				return Ref(ref), rest, nil
			}
			return String(str), rest, nil
		}
		tok, rest := untilComma(s)
		v, err := parseUntypedScalar(tok)
		return v, rest, err
	}
	end := strings.IndexByte(s, ')')
	if !strings.HasPrefix(s, "(") || end < 0 {
		return Value{}, "", fmt.Errorf("expected \"(type)\", found %q", trunc(s))
	}
	t, ok := ParseType(s[1:end])
	if !ok || t.IsEmbedded() {
		return Value{}, "", fmt.Errorf("unknown key type %q", s[1:end])
	}
	s = s[end+1:]
	switch t {
	case TypeString, TypeChar16, TypeDatetime, TypeReference:
		str, rest, err := unquotePath(s)
		if err != nil {
			return Value{}, "", err
		}
		v, err := NewValue(t, str) // parses datetimes and references
		return v, rest, err
	}
	tok, rest := untilComma(s)
	v, err := parseTypedScalar(t, tok)
	return v, rest, err
}

func parseUntypedScalar(tok string) (Value, error) {
	switch {
	case strings.EqualFold(tok, "true"):
		return Bool(true), nil
	case strings.EqualFold(tok, "false"):
		return Bool(false), nil
	case strings.ContainsAny(tok, ".eE"):
		return parseTypedScalar(TypeReal64, tok)
	}
	neg, mag, err := parseDecimal(tok)
	if err != nil {
		return Value{}, err
	}
	if !neg && mag > math.MaxInt64 {
		return Uint64(mag), nil
	}
	return IntegerValue(TypeSint64, neg, mag)
}

func parseTypedScalar(t Type, tok string) (Value, error) {
	switch {
	case t == TypeBoolean:
		switch {
		case strings.EqualFold(tok, "true"):
			return Bool(true), nil
		case strings.EqualFold(tok, "false"):
			return Bool(false), nil
		}
		return Value{}, fmt.Errorf("expected true or false, found %q", trunc(tok))
	case t.IsReal():
		f, err := strconv.ParseFloat(tok, t.Bits())
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(tok, "xXpP_") {
			return Value{}, fmt.Errorf("bad %s %q", t, trunc(tok))
		}
		return NewValue(t, f)
	}
	neg, mag, err := parseDecimal(tok)
	if err != nil {
		return Value{}, err
	}
	return IntegerValue(t, neg, mag)
}

// parseDecimal parses [+-]digits into sign and magnitude.
func parseDecimal(tok string) (bool, uint64, error) {
	neg := strings.HasPrefix(tok, "-")
	digits := strings.TrimLeft(tok, "+-")
	if len(tok)-len(digits) > 1 || digits == "" || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return false, 0, fmt.Errorf("expected a quoted string, number or boolean, found %q", trunc(tok))
	}
	mag, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return false, 0, fmt.Errorf("integer %q out of range", trunc(tok))
	}
	return neg, mag, nil
}

// unquotePath reads a "..." string at the start of s, undoing \" and \\
// (any other backslash is kept as it is), and returns the rest.
func unquotePath(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("expected '\"', found %q", trunc(s))
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated string")
}

func untilComma(s string) (string, string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}
