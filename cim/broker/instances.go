package broker

import (
	"errors"
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// GetInstance returns the instance at path in namespace ns (DSP0200
// §5.3.2.2).
func (b *Broker) GetInstance(ns string, path cim.ObjectPath) (*cim.Instance, error) {
	s, err := b.open(ns)
	if err != nil {
		return nil, err
	}
	return s.getInstance(path)
}

func (s *session) getInstance(path cim.ObjectPath) (*cim.Instance, error) {
	if !path.IsInstance() {
		return nil, fmt.Errorf("%q is not an instance path (class and keys): %w", path.String(), cim.ErrInvalidParameter)
	}
	if _, err := s.class(path.ClassName); err != nil {
		return nil, err
	}
	src, ns, err := s.sourceFor(path)
	if err != nil {
		return nil, err
	}
	// A path may name a superclass (CIM_ComputerSystem) whose
	// CreationClassName key says which subclass the instance is of.
	if v, ok := path.Key("CreationClassName"); ok {
		if cc, ok := v.Str(); ok && !equalFold(cc, path.ClassName) && s.b.cfg.Repo.IsA(ns, cc, path.ClassName) {
			path.ClassName = cc
		}
	}
	inst, err := src.Get(path)
	if err != nil {
		return nil, err
	}
	return s.full(inst, ns), nil
}

// EnumerateInstances streams the instances of class and its subclasses
// in ns (DSP0200 §5.3.2.9). With deep false each carries only the
// properties class itself has, as DeepInheritance=false asks.
func (b *Broker) EnumerateInstances(ns, class string, deep bool, emit func(*cim.Instance) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	return s.enumerate(class, deep, emit)
}

func (s *session) enumerate(class string, deep bool, emit func(*cim.Instance) error) error {
	c, err := s.class(class)
	if err != nil {
		return err
	}
	out := func(inst *cim.Instance) error { return emit(s.full(inst, s.ns)) }
	if !deep {
		out = func(inst *cim.Instance) error {
			return emit(s.full(keepProperties(inst, func(n string) bool { return c.Property(n) != nil }), s.ns))
		}
	}
	err = s.src.Enumerate(c.Name, out)
	if errors.Is(err, cim.ErrInvalidClass) {
		// The repository has the class but the source does not serve it:
		// there are simply no instances.
		return nil
	}
	return err
}

// EnumerateInstanceNames streams the paths of the instances of class and
// its subclasses in ns (DSP0200 §5.3.2.10).
func (b *Broker) EnumerateInstanceNames(ns, class string, emit func(cim.ObjectPath) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	return s.enumerate(class, true, func(inst *cim.Instance) error { return emit(inst.Path) })
}

// GetProperty returns one property of the instance at path (DSP0200
// §5.3.2.18): cim.ErrNoSuchProperty when its class has no such property.
func (b *Broker) GetProperty(ns string, path cim.ObjectPath, name string) (cim.Value, error) {
	s, err := b.open(ns)
	if err != nil {
		return cim.Value{}, err
	}
	inst, err := s.getInstance(path)
	if err != nil {
		return cim.Value{}, err
	}
	c, err := s.class(inst.ClassName)
	if err != nil {
		return cim.Value{}, err
	}
	decl := c.Property(name)
	if decl == nil {
		return cim.Value{}, fmt.Errorf("class %s has no property %q: %w", c.Name, name, cim.ErrNoSuchProperty)
	}
	if v, ok := inst.Get(name); ok {
		return v, nil
	}
	if decl.Array {
		return cim.NullArray(decl.Type), nil
	}
	return cim.Null(decl.Type), nil
}
