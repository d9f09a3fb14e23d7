package mof

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// maxDepth bounds the nesting of embedded instance values, so that hostile
// input cannot exhaust the stack.
const maxDepth = 32

type parser struct {
	lx    *lexer
	tok   token
	depth int
}

// Parse parses one MOF file. It does not follow #pragma include: the
// pragma is returned among the declarations (Compile follows it).
func Parse(name string, src []byte) (*File, error) {
	p := &parser{lx: newLexer(name, src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	f := &File{Name: name}
	for p.tok.kind != tEOF {
		d, err := p.decl()
		if err != nil {
			return nil, err
		}
		f.Decls = append(f.Decls, d)
	}
	return f, nil
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) isPunct(c string) bool { return p.tok.kind == tPunct && p.tok.text == c }

func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) expected(what string) error {
	return p.lx.errorf(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
}

// punct consumes the punctuation c or fails.
func (p *parser) punct(c string) error {
	if !p.isPunct(c) {
		return p.expected("'" + c + "'")
	}
	return p.advance()
}

// keyword consumes the keyword kw or fails.
func (p *parser) keyword(kw string) error {
	if !p.isKeyword(kw) {
		return p.expected(kw)
	}
	return p.advance()
}

// ident consumes an identifier, described as what in errors.
func (p *parser) ident(what string) (token, error) {
	t := p.tok
	if t.kind != tIdent {
		return t, p.expected(what)
	}
	return t, p.advance()
}

func (p *parser) decl() (Decl, error) {
	switch {
	case p.isPunct("#"):
		return p.pragma()
	case p.isKeyword("qualifier"):
		return p.qualifierDecl()
	}
	start := p.tok.pos
	var quals []*Qualifier
	if p.isPunct("[") {
		var err error
		if quals, err = p.qualifierList(); err != nil {
			return nil, err
		}
	}
	switch {
	case p.isKeyword("class"):
		return p.classDecl(start, quals)
	case p.isKeyword("association"), p.isKeyword("indication"):
		// DSP0221 3.0 spells the qualifier as the keyword.
		quals = append(quals, &Qualifier{Pos: p.tok.pos, Name: strings.ToUpper(p.tok.text[:1]) + strings.ToLower(p.tok.text[1:])})
		return p.classDecl(start, quals)
	case p.isKeyword("instance"):
		inst, err := p.instance(start, quals, true)
		if err != nil {
			return nil, err
		}
		return inst, p.punct(";")
	case p.isKeyword("structure"), p.isKeyword("enumeration"), p.isKeyword("value"):
		return nil, p.lx.errorf(p.tok.pos, "%s declarations are not supported", p.tok.text)
	}
	return nil, p.expected("class, instance or qualifier declaration")
}

// pragma parses `#pragma name("value")`.
func (p *parser) pragma() (*Pragma, error) {
	d := &Pragma{Pos: p.tok.pos}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.keyword("pragma"); err != nil {
		return nil, err
	}
	name, err := p.ident("pragma name")
	if err != nil {
		return nil, err
	}
	d.Name = name.text
	if err := p.punct("("); err != nil {
		return nil, err
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	if v.Kind != LitString {
		return nil, p.lx.errorf(v.Pos, "pragma %s needs a string", d.Name)
	}
	d.Value = v.Str
	return d, p.punct(")")
}

// dataType maps the MOF data type keywords to types.
func dataType(name string) (cim.Type, bool) {
	t, ok := cim.ParseType(name)
	if !ok || t == cim.TypeReference || t == cim.TypeInstance {
		return cim.TypeInvalid, false
	}
	return t, true
}

// arraySuffix parses an optional "[]" or "[n]".
func (p *parser) arraySuffix() (bool, int, error) {
	if !p.isPunct("[") {
		return false, 0, nil
	}
	if err := p.advance(); err != nil {
		return false, 0, err
	}
	size := 0
	if p.tok.kind == tInt {
		if p.tok.neg || p.tok.mag == 0 || p.tok.mag > 1<<31-1 {
			return false, 0, p.lx.errorf(p.tok.pos, "array size %s must be positive", p.tok.text)
		}
		size = int(p.tok.mag)
		if err := p.advance(); err != nil {
			return false, 0, err
		}
	}
	return true, size, p.punct("]")
}
