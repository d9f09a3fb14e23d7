package cim

import (
	"fmt"
	"strings"
)

// resolve checks c against n and returns the class as stored: inherited
// features first, in the superclass's order, then c's new ones.
func (n *namespace) resolve(c *Class) (*Class, error) {
	if !ValidName(c.Name) {
		return nil, fmt.Errorf("invalid class name %q", c.Name)
	}
	if n.classes[strings.ToLower(c.Name)] != nil {
		return nil, ErrAlreadyExists
	}
	var super *Class
	if c.SuperClass != "" {
		if super = n.classes[strings.ToLower(c.SuperClass)]; super == nil {
			return nil, fmt.Errorf("superclass %s: %w", c.SuperClass, ErrInvalidSuperclass)
		}
	}
	out := &Class{Name: c.Name}
	var inherited Qualifiers
	if super != nil {
		out.SuperClass = super.Name
		inherited = propagate(super.Qualifiers)
	}
	scope := ScopeClass
	switch {
	case flagged(c.Qualifiers, "Association") || super != nil && super.IsAssociation():
		scope |= ScopeAssociation
	case flagged(c.Qualifiers, "Indication") || super != nil && super.IsIndication():
		scope |= ScopeIndication
	}
	own, err := n.checkQualifiers(c.Qualifiers, scope)
	if err != nil {
		return nil, err
	}
	if out.Qualifiers, err = override(inherited, own); err != nil {
		return nil, err
	}
	if super != nil {
		for _, p := range super.Properties {
			cp := *p
			cp.Qualifiers, cp.Propagated = propagate(p.Qualifiers), true
			out.Properties = append(out.Properties, &cp)
		}
		for _, m := range super.Methods {
			cm := *m
			cm.Qualifiers, cm.Propagated = propagate(m.Qualifiers), true
			out.Methods = append(out.Methods, &cm)
		}
	}
	for i, p := range c.Properties {
		if err := n.addProperty(out, c.Properties[:i], p); err != nil {
			return nil, fmt.Errorf("property %s: %w", p.Name, err)
		}
	}
	for i, m := range c.Methods {
		if err := n.addMethod(out, c.Methods[:i], m); err != nil {
			return nil, fmt.Errorf("method %s: %w", m.Name, err)
		}
	}
	return out, nil
}

func (n *namespace) addProperty(out *Class, earlier []*Property, p *Property) error {
	if !ValidName(p.Name) {
		return fmt.Errorf("invalid name %q", p.Name)
	}
	for _, e := range earlier {
		if strings.EqualFold(e.Name, p.Name) {
			return fmt.Errorf("defined twice")
		}
	}
	scope := ScopeProperty
	if p.Type == TypeReference {
		scope = ScopeReference
	}
	quals, err := n.checkQualifiers(p.Qualifiers, scope)
	if err != nil {
		return err
	}
	np := &Property{Name: p.Name, DataType: p.DataType, Value: p.Value, Qualifiers: quals, ClassOrigin: out.Name}
	if err := n.checkDataType(&np.DataType, &np.Qualifiers, out.Name); err != nil {
		return err
	}
	if !np.Value.IsValid() {
		np.Value = Value{typ: np.Type, array: np.Array}
	}
	if np.Value.typ != np.Type || np.Value.array != np.Array {
		return fmt.Errorf("default value is %s, property is %s", np.Value.TypeName(), np.TypeName())
	}
	i, err := overridden(out.Properties, p.Name, quals, func(q *Property) string { return q.Name })
	if err != nil || i < 0 {
		out.Properties = append(out.Properties, np)
		return err
	}
	old := out.Properties[i]
	if err := n.checkOverrideType(old.DataType, np.DataType); err != nil {
		return err
	}
	if np.Qualifiers, err = override(old.Qualifiers, np.Qualifiers); err != nil {
		return err
	}
	if np.Value.IsNull() {
		np.Value = old.Value // an override without default keeps the inherited one
	}
	out.Properties[i] = np
	return nil
}

