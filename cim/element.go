package cim

import "strings"

// DataType is the declared type of a property, parameter or method result.
type DataType struct {
	Type      Type
	Array     bool
	ArraySize int // fixed size of an array ("[4]"), 0 if variable
	// RefClass is the class a reference refers to.
	RefClass string
	// EmbeddedClass is the class an embedded instance holds (the value of
	// its EmbeddedInstance qualifier).
	EmbeddedClass string
}

// TypeName returns "uint16", "string[]", "CIM_System REF" and so on.
func (d DataType) TypeName() string {
	s := d.Type.String()
	if d.Type == TypeReference && d.RefClass != "" {
		s = d.RefClass + " REF"
	}
	if d.Array {
		s += "[]"
	}
	return s
}

// Property is a property of a class, with its default value, or of an
// instance.
type Property struct {
	Name string
	DataType
	Value      Value // the default; NULL if none
	Qualifiers Qualifiers
	// ClassOrigin names the class that defines (or last overrides) the
	// property; Propagated is set when that is a superclass.
	ClassOrigin string
	Propagated  bool
}

// IsKey reports whether the property is qualified Key.
func (p *Property) IsKey() bool { return p.Qualifiers.Has("Key") }

// ValueMap returns the ValueMap qualifier's values.
func (p *Property) ValueMap() []string { return p.Qualifiers.Strings("ValueMap") }

// Values returns the Values qualifier's values.
func (p *Property) Values() []string { return p.Qualifiers.Strings("Values") }

// Parameter is a method parameter.
type Parameter struct {
	Name string
	DataType
	Qualifiers Qualifiers
}

// In reports whether the parameter is input: the In qualifier defaults to
// true (DSP0004).
func (p *Parameter) In() bool {
	q, ok := p.Qualifiers.Get("In")
	if !ok {
		return true
	}
	b, _ := q.Value.Bool()
	return b
}

// Out reports whether the parameter is output.
func (p *Parameter) Out() bool { return p.Qualifiers.Has("Out") }

// Method is a method of a class; its DataType is the return type.
type Method struct {
	Name string
	DataType
	Parameters  []*Parameter
	Qualifiers  Qualifiers
	ClassOrigin string
	Propagated  bool
}

// Parameter returns the parameter called name (case-insensitive).
func (m *Method) Parameter(name string) *Parameter {
	for _, p := range m.Parameters {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// ValueMap returns the ValueMap qualifier's values (of the return value).
func (m *Method) ValueMap() []string { return m.Qualifiers.Strings("ValueMap") }

// Values returns the Values qualifier's values (of the return value).
func (m *Method) Values() []string { return m.Qualifiers.Strings("Values") }
