package query

import (
	"fmt"
	"strings"
)

// parser is a recursive-descent parser over the tokens of one query.
type parser struct {
	toks  []token // ends with tEOF
	i     int
	q     *Query
	depth int // of parentheses and NOTs, bounded by maxDepth
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// prev is the text of the token before the current one, for errors.
func (p *parser) prev() string { return p.toks[max(p.i-1, 0)].text }

// is reports whether the current token is the keyword, operator or
// punctuation s; keywords match in any case.
func (p *parser) is(s string) bool {
	t := p.peek()
	return t.kind != tLiteral && t.kind != tEOF && strings.EqualFold(t.text, s)
}

// accept consumes the current token if it is s.
func (p *parser) accept(s string) bool {
	if p.is(s) {
		p.i++
		return true
	}
	return false
}

// fail reports that the current token is not what was expected.
func (p *parser) fail(what string) error {
	t := p.peek()
	found := "end of query"
	if t.kind != tEOF {
		text := t.text
		if len(text) > 32 {
			text = text[:32] + "..."
		}
		found = fmt.Sprintf("%q", text)
	}
	return errAt(t.pos, "expected %s, found %s", what, found)
}

// reserved reports whether s is a keyword, which cannot name a class,
// alias or top-level property.
func reserved(s string) bool {
	switch strings.ToUpper(s) {
	case "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IS", "ISA", "LIKE", "NULL", "TRUE", "FALSE":
		return true
	}
	return false
}

// name consumes a name that is not a keyword.
func (p *parser) name(what string) (string, error) {
	if t := p.peek(); t.kind == tIdent && !reserved(t.text) {
		p.i++
		return t.text, nil
	}
	return "", p.fail(what)
}

func (p *parser) parseQuery() error {
	if !p.accept("SELECT") {
		return p.fail("SELECT")
	}
	quals, err := p.parseSelectList()
	if err != nil {
		return err
	}
	if p.q.Class, err = p.name("a class name after FROM"); err != nil {
		return err
	}
	if p.q.cql {
		if p.accept("AS") {
			p.q.Alias, err = p.name(`an alias after "AS"`)
		} else if t := p.peek(); t.kind == tIdent && !reserved(t.text) {
			p.q.Alias, err = p.next().text, nil
		}
		if err != nil {
			return err
		}
	}
	for _, qt := range quals {
		if !p.self(qt.text) {
			return errAt(qt.pos, "%q in the select list is neither the FROM class nor its alias", qt.text)
		}
	}
	if p.accept("WHERE") {
		if p.q.where, err = p.parseOr(); err != nil {
			return err
		}
		if p.peek().kind != tEOF {
			return p.fail("AND, OR or end of query")
		}
	}
	if p.peek().kind != tEOF {
		return p.fail("WHERE or end of query")
	}
	return nil
}

// self reports whether a CQL path starting with name reads the instance
// itself: name is the FROM class or its alias.
func (p *parser) self(name string) bool {
	return p.q.cql && (strings.EqualFold(name, p.q.Class) || p.q.Alias != "" && strings.EqualFold(name, p.q.Alias))
}

// parseSelectList parses "*" or the property list and FROM, returning
// the CQL qualifiers (cs in cs.Name) to check once the alias is known.
func (p *parser) parseSelectList() ([]token, error) {
	if p.accept("*") {
		if !p.accept("FROM") {
			return nil, p.fail(`FROM after "*"`)
		}
		return nil, nil
	}
	var quals []token
	all := false
	p.q.selected = map[string]bool{}
	for {
		t := p.peek()
		name, err := p.name(`"*" or a property name`)
		if err != nil {
			return nil, err
		}
		if p.q.cql && p.accept(".") {
			quals = append(quals, t)
			if p.accept("*") {
				all = true
			} else if name, err = p.name(`a property name or "*" after "."`); err != nil {
				return nil, err
			}
		}
		if !all && !p.q.selects(name) {
			p.q.Properties = append(p.q.Properties, name)
			p.q.selected[foldName(name)] = true
		}
		if !p.accept(",") {
			break
		}
	}
	if all {
		p.q.Properties, p.q.selected = nil, nil
	}
	if !p.accept("FROM") {
		return nil, p.fail(`"," or FROM`)
	}
	return quals, nil
}
