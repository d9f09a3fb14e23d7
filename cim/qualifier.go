package cim

import (
	"fmt"
	"strings"
)

// Flavor is a set of qualifier flavors (DSP0004 §5.6.1.3). Each pair
// (EnableOverride/DisableOverride, ToSubclass/Restricted) has at most one
// member set; a pair with neither is unspecified and takes the qualifier
// declaration's flavor, or the DSP0004 default (EnableOverride, ToSubclass).
type Flavor uint8

// The flavors.
const (
	EnableOverride Flavor = 1 << iota
	DisableOverride
	ToSubclass
	Restricted
	Translatable
)

// Overridable reports whether a subclass may change the qualifier's value.
func (f Flavor) Overridable() bool { return f&DisableOverride == 0 }

// Propagates reports whether the qualifier is inherited by subclasses and
// overriding elements.
func (f Flavor) Propagates() bool { return f&Restricted == 0 }

// Merge returns f with its unspecified pairs taken from def; Translatable
// is taken from def unless f has it.
func (f Flavor) Merge(def Flavor) Flavor {
	if f&(EnableOverride|DisableOverride) == 0 {
		f |= def & (EnableOverride | DisableOverride)
	}
	if f&(ToSubclass|Restricted) == 0 {
		f |= def & (ToSubclass | Restricted)
	}
	return f | def&Translatable
}

// Resolve returns f with every pair specified, defaults filled in.
func (f Flavor) Resolve() Flavor { return f.Merge(EnableOverride | ToSubclass) }

// String lists the flavors set, as in MOF: "DisableOverride, ToSubclass".
func (f Flavor) String() string {
	names := []string{"EnableOverride", "DisableOverride", "ToSubclass", "Restricted", "Translatable"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// Scope is a set of the kinds of element a qualifier may qualify.
type Scope uint8

// The scopes.
const (
	ScopeClass Scope = 1 << iota
	ScopeAssociation
	ScopeIndication
	ScopeProperty
	ScopeReference
	ScopeMethod
	ScopeParameter
	ScopeAny = ScopeClass | ScopeAssociation | ScopeIndication | ScopeProperty | ScopeReference | ScopeMethod | ScopeParameter
)

// ParseScope maps a MOF scope name (any case) to its Scope.
func ParseScope(name string) (Scope, bool) {
	for s := ScopeClass; s <= ScopeParameter; s <<= 1 {
		if strings.EqualFold(name, s.String()) {
			return s, true
		}
	}
	if strings.EqualFold(name, "any") {
		return ScopeAny, true
	}
	return 0, false
}

// String lists the scopes set: "property, reference", or "any".
func (s Scope) String() string {
	if s == ScopeAny {
		return "any"
	}
	names := []string{"class", "association", "indication", "property", "reference", "method", "parameter"}
	var out []string
	for i, n := range names {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// Qualifier is a qualifier applied to a class, property, method or
// parameter.
type Qualifier struct {
	Name   string
	Value  Value
	Flavor Flavor
	// Propagated is set on a qualifier inherited from the superclass or
	// the overridden element rather than given here.
	Propagated bool
}

// QualifierDecl declares a qualifier type (DSP0004 §5.6.1).
type QualifierDecl struct {
	Name      string
	Type      Type
	Array     bool
	ArraySize int   // fixed size of an array, 0 if variable
	Default   Value // NULL when there is none
	Scopes    Scope
	Flavor    Flavor
}

// Qualifiers is an ordered list of qualifiers with case-insensitive lookup.
type Qualifiers []Qualifier

// Get returns the qualifier called name.
func (qs Qualifiers) Get(name string) (Qualifier, bool) {
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Qualifier{}, false
}

// Has reports whether the boolean qualifier name is present and true, as
// [Key] or [Association] are.
func (qs Qualifiers) Has(name string) bool {
	q, ok := qs.Get(name)
	b, _ := q.Value.Bool()
	return ok && b
}

// Str returns the value of the string qualifier name.
func (qs Qualifiers) Str(name string) (string, bool) {
	q, ok := qs.Get(name)
	if !ok {
		return "", false
	}
	return q.Value.Str()
}

// Strings returns the value of the string array qualifier name, as
// ValueMap or Values.
func (qs Qualifiers) Strings(name string) []string {
	q, _ := qs.Get(name)
	ss, _ := q.Value.StringSlice()
	return ss
}

// index returns the position of the qualifier called name, or -1.
func (qs Qualifiers) index(name string) int {
	for i, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return i
		}
	}
	return -1
}

// With returns a copy of qs with q added, replacing a qualifier of the
// same name.
func (qs Qualifiers) With(q Qualifier) Qualifiers {
	out := append(Qualifiers(nil), qs...)
	if i := out.index(q.Name); i >= 0 {
		out[i] = q
		return out
	}
	return append(out, q)
}

// check validates q against its declaration for use in scope.
func (d *QualifierDecl) check(q Qualifier, scope Scope) error {
	if d.Scopes&scope == 0 {
		return fmt.Errorf("qualifier %s is not allowed on a %s (scope %s)", d.Name, scope, d.Scopes)
	}
	if q.Value.typ != d.Type || q.Value.array != d.Array {
		return fmt.Errorf("qualifier %s is %s, value is %s", d.Name, d.typeName(), q.Value.TypeName())
	}
	if d.ArraySize > 0 && q.Value.Len() > d.ArraySize {
		return fmt.Errorf("qualifier %s holds at most %d values, has %d", d.Name, d.ArraySize, q.Value.Len())
	}
	return nil
}

func (d *QualifierDecl) typeName() string {
	if d.Array {
		return d.Type.String() + "[]"
	}
	return d.Type.String()
}
