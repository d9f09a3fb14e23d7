package query

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

func (p *parser) parseOr() (expr, error)  { return p.parseLogic("OR", p.parseAnd) }
func (p *parser) parseAnd() (expr, error) { return p.parseLogic("AND", p.parseNot) }

// parseLogic parses operands joined by op into one n-ary node, so a long
// chain of ANDs stays a shallow tree.
func (p *parser) parseLogic(op string, operand func() (expr, error)) (expr, error) {
	var xs []expr
	for {
		x, err := operand()
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
		if !p.accept(op) {
			break
		}
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	return &logic{and: op == "AND", xs: xs}, nil
}

func (p *parser) parseNot() (expr, error) {
	t := p.peek()
	if !p.accept("NOT") {
		return p.parsePredicate()
	}
	if err := p.nest(t.pos); err != nil {
		return nil, err
	}
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	p.depth--
	return &not{x}, nil
}

// parsePredicate parses a parenthesized expression or a condition on an
// operand.
func (p *parser) parsePredicate() (expr, error) {
	if t := p.peek(); p.accept("(") {
		if err := p.nest(t.pos); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, p.fail(`AND, OR or ")"`)
		}
		p.depth--
		return x, nil
	}
	l, err := p.parseOperand("a condition")
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); {
	case t.kind == tOp:
		p.i++
		r, err := p.parseOperand("a value")
		if err != nil {
			return nil, err
		}
		return &comparison{op: opOf(t.text), l: l, r: r}, nil
	case p.accept("IS"):
		neg := p.accept("NOT")
		if !p.accept("NULL") {
			return nil, p.fail(fmt.Sprintf("NULL after %q", p.prev()))
		}
		return &isNull{x: l, not: neg}, nil
	case p.accept("ISA"):
		class, err := p.className()
		if err != nil {
			return nil, err
		}
		return &isA{x: l, class: class}, nil
	case p.is("LIKE") || p.is("NOT"):
		neg := p.accept("NOT")
		if !p.accept("LIKE") {
			return nil, p.fail(`LIKE after "NOT"`)
		}
		pat := p.peek()
		s, ok := pat.val.Str()
		if pat.kind != tLiteral || !ok {
			return nil, p.fail(fmt.Sprintf("a string pattern after %q", p.prev()))
		}
		p.i++
		return &like{x: l, pat: compileLike(s, !p.q.cql), not: neg}, nil
	}
	return nil, p.fail(fmt.Sprintf("a comparison operator, IS, ISA or LIKE after %q", p.prev()))
}

// parseOperand parses a literal or a property path; what names the
// operand for errors.
func (p *parser) parseOperand(what string) (operand, error) {
	t := p.peek()
	switch {
	case t.kind == tLiteral:
		p.i++
		return operand{lit: t.val}, nil
	case p.is("TRUE") || p.is("FALSE"):
		p.i++
		return operand{lit: cim.Bool(strings.EqualFold(t.text, "TRUE"))}, nil
	case p.is("NULL"):
		p.i++
		return operand{}, nil // the invalid Value reads as NULL
	case t.kind == tIdent && !reserved(t.text):
		return p.parsePath()
	}
	return operand{}, p.fail(fmt.Sprintf("%s after %q", what, p.prev()))
}

// parsePath parses seg { "." seg }, seg being [Class "::"] prop. After the
// first segment any name goes, keywords too: the position tells.
func (p *parser) parsePath() (operand, error) {
	o := operand{isPath: true}
	for first := true; ; first = false {
		s := seg{name: p.next().text}
		if p.accept("::") {
			if p.peek().kind != tIdent {
				return operand{}, p.fail(`a property name after "::"`)
			}
			s.scope, s.name = s.name, p.next().text
		}
		if !first || s.scope != "" || !p.self(s.name) {
			o.path = append(o.path, s)
		}
		if !p.accept(".") {
			p.q.paths = append(p.q.paths, o.path)
			return o, nil
		}
		if p.peek().kind != tIdent {
			return operand{}, p.fail(`a property name after "."`)
		}
	}
}

// className parses the class after ISA: a name, or a quoted one as WMI
// writes it.
func (p *parser) className() (string, error) {
	t := p.peek()
	if s, ok := t.val.Str(); t.kind == tLiteral && ok && cim.ValidName(s) {
		p.i++
		return s, nil
	}
	return p.name(`a class name after "ISA"`)
}

// nest enters a parenthesis or NOT at pos, failing beyond maxDepth.
func (p *parser) nest(pos int) error {
	if p.depth++; p.depth > maxDepth {
		return errAt(pos, "expression nested deeper than %d levels", maxDepth)
	}
	return nil
}
