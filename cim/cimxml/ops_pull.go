package cimxml

import (
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
)

// pullOptions reads the parameters every Open* operation shares
// (DSP0200 §5.3.2.20) and refuses what we do not offer.
func (c *call) pullOptions(kind broker.PullKind) (broker.PullOptions, error) {
	o := broker.PullOptions{Kind: kind}
	if s, ok := c.req.String("FilterQueryLanguage"); ok && s != "" {
		return o, Errorf(StatusFilteredEnumerationNotSupported, "%s: FilterQuery is not supported; use OpenQueryInstances or ExecQuery", c.req.Method)
	}
	if s, ok := c.req.String("FilterQuery"); ok && s != "" {
		return o, Errorf(StatusFilteredEnumerationNotSupported, "%s: FilterQuery is not supported; use OpenQueryInstances or ExecQuery", c.req.Method)
	}
	cont, err := c.req.Bool("ContinueOnError", false)
	if err != nil {
		return o, err
	}
	if cont {
		return o, Errorf(StatusContinuationOnErrorNotSupported, "%s: ContinueOnError is not supported", c.req.Method)
	}
	t, set, err := c.req.Uint32("OperationTimeout")
	if err != nil {
		return o, err
	}
	if set {
		if t == 0 {
			return o, Errorf(StatusInvalidOperationTimeout, "%s: an OperationTimeout of 0 (never) is not allowed", c.req.Method)
		}
		o.Timeout = time.Duration(t) * time.Second
	}
	if o.MaxObjectCount, _, err = c.req.Uint32("MaxObjectCount"); err != nil {
		return o, err
	}
	return o, nil
}

// pullWriter returns the emit function writing kind's items.
func (c *call) pullWriter(kind broker.PullKind, f Filter) func(*cim.Instance) error {
	classes := map[string]*cim.Class{}
	return func(inst *cim.Instance) error {
		switch kind {
		case broker.PathsOnly:
			c.enc.WriteInstancePath(inst.Path)
		case broker.Instances:
			c.enc.WriteInstance(inst, f)
		default:
			c.enc.WriteInstanceWithPath(inst, c.instanceFilter(f, classes, inst))
		}
		return c.enc.Err()
	}
}

// open runs an Open* operation and writes its page.
func (c *call) open(kind broker.PullKind, f Filter, run func(broker.PullOptions, func(*cim.Instance) error) (broker.Page, error)) error {
	o, err := c.pullOptions(kind)
	if err != nil {
		return err
	}
	if f.UsePropertyList {
		// The later pulls have no PropertyList of their own: the
		// enumeration keeps it.
		o.Properties = f.wants
	}
	c.returnValue()
	page, err := run(o, c.pullWriter(kind, f))
	if err != nil {
		return err
	}
	c.enc.EndReturnValue()
	c.enc.WritePullResult(page.Context, page.EndOfSequence)
	return c.enc.Err()
}

func openEnumerateInstances(c *call) error {
	class, err := c.className("ClassName")
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	deep, err := c.req.Bool("DeepInheritance", true)
	if err != nil {
		return err
	}
	if !deep {
		// Only the properties of the class asked for, as
		// EnumerateInstances does: a property list the enumeration
		// keeps for every pull.
		cls, err := c.h.Broker.GetClass(c.req.Namespace, class, false)
		if err != nil {
			return err
		}
		var names []string
		for _, p := range cls.Properties {
			if f.wants(p.Name) {
				names = append(names, p.Name)
			}
		}
		f.PropertyList, f.UsePropertyList = names, true
	}
	return c.open(broker.WithPath, f, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenEnumerateInstances(c.req.Namespace, class, o, emit)
	})
}

func openEnumerateInstancePaths(c *call) error {
	class, err := c.className("ClassName")
	if err != nil {
		return err
	}
	return c.open(broker.PathsOnly, Filter{}, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenEnumerateInstances(c.req.Namespace, class, o, emit)
	})
}

