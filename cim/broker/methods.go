package broker

import (
	"context"
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Invoke runs method on the instance or class at target in ns (DSP0200
// §5.3.1 extrinsic calls, DSP0227 §9 custom actions): both protocols
// come here. It checks that the class has the method and that the
// instance exists; the methods themselves are the write side, which is
// not implemented yet, so every call then ends in cim.ErrNotSupported.
func (b *Broker) Invoke(ctx context.Context, ns string, target cim.ObjectPath, method string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	s, err := b.open(ns)
	if err != nil {
		return cim.Value{}, nil, err
	}
	c, err := s.class(target.ClassName)
	if err != nil {
		return cim.Value{}, nil, err
	}
	m := c.Method(method)
	if m == nil {
		return cim.Value{}, nil, fmt.Errorf("class %s has no method %s: %w", c.Name, method, cim.ErrMethodNotFound)
	}
	typed := make(map[string]cim.Value, len(in))
	for name, v := range in {
		p := m.Parameter(name)
		if p == nil {
			return cim.Value{}, nil, fmt.Errorf("%s.%s has no parameter %s: %w", c.Name, m.Name, name, cim.ErrInvalidParameter)
		}
		tv, err := typedParam(p, v)
		if err == nil {
			err = s.embeddedClass(p, tv)
		}
		if err != nil {
			return cim.Value{}, nil, fmt.Errorf("%s.%s parameter %s: %v: %w", c.Name, m.Name, p.Name, err, cim.ErrInvalidParameter)
		}
		typed[p.Name] = tv
	}
	path := target
	if target.IsInstance() {
		inst, err := s.getInstance(target)
		if err != nil {
			return cim.Value{}, nil, err
		}
		path = inst.Path
	}
	if b.cfg.Invoke == nil {
		return cim.Value{}, nil, fmt.Errorf("%s.%s is not implemented yet: %w", c.Name, m.Name, cim.ErrNotSupported)
	}
	return b.cfg.Invoke(ctx, s.ns, path, m.Name, typed)
}

// typedParam converts an untyped (string) parameter value to the
// parameter's declared scalar type; typed values pass as they are. A
// single value for an array parameter becomes an array of one: WS-Man
// cannot tell the two apart (DSP0230 writes each element as an element).
func typedParam(p *cim.Parameter, v cim.Value) (cim.Value, error) {
	if p.Array && !v.IsArray() && !v.IsNull() {
		one := *p
		one.Array = false
		e, err := typedParam(&one, v)
		if err != nil {
			return cim.Value{}, err
		}
		return cim.Array(e.Type(), e)
	}
	s, isStr := v.Str()
	if !isStr || v.IsArray() || p.Array || p.Type == cim.TypeString || p.Type == cim.TypeReference || p.Type == cim.TypeInstance {
		return v, nil
	}
	return cim.ParseScalar(p.Type, s)
}

// embeddedClass checks that the embedded instances given for a parameter
// qualified EmbeddedInstance("C") are of C or a subclass of it in the
// namespace (DSP0004), so that a method never reads, say, a memory
// allocation as the settings of a new system.
func (s *session) embeddedClass(p *cim.Parameter, v cim.Value) error {
	if p.EmbeddedClass == "" {
		return nil
	}
	elems := []cim.Value{v}
	if v.IsArray() {
		elems = v.Elems()
	}
	for _, e := range elems {
		inst, ok := e.Instance()
		if !ok || inst == nil {
			continue // not an instance: the method says what it wants
		}
		if _, err := s.b.cfg.Repo.Class(s.ns, inst.ClassName); err != nil {
			return fmt.Errorf("embedded instance of class %s, which namespace %s does not have; want a %s", inst.ClassName, s.ns, p.EmbeddedClass)
		}
		if !s.b.cfg.Repo.IsA(s.ns, inst.ClassName, p.EmbeddedClass) {
			return fmt.Errorf("embedded %s is not a %s", inst.ClassName, p.EmbeddedClass)
		}
	}
	return nil
}
