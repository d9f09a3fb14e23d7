package wsman

import (
	"errors"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
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
	changes := map[string]cim.Value{}
	for _, k := range c.req.Body.Kids {
		old, ok := inst.Get(k.Name)
		if !ok {
			return nil, fault(faultInvalidRepresentation, "", "%s has no property %s", inst.ClassName, k.Name)
		}
		if old.IsArray() || old.Type() == cim.TypeReference || old.Type() == cim.TypeDatetime || old.Type() == cim.TypeInstance {
			continue // not writable through Put here; compared as plain text below only for scalars
		}
		isNil, _ := k.AttrNS(nsXSI, "nil")
		if isNil == "true" || (!old.IsNull() && text(k) == scalarText(old)) {
			continue
		}
		v, err := cim.ParseScalar(old.Type(), text(k))
		if err != nil {
			return nil, fault(faultInvalidRepresentation, "", "%s.%s: %v", inst.ClassName, k.Name, err)
		}
		changes[k.Name] = v
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
