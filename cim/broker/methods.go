package broker

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Invoke runs method on the instance or class at target in ns (DSP0200
// §5.3.1 extrinsic calls, DSP0227 §9 custom actions): both protocols
// come here. It checks that the class has the method and that the
// instance exists; the methods themselves are the write side, which is
// not implemented yet, so every call then ends in cim.ErrNotSupported.
func (b *Broker) Invoke(ns string, target cim.ObjectPath, method string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
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
	for name := range in {
		if m.Parameter(name) == nil {
			return cim.Value{}, nil, fmt.Errorf("%s.%s has no parameter %s: %w", c.Name, m.Name, name, cim.ErrInvalidParameter)
		}
	}
	if target.IsInstance() {
		if _, err := s.getInstance(target); err != nil {
			return cim.Value{}, nil, err
		}
	}
	return cim.Value{}, nil, fmt.Errorf("%s.%s is not implemented yet: %w", c.Name, m.Name, cim.ErrNotSupported)
}
