package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/virtbridge/virtbridge/cim"
)

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIdent           // names and keywords
	tLiteral         // strings and numbers, in val
	tPunct           // , . * ( ) ::
	tOp              // = <> != < <= > >=
)

type token struct {
	kind tokKind
	pos  int    // 1-based byte offset, for errors
	text string // the source text
	val  cim.Value
}

// errAt returns an invalid-query error at the 1-based byte offset pos.
func errAt(pos int, format string, args ...any) error {
	return fmt.Errorf("%w: at %d: %s", cim.ErrInvalidQuery, pos, fmt.Sprintf(format, args...))
}

// lex splits s into tokens, ending with a tEOF token.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; ; {
		for i < len(s) && strings.IndexByte(" \t\r\n", s[i]) >= 0 {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, pos: i + 1}), nil
		}
		start := i
		c := s[i]
		r, size := utf8.DecodeRuneInString(s[i:])
		var t token
		var err error
		switch {
		case cim.IsIdentRune(r, true):
			for i < len(s) {
				next, n := utf8.DecodeRuneInString(s[i:])
				if !cim.IsIdentRune(next, false) {
					break
				}
				i += n
			}
			t = token{kind: tIdent}
		case c == '\'' || c == '"':
			t.kind = tLiteral
			t.val, i, err = lexString(s, i)
		case startsNumber(s, i, toks):
			t.kind = tLiteral
			t.val, i, err = lexNumber(s, i)
		case strings.HasPrefix(s[i:], "::"):
			t, i = token{kind: tPunct}, i+2
		case strings.IndexByte(",.*()", c) >= 0:
			t, i = token{kind: tPunct}, i+1
		case strings.HasPrefix(s[i:], "<>") || strings.HasPrefix(s[i:], "!=") ||
			strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">="):
			t, i = token{kind: tOp}, i+2
		case c == '=' || c == '<' || c == '>':
			t, i = token{kind: tOp}, i+1
		default:
			return nil, errAt(start+1, "unexpected character %q", s[i:i+size])
		}
		if err != nil {
			return nil, err
		}
		t.pos, t.text = start+1, s[start:i]
		toks = append(toks, t)
	}
}

// startsNumber reports whether a numeric literal starts at s[i]: a digit,
// a sign before a digit, or a '.' before a digit unless it continues a
// path (SourceInstance.5 is a bad path, not a real).
func startsNumber(s string, i int, toks []token) bool {
	digitAt := func(j int) bool { return j < len(s) && s[j] >= '0' && s[j] <= '9' }
	dotDigit := func(j int) bool { return j < len(s) && s[j] == '.' && digitAt(j+1) }
	switch {
	case digitAt(i):
		return true
	case s[i] == '+' || s[i] == '-':
		return digitAt(i+1) || dotDigit(i+1)
	}
	return dotDigit(i) && (len(toks) == 0 || toks[len(toks)-1].kind != tIdent)
}

// lexString reads the string literal quoted by s[i] and returns its value
// and the offset after the closing quote.
func lexString(s string, i int) (cim.Value, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == q && j+1 < len(s) && s[j+1] == q:
			b.WriteByte(q)
			j++
		case c == q:
			return cim.String(b.String()), j + 1, nil
		case c == '\\' && j+1 < len(s):
			j++
			e := strings.IndexByte(`\'"ntrbf`, s[j])
			if e < 0 {
				r, _ := utf8.DecodeRuneInString(s[j:])
				return cim.Value{}, 0, errAt(j, "unknown escape \"\\%c\" in string", r)
			}
			b.WriteByte("\\'\"\n\t\r\b\f"[e])
		default:
			b.WriteByte(c)
		}
	}
	return cim.Value{}, 0, errAt(i+1, "unterminated string")
}

// lexNumber reads an integer (decimal or 0x hex) or a real, with an
// optional sign. Integers become sint64, or uint64 beyond its range.
func lexNumber(s string, i int) (cim.Value, int, error) {
	start := i
	neg := s[i] == '-'
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	scan := func(ok func(byte) bool) {
		for i < len(s) && ok(s[i]) {
			i++
		}
	}
	digits, base, isReal := i, 10, false
	if strings.HasPrefix(s[i:], "0x") || strings.HasPrefix(s[i:], "0X") {
		i += 2
		digits, base = i, 16
		scan(func(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 })
	} else {
		scan(isDigit)
		if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			i++
			scan(isDigit)
			isReal = true
		}
		if j := i + 1; j < len(s) && (s[i] == 'e' || s[i] == 'E') {
			if s[j] == '+' || s[j] == '-' {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				i = j
				scan(isDigit)
				isReal = true
			}
		}
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if i == digits || i < len(s) && cim.IsIdentRune(r, false) {
		return cim.Value{}, 0, errAt(start+1, "malformed number %q", s[start:i+size])
	}
	text := s[start:i]
	if isReal {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			return cim.Value{}, 0, errAt(start+1, "real %s out of range", text)
		}
		return cim.Real64(f), i, nil
	}
	mag, err := strconv.ParseUint(s[digits:i], base, 64)
	if err != nil {
		return cim.Value{}, 0, errAt(start+1, "integer %s out of range", text)
	}
	if !neg && mag > math.MaxInt64 {
		return cim.Uint64(mag), i, nil
	}
	v, err := cim.IntegerValue(cim.TypeSint64, neg, mag)
	if err != nil {
		return cim.Value{}, 0, errAt(start+1, "integer %s out of range", text)
	}
	return v, i, nil
}
