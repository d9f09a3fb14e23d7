package cimxml

import (
	"slices"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
)

// LocalOnly is not applied to instances: DSP0200 1.4 deprecates it for
// instance operations because its meaning was never agreed, and the
// big servers ignore it too; clients get every property (within
// PropertyList and DeepInheritance).

// getInstance: DSP0200 §5.3.2.2.
func getInstance(c *call) error {
	path, err := c.instanceName("InstanceName")
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	inst, err := c.h.Broker.GetInstance(c.req.Namespace, path)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.WriteInstance(inst, c.instanceFilter(f, map[string]*cim.Class{}, inst))
	return c.enc.Err()
}

// enumerateInstances: §5.3.2.9.
func enumerateInstances(c *call) error {
	class, err := c.className("ClassName")
	if err != nil {
		return err
	}
	deep, err := c.req.Bool("DeepInheritance", true)
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	classes := map[string]*cim.Class{}
	c.returnValue()
	return c.h.Broker.EnumerateInstances(c.req.Namespace, class, deep, func(inst *cim.Instance) error {
		c.enc.WriteNamedInstance(inst, c.instanceFilter(f, classes, inst))
		return c.enc.Err()
	})
}

// enumerateInstanceNames: §5.3.2.10.
func enumerateInstanceNames(c *call) error {
	class, err := c.className("ClassName")
	if err != nil {
		return err
	}
	c.returnValue()
	return c.h.Broker.EnumerateInstanceNames(c.req.Namespace, class, func(p cim.ObjectPath) error {
		c.enc.WriteInstanceName(p)
		return c.enc.Err()
	})
}

// getProperty: §5.3.2.18.
func getProperty(c *call) error {
	path, err := c.instanceName("InstanceName")
	if err != nil {
		return err
	}
	name := c.optString("PropertyName")
	if name == "" {
		return Errorf(StatusInvalidParameter, "GetProperty: parameter PropertyName is required")
	}
	v, err := c.h.Broker.GetProperty(c.req.Namespace, path, name)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.WriteValue(v)
	return c.enc.Err()
}

// modifyInstance: §5.3.2.4; operators only. The properties of
// ModifiedInstance (those in PropertyList, when given) whose values
// differ are changed; the broker says which may be.
func modifyInstance(c *call) error {
	if c.role != server.RoleOperator {
		return Errorf(StatusAccessDenied, "ModifyInstance changes state: only operators may call it")
	}
	p, ok := c.req.Param("ModifiedInstance")
	if !ok || p.Instance == nil || p.Path == nil {
		return Errorf(StatusInvalidParameter, "ModifyInstance: parameter ModifiedInstance (a VALUE.NAMEDINSTANCE) is required")
	}
	list, useList := c.req.PropertyList()
	changes := map[string]cim.Value{}
	for _, pv := range p.Instance.Properties {
		if useList && !slices.ContainsFunc(list, func(n string) bool { return strings.EqualFold(n, pv.Name) }) {
			continue
		}
		changes[pv.Name] = pv.Value
	}
	_, err := c.h.Broker.ModifyInstance(c.ctx, c.req.Namespace, *p.Path, changes)
	server.Audit(c.ctx, c.h.Log, "cim-xml", "ModifyInstance", p.Path.String(), server.Outcome(nil, err))
	return err
}
