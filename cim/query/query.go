package query

import (
	"fmt"
	"slices"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// The query languages, as DSP0200 names them in QueryLanguage parameters.
const (
	WQL = "WQL"
	CQL = "DMTF:CQL"
)

// Limits on the input, so that a hostile query cannot exhaust memory or
// the stack.
const (
	maxQueryLen = 64 << 10
	maxDepth    = 100
)

// Query is a parsed query. It is immutable and safe for concurrent use.
type Query struct {
	Language   string   // canonical: WQL or CQL ("DMTF:CQL")
	Class      string   // the FROM class
	Alias      string   // CQL "FROM CIM_ComputerSystem cs" alias, "" if none
	Properties []string // selected property names, nil for "*"

	where    expr            // nil without WHERE
	cql      bool            // else WQL
	selected map[string]bool // Properties by foldName, for Project
	paths    [][]seg         // every property path of WHERE, for Check
}

// Resolver says whether a class exists and whether it has a property.
type Resolver func(class, property string) (classKnown, propertyKnown bool)

// Check names, wrapping cim.ErrInvalidQuery, the first property the
// query uses that its class does not have: selected ones and the first
// step of each WHERE path are the FROM class's, a Class::property step
// that class's. Steps into embedded instances without a class are not
// known before an instance comes, and pass.
func (q *Query) Check(r Resolver) error {
	has := func(class, prop string) error {
		classOK, propOK := r(class, prop)
		switch {
		case !classOK:
			return fmt.Errorf("%w: class %s is not a class of this server", cim.ErrInvalidQuery, class)
		case !propOK:
			return fmt.Errorf("%w: class %s has no property %s", cim.ErrInvalidQuery, class, prop)
		}
		return nil
	}
	for _, p := range q.Properties {
		if err := has(q.Class, p); err != nil {
			return err
		}
	}
	for _, path := range q.paths {
		for i, s := range path {
			class := s.scope
			if class == "" && i == 0 {
				class = q.Class
			}
			if class == "" {
				continue
			}
			if err := has(class, s.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsA answers whether class name is ancestor or one of its subclasses
// (case-insensitively), as a closure over cim.Repository.IsA for the
// namespace queried does.
type IsA func(name, ancestor string) bool

// Parse parses text in the query language language: "WQL", "DMTF:CQL" or
// "CQL" (any case). An unknown language is an error wrapping
// cim.ErrQueryLanguage; a query that does not parse one wrapping
// cim.ErrInvalidQuery, naming the problem and its byte offset (from 1).
func Parse(language, text string) (*Query, error) {
	q := &Query{}
	switch {
	case strings.EqualFold(language, "WQL"):
		q.Language = WQL
	case strings.EqualFold(language, "DMTF:CQL"), strings.EqualFold(language, "CQL"):
		q.Language, q.cql = CQL, true
	default:
		return nil, fmt.Errorf("%w: %q", cim.ErrQueryLanguage, language)
	}
	if len(text) > maxQueryLen {
		return nil, fmt.Errorf("%w: query of %d bytes is longer than the limit of %d", cim.ErrInvalidQuery, len(text), maxQueryLen)
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, q: q}
	if err := p.parseQuery(); err != nil {
		return nil, err
	}
	return q, nil
}

// Project returns inst limited to the selected properties, in inst's
// order, or inst itself for "SELECT *". It adds no keys: whether a
// projected instance keeps them is the caller's choice. inst is not
// modified; the result shares its values, which are immutable.
func (q *Query) Project(inst *cim.Instance) *cim.Instance {
	if q.Properties == nil || inst == nil {
		return inst
	}
	out := &cim.Instance{ClassName: inst.ClassName, Path: inst.Path}
	out.Path.Keys = slices.Clone(inst.Path.Keys) // the result may be modified
	for _, pv := range inst.Properties {
		if q.selects(pv.Name) {
			out.Properties = append(out.Properties, pv)
		}
	}
	return out
}

// selects reports whether the select list names property name. A map
// keeps a long select list from making parsing and Project quadratic.
func (q *Query) selects(name string) bool { return q.selected[foldName(name)] }

// foldName maps name to a key that is equal for names equal under
// strings.EqualFold, as CIM names are.
func foldName(name string) string { return strings.Map(foldRune, name) }
