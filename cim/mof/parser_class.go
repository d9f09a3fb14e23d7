package mof

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// classDecl parses `class Name [: Super] { features };`; the keyword is the
// current token.
func (p *parser) classDecl(start Pos, quals []*Qualifier) (*ClassDecl, error) {
	c := &ClassDecl{Pos: start, Qualifiers: quals}
	if err := p.advance(); err != nil {
		return nil, err
	}
	name, err := p.ident("class name")
	if err != nil {
		return nil, err
	}
	c.Name = name.text
	if p.isPunct(":") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		super, err := p.ident("superclass name")
		if err != nil {
			return nil, err
		}
		c.SuperClass = super.text
	}
	if err := p.punct("{"); err != nil {
		return nil, err
	}
	for !p.isPunct("}") {
		if err := p.feature(c); err != nil {
			return nil, err
		}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return c, p.punct(";")
}

// feature parses a property, reference or method of class c.
func (p *parser) feature(c *ClassDecl) error {
	start := p.tok.pos
	var quals []*Qualifier
	if p.isPunct("[") {
		var err error
		if quals, err = p.qualifierList(); err != nil {
			return err
		}
	}
	typ, err := p.typeSpec()
	if err != nil {
		return err
	}
	name, err := p.ident("property or method name")
	if err != nil {
		return err
	}
	if p.isPunct("(") {
		m := &MethodDecl{Pos: start, Qualifiers: quals, Type: typ, Name: name.text}
		if m.Parameters, err = p.params(); err != nil {
			return err
		}
		c.Methods = append(c.Methods, m)
		return p.punct(";")
	}
	prop := &PropertyDecl{Pos: start, Qualifiers: quals, Type: typ, Name: name.text}
	if err := p.arrayAndDefault(&prop.Type, &prop.Default); err != nil {
		return err
	}
	c.Properties = append(c.Properties, prop)
	return p.punct(";")
}

// typeSpec parses a data type keyword or `Class REF`, with the optional
// "[]" that DSP0221 3.0 puts after the type.
func (p *parser) typeSpec() (Type, error) {
	var t Type
	name, err := p.ident("data type or class name")
	if err != nil {
		return t, err
	}
	if p.isKeyword("ref") {
		t.Type, t.RefClass = cim.TypeReference, name.text
		if err := p.advance(); err != nil {
			return t, err
		}
	} else {
		var ok bool
		if t.Type, ok = dataType(name.text); !ok {
			return t, p.lx.errorf(name.pos, "expected data type, found %s (a class name needs REF)", name.describe())
		}
	}
	t.Array, t.ArraySize, err = p.arraySuffix()
	return t, err
}

// arrayAndDefault parses what may follow a property or parameter name:
// "[]" or "[n]", then "= value".
func (p *parser) arrayAndDefault(t *Type, def **Literal) error {
	array, size, err := p.arraySuffix()
	if err != nil {
		return err
	}
	if array {
		t.Array, t.ArraySize = true, size
	}
	if !p.isPunct("=") {
		return nil
	}
	if err := p.advance(); err != nil {
		return err
	}
	*def, err = p.literal()
	return err
}

// params parses `( [quals] type name[[]] [= value], ... )`.
func (p *parser) params() ([]*ParamDecl, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var out []*ParamDecl
	if p.isPunct(")") {
		return out, p.advance()
	}
	for {
		start := p.tok.pos
		var quals []*Qualifier
		if p.isPunct("[") {
			var err error
			if quals, err = p.qualifierList(); err != nil {
				return nil, err
			}
		}
		typ, err := p.typeSpec()
		if err != nil {
			return nil, err
		}
		name, err := p.ident("parameter name")
		if err != nil {
			return nil, err
		}
		prm := &ParamDecl{Pos: start, Qualifiers: quals, Type: typ, Name: name.text}
		if err := p.arrayAndDefault(&prm.Type, &prm.Default); err != nil {
			return nil, err
		}
		out = append(out, prm)
		if p.isPunct(")") {
			return out, p.advance()
		}
		if !p.isPunct(",") {
			return nil, p.expected("',' or ')'")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// instance parses `instance of Class [as $Alias] { [quals] Name = value; ... }`;
// the keyword "instance" is the current token.
func (p *parser) instance(start Pos, quals []*Qualifier, aliasOK bool) (*InstanceDecl, error) {
	d := &InstanceDecl{Pos: start, Qualifiers: quals}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.keyword("of"); err != nil {
		return nil, err
	}
	class, err := p.ident("class name")
	if err != nil {
		return nil, err
	}
	d.ClassName = class.text
	if aliasOK && p.isKeyword("as") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tAlias {
			return nil, p.expected("alias ($Name)")
		}
		d.Alias = p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.punct("{"); err != nil {
		return nil, err
	}
	for !p.isPunct("}") {
		pv := &PropertyValue{Pos: p.tok.pos}
		if p.isPunct("[") {
			if pv.Qualifiers, err = p.qualifierList(); err != nil {
				return nil, err
			}
		}
		name, err := p.ident("property name")
		if err != nil {
			return nil, err
		}
		pv.Name = name.text
		if err := p.punct("="); err != nil {
			return nil, err
		}
		if pv.Value, err = p.literal(); err != nil {
			return nil, err
		}
		d.Properties = append(d.Properties, pv)
		if err := p.punct(";"); err != nil {
			return nil, err
		}
	}
	return d, p.advance()
}

// literal parses a value: number, string (adjacent strings joined), char,
// true, false, null, $alias, {array}, or an embedded "instance of".
func (p *parser) literal() (*Literal, error) {
	return p.value(true)
}

func (p *parser) value(arrayOK bool) (*Literal, error) {
	t := p.tok
	l := &Literal{Pos: t.pos}
	switch {
	case t.kind == tInt:
		l.Kind, l.Neg, l.Mag = LitInteger, t.neg, t.mag
	case t.kind == tReal:
		l.Kind, l.Real = LitReal, t.real
	case t.kind == tChar:
		l.Kind, l.Char = LitChar, t.ch
	case t.kind == tAlias:
		l.Kind, l.Str = LitAlias, t.text
	case t.kind == tString:
		var b strings.Builder
		for p.tok.kind == tString {
			b.WriteString(p.tok.str)
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		l.Kind, l.Str = LitString, b.String()
		return l, nil
	case p.isKeyword("true"), p.isKeyword("false"):
		l.Kind, l.Bool = LitBool, p.isKeyword("true")
	case p.isKeyword("null"):
		l.Kind = LitNull
	case p.isKeyword("instance"):
		if p.depth >= maxDepth {
			return nil, p.lx.errorf(t.pos, "embedded instances nested deeper than %d", maxDepth)
		}
		p.depth++
		inst, err := p.instance(t.pos, nil, false)
		p.depth--
		l.Kind, l.Instance = LitInstance, inst
		return l, err
	case arrayOK && p.isPunct("{"):
		return p.array(l)
	default:
		return nil, p.expected("value")
	}
	return l, p.advance()
}

func (p *parser) array(l *Literal) (*Literal, error) {
	l.Kind = LitArray
	l.Elems = []*Literal{} // "{}" is the empty array, not NULL
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.isPunct("}") {
		return l, p.advance()
	}
	for {
		e, err := p.value(false)
		if err != nil {
			return nil, err
		}
		l.Elems = append(l.Elems, e)
		if p.isPunct("}") {
			return l, p.advance()
		}
		if !p.isPunct(",") {
			return nil, p.expected("',' or '}'")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}
