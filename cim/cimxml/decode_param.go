package cimxml

import (
	"errors"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// param reads the content of an IPARAMVALUE or PARAMVALUE.
func (d *decoder) param(n *node) (Param, error) {
	if len(n.Kids) == 0 {
		if strings.TrimSpace(n.Text.String()) != "" {
			return Param{}, notValid("text outside VALUE")
		}
		return Param{Kind: ParamNull}, nil
	}
	if len(n.Kids) > 1 {
		return Param{}, notValid("more than one value")
	}
	typ, err := paramType(n)
	if err != nil {
		return Param{}, err
	}
	embedded, _ := n.Attr("EmbeddedObject")
	k := n.Kids[0]
	switch k.Name {
	case "VALUE", "VALUE.ARRAY":
		v, err := d.value(k, typ, embedded)
		return Param{Kind: ParamValue, Value: v}, err
	case "VALUE.REFERENCE":
		p, err := d.reference(k)
		return Param{Kind: ParamReference, Path: &p, Value: cim.Ref(p)}, err
	case "VALUE.REFARRAY":
		var refs []cim.Value
		for _, r := range k.Kids {
			if r.Name == "VALUE.NULL" {
				refs = append(refs, cim.Null(cim.TypeReference))
				continue
			}
			if r.Name != "VALUE.REFERENCE" {
				return Param{}, notValid("VALUE.REFARRAY holds %s", r.Name)
			}
			p, err := d.reference(r)
			if err != nil {
				return Param{}, err
			}
			refs = append(refs, cim.Ref(p))
		}
		v, err := cim.Array(cim.TypeReference, refs...)
		return Param{Kind: ParamValue, Value: v}, err
	case "CLASSNAME":
		c, err := className(k)
		return Param{Kind: ParamClassName, ClassName: c}, err
	case "INSTANCENAME":
		p, err := d.instanceName(k)
		return Param{Kind: ParamInstanceName, Path: &p}, err
	case "INSTANCE":
		inst, err := d.instance(k)
		return Param{Kind: ParamInstance, Instance: inst}, err
	case "VALUE.NAMEDINSTANCE":
		if err := pair(k, "INSTANCENAME", "INSTANCE"); err != nil {
			return Param{}, err
		}
		p, err := d.instanceName(k.Kids[0])
		if err != nil {
			return Param{}, err
		}
		inst, err := d.instance(k.Kids[1])
		if err != nil {
			return Param{}, err
		}
		inst.Path = p
		return Param{Kind: ParamInstance, Instance: inst, Path: &p}, nil
	case "CLASS", "QUALIFIER.DECLARATION":
		return Param{}, &RequestError{Kind: NotSupported, Err: fmt.Errorf("%s parameters are not supported", k.Name)}
	}
	return Param{}, notValid("unexpected %s", k.Name)
}

// paramType reads PARAMTYPE (PARAMVALUE) or TYPE; TypeInvalid if absent.
func paramType(n *node) (cim.Type, error) {
	tn, ok := n.Attr("PARAMTYPE")
	if !ok {
		tn, ok = n.Attr("TYPE")
	}
	if !ok {
		return cim.TypeInvalid, nil
	}
	t, ok := cim.ParseType(tn)
	if !ok || t.IsEmbedded() {
		return cim.TypeInvalid, notValid("unknown type %q", tn)
	}
	return t, nil
}

// value reads VALUE or VALUE.ARRAY. An untyped value is a string;
// embedded ("instance"/"object") values are parsed as INSTANCE.
func (d *decoder) value(n *node, t cim.Type, embedded string) (cim.Value, error) {
	et := t
	switch embedded {
	case "":
	case "instance", "object":
		if t != cim.TypeInvalid && t != cim.TypeString {
			return cim.Value{}, notValid("EmbeddedObject on a %s", t)
		}
		et = cim.TypeInstance
		if embedded == "object" {
			et = cim.TypeObject
		}
	default:
		return cim.Value{}, notValid("EmbeddedObject %q", embedded)
	}
	if et == cim.TypeInvalid {
		et = cim.TypeString
	}
	if n.Name == "VALUE" {
		return d.scalar(n, et)
	}
	var elems []cim.Value
	for _, k := range n.Kids {
		if k.Name == "VALUE.NULL" && len(k.Kids) == 0 {
			elems = append(elems, cim.Null(et))
			continue
		}
		if k.Name != "VALUE" {
			return cim.Value{}, notValid("VALUE.ARRAY holds %s", k.Name)
		}
		v, err := d.scalar(k, et)
		if err != nil {
			return cim.Value{}, err
		}
		elems = append(elems, v)
	}
	return cim.Array(et, elems...)
}

func (d *decoder) scalar(n *node, t cim.Type) (cim.Value, error) {
	if len(n.Kids) != 0 {
		return cim.Value{}, notValid("VALUE holds %s", n.Kids[0].Name)
	}
	if t.IsEmbedded() {
		inst, err := d.embeddedInstance(n.Text.String())
		if err != nil {
			return cim.Value{}, err
		}
		return cim.NewValue(t, inst)
	}
	return parseScalar(t, n.Text.String())
}

// embeddedInstance reads an embedded object's text (escaped or CDATA).
// The request around it is sound, so text that is no INSTANCE is a bad
// parameter value (CIM_ERR_INVALID_PARAMETER), not a bad request; the
// size limits stay request errors.
func (d *decoder) embeddedInstance(text string) (*cim.Instance, error) {
	if d.embed >= d.lim.MaxEmbed {
		return nil, notValid("embedded objects nested deeper than %d", d.lim.MaxEmbed)
	}
	root, err := readTree(strings.NewReader(text), &d.budget)
	if err != nil {
		return nil, badEmbedded(err)
	}
	if root.Name != "INSTANCE" {
		return nil, &RequestError{Kind: NotSupported, Err: fmt.Errorf("embedded %s is not supported", root.Name)}
	}
	d.embed++
	defer func() { d.embed-- }()
	inst, err := d.instance(root)
	if err != nil {
		return nil, badEmbedded(err)
	}
	return inst, nil
}

// badEmbedded makes an error reading an embedded instance an
// InvalidParameter one, unless it is a limit or not supported.
func badEmbedded(err error) error {
	kind := InvalidParameter
	if re := (*RequestError)(nil); errors.As(err, &re) {
		if re.Kind != NotValid && re.Kind != NotWellFormed {
			kind = re.Kind
		}
		err = re.Err
	}
	if errors.Is(err, xmltree.ErrLimit) {
		kind = NotValid
	}
	return &RequestError{Kind: kind, Err: fmt.Errorf("embedded instance: %w", err)}
}

// within says where in the request err arose, keeping a RequestError's
// kind (the answer depends on it).
func within(where string, err error) error {
	if re := (*RequestError)(nil); errors.As(err, &re) {
		return &RequestError{Kind: re.Kind, Err: fmt.Errorf("%s: %w", where, re.Err)}
	}
	return fmt.Errorf("%s: %w", where, err)
}
