package wsman

import (
	"errors"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// target resolves the resource URI, __cimnamespace and the selectors of
// a Get, Put or Invoke into an instance path.
func (c *call) target() (string, cim.ObjectPath, error) {
	class, err := classOf(c.req.ResourceURI)
	if err != nil {
		return "", cim.ObjectPath{}, err
	}
	if class == "" {
		return "", cim.ObjectPath{}, fault(faultDestinationUnreachable, "InvalidResourceURI", "%s names no class; Get, Put and Invoke need a class resource URI", AllClasses)
	}
	ns, sels := namespaceOf(c.req.Selectors, c.h.Namespace)
	p, err := pathOf(c.h.Broker.Repo(), ns, class, sels)
	return ns, p, err
}

// get: WS-Transfer Get (DSP0226 §7.3).
func (c *call) get() (*writer, error) {
	ns, p, err := c.target()
	if err != nil {
		return nil, err
	}
	inst, err := c.h.Broker.GetInstance(ns, p)
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(actionGet+responseSuffix, c.req.MessageID, nil)
	w.writeInstance(inst, 0)
	w.envelopeEnd()
	return w, nil
}

// put: WS-Transfer Put (DSP0226 §7.5). The body is the new
// representation of the instance addressed; the properties whose values
// differ are changed through the broker, and the instance as the
// inventory then shows it is returned.
func (c *call) put() (*writer, error) {
	if err := c.operator(); err != nil {
		return nil, err
	}
	ns, p, err := c.target()
	if err != nil {
		return nil, err
	}
	inst, err := c.h.Broker.GetInstance(ns, p)
	if err != nil {
		return nil, err
	}
	if c.req.Body == nil {
		return nil, fault(faultInvalidRepresentation, "", "Put needs the new representation of the instance in the body")
	}
	if c.req.Body.Name != inst.ClassName && c.req.Body.Name != p.ClassName {
		return nil, fault(faultInvalidRepresentation, "", "the body is a %s, the resource a %s", c.req.Body.Name, inst.ClassName)
	}
	changes, err := putChanges(inst, c.req.Body)
	if err != nil {
		return nil, err
	}
	inst, err = c.h.Broker.ModifyInstance(c.ctx, ns, p, changes)
	server.Audit(c.ctx, c.h.Log, "ws-man", "Put", p.String(), server.Outcome(nil, err))
	if err != nil {
		var kind cim.ErrorKind
		if errors.As(err, &kind) && kind == cim.ErrFailed {
			return nil, fault(faultInvalidRepresentation, "", "%v", err)
		}
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(actionPut+responseSuffix, c.req.MessageID, nil)
	w.writeInstance(inst, 0)
	w.envelopeEnd()
	return w, nil
}

// putChanges compares a Put body with the instance: the plain scalars
// that differ are the changes; arrays, references, datetimes and embedded
// instances must come back as they were (Put never writes them), and
// NULL only where NULL was.
func putChanges(inst *cim.Instance, body *xmltree.Node) (map[string]cim.Value, error) {
	byName := map[string][]*xmltree.Node{}
	var order []string
	for _, k := range body.Kids {
		if _, ok := inst.Get(k.Name); !ok {
			return nil, fault(faultInvalidRepresentation, "", "%s has no property %s", inst.ClassName, k.Name)
		}
		if byName[k.Name] == nil {
			order = append(order, k.Name)
		}
		byName[k.Name] = append(byName[k.Name], k)
	}
	changes := map[string]cim.Value{}
	for _, name := range order {
		old, _ := inst.Get(name)
		ks := byName[name]
		cant := fault(faultInvalidRepresentation, "InvalidValues", "%s.%s (%s) cannot be changed through Put", inst.ClassName, name, old.TypeName())
		if isNil, _ := ks[0].AttrNS(nsXSI, "nil"); isNil == "true" {
			if !old.IsNull() {
				return nil, cant
			}
			continue
		}
		if old.IsArray() {
			elems := old.Elems()
			if len(elems) != len(ks) {
				return nil, cant
			}
			for i, e := range elems {
				if renderText(e) != valueText(ks[i]) {
					return nil, cant
				}
			}
			continue
		}
		if len(ks) > 1 {
			return nil, fault(faultInvalidRepresentation, "", "%s.%s is not an array, yet given %d times", inst.ClassName, name, len(ks))
		}
		switch old.Type() {
		case cim.TypeReference, cim.TypeDatetime, cim.TypeInstance, cim.TypeObject:
			if old.IsNull() || renderText(old) != valueText(ks[0]) {
				return nil, cant
			}
			continue
		}
		if !old.IsNull() && text(ks[0]) == scalarText(old) {
			continue
		}
		v, err := cim.ParseScalar(old.Type(), text(ks[0]))
		if err != nil {
			return nil, fault(faultInvalidRepresentation, "InvalidValues", "%s.%s: %v", inst.ClassName, name, err)
		}
		changes[name] = v
	}
	return changes, nil
}

// renderText and valueText compare a value with what a client sent: the
// text of the element's leaves, in order.
func renderText(v cim.Value) string {
	var w writer
	w.writeValue("x", v, 0)
	root, err := xmltree.Read(strings.NewReader("<r xmlns:cim=\""+nsCIM+"\" xmlns:wsa=\""+nsWSA+"\" xmlns:wsman=\""+nsWSMan+"\" xmlns:xsi=\""+nsXSI+"\">"+w.String()+"</r>"),
		xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxElements: 10000}, true, new(int))
	if err != nil || len(root.Kids) != 1 {
		return w.String()
	}
	return valueText(root.Kids[0])
}

func valueText(n *xmltree.Node) string {
	if len(n.Kids) == 0 {
		return text(n)
	}
	var parts []string
	for _, k := range n.Kids {
		parts = append(parts, valueText(k))
	}
	return strings.Join(parts, "|")
}
