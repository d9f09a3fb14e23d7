package cimxml

import (
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
)

// assocFilter reads AssocClass, ResultClass, Role and ResultRole.
func (c *call) assocFilter() broker.AssocFilter {
	return broker.AssocFilter{
		AssocClass:  c.optClass("AssocClass"),
		ResultClass: c.optClass("ResultClass"),
		Role:        c.optString("Role"),
		ResultRole:  c.optString("ResultRole"),
	}
}

// objectName is the ObjectName of the association operations.
func (c *call) objectName() (cim.ObjectPath, error) {
	p, ok := c.req.Param("ObjectName")
	if ok && p.Kind == ParamClassName {
		return cim.ObjectPath{}, Errorf(StatusNotSupported, "%s of a class (%s): only instance paths are supported", c.req.Method, p.ClassName)
	}
	return c.instanceName("ObjectName")
}

// associators: DSP0200 §5.3.2.12.
func associators(c *call) error {
	return withObjects(c, func(obj cim.ObjectPath, f broker.AssocFilter, emit func(*cim.Instance) error) error {
		return c.h.Broker.Associators(c.req.Namespace, obj, f, emit)
	})
}

// references: §5.3.2.14.
func references(c *call) error {
	return withObjects(c, func(obj cim.ObjectPath, f broker.AssocFilter, emit func(*cim.Instance) error) error {
		return c.h.Broker.References(c.req.Namespace, obj, f, emit)
	})
}

func withObjects(c *call, run func(cim.ObjectPath, broker.AssocFilter, func(*cim.Instance) error) error) error {
	obj, err := c.objectName()
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	classes := map[string]*cim.Class{}
	c.returnValue()
	return run(obj, c.assocFilter(), func(inst *cim.Instance) error {
		c.enc.WriteObjectWithPath(inst, c.instanceFilter(f, classes, inst))
		return c.enc.Err()
	})
}

// associatorNames: §5.3.2.13.
func associatorNames(c *call) error {
	obj, err := c.objectName()
	if err != nil {
		return err
	}
	c.returnValue()
	return c.h.Broker.AssociatorNames(c.req.Namespace, obj, c.assocFilter(), func(p cim.ObjectPath) error {
		c.enc.WriteObjectPath(p)
		return c.enc.Err()
	})
}

// referenceNames: §5.3.2.15.
func referenceNames(c *call) error {
	obj, err := c.objectName()
	if err != nil {
		return err
	}
	c.returnValue()
	return c.h.Broker.ReferenceNames(c.req.Namespace, obj, c.assocFilter(), func(p cim.ObjectPath) error {
		c.enc.WriteObjectPath(p)
		return c.enc.Err()
	})
}

// execQuery: §5.3.2.16.
func execQuery(c *call) error {
	lang, q := c.optString("QueryLanguage"), c.optString("Query")
	if lang == "" || q == "" {
		return Errorf(StatusInvalidParameter, "ExecQuery: parameters QueryLanguage and Query are required")
	}
	c.returnValue()
	return c.h.Broker.ExecQuery(c.req.Namespace, lang, q, func(inst *cim.Instance) error {
		c.enc.WriteObjectWithPath(inst, Filter{})
		return c.enc.Err()
	})
}
