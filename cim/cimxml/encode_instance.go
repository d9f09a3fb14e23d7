package cimxml

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// Filter is what GetInstance, EnumerateInstances, GetClass and the like
// ask to see.
type Filter struct {
	IncludeQualifiers  bool
	IncludeClassOrigin bool
	// PropertyList restricts the properties written when UsePropertyList
	// is set; an empty list then writes none (DSP0200).
	PropertyList    []string
	UsePropertyList bool
	// Class, when given for an instance, supplies CLASSORIGIN, PROPAGATED
	// and property qualifiers.
	Class *cim.Class
}

func (f Filter) wants(name string) bool {
	if !f.UsePropertyList {
		return true
	}
	for _, n := range f.PropertyList {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// WriteInstance writes INSTANCE.
func (e *Encoder) WriteInstance(inst *cim.Instance, f Filter) {
	e.start("INSTANCE", "CLASSNAME", inst.ClassName)
	for _, pv := range inst.Properties {
		if !f.wants(pv.Name) {
			continue
		}
		var decl *cim.Property
		if f.Class != nil {
			decl = f.Class.Property(pv.Name)
		}
		e.writeProperty(pv.Name, pv.Value, decl, f)
	}
	e.end("INSTANCE")
}

// WriteNamedInstance writes VALUE.NAMEDINSTANCE (EnumerateInstances);
// inst.Path must be an instance path.
func (e *Encoder) WriteNamedInstance(inst *cim.Instance, f Filter) {
	if !inst.Path.IsInstance() {
		e.fail(fmt.Errorf("instance of %s has no path", inst.ClassName))
		return
	}
	e.start("VALUE.NAMEDINSTANCE")
	e.WriteInstanceName(inst.Path)
	e.WriteInstance(inst, f)
	e.end("VALUE.NAMEDINSTANCE")
}

// WriteObjectWithPath writes VALUE.OBJECTWITHPATH (Associators,
// References); inst.Path needs a host and namespace.
func (e *Encoder) WriteObjectWithPath(inst *cim.Instance, f Filter) {
	p := inst.Path
	if !fullPath(p) {
		e.fail(fmt.Errorf("instance of %s needs a full path with host and namespace", inst.ClassName))
		return
	}
	e.start("VALUE.OBJECTWITHPATH")
	e.writeRefPath(p)
	e.WriteInstance(inst, f)
	e.end("VALUE.OBJECTWITHPATH")
}

// writeProperty writes PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE
// for an instance (decl optional) or a class (decl is the property and v
// its default). NULL is an absent VALUE.
func (e *Encoder) writeProperty(name string, v cim.Value, decl *cim.Property, f Filter) {
	t, array := v.Type(), v.IsArray()
	attrs := []string{"NAME", name}
	elem := "PROPERTY"
	switch {
	case t == cim.TypeReference && !array:
		elem = "PROPERTY.REFERENCE"
		if decl != nil && decl.RefClass != "" {
			attrs = append(attrs, "REFERENCECLASS", decl.RefClass)
		}
	case array:
		elem = "PROPERTY.ARRAY"
		attrs = append(attrs, "TYPE", typeAttr(t))
		if decl != nil && decl.ArraySize > 0 {
			attrs = append(attrs, "ARRAYSIZE", fmt.Sprint(decl.ArraySize))
		}
	default:
		attrs = append(attrs, "TYPE", typeAttr(t))
	}
	if ea := embeddedAttr(t); ea != "" {
		attrs = append(attrs, "EmbeddedObject", ea)
	}
	if f.IncludeClassOrigin && decl != nil && decl.ClassOrigin != "" {
		attrs = append(attrs, "CLASSORIGIN", decl.ClassOrigin)
	}
	if decl != nil && decl.Propagated {
		attrs = append(attrs, "PROPAGATED", "true")
	}
	e.start(elem, attrs...)
	if f.IncludeQualifiers && decl != nil {
		e.writeQualifiers(decl.Qualifiers)
	}
	if !v.IsNull() {
		e.writeValue(v)
	}
	e.end(elem)
}

// WriteInstanceWithPath writes VALUE.INSTANCEWITHPATH, the item of the
// pull operations' answers; inst.Path needs a host and namespace.
func (e *Encoder) WriteInstanceWithPath(inst *cim.Instance, f Filter) {
	if !fullPath(inst.Path) {
		e.fail(fmt.Errorf("instance of %s needs a full path with host and namespace", inst.ClassName))
		return
	}
	e.start("VALUE.INSTANCEWITHPATH")
	e.WriteInstancePath(inst.Path)
	e.WriteInstance(inst, f)
	e.end("VALUE.INSTANCEWITHPATH")
}

// WriteInstancePath writes INSTANCEPATH, the item of
// OpenEnumerateInstancePaths and the other *InstancePaths answers.
func (e *Encoder) WriteInstancePath(p cim.ObjectPath) {
	if !fullPath(p) {
		e.fail(fmt.Errorf("INSTANCEPATH %s needs keys, a host and a namespace", p))
		return
	}
	e.writeRefPath(p)
}

func fullPath(p cim.ObjectPath) bool { return p.IsInstance() && p.Host != "" && p.Namespace != "" }
