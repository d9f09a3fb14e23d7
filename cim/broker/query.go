package broker

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/query"
)

// ExecQuery runs a WQL or DMTF:CQL query in ns (DSP0200 §5.3.2.16): the
// instances of its FROM class and subclasses that match, limited to the
// selected properties, with full paths.
func (b *Broker) ExecQuery(ns, language, text string, emit func(*cim.Instance) error) error {
	s, q, err := b.parseQuery(ns, language, text)
	if err != nil {
		return err
	}
	return s.query(q, emit)
}

// OpenQueryInstances is ExecQuery as a pull enumeration (§5.3.2.24).
func (b *Broker) OpenQueryInstances(ns, language, text string, o PullOptions, emit func(*cim.Instance) error) (Page, error) {
	s, q, err := b.parseQuery(ns, language, text)
	if err != nil {
		return Page{}, err
	}
	return b.openEnumeration(ns, o, func(e func(*cim.Instance) error) error { return s.query(q, e) }, emit)
}

func (b *Broker) parseQuery(ns, language, text string) (*session, *query.Query, error) {
	s, err := b.open(ns)
	if err != nil {
		return nil, nil, err
	}
	q, err := query.Parse(language, text)
	if err != nil {
		return nil, nil, err
	}
	c, err := b.cfg.Repo.Class(s.ns, q.Class)
	if err != nil {
		return nil, nil, fmt.Errorf("query: FROM %s: no such class in namespace %s: %w", q.Class, s.ns, cim.ErrInvalidQuery)
	}
	for _, p := range q.Properties {
		if c.Property(p) == nil {
			return nil, nil, fmt.Errorf("query: class %s has no property %q: %w", c.Name, p, cim.ErrInvalidQuery)
		}
	}
	return s, q, nil
}

func (s *session) query(q *query.Query, emit func(*cim.Instance) error) error {
	isa := func(name, ancestor string) bool { return s.b.cfg.Repo.IsA(s.ns, name, ancestor) }
	return s.enumerate(q.Class, true, func(inst *cim.Instance) error {
		if !q.Match(inst, isa) {
			return nil
		}
		return emit(q.Project(inst))
	})
}
