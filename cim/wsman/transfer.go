package wsman

import "github.com/virtbridge/virtbridge/cim"

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

// put: WS-Transfer Put (DSP0226 §7.5). The body must be an instance of
// the class addressed; changing it is the write side (issue 6), so a Put
// that changes nothing is answered with the instance and any change is
// refused for what it is.
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
	for _, k := range c.req.Body.Kids {
		old, ok := inst.Get(k.Name)
		if !ok {
			return nil, fault(faultInvalidRepresentation, "", "%s has no property %s", inst.ClassName, k.Name)
		}
		if old.IsArray() || old.Type() == cim.TypeReference || old.Type() == cim.TypeDatetime {
			continue // compared as text below only for plain scalars
		}
		if isNil, _ := k.AttrNS(nsXSI, "nil"); (isNil == "true") != old.IsNull() || (!old.IsNull() && text(k) != scalarText(old)) {
			return nil, fault(faultActionNotSupported, "", "changing %s.%s is not supported yet", inst.ClassName, k.Name)
		}
	}
	w := &writer{}
	w.envelopeStart(actionPut+responseSuffix, c.req.MessageID, nil)
	w.writeInstance(inst, 0)
	w.envelopeEnd()
	return w, nil
}