func openAssociators(c *call, kind broker.PullKind) error {
	obj, err := c.instanceName("InstanceName")
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	return c.open(kind, f, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenAssociators(c.req.Namespace, obj, c.assocFilter(), o, emit)
	})
}

func openReferences(c *call, kind broker.PullKind) error {
	obj, err := c.instanceName("InstanceName")
	if err != nil {
		return err
	}
	f, err := c.filter(false)
	if err != nil {
		return err
	}
	return c.open(kind, f, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenReferences(c.req.Namespace, obj, c.assocFilter(), o, emit)
	})
}

func openAssociatorInstances(c *call) error     { return openAssociators(c, broker.WithPath) }
func openAssociatorInstancePaths(c *call) error { return openAssociators(c, broker.PathsOnly) }
func openReferenceInstances(c *call) error      { return openReferences(c, broker.WithPath) }
func openReferenceInstancePaths(c *call) error  { return openReferences(c, broker.PathsOnly) }

// openQueryInstances: §5.3.2.24; the instances come without paths.
func openQueryInstances(c *call) error {
	lang, q := c.optString("FilterQueryLanguage"), c.optString("FilterQuery")
	if lang == "" || q == "" {
		return Errorf(StatusInvalidParameter, "OpenQueryInstances: parameters FilterQueryLanguage and FilterQuery are required")
	}
	if rc, err := c.req.Bool("ReturnQueryResultClass", false); err != nil {
		return err
	} else if rc {
		return Errorf(StatusQueryFeatureNotSupported, "OpenQueryInstances: ReturnQueryResultClass is not supported")
	}
	// The query is in the Filter* parameters here: read the rest without
	// the check that refuses them.
	delete(c.req.Params, "filterquerylanguage")
	delete(c.req.Params, "filterquery")
	return c.open(broker.Instances, Filter{}, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenQueryInstances(c.req.Namespace, lang, q, o, emit)
	})
}

// pull runs a Pull* operation (§5.3.2.25-27).
func (c *call) pull(kind broker.PullKind) error {
	ctx, max, err := c.pullParams()
	if err != nil {
		return err
	}
	c.returnValue()
	page, err := c.h.Broker.Pull(c.req.Namespace, ctx, kind, max, c.pullWriter(kind, Filter{}))
	if err != nil {
		return err
	}
	c.enc.EndReturnValue()
	c.enc.WritePullResult(page.Context, page.EndOfSequence)
	return c.enc.Err()
}

func (c *call) pullParams() (string, uint32, error) {
	ctx := c.optString("EnumerationContext")
	if ctx == "" {
		return "", 0, Errorf(StatusInvalidParameter, "%s: parameter EnumerationContext is required", c.req.Method)
	}
	max, set, err := c.req.Uint32("MaxObjectCount")
	if err != nil {
		return "", 0, err
	}
	if !set {
		return "", 0, Errorf(StatusInvalidParameter, "%s: parameter MaxObjectCount is required", c.req.Method)
	}
	return ctx, max, nil
}

func pullInstancesWithPath(c *call) error { return c.pull(broker.WithPath) }
func pullInstancePaths(c *call) error     { return c.pull(broker.PathsOnly) }
func pullInstances(c *call) error         { return c.pull(broker.Instances) }

// closeEnumeration: §5.3.2.28.
func closeEnumeration(c *call) error {
	ctx := c.optString("EnumerationContext")
	if ctx == "" {
		return Errorf(StatusInvalidParameter, "CloseEnumeration: parameter EnumerationContext is required")
	}
	return c.h.Broker.CloseEnumeration(c.req.Namespace, ctx)
}

// enumerationCount: §5.3.2.29.
func enumerationCount(c *call) error {
	ctx := c.optString("EnumerationContext")
	if ctx == "" {
		return Errorf(StatusInvalidParameter, "EnumerationCount: parameter EnumerationContext is required")
	}
	n, err := c.h.Broker.EnumerationCount(c.req.Namespace, ctx)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.WriteValue(cim.Uint64(n))
	return c.enc.Err()
}