func (n *namespace) addMethod(out *Class, earlier []*Method, m *Method) error {
	if !ValidName(m.Name) {
		return fmt.Errorf("invalid name %q", m.Name)
	}
	for _, e := range earlier {
		if strings.EqualFold(e.Name, m.Name) {
			return fmt.Errorf("defined twice")
		}
	}
	quals, err := n.checkQualifiers(m.Qualifiers, ScopeMethod)
	if err != nil {
		return err
	}
	nm := &Method{Name: m.Name, DataType: m.DataType, Qualifiers: quals, ClassOrigin: out.Name}
	if err := n.checkDataType(&nm.DataType, &nm.Qualifiers, out.Name); err != nil {
		return err
	}
	for i, p := range m.Parameters {
		np, err := n.parameter(m.Parameters[:i], p, out.Name)
		if err != nil {
			return fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		nm.Parameters = append(nm.Parameters, np)
	}
	i, err := overridden(out.Methods, m.Name, quals, func(q *Method) string { return q.Name })
	if err != nil || i < 0 {
		out.Methods = append(out.Methods, nm)
		return err
	}
	old := out.Methods[i]
	if err := n.checkOverrideType(old.DataType, nm.DataType); err != nil {
		return err
	}
	if nm.Qualifiers, err = override(old.Qualifiers, nm.Qualifiers); err != nil {
		return err
	}
	out.Methods[i] = nm
	return nil
}

func (n *namespace) parameter(earlier []*Parameter, p *Parameter, class string) (*Parameter, error) {
	if !ValidName(p.Name) {
		return nil, fmt.Errorf("invalid name %q", p.Name)
	}
	for _, e := range earlier {
		if strings.EqualFold(e.Name, p.Name) {
			return nil, fmt.Errorf("defined twice")
		}
	}
	quals, err := n.checkQualifiers(p.Qualifiers, ScopeParameter)
	if err != nil {
		return nil, err
	}
	np := &Parameter{Name: p.Name, DataType: p.DataType, Qualifiers: quals}
	return np, n.checkDataType(&np.DataType, &np.Qualifiers, class)
}

// overridden returns the index among inherited of the feature that name
// overrides, or -1 for a new feature. Redefining an inherited feature needs
// the Override qualifier, which must name it.
func overridden[T any](inherited []T, name string, quals Qualifiers, nameOf func(T) string) (int, error) {
	target, hasOverride := quals.Str("Override")
	idx := -1
	for i, f := range inherited {
		if strings.EqualFold(nameOf(f), name) {
			idx = i
		}
	}
	switch {
	case !hasOverride && idx >= 0:
		return -1, fmt.Errorf("redefines the inherited %s without the Override qualifier", nameOf(inherited[idx]))
	case !hasOverride:
		return -1, nil
	case !strings.EqualFold(target, name):
		return -1, fmt.Errorf("Override(%q) must name the feature itself", target)
	case idx < 0:
		return -1, fmt.Errorf("Override(%q): no such feature in the superclass", target)
	}
	return idx, nil
}

// checkOverrideType allows an override to keep the type, or to narrow a
// reference to a subclass of the inherited one.
func (n *namespace) checkOverrideType(old, nu DataType) error {
	if old.Type != nu.Type || old.Array != nu.Array {
		return fmt.Errorf("override changes the type from %s to %s", old.TypeName(), nu.TypeName())
	}
	if nu.Type == TypeReference && !strings.EqualFold(old.RefClass, nu.RefClass) && !n.isA(nu.RefClass, old.RefClass) {
		return fmt.Errorf("override changes the reference class from %s to %s, which is not a subclass", old.RefClass, nu.RefClass)
	}
	return nil
}

// checkDataType validates d, canonicalises the classes it names, and
// reconciles the embedded types with their qualifiers: a string qualified
// EmbeddedInstance("C") becomes TypeInstance of C, one qualified
// EmbeddedObject becomes TypeObject, and the reverse adds the qualifier.
func (n *namespace) checkDataType(d *DataType, quals *Qualifiers, class string) error {
	if !d.Type.Valid() || d.ArraySize < 0 || (d.ArraySize > 0 && !d.Array) {
		return fmt.Errorf("invalid type %s", d.TypeName())
	}
	if ec, ok := quals.Str("EmbeddedInstance"); ok && (d.Type == TypeString || d.Type == TypeInstance) {
		d.Type, d.EmbeddedClass = TypeInstance, ec
	} else if quals.Has("EmbeddedObject") && (d.Type == TypeString || d.Type == TypeObject) {
		d.Type = TypeObject
	}
	var err error
	switch d.Type {
	case TypeReference:
		d.RefClass, err = n.className(d.RefClass, class)
		if err != nil {
			return fmt.Errorf("reference class: %w", err)
		}
	case TypeInstance:
		if d.EmbeddedClass == "" {
			return fmt.Errorf("embedded instance without a class")
		}
		if d.EmbeddedClass, err = n.className(d.EmbeddedClass, class); err != nil {
			return fmt.Errorf("EmbeddedInstance class: %w", err)
		}
		if _, ok := quals.Get("EmbeddedInstance"); !ok {
			*quals, err = n.implied(*quals, "EmbeddedInstance", String(d.EmbeddedClass))
		}
	case TypeObject:
		if !quals.Has("EmbeddedObject") {
			*quals, err = n.implied(*quals, "EmbeddedObject", Bool(true))
		}
	}
	return err
}

// className returns the stored spelling of class name, which must exist
// unless it is the class being added.
func (n *namespace) className(name, self string) (string, error) {
	if strings.EqualFold(name, self) {
		return self, nil
	}
	if c := n.classes[strings.ToLower(name)]; c != nil {
		return c.Name, nil
	}
	return "", fmt.Errorf("class %q: %w", name, ErrNotFound)
}
