package cimxml

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// maxEmbedDepth bounds embedded instances inside embedded instances.
const maxEmbedDepth = 8

// scalarText formats a non-NULL scalar per DSP0201: decimal integers,
// TRUE/FALSE, reals with NaN/INF/-INF, the 25-character datetime.
func scalarText(v cim.Value) (string, error) {
	if u, ok := v.Uint(); ok {
		return strconv.FormatUint(u, 10), nil
	}
	if i, ok := v.Int(); ok {
		return strconv.FormatInt(i, 10), nil
	}
	if f, ok := v.Float(); ok {
		switch {
		case math.IsNaN(f):
			return "NaN", nil
		case math.IsInf(f, 1):
			return "INF", nil
		case math.IsInf(f, -1):
			return "-INF", nil
		}
		return strconv.FormatFloat(f, 'g', -1, v.Type().Bits()), nil
	}
	if b, ok := v.Bool(); ok {
		if b {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	if s, ok := v.Str(); ok {
		return s, nil
	}
	if r, ok := v.Char16(); ok {
		return string(r), nil
	}
	if d, ok := v.Datetime(); ok {
		return d.String(), nil
	}
	return "", fmt.Errorf("no text form for a %s value", v.TypeName())
}

// typeAttr is the TYPE written for t: embedded objects travel as strings.
func typeAttr(t cim.Type) string {
	if t.IsEmbedded() {
		return "string"
	}
	return t.String()
}

// embeddedAttr returns the EmbeddedObject attribute value for t, or "".
func embeddedAttr(t cim.Type) string {
	switch t {
	case cim.TypeInstance:
		return "instance"
	case cim.TypeObject:
		return "object"
	}
	return ""
}

// writeValue writes VALUE, VALUE.ARRAY or VALUE.REFERENCE for a non-NULL
// value (VALUE.REFARRAY for a reference array).
func (e *Encoder) writeValue(v cim.Value) {
	if v.IsArray() {
		name := "VALUE.ARRAY"
		if v.Type() == cim.TypeReference {
			name = "VALUE.REFARRAY"
		}
		e.start(name)
		for _, el := range v.Elems() {
			if el.IsNull() {
				e.empty("VALUE.NULL")
				continue
			}
			e.writeValue(el)
		}
		e.end(name)
		return
	}
	switch v.Type() {
	case cim.TypeReference:
		p, _ := v.Ref()
		e.start("VALUE.REFERENCE")
		e.writeRefPath(p)
		e.end("VALUE.REFERENCE")
		return
	case cim.TypeInstance, cim.TypeObject:
		e.embeddedValue(v)
		return
	}
	e.tag("VALUE", nil, ">")
	e.scalar(v)
	e.closeTag("VALUE")
}

// scalar writes the text of a non-NULL scalar as scalarText gives it,
// escaped; numbers, booleans and datetimes go straight from a scratch
// buffer, with no string made for them.
func (e *Encoder) scalar(v cim.Value) {
	if e.err != nil {
		return
	}
	var b []byte
	if u, ok := v.Uint(); ok {
		b = strconv.AppendUint(e.num[:0], u, 10)
	} else if i, ok := v.Int(); ok {
		b = strconv.AppendInt(e.num[:0], i, 10)
	} else if f, ok := v.Float(); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
		b = strconv.AppendFloat(e.num[:0], f, 'g', -1, v.Type().Bits())
	} else if s, ok := v.Str(); ok {
		e.text(s)
		return
	} else {
		s, err := scalarText(v)
		if err != nil {
			e.fail(err)
			return
		}
		e.text(s)
		return
	}
	// Digits, signs, '.', 'e' and '+': nothing to escape.
	_, e.err = e.w.Write(b)
}

// embedded renders an embedded instance or class as the XML text that
// VALUE carries (escaped once more when written).
func (e *Encoder) embedded(v cim.Value) string {
	if e.depth >= maxEmbedDepth {
		e.fail(fmt.Errorf("embedded objects nested deeper than %d", maxEmbedDepth))
		return ""
	}
	var buf bytes.Buffer
	sub := NewEncoder(&buf)
	sub.depth = e.depth + 1
	if inst, ok := v.Instance(); ok {
		sub.WriteInstance(inst, Filter{IncludeQualifiers: false})
	} else if c, ok := v.Class(); ok {
		sub.WriteClass(c, Filter{IncludeQualifiers: true})
	}
	if err := sub.End(); err != nil {
		e.fail(err)
	}
	return buf.String()
}

// writeRefPath writes the most complete path form p allows:
// INSTANCEPATH/CLASSPATH with a host, LOCAL* with a namespace, else the
// bare name.
func (e *Encoder) writeRefPath(p cim.ObjectPath) {
	inst := len(p.Keys) > 0
	switch {
	case p.Host != "" && p.Namespace != "":
		name := "CLASSPATH"
		if inst {
			name = "INSTANCEPATH"
		}
		e.start(name)
		e.writeNamespacePath(p.Host, p.Namespace)
		e.writeName(p, inst)
		e.end(name)
	case p.Namespace != "":
		name := "LOCALCLASSPATH"
		if inst {
			name = "LOCALINSTANCEPATH"
		}
		e.start(name)
		e.writeLocalNamespace(p.Namespace)
		e.writeName(p, inst)
		e.end(name)
	default:
		e.writeName(p, inst)
	}
}

func (e *Encoder) writeName(p cim.ObjectPath, inst bool) {
	if inst {
		e.WriteInstanceName(p)
	} else {
		e.WriteClassName(p.ClassName)
	}
}

func (e *Encoder) writeNamespacePath(host, ns string) {
	e.start("NAMESPACEPATH")
	e.leaf("HOST", host)
	e.writeLocalNamespace(ns)
	e.end("NAMESPACEPATH")
}

func (e *Encoder) writeLocalNamespace(ns string) {
	e.start("LOCALNAMESPACEPATH")
	for part := range strings.SplitSeq(ns, "/") {
		e.empty("NAMESPACE", "NAME", part)
	}
	e.end("LOCALNAMESPACEPATH")
}

// WriteClassName writes CLASSNAME (EnumerateClassNames).
func (e *Encoder) WriteClassName(name string) { e.empty("CLASSNAME", "NAME", name) }

// WriteInstanceName writes INSTANCENAME with p's keys in their order;
// KEYVALUE carries VALUETYPE only, as sfcb writes it.
func (e *Encoder) WriteInstanceName(p cim.ObjectPath) {
	e.start("INSTANCENAME", "CLASSNAME", p.ClassName)
	for _, k := range p.Keys {
		e.start("KEYBINDING", "NAME", k.Name)
		e.writeKeyValue(k.Value)
		e.end("KEYBINDING")
	}
	e.end("INSTANCENAME")
}

func (e *Encoder) writeKeyValue(v cim.Value) {
	if v.IsNull() || v.IsArray() || v.Type().IsEmbedded() {
		e.fail(fmt.Errorf("key value %s is not a scalar", v.TypeName()))
		return
	}
	if v.Type() == cim.TypeReference {
		e.writeValue(v)
		return
	}
	vt := "string"
	switch t := v.Type(); {
	case t == cim.TypeBoolean:
		vt = "boolean"
	case t.IsInteger() || t.IsReal():
		vt = "numeric"
	}
	e.tag("KEYVALUE", []string{"VALUETYPE", vt}, ">")
	e.scalar(v)
	e.closeTag("KEYVALUE")
}

// WriteObjectPath writes OBJECTPATH holding INSTANCEPATH or CLASSPATH;
// p needs a host and namespace (DSP0201 makes them mandatory here).
func (e *Encoder) WriteObjectPath(p cim.ObjectPath) {
	if p.Host == "" || p.Namespace == "" {
		e.fail(fmt.Errorf("OBJECTPATH %s needs a host and namespace", p))
		return
	}
	e.start("OBJECTPATH")
	e.writeRefPath(p)
	e.end("OBJECTPATH")
}

// WriteValue writes a GetProperty result: nothing for NULL.
func (e *Encoder) WriteValue(v cim.Value) {
	if !v.IsNull() {
		e.writeValue(v)
	}
}

// WriteReturnValue writes RETURNVALUE of an extrinsic method.
func (e *Encoder) WriteReturnValue(v cim.Value) {
	attrs := []string{"PARAMTYPE", typeAttr(v.Type())}
	if ea := embeddedAttr(v.Type()); ea != "" {
		attrs = append(attrs, "EmbeddedObject", ea)
	}
	e.start("RETURNVALUE", attrs...)
	e.WriteValue(v)
	e.end("RETURNVALUE")
}

// WriteParamValue writes an output PARAMVALUE.
func (e *Encoder) WriteParamValue(name string, v cim.Value) {
	attrs := []string{"NAME", name, "PARAMTYPE", typeAttr(v.Type())}
	if ea := embeddedAttr(v.Type()); ea != "" {
		attrs = append(attrs, "EmbeddedObject", ea)
	}
	e.start("PARAMVALUE", attrs...)
	e.WriteValue(v)
	e.end("PARAMVALUE")
}

// WritePullResult writes the output parameters of the Open* and Pull*
// operations, after the IRETURNVALUE: EndOfSequence and
// EnumerationContext (empty once the sequence has ended).
func (e *Encoder) WritePullResult(context string, endOfSequence bool) {
	e.WriteParamValue("EndOfSequence", cim.Bool(endOfSequence))
	e.WriteParamValue("EnumerationContext", cim.String(context))
}
