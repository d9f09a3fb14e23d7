package broker

import (
	"context"
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Writer creates and deletes instances of the classes a namespace lets
// clients make (root/interop's indication filters, listener destinations
// and subscriptions). The broker has checked the class and converted the
// properties to their declared types; the writer checks the rest and
// answers with typed cim errors (ErrAlreadyExists, ErrInvalidQuery, …).
type Writer interface {
	// CreateInstance makes inst in ns and returns its path (keys only).
	CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (cim.ObjectPath, error)
	// DeleteInstance removes the instance at path, which exists.
	DeleteInstance(ctx context.Context, ns string, path cim.ObjectPath) error
}

// CreateInstance makes a new instance in ns (DSP0200 §5.3.2.6) and returns
// its full path. Every property must be one of the class's; untyped
// values are converted to the declared types.
func (b *Broker) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (cim.ObjectPath, error) {
	s, err := b.open(ns)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	if inst == nil {
		return cim.ObjectPath{}, fmt.Errorf("CreateInstance needs an instance: %w", cim.ErrInvalidParameter)
	}
	c, err := s.class(inst.ClassName)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	if c.IsAbstract() {
		return cim.ObjectPath{}, fmt.Errorf("%s is abstract: create an instance of a concrete subclass: %w", c.Name, cim.ErrInvalidClass)
	}
	typed := &cim.Instance{ClassName: c.Name}
	for _, pv := range inst.Properties {
		p := c.Property(pv.Name)
		if p == nil {
			return cim.ObjectPath{}, fmt.Errorf("class %s has no property %q: %w", c.Name, pv.Name, cim.ErrNoSuchProperty)
		}
		v, err := typedProperty(p, pv.Value)
		if err != nil {
			return cim.ObjectPath{}, fmt.Errorf("%s.%s: %v: %w", c.Name, p.Name, err, cim.ErrInvalidParameter)
		}
		typed.Set(p.Name, v)
	}
	if b.cfg.Write == nil {
		return cim.ObjectPath{}, fmt.Errorf("creating %s: %w", c.Name, cim.ErrNotSupported)
	}
	p, err := b.cfg.Write.CreateInstance(ctx, s.ns, typed)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return s.fullPath(p, s.ns), nil
}

// DeleteInstance removes the instance at path in ns (DSP0200 §5.3.2.5).
func (b *Broker) DeleteInstance(ctx context.Context, ns string, path cim.ObjectPath) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	inst, err := s.getInstance(path)
	if err != nil {
		return err
	}
	if b.cfg.Write == nil {
		return fmt.Errorf("deleting %s: %w", inst.ClassName, cim.ErrNotSupported)
	}
	p := inst.Path
	p.Host, p.Namespace = "", ""
	return b.cfg.Write.DeleteInstance(ctx, s.ns, p)
}

// typedProperty converts an untyped (string) value, or an array of them,
// to the property's declared type; typed values must already have it.
func typedProperty(p *cim.Property, v cim.Value) (cim.Value, error) {
	if !v.IsValid() || v.IsNull() {
		if p.Array {
			return cim.NullArray(p.Type), nil
		}
		return cim.Null(p.Type), nil
	}
	if v.IsArray() != p.Array {
		return cim.Value{}, fmt.Errorf("want %s, got %s", p.TypeName(), v.TypeName())
	}
	if v.Type() == p.Type || (p.Type.IsEmbedded() && v.Type().IsEmbedded()) {
		return v, nil
	}
	if v.Type() != cim.TypeString {
		return cim.Value{}, fmt.Errorf("want %s, got %s", p.TypeName(), v.TypeName())
	}
	conv := func(x cim.Value) (cim.Value, error) {
		if x.IsNull() {
			return cim.Null(p.Type), nil
		}
		str, _ := x.Str()
		return cim.ParseScalar(p.Type, str)
	}
	if !p.Array {
		return conv(v)
	}
	elems := v.Elems()
	out := make([]cim.Value, len(elems))
	for i, x := range elems {
		var err error
		if out[i], err = conv(x); err != nil {
			return cim.Value{}, err
		}
	}
	return cim.Array(p.Type, out...)
}
