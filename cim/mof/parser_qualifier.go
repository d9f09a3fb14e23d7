package mof

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// qualifierDecl parses
// `Qualifier Name : type[[n]] [= value] [,] Scope(...) [[,] Flavor(...)];`.
func (p *parser) qualifierDecl() (*QualifierDecl, error) {
	d := &QualifierDecl{Pos: p.tok.pos}
	if err := p.advance(); err != nil {
		return nil, err
	}
	name, err := p.ident("qualifier name")
	if err != nil {
		return nil, err
	}
	d.Name = name.text
	if err := p.punct(":"); err != nil {
		return nil, err
	}
	typ, err := p.ident("data type")
	if err != nil {
		return nil, err
	}
	var ok bool
	if d.Type, ok = dataType(typ.text); !ok || d.Type == cim.TypeObject {
		return nil, p.lx.errorf(typ.pos, "expected qualifier data type, found %s", typ.describe())
	}
	if d.Array, d.ArraySize, err = p.arraySuffix(); err != nil {
		return nil, err
	}
	if p.isPunct("=") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if d.Default, err = p.literal(); err != nil {
			return nil, err
		}
	}
	for !p.isPunct(";") {
		if p.isPunct(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		switch {
		case p.isKeyword("scope"):
			if d.Scopes, err = p.scopeList(); err != nil {
				return nil, err
			}
		case p.isKeyword("flavor"), p.isKeyword("policy"):
			if d.Flavor, err = p.flavorList(); err != nil {
				return nil, err
			}
		default:
			return nil, p.expected("Scope, Flavor or ';'")
		}
	}
	if d.Scopes == 0 {
		return nil, p.lx.errorf(d.Pos, "qualifier %s has no Scope", d.Name)
	}
	return d, p.advance()
}

func (p *parser) scopeList() (cim.Scope, error) {
	var s cim.Scope
	err := p.parenList(func(t token) error {
		sc, ok := cim.ParseScope(t.text)
		if !ok {
			return p.lx.errorf(t.pos, "expected scope (class, association, indication, property, reference, method, parameter, any), found %s", t.describe())
		}
		s |= sc
		return nil
	})
	return s, err
}

func (p *parser) flavorList() (cim.Flavor, error) {
	var f cim.Flavor
	err := p.parenList(func(t token) error {
		fl, ok := flavor(t.text)
		if !ok {
			return p.lx.errorf(t.pos, "expected flavor (EnableOverride, DisableOverride, ToSubclass, Restricted, Translatable), found %s", t.describe())
		}
		f |= fl
		return nil
	})
	return f, err
}

// parenList parses `Keyword(ident, ...)`, handing each identifier to add.
func (p *parser) parenList(add func(token) error) error {
	if err := p.advance(); err != nil {
		return err
	}
	if err := p.punct("("); err != nil {
		return err
	}
	for {
		t, err := p.ident("identifier")
		if err != nil {
			return err
		}
		if err := add(t); err != nil {
			return err
		}
		if p.isPunct(")") {
			return p.advance()
		}
		if err := p.punct(","); err != nil {
			return err
		}
	}
}

func flavor(name string) (cim.Flavor, bool) {
	for _, f := range []cim.Flavor{cim.EnableOverride, cim.DisableOverride, cim.ToSubclass, cim.Restricted, cim.Translatable} {
		if strings.EqualFold(name, f.String()) {
			return f, true
		}
	}
	return 0, false
}

// qualifierList parses `[Name(value) : flavor ..., ...]`.
func (p *parser) qualifierList() ([]*Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var out []*Qualifier
	for {
		name, err := p.ident("qualifier name")
		if err != nil {
			return nil, err
		}
		q := &Qualifier{Pos: name.pos, Name: name.text}
		switch {
		case p.isPunct("("):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if q.Value, err = p.literal(); err != nil {
				return nil, err
			}
			if err := p.punct(")"); err != nil {
				return nil, err
			}
		case p.isPunct("{"):
			if q.Value, err = p.literal(); err != nil {
				return nil, err
			}
		}
		if p.isPunct(":") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			for p.tok.kind == tIdent {
				f, ok := flavor(p.tok.text)
				if !ok {
					return nil, p.expected("flavor")
				}
				q.Flavor |= f
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, q)
		if p.isPunct("]") {
			return out, p.advance()
		}
		if err := p.punct(","); err != nil {
			return nil, p.expected("',' or ']'")
		}
	}
}
