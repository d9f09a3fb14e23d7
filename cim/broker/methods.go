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
// parameter's declared scalar type; typed values pass as they are.
func typedParam(p *cim.Parameter, v cim.Value) (cim.Value, error) {
	s, isStr := v.Str()
	if !isStr || v.IsArray() || p.Array || p.Type == cim.TypeString || p.Type == cim.TypeReference || p.Type == cim.TypeInstance {
		return v, nil
	}
	return cim.ParseScalar(p.Type, s)
}
