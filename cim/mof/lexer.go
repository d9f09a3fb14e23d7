package mof

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/virtbridge/virtbridge/cim"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tInt
	tReal
	tString
	tChar
	tAlias // "$Name"; text is the name
	tPunct // one of { } ( ) [ ] ; , : = #
)

type token struct {
	kind tokKind
	pos  Pos
	text string // identifier, alias name, punctuation, or the literal as written
	str  string // decoded string
	ch   rune   // decoded char16
	neg  bool   // integers: sign and magnitude
	mag  uint64
	real float64
}

// describe names the token for "expected X, found Y".
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tString:
		return "string " + trunc(t.text)
	case tAlias:
		return "alias $" + t.text
	}
	return strconv.Quote(trunc(t.text))
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// lexer splits MOF source into tokens, dropping white space and comments.
type lexer struct {
	file string
	src  string
	off  int
	line int
	col  int
}

// Error is a MOF syntax or compile error at a position.
type Error struct {
	Pos Pos
	Err error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Unwrap returns the cause, so that errors.Is finds the cim error kinds.
func (e *Error) Unwrap() error { return e.Err }

func errorAt(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Err: fmt.Errorf(format, args...)}
}

func newLexer(file string, src []byte) *lexer {
	s := string(src)
	s = strings.TrimPrefix(s, "\uFEFF") // UTF-8 byte order mark
	return &lexer{file: file, src: s, line: 1, col: 1}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) errorf(p Pos, format string, args ...any) error {
	return errorAt(p, format, args...)
}

// peekRune returns the rune at offset k runes ahead (k is 0 or 1), or -1.
func (l *lexer) peekRune(k int) rune {
	off := l.off
	for ; k > 0 && off < len(l.src); k-- {
		_, n := utf8.DecodeRuneInString(l.src[off:])
		off += n
	}
	if off >= len(l.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(l.src[off:])
	return r
}

func (l *lexer) advance() rune {
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

// skip drops white space and comments.
func (l *lexer) skip() error {
	for l.off < len(l.src) {
		switch r := l.peekRune(0); {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			l.advance()
		case r == '/' && l.peekRune(1) == '/':
			for l.off < len(l.src) && l.peekRune(0) != '\n' {
				l.advance()
			}
		case r == '/' && l.peekRune(1) == '*':
			start := l.pos()
			l.advance()
			l.advance()
			for !strings.HasPrefix(l.src[l.off:], "*/") {
				if l.off >= len(l.src) {
					return l.errorf(start, "unterminated /* comment")
				}
				l.advance()
			}
			l.advance()
			l.advance()
		default:
			return nil
		}
	}
	return nil
}

func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	p, start := l.pos(), l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p}, nil
	}
	r := l.peekRune(0)
	switch {
	case r == utf8.RuneError && !strings.HasPrefix(l.src[l.off:], "\uFFFD"):
		return token{}, l.errorf(p, "invalid UTF-8")
	case cim.IsIdentRune(r, true):
		return token{kind: tIdent, pos: p, text: l.ident()}, nil
	case r >= '0' && r <= '9' || r == '.' || r == '+' || r == '-':
		return l.number(p)
	case r == '"':
		s, err := l.quoted('"')
		return token{kind: tString, pos: p, text: l.src[start:l.off], str: s}, err
	case r == '\'':
		s, err := l.quoted('\'')
		if err != nil {
			return token{}, err
		}
		if utf8.RuneCountInString(s) != 1 {
			return token{}, l.errorf(p, "char16 literal must hold one character")
		}
		c, _ := utf8.DecodeRuneInString(s)
		if c > 0xFFFF {
			return token{}, l.errorf(p, "char16 literal U+%04X is outside UCS-2", c)
		}
		return token{kind: tChar, pos: p, text: l.src[start:l.off], ch: c}, nil
	case r == '$':
		l.advance()
		name := l.ident()
		if name == "" {
			return token{}, l.errorf(p, "expected alias name after '$'")
		}
		return token{kind: tAlias, pos: p, text: name}, nil
	case strings.ContainsRune("{}()[];,:=#", r):
		l.advance()
		return token{kind: tPunct, pos: p, text: string(r)}, nil
	}
	return token{}, l.errorf(p, "unexpected character %q", r)
}

func (l *lexer) ident() string {
	start := l.off
	for first := true; l.off < len(l.src) && cim.IsIdentRune(l.peekRune(0), first); first = false {
		l.advance()
	}
	return l.src[start:l.off]
}
