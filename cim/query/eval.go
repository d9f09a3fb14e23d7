package query

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// truth is a value of SQL's three-valued logic. The order makes AND the
// minimum, OR the maximum and NOT the mirror image.
type truth int8

const (
	tFalse truth = iota
	tUnknown
	tTrue
)

func (t truth) not() truth { return tTrue - t }

func truthOf(b bool) truth {
	if b {
		return tTrue
	}
	return tFalse
}

// env is what one evaluation reads.
type env struct {
	inst *cim.Instance
	isa  IsA
	fold bool // compare strings case-insensitively (WQL)
}

// isA falls back to comparing names, so that an instance of a class the
// repository does not hold still is an instance of its own class.
func (e *env) isA(name, ancestor string) bool {
	return strings.EqualFold(name, ancestor) || e.isa != nil && e.isa(name, ancestor)
}

// expr is a node of a WHERE clause.
type expr interface{ eval(*env) truth }

// Match reports whether inst, an instance of q.Class or of a subclass,
// satisfies the WHERE clause: whether it evaluates to true, not to false
// or unknown. isa serves ISA and Class:: scoped paths; when nil, a class
// is only an instance of itself.
func (q *Query) Match(inst *cim.Instance, isa IsA) bool {
	if inst == nil {
		return false
	}
	return q.where == nil || q.where.eval(&env{inst: inst, isa: isa, fold: !q.cql}) == tTrue
}

// logic is an n-ary AND or OR.
type logic struct {
	and bool
	xs  []expr
}

func (l *logic) eval(e *env) truth {
	acc := truthOf(l.and) // the identity: true for AND, false for OR
	for _, x := range l.xs {
		t := x.eval(e)
		if l.and {
			acc = min(acc, t)
		} else {
			acc = max(acc, t)
		}
		if acc != tUnknown && acc != truthOf(l.and) {
			return acc // false for AND, true for OR: settled
		}
	}
	return acc
}

type not struct{ x expr }

func (n *not) eval(e *env) truth { return n.x.eval(e).not() }

// operand is a literal or a property path.
type operand struct {
	isPath bool
	path   []seg     // empty for the instance itself (CQL alias)
	lit    cim.Value // the invalid Value for NULL
}

// seg is one step of a path: the property name and, for Class::name, the
// class the instance must be.
type seg struct{ scope, name string }

// value returns the operand's value for the instance; a missing property
// is the invalid Value, which reads as NULL.
func (o operand) value(e *env) cim.Value {
	if !o.isPath {
		return o.lit
	}
	cur := e.inst
	for i, s := range o.path {
		if s.scope != "" && !e.isA(cur.ClassName, s.scope) {
			return cim.Value{}
		}
		v, _ := cur.Get(s.name)
		if i == len(o.path)-1 {
			return v
		}
		var ok bool
		if cur, ok = v.Instance(); !ok || cur == nil {
			return cim.Value{} // NULL, not embedded, or an array
		}
	}
	return cim.InstanceValue(cur) // the empty path: the instance itself
}

func isNullValue(v cim.Value) bool { return !v.IsValid() || v.IsNull() }

type comparison struct {
	op   op
	l, r operand
}

func (c *comparison) eval(e *env) truth {
	return compareValues(c.l.value(e), c.r.value(e), c.op, e.fold)
}

type isNull struct {
	x   operand
	not bool
}

func (n *isNull) eval(e *env) truth { return truthOf(isNullValue(n.x.value(e)) != n.not) }

type isA struct {
	x     operand
	class string
}

func (a *isA) eval(e *env) truth {
	return anyOf(a.x.value(e), func(v cim.Value) truth {
		if inst, ok := v.Instance(); ok && inst != nil {
			return truthOf(e.isA(inst.ClassName, a.class))
		}
		if c, ok := v.Class(); ok && c != nil {
			return truthOf(e.isA(c.Name, a.class))
		}
		if p, ok := v.Ref(); ok {
			return truthOf(e.isA(p.ClassName, a.class))
		}
		return tUnknown // not an object
	})
}

type like struct {
	x   operand
	pat []patElem
	not bool
}

func (l *like) eval(e *env) truth {
	t := anyOf(l.x.value(e), func(v cim.Value) truth {
		s, ok := text(v)
		if !ok {
			return tUnknown
		}
		return truthOf(matchLike(l.pat, s, e.fold))
	})
	if l.not {
		return t.not()
	}
	return t
}

// anyOf applies f to a scalar, or to each element of an array, true when
// any element is: NULL is unknown, the empty array false.
func anyOf(v cim.Value, f func(cim.Value) truth) truth {
	if isNullValue(v) {
		return tUnknown
	}
	if !v.IsArray() {
		return f(v)
	}
	acc := tFalse
	for _, x := range v.Elems() {
		if isNullValue(x) {
			acc = max(acc, tUnknown)
		} else if acc = max(acc, f(x)); acc == tTrue {
			break
		}
	}
	return acc
}
