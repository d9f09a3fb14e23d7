package mof

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func lexAll(t *testing.T, src string) []token {
	t.Helper()
	lx := newLexer("t.mof", []byte(src))
	var out []token
	for {
		tok, err := lx.next()
		if err != nil {
			t.Fatalf("lexing %q: %v", src, err)
		}
		if tok.kind == tEOF {
			return out
		}
		out = append(out, tok)
	}
}

func TestLexIntegers(t *testing.T) {
	for src, want := range map[string]struct {
		neg bool
		mag uint64
	}{
		"0":                    {false, 0},
		"42":                   {false, 42},
		"-42":                  {true, 42},
		"+7":                   {false, 7},
		"0x8000":               {false, 0x8000},
		"0XFFFF":               {false, 0xFFFF},
		"-0x10":                {true, 16},
		"101b":                 {false, 5},
		"0B":                   {false, 0},
		"017":                  {false, 15},
		"00":                   {false, 0},
		"18446744073709551615": {false, math.MaxUint64},
		"-9223372036854775808": {true, 1 << 63},
	} {
		toks := lexAll(t, src)
		if len(toks) != 1 || toks[0].kind != tInt || toks[0].neg != want.neg || toks[0].mag != want.mag {
			t.Errorf("lex %q = %+v, want integer neg=%v mag=%d", src, toks, want.neg, want.mag)
		}
	}
}

func TestLexReals(t *testing.T) {
	for src, want := range map[string]float64{
		"1.5": 1.5, "-0.25": -0.25, ".5": 0.5, "+3.0e2": 300, "2.5E-1": 0.25, "1.0e+3": 1000,
	} {
		toks := lexAll(t, src)
		if len(toks) != 1 || toks[0].kind != tReal || toks[0].real != want {
			t.Errorf("lex %q = %+v, want real %g", src, toks, want)
		}
	}
}

func TestLexStringsAndComments(t *testing.T) {
	src := "// line comment\n/* block\n comment */ \"a\\\"b\\\\c\\n\\t\\x41\\X263a\\'\" 'x' '\\n' '\\x00e9' $Alias ident_1 {}()[];,:=#"
	toks := lexAll(t, src)
	want := []struct {
		kind tokKind
		text string
	}{
		{tString, ""}, {tChar, ""}, {tChar, ""}, {tChar, ""}, {tAlias, "Alias"}, {tIdent, "ident_1"},
		{tPunct, "{"}, {tPunct, "}"}, {tPunct, "("}, {tPunct, ")"}, {tPunct, "["}, {tPunct, "]"},
		{tPunct, ";"}, {tPunct, ","}, {tPunct, ":"}, {tPunct, "="}, {tPunct, "#"},
	}
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d: %+v", len(toks), len(want), toks)
	}
	for i, w := range want {
		if toks[i].kind != w.kind || (w.text != "" && toks[i].text != w.text) {
			t.Errorf("token %d = %+v, want %v %q", i, toks[i], w.kind, w.text)
		}
	}
	if got := toks[0].str; got != "a\"b\\c\n\tA\u263a'" {
		t.Errorf("string decoded to %q", got)
	}
	if toks[1].ch != 'x' || toks[2].ch != '\n' || toks[3].ch != 'é' {
		t.Errorf("chars %q %q %q", toks[1].ch, toks[2].ch, toks[3].ch)
	}
	if p := toks[0].pos; p.Line != 3 || p.Col != 13 {
		t.Errorf("string at %d:%d, want 3:13 (after the comments)", p.Line, p.Col)
	}
}

func TestLexErrors(t *testing.T) {
	for src, want := range map[string]string{
		"\n  \"abc":            "t.mof:2:3: unterminated string",
		"\"ab\ncd\"":           "t.mof:1:1: unterminated string",
		"x \"a\\qb\"":          `t.mof:1:5: unknown escape \q`,
		"\"\\x\"":              `t.mof:1:2: expected hex digits after \x`,
		"'ab'":                 "t.mof:1:1: char16 literal must hold one character",
		"''":                   "t.mof:1:1: char16 literal must hold one character",
		"'\\x41":               "t.mof:1:1: unterminated char16 literal",
		"08":                   `t.mof:1:1: malformed integer "08"`,
		"12b":                  `t.mof:1:1: malformed integer "12b"`,
		"12abc":                `t.mof:1:1: malformed integer "12abc"`,
		"0x":                   `t.mof:1:1: malformed integer "0x"`,
		"1.":                   `t.mof:1:1: malformed real "1."`,
		"1.2.3":                `t.mof:1:1: malformed real "1.2.3"`,
		"1.5f":                 `t.mof:1:1: malformed real "1.5f"`,
		"1e5":                  `t.mof:1:1: malformed integer "1e5"`,
		"a -":                  `t.mof:1:3: expected a number after "-"`,
		"18446744073709551616": "t.mof:1:1: integer \"18446744073709551616\" out of range",
		"1.0e999":              `t.mof:1:1: real "1.0e999" out of range`,
		"a\n/* never closed":   "t.mof:2:1: unterminated /* comment",
		"a @":                  "t.mof:1:3: unexpected character '@'",
		"$ x":                  "t.mof:1:1: expected alias name after '$'",
		"\xff":                 "t.mof:1:1: invalid UTF-8",
	} {
		lx := newLexer("t.mof", []byte(src))
		var err error
		for err == nil {
			var tok token
			if tok, err = lx.next(); tok.kind == tEOF && err == nil {
				break
			}
		}
		var me *Error
		if err == nil || !errors.As(err, &me) || err.Error() != want {
			t.Errorf("lex %q: error %v, want %q", src, err, want)
		}
	}
}

func TestLexColumnsCountCharacters(t *testing.T) {
	toks := lexAll(t, `"ééé" x`)
	if toks[1].pos.Col != 7 {
		t.Errorf("x at column %d, want 7 (columns count characters, not bytes)", toks[1].pos.Col)
	}
	if !strings.HasPrefix(lexAll(t, "\uFEFFclass")[0].text, "class") {
		t.Error("byte order mark not skipped")
	}
}
