package cimxml

import (
	"context"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
)

// call is one operation in progress: decode → broker → encode.
type call struct {
	h    *Handler
	req  *Request
	ctx  context.Context
	enc  *Encoder
	role server.Role
	// started is set once IRETURNVALUE is open.
	started bool
}

// start writes the response envelope.
func (c *call) start() {
	if c.req.Intrinsic {
		c.enc.StartIMethodResponse(c.req.MessageID, c.req.Method)
	} else {
		c.enc.StartMethodResponse(c.req.MessageID, c.req.Method)
	}
}

// returnValue opens IRETURNVALUE once.
func (c *call) returnValue() {
	if !c.started {
		c.enc.StartReturnValue()
		c.started = true
	}
}

// intrinsics are the operations served, by DSP0200 name.
var intrinsics = map[string]func(*call) error{
	"GetClass":                    getClass,
	"EnumerateClasses":            enumerateClasses,
	"EnumerateClassNames":         enumerateClassNames,
	"GetInstance":                 getInstance,
	"EnumerateInstances":          enumerateInstances,
	"EnumerateInstanceNames":      enumerateInstanceNames,
	"GetProperty":                 getProperty,
	"Associators":                 associators,
	"AssociatorNames":             associatorNames,
	"References":                  references,
	"ReferenceNames":              referenceNames,
	"ExecQuery":                   execQuery,
	"OpenEnumerateInstances":      openEnumerateInstances,
	"OpenEnumerateInstancePaths":  openEnumerateInstancePaths,
	"OpenAssociatorInstances":     openAssociatorInstances,
	"OpenAssociatorInstancePaths": openAssociatorInstancePaths,
	"OpenReferenceInstances":      openReferenceInstances,
	"OpenReferenceInstancePaths":  openReferenceInstancePaths,
	"OpenQueryInstances":          openQueryInstances,
	"PullInstancesWithPath":       pullInstancesWithPath,
	"PullInstancePaths":           pullInstancePaths,
	"PullInstances":               pullInstances,
	"CloseEnumeration":            closeEnumeration,
	"EnumerationCount":            enumerationCount,
	"ModifyInstance":              modifyInstance,
	"CreateInstance":              createInstance,
	"DeleteInstance":              deleteInstance,
}

// writes are the intrinsic operations that change state and are not
// served: the classes are the agent's. CreateInstance and DeleteInstance
// are served (ops_write.go) where a namespace takes them.
var writes = map[string]bool{
	"CreateClass": true, "ModifyClass": true, "DeleteClass": true,
	"SetProperty": true, "SetQualifier": true, "DeleteQualifier": true,
}

func dispatch(c *call) error {
	if !c.req.Intrinsic {
		return extrinsic(c)
	}
	if writes[c.req.Method] {
		if c.role != server.RoleOperator {
			return Errorf(StatusAccessDenied, "%s changes state: only operators may call it", c.req.Method)
		}
		return Errorf(StatusNotSupported, "%s is not supported: the classes and instances served are defined by the agent", c.req.Method)
	}
	op, ok := intrinsics[c.req.Method]
	if !ok {
		return Errorf(StatusNotSupported, "intrinsic method %s is not supported", c.req.Method)
	}
	return op(c)
}

// extrinsic calls a method through the broker, which both protocols
// share; operators only.
func extrinsic(c *call) error {
	if c.role != server.RoleOperator {
		return Errorf(StatusAccessDenied, "invoking %s: only operators may invoke methods", c.req.Method)
	}
	in := map[string]cim.Value{}
	for _, p := range c.req.Params {
		in[p.Name] = p.Value
	}
	ret, out, err := c.h.Broker.Invoke(c.ctx, c.req.Namespace, *c.req.Target, c.req.Method, in)
	server.Audit(c.ctx, c.h.Log, "cim-xml", c.req.Method, c.req.Target.String(), server.Outcome(ret, err))
	if err != nil {
		return err
	}
	c.enc.WriteReturnValue(ret)
	for name, v := range out {
		c.enc.WriteParamValue(name, v)
	}
	return c.enc.Err()
}

// className returns a required CLASSNAME parameter.
func (c *call) className(name string) (string, error) {
	n, ok := c.req.ClassName(name)
	if !ok || n == "" {
		return "", Errorf(StatusInvalidParameter, "%s: parameter %s (a class name) is required", c.req.Method, name)
	}
	return n, nil
}

// instanceName returns a required INSTANCENAME parameter.
func (c *call) instanceName(name string) (cim.ObjectPath, error) {
	p, ok := c.req.Param(name)
	if !ok || p.Path == nil || (p.Kind != ParamInstanceName && p.Kind != ParamReference) {
		return cim.ObjectPath{}, Errorf(StatusInvalidParameter, "%s: parameter %s (an instance name) is required", c.req.Method, name)
	}
	return *p.Path, nil
}

// optString returns an optional string parameter: Role, ResultRole.
func (c *call) optString(name string) string {
	s, _ := c.req.String(name)
	return strings.TrimSpace(s)
}

// optClass returns an optional CLASSNAME parameter: AssocClass,
// ResultClass.
func (c *call) optClass(name string) string {
	n, _ := c.req.ClassName(name)
	return n
}

// filter reads IncludeQualifiers, IncludeClassOrigin and PropertyList.
func (c *call) filter(qualifiersDefault bool) (Filter, error) {
	var f Filter
	var err error
	if f.IncludeQualifiers, err = c.req.Bool("IncludeQualifiers", qualifiersDefault); err != nil {
		return f, err
	}
	if f.IncludeClassOrigin, err = c.req.Bool("IncludeClassOrigin", false); err != nil {
		return f, err
	}
	f.PropertyList, f.UsePropertyList = c.req.PropertyList()
	return f, nil
}

// instanceFilter is f completed with the class of inst when qualifiers
// or class origins are asked for; classes are looked up once per call.
func (c *call) instanceFilter(f Filter, classes map[string]*cim.Class, inst *cim.Instance) Filter {
	if !f.IncludeQualifiers && !f.IncludeClassOrigin {
		return f
	}
	key := strings.ToLower(inst.ClassName)
	cls, ok := classes[key]
	if !ok {
		cls, _ = c.h.Broker.Repo().Class(c.req.Namespace, inst.ClassName)
		classes[key] = cls
	}
	f.Class = cls
	return f
}
