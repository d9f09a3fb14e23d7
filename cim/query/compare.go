package query

import (
	"cmp"

	"github.com/virtbridge/virtbridge/cim"
)

// op is a comparison operator.
type op uint8

const (
	opEq op = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

// opOf maps the text of a tOp token to its operator.
func opOf(s string) op {
	switch s {
	case "<>", "!=":
		return opNe
	case "<":
		return opLt
	case "<=":
		return opLe
	case ">":
		return opGt
	case ">=":
		return opGe
	}
	return opEq
}

// holds reports whether c, the sign of a comparison, satisfies o.
func (o op) holds(c int) bool {
	switch o {
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	}
	return c == 0
}

// compareValues evaluates a o b. An array against a scalar holds when
// any element does; two arrays compare as wholes, for = and <> only.
func compareValues(a, b cim.Value, o op, fold bool) truth {
	switch {
	case isNullValue(a) || isNullValue(b):
		return tUnknown
	case a.IsArray() && b.IsArray():
		if o != opEq && o != opNe {
			return tUnknown
		}
		t := arraysEqual(a.Elems(), b.Elems(), fold)
		if o == opNe {
			return t.not()
		}
		return t
	case a.IsArray():
		return anyOf(a, func(x cim.Value) truth { return compareValues(x, b, o, fold) })
	case b.IsArray():
		return anyOf(b, func(x cim.Value) truth { return compareValues(a, x, o, fold) })
	}
	c, ordered, ok := compareScalars(a, b, fold)
	if !ok || !ordered && o != opEq && o != opNe {
		return tUnknown
	}
	return truthOf(o.holds(c))
}

// arraysEqual compares two arrays element by element; a NULL element
// equals only a NULL element.
func arraysEqual(x, y []cim.Value, fold bool) truth {
	if len(x) != len(y) {
		return tFalse
	}
	acc := tTrue
	for i := range x {
		xn, yn := isNullValue(x[i]), isNullValue(y[i])
		if xn || yn {
			if xn != yn {
				return tFalse
			}
			continue
		}
		c, _, ok := compareScalars(x[i], y[i], fold)
		if !ok {
			acc = tUnknown
		} else if c != 0 {
			return tFalse
		}
	}
	return acc
}

// compareScalars compares two non-NULL scalars, returning the sign of the
// comparison, whether the types are ordered (booleans and references are
// not) and whether they compare at all.
func compareScalars(a, b cim.Value, fold bool) (c int, ordered, ok bool) {
	if x, isNum := toNumber(a); isNum {
		y, isNum := toNumber(b)
		if !isNum {
			return 0, false, false
		}
		c, ok = x.compare(y)
		return c, true, ok
	}
	switch {
	case a.Type() == cim.TypeDatetime || b.Type() == cim.TypeDatetime:
		x, okA := asDatetime(a)
		y, okB := asDatetime(b)
		if !okA || !okB {
			return 0, false, false
		}
		c, ok = compareDatetimes(x, y)
		return c, true, ok
	case a.Type() == cim.TypeReference || b.Type() == cim.TypeReference:
		x, okA := asPath(a)
		y, okB := asPath(b)
		if !okA || !okB || !x.Equal(y) {
			return 1, false, okA && okB
		}
		return 0, false, true
	}
	if x, isText := text(a); isText {
		y, isText := text(b)
		return compareText(x, y, fold), true, isText
	}
	if x, isBool := a.Bool(); isBool {
		y, isBool := b.Bool()
		return cmp.Compare(boolInt(x), boolInt(y)), false, isBool
	}
	return 0, false, false // embedded objects do not compare
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
