package wsman

import (
	"strconv"

	"github.com/virtbridge/virtbridge/cim"
)

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 32) }

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
	for _, k := range b.Kids {
		in[k.Name] = cim.String(text(k))
	}
	if _, _, err := c.h.Broker.Invoke(ns, p, method, in); err != nil {
		return nil, err
	}
	return nil, fault(faultInternalError, "", "%s returned nothing", method)
}
