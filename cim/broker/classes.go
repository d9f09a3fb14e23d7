package broker

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// GetClass returns class name of ns (DSP0200 §5.3.2.1). With localOnly
// it holds only the properties and methods the class itself defines or
// overrides. The result is shared: do not modify it.
func (b *Broker) GetClass(ns, name string, localOnly bool) (*cim.Class, error) {
	s, err := b.open(ns)
	if err != nil {
		return nil, err
	}
	c, err := s.class(name)
	if err != nil {
		return nil, err
	}
	return local(c, localOnly), nil
}

// local is c, or with localOnly a copy without what it inherits.
func local(c *cim.Class, localOnly bool) *cim.Class {
	if !localOnly {
		return c
	}
	l := *c
	l.Properties, l.Methods = nil, nil
	for _, p := range c.Properties {
		if !p.Propagated {
			l.Properties = append(l.Properties, p)
		}
	}
	for _, m := range c.Methods {
		if !m.Propagated {
			l.Methods = append(l.Methods, m)
		}
	}
	return &l
}

// EnumerateClasses streams the subclasses of class ("" for the root) in
// ns: the direct ones, or with deep all descendants (DSP0200 §5.3.2.7).
func (b *Broker) EnumerateClasses(ns, class string, deep, localOnly bool, emit func(*cim.Class) error) error {
	return b.subclasses(ns, class, deep, func(c *cim.Class) error { return emit(local(c, localOnly)) })
}

// EnumerateClassNames is EnumerateClasses' names only (§5.3.2.8).
func (b *Broker) EnumerateClassNames(ns, class string, deep bool, emit func(string) error) error {
	return b.subclasses(ns, class, deep, func(c *cim.Class) error { return emit(c.Name) })
}

func (b *Broker) subclasses(ns, class string, deep bool, emit func(*cim.Class) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	if class != "" {
		c, err := s.class(class)
		if err != nil {
			return err
		}
		class = c.Name
	}
	subs, err := b.cfg.Repo.Subclasses(s.ns, class, deep)
	if err != nil {
		return fmt.Errorf("subclasses of %s: %w", class, err)
	}
	for _, c := range subs {
		if err := emit(c); err != nil {
			return err
		}
	}
	return nil
}
