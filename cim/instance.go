package cim

import (
	"fmt"
	"strings"
)

// Instance is a CIM instance: its class, its path when known, and property
// values.
type Instance struct {
	ClassName  string
	Path       ObjectPath // zero when not known, as for an embedded instance
	Properties []PropertyValue
}

// PropertyValue is a property of an instance.
type PropertyValue struct {
	Name  string
	Value Value
}

func (*Instance) cimObject() {}

// Get returns the value of the property called name (case-insensitive).
func (inst *Instance) Get(name string) (Value, bool) {
	for _, p := range inst.Properties {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return Value{}, false
}

// Set sets the property called name, adding it if absent.
func (inst *Instance) Set(name string, v Value) {
	for i := range inst.Properties {
		if strings.EqualFold(inst.Properties[i].Name, name) {
			inst.Properties[i].Value = v
			return
		}
	}
	inst.Properties = append(inst.Properties, PropertyValue{Name: name, Value: v})
}

// Equal reports whether inst and o have the same class, path and property
// values, in any order.
func (inst *Instance) Equal(o *Instance) bool {
	if inst == nil || o == nil {
		return inst == o
	}
	if !strings.EqualFold(inst.ClassName, o.ClassName) || !inst.Path.Equal(o.Path) ||
		len(inst.Properties) != len(o.Properties) {
		return false
	}
	for _, p := range inst.Properties {
		v, ok := o.Get(p.Name)
		if !ok || !v.Equal(p.Value) {
			return false
		}
	}
	return true
}

// NewInstance returns an instance of c with every property set to its
// default value (NULL where there is none).
func (c *Class) NewInstance() *Instance {
	inst := &Instance{ClassName: c.Name, Properties: make([]PropertyValue, len(c.Properties))}
	for i, p := range c.Properties {
		v := p.Value
		if !v.IsValid() {
			v = Value{typ: p.Type, array: p.Array}
		}
		inst.Properties[i] = PropertyValue{Name: p.Name, Value: v}
	}
	return inst
}

// Validate checks that every property of inst is a property of c and has
// its type.
func (c *Class) Validate(inst *Instance) error {
	for _, pv := range inst.Properties {
		p := c.Property(pv.Name)
		if p == nil {
			return fmt.Errorf("instance of %s: no property %s", c.Name, pv.Name)
		}
		if pv.Value.typ != p.Type || pv.Value.array != p.Array {
			return fmt.Errorf("instance of %s: property %s is %s, value is %s", c.Name, p.Name, p.TypeName(), pv.Value.TypeName())
		}
	}
	return nil
}

// InstancePath returns the path of inst from the values of c's keys.
func (c *Class) InstancePath(inst *Instance, host, namespace string) (ObjectPath, error) {
	p := ObjectPath{Host: host, Namespace: namespace, ClassName: c.Name}
	keys := c.Keys()
	if len(keys) == 0 {
		return ObjectPath{}, fmt.Errorf("path of %s instance: the class has no keys", c.Name)
	}
	for _, k := range keys {
		v, ok := inst.Get(k.Name)
		if !ok || v.IsNull() {
			return ObjectPath{}, fmt.Errorf("path of %s instance: key %s is NULL", c.Name, k.Name)
		}
		p.Keys = append(p.Keys, KeyBinding{Name: k.Name, Value: v})
	}
	return p, nil
}

// NormalizePath returns p with exactly c's keys, in c's order and spelling,
// each value converted to the key's declared type: untyped integers to the
// declared width, strings to datetime or char16. A reference key keeps its
// path; a string key given a path gets the path's text.
func (c *Class) NormalizePath(p ObjectPath) (ObjectPath, error) {
	out := ObjectPath{Host: p.Host, Namespace: p.Namespace, ClassName: c.Name}
	keys := c.Keys()
	if len(p.Keys) != len(keys) {
		return ObjectPath{}, fmt.Errorf("path %s: %s has %d keys, path has %d", p, c.Name, len(keys), len(p.Keys))
	}
	for _, k := range keys {
		v, ok := p.Key(k.Name)
		if !ok {
			return ObjectPath{}, fmt.Errorf("path %s: key %s missing", p, k.Name)
		}
		cv, err := convertKey(v, k.Type)
		if err != nil {
			return ObjectPath{}, fmt.Errorf("path %s: key %s: %w", p, k.Name, err)
		}
		out.Keys = append(out.Keys, KeyBinding{Name: k.Name, Value: cv})
	}
	return out, nil
}

func convertKey(v Value, t Type) (Value, error) {
	if v.typ == t && !v.array && v.v != nil {
		return v, nil
	}
	if t.IsInteger() {
		if u, ok := v.Uint(); ok {
			return IntegerValue(t, false, u)
		}
		if i, ok := v.Int(); ok {
			if i < 0 {
				return IntegerValue(t, true, uint64(-(i+1))+1)
			}
			return IntegerValue(t, false, uint64(i))
		}
	}
	switch x := v.v.(type) {
	case float32, float64:
		if t.IsReal() {
			return NewValue(t, x)
		}
	case string:
		if t == TypeString || t == TypeChar16 || t == TypeDatetime || t == TypeReference {
			return NewValue(t, x)
		}
	case ObjectPath:
		if t == TypeString {
			return String(x.String()), nil
		}
	}
	return Value{}, fmt.Errorf("%s value %s does not convert to %s", v.TypeName(), v, t)
}
