package cim

import (
	"fmt"
	"strings"
)

// implied adds a qualifier the type implies, with its declared flavor.
func (n *namespace) implied(qs Qualifiers, name string, v Value) (Qualifiers, error) {
	d := n.quals[strings.ToLower(name)]
	if d == nil {
		return nil, fmt.Errorf("qualifier %s is not declared", name)
	}
	return qs.With(Qualifier{Name: d.Name, Value: v, Flavor: d.Flavor}), nil
}

// checkQualifiers validates qualifiers given for an element of scope and
// returns them with declared spelling, values and flavors: a boolean
// qualifier without value is true, a scalar for an array qualifier becomes
// a one-element array.
func (n *namespace) checkQualifiers(qs Qualifiers, scope Scope) (Qualifiers, error) {
	out := make(Qualifiers, 0, len(qs))
	for _, q := range qs {
		d := n.quals[strings.ToLower(q.Name)]
		if d == nil {
			return nil, fmt.Errorf("qualifier %s is not declared", q.Name)
		}
		if out.index(q.Name) >= 0 {
			return nil, fmt.Errorf("qualifier %s given twice", d.Name)
		}
		v := q.Value
		switch {
		case !v.IsValid() && d.Type == TypeBoolean && !d.Array:
			v = Bool(true)
		case !v.IsValid():
			return nil, fmt.Errorf("qualifier %s needs a %s value", d.Name, d.typeName())
		case d.Array && !v.array && v.typ == d.Type:
			if v.IsNull() {
				v = Value{typ: v.typ, array: true}
			} else {
				v = Value{typ: v.typ, array: true, v: []Value{v}}
			}
		}
		nq := Qualifier{Name: d.Name, Value: v, Flavor: q.Flavor.Merge(d.Flavor).Resolve()}
		if err := d.check(nq, scope); err != nil {
			return nil, err
		}
		out = append(out, nq)
	}
	return out, nil
}

// flagged reports whether a boolean qualifier is given true, or without
// a value (which means true), before checkQualifiers has filled it in.
func flagged(qs Qualifiers, name string) bool {
	q, ok := qs.Get(name)
	b, isBool := q.Value.Bool()
	return ok && (!q.Value.IsValid() || isBool && b)
}

// propagate returns the qualifiers that pass to a subclass or overriding
// element, marked Propagated.
func propagate(qs Qualifiers) Qualifiers {
	var out Qualifiers
	for _, q := range qs {
		if q.Flavor.Propagates() {
			q.Propagated = true
			out = append(out, q)
		}
	}
	return out
}

// override lays own qualifiers over inherited ones: own first, then the
// inherited ones not given again. A DisableOverride qualifier may be
// restated only with its inherited value.
func override(inherited, own Qualifiers) (Qualifiers, error) {
	out := append(Qualifiers(nil), own...)
	for _, q := range inherited {
		i := own.index(q.Name)
		if i < 0 {
			out = append(out, q)
			continue
		}
		if !q.Flavor.Overridable() && !q.Value.Equal(own[i].Value) {
			return nil, fmt.Errorf("qualifier %s is DisableOverride: inherited %s, given %s", q.Name, q.Value, own[i].Value)
		}
	}
	return out, nil
}
