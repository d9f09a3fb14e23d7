package wsman

import (
	"fmt"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// invoke: a custom action RESOURCE_URI/Method with body Method_INPUT
// (DSP0227 §9). The target and method are checked, then the call is
// refused until the write side (issue 6) implements the methods, as
// CIM-XML's extrinsic calls are.
func (c *call) invoke(method string) (*writer, error) {
	if err := c.operator(); err != nil {
		return nil, err
	}
	if !cim.ValidName(method) {
		return nil, fault(faultActionNotSupported, "", "action %s", c.req.Action)
	}
	ns, p, err := c.target()
	if err != nil {
		return nil, err
	}
	b := c.req.Body
	if b == nil || b.Name != method+"_INPUT" {
		return nil, fault(faultInvalidParameter, "", "the body of %s must be %s_INPUT", method, method)
	}
	in := map[string]cim.Value{}
	repeated := map[string][]cim.Value{}
	for _, k := range b.Kids {
		v, err := c.paramValue(ns, k)
		if err != nil {
			return nil, err
		}
		repeated[k.Name] = append(repeated[k.Name], v)
	}
	for name, vs := range repeated {
		v, err := paramArray(name, vs)
		if err != nil {
			return nil, err
		}
		in[name] = v
	}
	ret, out, err := c.h.Broker.Invoke(c.ctx, ns, p, method, in)
	server.Audit(c.ctx, c.h.Log, "ws-man", method, p.String(), server.Outcome(ret, err))
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(c.req.Action+responseSuffix, c.req.MessageID, nil)
	el := "p:" + method + "_OUTPUT"
	w.open(el, "xmlns:p", resourceURI(p.ClassName))
	w.writeValue("p:ReturnValue", ret, 0)
	for name, v := range out {
		if v.IsArray() && !v.IsNull() {
			// An array is its elements, each as the parameter (DSP0230).
			for _, e := range v.Elems() {
				w.writeValue("p:"+name, e, 0)
			}
			continue
		}
		w.writeValue("p:"+name, v, 0)
	}
	w.close(el)
	w.envelopeEnd()
	return w, nil
}

// paramArray makes a parameter given as repeated elements an array
// (DSP0230): of text, of references or of embedded instances, not mixed.
func paramArray(name string, vs []cim.Value) (cim.Value, error) {
	if len(vs) == 1 {
		return vs[0], nil
	}
	t := cim.TypeString
	for _, v := range vs {
		if !v.IsNull() {
			t = v.Type()
			break
		}
	}
	elems := make([]cim.Value, len(vs))
	for i, v := range vs {
		switch {
		case v.IsNull():
			elems[i] = cim.Null(t)
		case v.Type() != t:
			return cim.Value{}, fault(faultInvalidParameter, "", "parameter %s mixes kinds of values: element %d is a %s among %s values", name, i+1, v.TypeName(), t)
		default:
			elems[i] = v
		}
	}
	arr, err := cim.Array(t, elems...)
	if err != nil {
		return cim.Value{}, fault(faultInvalidParameter, "", "parameter %s: %v", name, err)
	}
	return arr, nil
}

// paramValue reads one input parameter element (DSP0230): an EPR is a
// reference, cim:Interval / cim:Datetime a datetime, anything else text
// the broker converts to the parameter's type.
func (c *call) paramValue(ns string, k *xmltree.Node) (cim.Value, error) {
	bad := func(err error) error {
		return fault(faultInvalidParameter, "", "parameter %s: %v", k.Name, err)
	}
	if k.Kid(nsWSA, "ReferenceParameters") != nil {
		epr, err := readEPR(k, 0)
		if err != nil {
			return cim.Value{}, err
		}
		class, err := classOf(epr.ResourceURI)
		if err != nil || class == "" {
			return cim.Value{}, bad(fmt.Errorf("resource URI %q names no class", epr.ResourceURI))
		}
		rns, sels := namespaceOf(epr.Selectors, ns)
		path, err := pathOf(c.h.Broker.Repo(), rns, class, sels)
		if err != nil {
			return cim.Value{}, err
		}
		return cim.Ref(path), nil
	}
	if iv := k.Kid(nsCIM, "Interval"); iv != nil {
		d, err := parseDuration(text(iv))
		if err != nil {
			return cim.Value{}, bad(err)
		}
		dt, err := cim.NewInterval(d)
		if err != nil {
			return cim.Value{}, bad(err)
		}
		return cim.DatetimeValue(dt), nil
	}
	if ts := k.Kid(nsCIM, "Datetime"); ts != nil {
		t, err := time.Parse(time.RFC3339Nano, text(ts))
		if err != nil {
			return cim.Value{}, bad(err)
		}
		dt, err := cim.NewTimestamp(t)
		if err != nil {
			return cim.Value{}, bad(err)
		}
		return cim.DatetimeValue(dt), nil
	}
	if len(k.Kids) == 1 && k.Kids[0].Space != nsCIM && k.Kids[0].Space != nsWSA {
		return cim.InstanceValue(instanceFromXML(k.Kids[0], 0)), nil
	}
	if isNil, _ := k.AttrNS(nsXSI, "nil"); isNil == "true" {
		return cim.Null(cim.TypeString), nil
	}
	return cim.String(text(k)), nil
}

// instanceFromXML reads an embedded instance (DSP0230: the class's
// element with one child per property); values stay text, and the
// provider reads them by their declared types. Repeated children are an
// array.
func instanceFromXML(n *xmltree.Node, depth int) *cim.Instance {
	inst := &cim.Instance{ClassName: n.Name}
	arrays := map[string][]string{}
	for _, k := range n.Kids {
		if isNil, _ := k.AttrNS(nsXSI, "nil"); isNil == "true" {
			continue
		}
		if len(k.Kids) == 1 && depth < 4 && k.Kids[0].Space != nsCIM && k.Kids[0].Space != nsWSA {
			inst.Set(k.Name, cim.InstanceValue(instanceFromXML(k.Kids[0], depth+1)))
			continue
		}
		v := text(k)
		if len(k.Kids) == 1 && k.Kids[0].Space == nsCIM {
			v = text(k.Kids[0])
		}
		arrays[k.Name] = append(arrays[k.Name], v)
		if len(arrays[k.Name]) == 1 {
			inst.Set(k.Name, cim.String(v))
		} else {
			inst.Set(k.Name, cim.Strings(arrays[k.Name]...))
		}
	}
	return inst
}
