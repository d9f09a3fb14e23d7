package mof

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// instance compiles an instance declaration, records its alias and
// collects it.
func (c *compiler) instance(d *InstanceDecl) error {
	inst, cls, err := c.newInstance(d)
	if err != nil {
		return err
	}
	if p, err := cls.InstancePath(inst, "", c.ns); err == nil {
		inst.Path = p
	} else if d.Alias != "" {
		return fmt.Errorf("alias $%s: %w", d.Alias, err)
	}
	if d.Alias != "" {
		key := strings.ToLower(d.Alias)
		if _, dup := c.alias[key]; dup {
			return fmt.Errorf("alias $%s defined twice", d.Alias)
		}
		c.alias[key] = inst.Path
	}
	c.insts = append(c.insts, inst)
	return nil
}

// newInstance builds the instance d declares: the class defaults, with the
// values given laid over them.
func (c *compiler) newInstance(d *InstanceDecl) (*cim.Instance, *cim.Class, error) {
	cls, err := c.repo.Class(c.ns, d.ClassName)
	if err != nil {
		return nil, nil, fmt.Errorf("instance of %s: %w", d.ClassName, err)
	}
	inst := cls.NewInstance()
	for _, pv := range d.Properties {
		p := cls.Property(pv.Name)
		if p == nil {
			return nil, nil, errorAt(pv.Pos, "class %s has no property %s", cls.Name, pv.Name)
		}
		v, err := c.value(pv.Value, p.Type, p.Array)
		if err != nil {
			return nil, nil, errorAt(pv.Value.Pos, "property %s: %w", p.Name, err)
		}
		inst.Set(p.Name, v)
	}
	return inst, cls, nil
}

// value converts a literal to a value of type t (an array of t if array).
func (c *compiler) value(l *Literal, t cim.Type, array bool) (cim.Value, error) {
	switch {
	case l.Kind == LitNull && array:
		return cim.NullArray(t), nil
	case array && l.Kind != LitArray:
		return cim.Value{}, fmt.Errorf("expected a %s[] value {...}, found %s", t, describe(l))
	case array:
		elems := make([]cim.Value, len(l.Elems))
		for i, e := range l.Elems {
			v, err := c.scalar(e, t)
			if err != nil {
				return cim.Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			elems[i] = v
		}
		return cim.Array(t, elems...)
	}
	return c.scalar(l, t)
}

func (c *compiler) scalar(l *Literal, t cim.Type) (cim.Value, error) {
	switch l.Kind {
	case LitNull:
		return cim.Null(t), nil
	case LitInteger:
		if t.IsInteger() {
			return cim.IntegerValue(t, l.Neg, l.Mag)
		}
		if t.IsReal() {
			f := float64(l.Mag)
			if l.Neg {
				f = -f
			}
			return cim.NewValue(t, f)
		}
	case LitReal:
		if t.IsReal() {
			return cim.NewValue(t, l.Real)
		}
	case LitBool:
		if t == cim.TypeBoolean {
			return cim.Bool(l.Bool), nil
		}
	case LitChar:
		if t == cim.TypeChar16 {
			return cim.Char16(l.Char), nil
		}
	case LitString:
		switch t {
		case cim.TypeString, cim.TypeDatetime, cim.TypeReference, cim.TypeChar16:
			return cim.NewValue(t, l.Str) // parses datetimes and object paths
		}
	case LitAlias:
		if t == cim.TypeReference {
			p, ok := c.alias[strings.ToLower(l.Str)]
			if !ok {
				return cim.Value{}, fmt.Errorf("alias $%s is not defined", l.Str)
			}
			return cim.Ref(p), nil
		}
	case LitInstance:
		if t == cim.TypeInstance || t == cim.TypeObject {
			inst, _, err := c.newInstance(l.Instance)
			if err != nil {
				return cim.Value{}, err
			}
			if t == cim.TypeObject {
				return cim.ObjectValue(inst), nil
			}
			return cim.InstanceValue(inst), nil
		}
	}
	return cim.Value{}, fmt.Errorf("expected a %s value, found %s", t, describe(l))
}

func describe(l *Literal) string {
	switch l.Kind {
	case LitNull:
		return "null"
	case LitInteger:
		return "an integer"
	case LitReal:
		return "a real"
	case LitString:
		return "a string"
	case LitChar:
		return "a char16"
	case LitBool:
		return "a boolean"
	case LitArray:
		return "an array"
	case LitAlias:
		return "alias $" + l.Str
	}
	return "an instance"
}
