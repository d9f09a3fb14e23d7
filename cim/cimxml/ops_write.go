package cimxml

import (
	"github.com/virtbridge/virtbridge/cim/server"
)

// createInstance: DSP0200 §5.3.2.6; operators only. The broker routes
// it to the namespace's writer (root/interop's subscriptions); elsewhere
// it is not supported.
func createInstance(c *call) error {
	if c.role != server.RoleOperator {
		return Errorf(StatusAccessDenied, "CreateInstance changes state: only operators may call it")
	}
	p, ok := c.req.Param("NewInstance")
	if !ok || p.Instance == nil {
		return Errorf(StatusInvalidParameter, "CreateInstance: parameter NewInstance (an INSTANCE) is required")
	}
	path, err := c.h.Broker.CreateInstance(c.ctx, c.req.Namespace, p.Instance)
	target := p.Instance.ClassName
	if err == nil {
		target = path.String()
	}
	server.Audit(c.ctx, c.h.Log, "cim-xml", "CreateInstance", target, server.Outcome(nil, err))
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.WriteInstanceName(path)
	return c.enc.Err()
}

// deleteInstance: §5.3.2.5; operators only.
func deleteInstance(c *call) error {
	if c.role != server.RoleOperator {
		return Errorf(StatusAccessDenied, "DeleteInstance changes state: only operators may call it")
	}
	path, err := c.instanceName("InstanceName")
	if err != nil {
		return err
	}
	err = c.h.Broker.DeleteInstance(c.ctx, c.req.Namespace, path)
	server.Audit(c.ctx, c.h.Log, "cim-xml", "DeleteInstance", path.String(), server.Outcome(nil, err))
	return err
}
