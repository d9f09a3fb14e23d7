package cim

import "strings"

// Class is a CIM class. Given to Repository.AddClass it holds its own
// properties and methods only; held by a Repository it is resolved: it has
// every inherited property and method too (Propagated set, ClassOrigin
// naming where each came from) and the qualifiers inherited from the
// superclass. Classes held by a Repository are shared and must not be
// modified.
type Class struct {
	Name       string
	SuperClass string // "" for a root class
	Qualifiers Qualifiers
	Properties []*Property
	Methods    []*Method
}

func (*Class) cimObject() {}

// Property returns the property called name (case-insensitive).
func (c *Class) Property(name string) *Property {
	for _, p := range c.Properties {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// Method returns the method called name (case-insensitive).
func (c *Class) Method(name string) *Method {
	for _, m := range c.Methods {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

// Keys returns the key properties in declaration order.
func (c *Class) Keys() []*Property {
	var keys []*Property
	for _, p := range c.Properties {
		if p.IsKey() {
			keys = append(keys, p)
		}
	}
	return keys
}

// IsAssociation reports whether the class is qualified Association.
func (c *Class) IsAssociation() bool { return c.Qualifiers.Has("Association") }

// IsIndication reports whether the class is qualified Indication.
func (c *Class) IsIndication() bool { return c.Qualifiers.Has("Indication") }

// IsAbstract reports whether the class is qualified Abstract.
func (c *Class) IsAbstract() bool { return c.Qualifiers.Has("Abstract") }

// References returns the reference properties, as an association's ends.
func (c *Class) References() []*Property {
	var refs []*Property
	for _, p := range c.Properties {
		if p.Type == TypeReference {
			refs = append(refs, p)
		}
	}
	return refs
}
