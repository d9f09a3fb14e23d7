package mof

import (
	"math"
	"strconv"
	"strings"
)

// number lexes the DSP0004 literals: decimal, binary (101b), octal (017),
// hex (0x1F), all signed, and reals ([sign] digits* '.' digits+ [exponent]).
func (l *lexer) number(p Pos) (token, error) {
	start := l.off
	neg := false
	if r := l.peekRune(0); r == '+' || r == '-' {
		neg = r == '-'
		l.advance()
	}
	body := l.off
	for l.off < len(l.src) && (isAlnum(l.peekRune(0)) || l.peekRune(0) == '.' ||
		(l.peekRune(0) == '+' || l.peekRune(0) == '-') && strings.ContainsAny(l.src[l.off-1:l.off], "eE") && strings.Contains(l.src[body:l.off], ".")) {
		l.advance()
	}
	text, num := l.src[start:l.off], l.src[body:l.off]
	tok := token{kind: tInt, pos: p, text: text, neg: neg}
	var err error
	switch {
	case num == "":
		return tok, l.errorf(p, "expected a number after %q", text)
	case strings.Contains(num, "."):
		tok.kind = tReal
		if !isReal(num) {
			return tok, l.errorf(p, "malformed real %q", text)
		}
		tok.real, err = strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(tok.real, 0) {
			return tok, l.errorf(p, "real %q out of range", text)
		}
		return tok, nil
	case len(num) > 2 && (num[:2] == "0x" || num[:2] == "0X"):
		tok.mag, err = strconv.ParseUint(num[2:], 16, 64)
	case strings.HasSuffix(num, "b") || strings.HasSuffix(num, "B"):
		tok.mag, err = strconv.ParseUint(num[:len(num)-1], 2, 64)
	case len(num) > 1 && num[0] == '0':
		tok.mag, err = strconv.ParseUint(num[1:], 8, 64)
	default:
		tok.mag, err = strconv.ParseUint(num, 10, 64)
	}
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return tok, l.errorf(p, "integer %q out of range", text)
		}
		return tok, l.errorf(p, "malformed integer %q", text)
	}
	return tok, nil
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
}

// isReal checks digits* '.' digits+ [(e|E) [+|-] digits+].
func isReal(s string) bool {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mant, ".")
	if !allDigits(whole, true) || !allDigits(frac, false) {
		return false
	}
	if hasExp {
		return allDigits(strings.TrimLeft(exp, "+-"), false) && len(exp)-len(strings.TrimLeft(exp, "+-")) <= 1
	}
	return true
}

func allDigits(s string, emptyOK bool) bool {
	if s == "" {
		return emptyOK
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// quoted lexes a string or char literal and decodes its escapes: \b \t \n
// \f \r \" \' \\ and \x or \X with one to four hex digits.
func (l *lexer) quoted(q rune) (string, error) {
	start := l.pos()
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) || l.peekRune(0) == '\n' {
			if q == '"' {
				return "", l.errorf(start, "unterminated string")
			}
			return "", l.errorf(start, "unterminated char16 literal")
		}
		p := l.pos()
		r := l.advance()
		switch r {
		case q:
			return b.String(), nil
		case '\\':
			e, err := l.escape(p)
			if err != nil {
				return "", err
			}
			b.WriteRune(e)
		default:
			b.WriteRune(r)
		}
	}
}

func (l *lexer) escape(p Pos) (rune, error) {
	if l.off >= len(l.src) {
		return 0, l.errorf(p, "unterminated escape")
	}
	r := l.advance()
	switch r {
	case 'b':
		return '\b', nil
	case 't':
		return '\t', nil
	case 'n':
		return '\n', nil
	case 'f':
		return '\f', nil
	case 'r':
		return '\r', nil
	case '"', '\'', '\\':
		return r, nil
	case 'x', 'X':
		var v rune
		n := 0
		for ; n < 4 && isHex(l.peekRune(0)); n++ {
			v = v*16 + hexVal(l.advance())
		}
		if n == 0 {
			return 0, l.errorf(p, "expected hex digits after \\%c", r)
		}
		return v, nil
	}
	return 0, l.errorf(p, "unknown escape \\%c", r)
}

func isHex(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' }

func hexVal(r rune) rune {
	switch {
	case r >= 'a':
		return r - 'a' + 10
	case r >= 'A':
		return r - 'A' + 10
	}
	return r - '0'
}
