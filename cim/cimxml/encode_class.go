package cimxml

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// WriteClass writes CLASS: qualifiers when asked, the properties the
// filter keeps with their defaults, and every method with its parameters
// (clients such as wbemcli's cm read the signature from it).
func (e *Encoder) WriteClass(c *cim.Class, f Filter) {
	attrs := []string{"NAME", c.Name}
	if c.SuperClass != "" {
		attrs = append(attrs, "SUPERCLASS", c.SuperClass)
	}
	e.start("CLASS", attrs...)
	if f.IncludeQualifiers {
		e.writeQualifiers(c.Qualifiers)
	}
	for _, p := range c.Properties {
		if !f.wants(p.Name) {
			continue
		}
		v := p.Value
		if !v.IsValid() {
			v = nullOf(p.DataType)
		}
		e.writeProperty(p.Name, v, p, f)
	}
	for _, m := range c.Methods {
		e.writeMethod(m, f)
	}
	e.end("CLASS")
}

func nullOf(d cim.DataType) cim.Value {
	if d.Array {
		return cim.NullArray(d.Type)
	}
	return cim.Null(d.Type)
}

func (e *Encoder) writeMethod(m *cim.Method, f Filter) {
	attrs := []string{"NAME", m.Name}
	if m.Type.Valid() {
		attrs = append(attrs, "TYPE", typeAttr(m.Type))
	}
	if f.IncludeClassOrigin && m.ClassOrigin != "" {
		attrs = append(attrs, "CLASSORIGIN", m.ClassOrigin)
	}
	if m.Propagated {
		attrs = append(attrs, "PROPAGATED", "true")
	}
	e.start("METHOD", attrs...)
	if f.IncludeQualifiers {
		e.writeQualifiers(m.Qualifiers)
	}
	for _, p := range m.Parameters {
		e.writeParameter(p, f)
	}
	e.end("METHOD")
}

func (e *Encoder) writeParameter(p *cim.Parameter, f Filter) {
	attrs := []string{"NAME", p.Name}
	var elem string
	switch {
	case p.Type == cim.TypeReference:
		elem = "PARAMETER.REFERENCE"
		if p.Array {
			elem = "PARAMETER.REFARRAY"
		}
		if p.RefClass != "" {
			attrs = append(attrs, "REFERENCECLASS", p.RefClass)
		}
	case p.Array:
		elem = "PARAMETER.ARRAY"
		attrs = append(attrs, "TYPE", typeAttr(p.Type))
	default:
		elem = "PARAMETER"
		attrs = append(attrs, "TYPE", typeAttr(p.Type))
	}
	if p.Array && p.ArraySize > 0 {
		attrs = append(attrs, "ARRAYSIZE", fmt.Sprint(p.ArraySize))
	}
	e.start(elem, attrs...)
	if f.IncludeQualifiers {
		e.writeQualifiers(p.Qualifiers)
	}
	e.end(elem)
}

// writeQualifiers writes QUALIFIER elements; flavor attributes only where
// they differ from the DTD defaults (OVERRIDABLE and TOSUBCLASS true,
// TRANSLATABLE false).
func (e *Encoder) writeQualifiers(qs cim.Qualifiers) {
	for _, q := range qs {
		attrs := []string{"NAME", q.Name, "TYPE", typeAttr(q.Value.Type())}
		if q.Propagated {
			attrs = append(attrs, "PROPAGATED", "true")
		}
		fl := q.Flavor.Resolve()
		if !fl.Overridable() {
			attrs = append(attrs, "OVERRIDABLE", "false")
		}
		if !fl.Propagates() {
			attrs = append(attrs, "TOSUBCLASS", "false")
		}
		if fl&cim.Translatable != 0 {
			attrs = append(attrs, "TRANSLATABLE", "true")
		}
		e.start("QUALIFIER", attrs...)
		if !q.Value.IsNull() {
			e.writeValue(q.Value)
		}
		e.end("QUALIFIER")
	}
}
