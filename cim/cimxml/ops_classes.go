package cimxml

import "github.com/virtbridge/virtbridge/cim"

// getClass: DSP0200 §5.3.2.1. wbemcli's cm, sp and ci read the method
// signatures from this answer before they call.
func getClass(c *call) error {
	name, err := c.className("ClassName")
	if err != nil {
		return err
	}
	localOnly, err := c.req.Bool("LocalOnly", true)
	if err != nil {
		return err
	}
	f, err := c.filter(true)
	if err != nil {
		return err
	}
	cls, err := c.h.Broker.GetClass(c.req.Namespace, name, localOnly)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.WriteClass(cls, f)
	return c.enc.Err()
}

// enumerateClasses: §5.3.2.7.
func enumerateClasses(c *call) error {
	deep, err := c.req.Bool("DeepInheritance", false)
	if err != nil {
		return err
	}
	localOnly, err := c.req.Bool("LocalOnly", true)
	if err != nil {
		return err
	}
	f, err := c.filter(true)
	if err != nil {
		return err
	}
	c.returnValue()
	return c.h.Broker.EnumerateClasses(c.req.Namespace, c.optClass("ClassName"), deep, localOnly, func(cls *cim.Class) error {
		c.enc.WriteClass(cls, f)
		return c.enc.Err()
	})
}

// enumerateClassNames: §5.3.2.8.
func enumerateClassNames(c *call) error {
	deep, err := c.req.Bool("DeepInheritance", false)
	if err != nil {
		return err
	}
	c.returnValue()
	return c.h.Broker.EnumerateClassNames(c.req.Namespace, c.optClass("ClassName"), deep, func(name string) error {
		c.enc.WriteClassName(name)
		return c.enc.Err()
	})
}
