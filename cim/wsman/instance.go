package wsman

import (
	"math"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// writeInstance renders inst per DSP0230 §?: an element named after its
// class in the class's resource URI namespace, one child per property in
// class order (arrays repeat the element), NULL as xsi:nil.
func (w *writer) writeInstance(inst *cim.Instance, depth int) {
	prefix := "p"
	if depth > 0 {
		prefix = "p" + strconv.Itoa(depth)
	}
	el := prefix + ":" + inst.ClassName
	w.open(el, "xmlns:"+prefix, resourceURI(inst.ClassName))
	for _, pv := range inst.Properties {
		name := prefix + ":" + pv.Name
		v := pv.Value
		switch {
		case v.IsNull():
			w.open(name, "xsi:nil", "true")
			w.close(name)
		case v.IsArray():
			for _, e := range v.Elems() {
				w.writeValue(name, e, depth)
			}
		default:
			w.writeValue(name, v, depth)
		}
	}
	w.close(el)
}

// writeNested writes an embedded instance, from the cache when the
// writer has one.
func (w *writer) writeNested(inst *cim.Instance, depth int) {
	if w.nested == nil || inst == nil {
		w.writeInstance(inst, depth)
		return
	}
	k := nestedKey{inst, depth}
	if b, ok := w.nested.Load(k); ok {
		w.Write(b)
		return
	}
	one := writer{nested: w.nested}
	one.writeInstance(inst, depth)
	w.nested.Store(k, one.Bytes())
	w.Write(one.Bytes())
}

// writeValue writes one scalar as element name.
func (w *writer) writeValue(name string, v cim.Value, depth int) {
	if v.IsNull() {
		w.open(name, "xsi:nil", "true")
		w.close(name)
		return
	}
	switch v.Type() {
	case cim.TypeReference:
		p, _ := v.Ref()
		w.open(name)
		w.writeEPRBody(p)
		w.close(name)
		return
	case cim.TypeDatetime:
		d, _ := v.Datetime()
		el, text := datetimeXML(d)
		w.open(name)
		w.leaf("cim:"+el, text)
		w.close(name)
		return
	case cim.TypeInstance, cim.TypeObject:
		if inst, ok := v.Instance(); ok && depth < 4 {
			w.open(name)
			w.writeNested(inst, depth+1)
			w.close(name)
			return
		}
	}
	w.leaf(name, scalarText(v))
}

// scalarText is the XML Schema lexical form of a scalar.
func scalarText(v cim.Value) string {
	switch v.Type() {
	case cim.TypeBoolean:
		b, _ := v.Bool()
		return strconv.FormatBool(b)
	case cim.TypeReal32, cim.TypeReal64:
		f, _ := v.Float()
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "INF"
		case math.IsInf(f, -1):
			return "-INF"
		}
		return strconv.FormatFloat(f, 'G', -1, v.Type().Bits())
	case cim.TypeChar16:
		r, _ := v.Char16()
		return string(r)
	case cim.TypeString:
		s, _ := v.Str()
		return s
	}
	if u, ok := v.Uint(); ok {
		return strconv.FormatUint(u, 10)
	}
	if i, ok := v.Int(); ok {
		return strconv.FormatInt(i, 10)
	}
	return strings.Trim(v.String(), `"`)
}

// writeEPR writes wsa:EndpointReference for an instance path.
func (w *writer) writeEPR(p cim.ObjectPath) {
	w.open("wsa:EndpointReference")
	w.writeEPRBody(p)
	w.close("wsa:EndpointReference")
}

// writeEPRBody writes an EPR's content: the anonymous address, the
// class's resource URI and its keys (and namespace) as selectors
// (DSP0227 §6, DSP0230 §?).
func (w *writer) writeEPRBody(p cim.ObjectPath) {
	w.leaf("wsa:Address", anonymous)
	w.open("wsa:ReferenceParameters")
	w.leaf("wsman:ResourceURI", resourceURI(p.ClassName))
	w.open("wsman:SelectorSet")
	for _, k := range p.Keys {
		if ref, ok := k.Value.Ref(); ok {
			w.open("wsman:Selector", "Name", k.Name)
			w.writeEPR(ref)
			w.close("wsman:Selector")
			continue
		}
		w.leaf("wsman:Selector", scalarText(k.Value), "Name", k.Name)
	}
	if p.Namespace != "" {
		w.leaf("wsman:Selector", p.Namespace, "Name", namespaceSelector)
	}
	w.close("wsman:SelectorSet")
	w.close("wsa:ReferenceParameters")
}
