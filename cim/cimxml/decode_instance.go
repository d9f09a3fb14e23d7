package cimxml

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// instance reads INSTANCE; QUALIFIERs are skipped (DSP0200 deprecates
// instance qualifiers) and the class is not consulted.
func (d *decoder) instance(n *node) (*cim.Instance, error) {
	cn, _ := n.Attr("CLASSNAME")
	if n.Name != "INSTANCE" || !cim.ValidName(cn) {
		return nil, notValid("expected INSTANCE with CLASSNAME, found %s %q", n.Name, cn)
	}
	inst := &cim.Instance{ClassName: cn}
	for _, k := range n.Kids {
		if k.Name == "QUALIFIER" {
			continue
		}
		name, _ := k.Attr("NAME")
		if !cim.ValidName(name) {
			return nil, notValid("%s NAME %q", k.Name, name)
		}
		if _, dup := inst.Get(name); dup {
			return nil, notValid("property %s given twice", name)
		}
		v, err := d.property(k)
		if err != nil {
			return nil, within(cn+"."+name, err)
		}
		inst.Properties = append(inst.Properties, cim.PropertyValue{Name: name, Value: v})
	}
	return inst, nil
}

// property reads PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE; an
// absent VALUE is NULL.
func (d *decoder) property(n *node) (cim.Value, error) {
	var vals []*node
	for _, k := range n.Kids {
		if k.Name != "QUALIFIER" {
			vals = append(vals, k)
		}
	}
	if len(vals) > 1 || strings.TrimSpace(n.Text.String()) != "" {
		return cim.Value{}, notValid("%s holds more than one value", n.Name)
	}
	if n.Name == "PROPERTY.REFERENCE" {
		if len(vals) == 0 {
			return cim.Null(cim.TypeReference), nil
		}
		if vals[0].Name != "VALUE.REFERENCE" {
			return cim.Value{}, notValid("PROPERTY.REFERENCE holds %s", vals[0].Name)
		}
		p, err := d.reference(vals[0])
		return cim.Ref(p), err
	}
	want := "VALUE"
	switch n.Name {
	case "PROPERTY":
	case "PROPERTY.ARRAY":
		want = "VALUE.ARRAY"
	default:
		return cim.Value{}, notValid("unexpected %s in INSTANCE", n.Name)
	}
	t, err := paramType(n)
	if err != nil {
		return cim.Value{}, err
	}
	embedded, _ := n.Attr("EmbeddedObject")
	if embedded == "" {
		embedded, _ = n.Attr("EMBEDDEDOBJECT") // DSP0201 2.2 spelling
	}
	if t == cim.TypeInvalid {
		t = cim.TypeString
	}
	if len(vals) == 0 {
		nt := t
		switch embedded {
		case "instance":
			nt = cim.TypeInstance
		case "object":
			nt = cim.TypeObject
		}
		if want == "VALUE.ARRAY" {
			return cim.NullArray(nt), nil
		}
		return cim.Null(nt), nil
	}
	if vals[0].Name != want {
		return cim.Value{}, notValid("%s holds %s", n.Name, vals[0].Name)
	}
	return d.value(vals[0], t, embedded)
}
