package cim

import (
	"slices"
	"strconv"
	"strings"
)

// ObjectPath names a namespace, a class or an instance (DSP0004 §8,
// DSP0207 WBEM URI). An instance path has key bindings, a class path has a
// class name and no keys, a namespace path has neither.
type ObjectPath struct {
	Host      string // authority: "host", "host:5989", "[::1]:5989"; "" when local
	Namespace string // "root/virtualization"; "" when not given
	ClassName string
	Keys      []KeyBinding // in the order given; printed sorted by name
}

// KeyBinding is one key property of an instance path.
type KeyBinding struct {
	Name  string
	Value Value
}

// Key returns the value bound to the key name (case-insensitive).
func (p ObjectPath) Key(name string) (Value, bool) {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return Value{}, false
}

// WithKey returns a copy of p with name bound to v, replacing any binding
// of the same name.
func (p ObjectPath) WithKey(name string, v Value) ObjectPath {
	keys := slices.Clone(p.Keys)
	for i := range keys {
		if strings.EqualFold(keys[i].Name, name) {
			keys[i].Value = v
			p.Keys = keys
			return p
		}
	}
	p.Keys = append(keys, KeyBinding{Name: name, Value: v})
	return p
}

// IsInstance reports whether p names an instance.
func (p ObjectPath) IsInstance() bool { return p.ClassName != "" && len(p.Keys) > 0 }

// IsClass reports whether p names a class.
func (p ObjectPath) IsClass() bool { return p.ClassName != "" && len(p.Keys) == 0 }

// IsZero reports whether p is the zero ObjectPath.
func (p ObjectPath) IsZero() bool {
	return p.Host == "" && p.Namespace == "" && p.ClassName == "" && len(p.Keys) == 0
}

// String returns the untyped WBEM URI form of DSP0207, keys sorted by name:
//
//	//host/root/virtualization:CIM_ComputerSystem.CreationClassName="X",Name="Y"
//
// A path without host starts "/"; one without namespace has an empty
// namespace before the ':' ("/:CIM_Foo.Id=1"), as DSP0207 asks.
func (p ObjectPath) String() string { return p.format(formatUntyped) }

// TypedString returns the typed WBEM URI form of DSP0207, which keeps the
// CIM type of every key value:
//
//	//host/root/virtualization/(instance)CIM_ComputerSystem.CreationClassName=(string)"X",Name=(string)"Y"
//
// A class path ends "/(class)Name", a namespace path "/(namespace)".
func (p ObjectPath) TypedString() string { return p.format(formatTyped) }

// Canonical returns a form of p for comparison: the untyped form with
// host, namespace, class and key names folded to lower case.
func (p ObjectPath) Canonical() string { return p.format(formatCanonical) }

// Equal reports whether p and q name the same thing: names compare
// case-insensitively, key values by their untyped text (so a key parsed
// from an untyped path equals the same key with its declared type).
func (p ObjectPath) Equal(q ObjectPath) bool { return p.Canonical() == q.Canonical() }

// Local is p without host and namespace, nor those of the paths its
// reference keys hold: a server compares paths by it, as clients address
// it by any host name and may give a reference key without namespace.
func (p ObjectPath) Local() ObjectPath {
	p.Host, p.Namespace = "", ""
	keys := make([]KeyBinding, len(p.Keys))
	for i, k := range p.Keys {
		if r, ok := k.Value.Ref(); ok {
			k.Value = Ref(r.Local())
		}
		keys[i] = k
	}
	p.Keys = keys
	return p
}

type pathFormat int

const (
	formatUntyped pathFormat = iota
	formatTyped
	formatCanonical
)

func (p ObjectPath) format(f pathFormat) string {
	fold := func(s string) string {
		if f == formatCanonical {
			return strings.ToLower(s)
		}
		return s
	}
	var b strings.Builder
	if p.Host != "" {
		b.WriteString("//")
		b.WriteString(fold(p.Host))
	}
	b.WriteByte('/')
	b.WriteString(fold(p.Namespace))
	switch {
	case p.ClassName == "" && f == formatTyped:
		b.WriteString(p.sep() + "(namespace)")
		return b.String()
	case p.ClassName == "":
		return b.String()
	case f == formatTyped && len(p.Keys) == 0:
		b.WriteString(p.sep() + "(class)")
	case f == formatTyped:
		b.WriteString(p.sep() + "(instance)")
	default:
		b.WriteByte(':')
	}
	b.WriteString(fold(p.ClassName))
	keys := slices.Clone(p.Keys)
	slices.SortStableFunc(keys, func(a, b KeyBinding) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(fold(k.Name))
		b.WriteByte('=')
		b.WriteString(formatKeyValue(k.Value, f))
	}
	return b.String()
}

// sep separates the namespace from a typed path's "(kind)"; with no
// namespace the leading '/' already does, and "//(" would read as a host.
func (p ObjectPath) sep() string {
	if p.Namespace == "" {
		return ""
	}
	return "/"
}

func formatKeyValue(v Value, f pathFormat) string {
	var s string
	switch x := v.v.(type) {
	case string:
		s = quotePath(x)
	case Datetime:
		s = quotePath(x.String())
	case ObjectPath:
		s = quotePath(x.format(f))
	case bool:
		s = strings.ToUpper(strconv.FormatBool(x))
		if f == formatTyped {
			s = strconv.FormatBool(x)
		}
	case float32:
		s = formatReal(float64(x), 32)
	case float64:
		s = formatReal(x, 64)
	default:
		if v.typ == TypeChar16 && !v.array {
			s = quotePath(string(x.(rune)))
		} else {
			s = v.String() // integers; NULL and arrays are not valid keys
		}
	}
	if f == formatTyped {
		return "(" + v.typ.String() + ")" + s
	}
	return s
}

// quotePath quotes s with the only two escapes DSP0207 has: \" and \\.
func quotePath(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
