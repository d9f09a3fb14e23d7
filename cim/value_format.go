package cim

import (
	"fmt"
	"strconv"
	"strings"
)

// Equal reports whether v and w have the same type, shape and contents.
// Reals compare by ==, references by ObjectPath.Equal, embedded objects by
// their contents.
func (v Value) Equal(w Value) bool {
	if v.typ != w.typ || v.array != w.array || (v.v == nil) != (w.v == nil) {
		return false
	}
	switch x := v.v.(type) {
	case nil:
		return true
	case []Value:
		y := w.v.([]Value)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !x[i].Equal(y[i]) {
				return false
			}
		}
		return true
	case ObjectPath:
		return x.Equal(w.v.(ObjectPath))
	case *Instance:
		y, ok := w.v.(*Instance)
		return ok && x.Equal(y)
	case *Class:
		y, ok := w.v.(*Class)
		return ok && x == y
	}
	return v.v == w.v
}

// String returns v as a MOF literal: null, true, 42, -1.5, "text", 'c',
// {1, 2}; datetimes and references are quoted strings.
func (v Value) String() string {
	if v.v == nil {
		return "null"
	}
	if e, ok := v.v.([]Value); ok {
		parts := make([]string, len(e))
		for i, x := range e {
			parts[i] = x.String()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	switch x := v.v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return formatReal(float64(x), 32)
	case float64:
		return formatReal(x, 64)
	case string:
		return QuoteMOF(x)
	case Datetime:
		return `"` + x.String() + `"`
	case ObjectPath:
		return QuoteMOF(x.String())
	case *Instance:
		return "instance of " + x.ClassName
	case *Class:
		return "class " + x.Name
	}
	if v.typ == TypeChar16 {
		return quoteChar(v.v.(rune))
	}
	return fmt.Sprint(v.v)
}

// formatReal prints the shortest decimal that reads back as the same
// float, always with a '.' because MOF and URIs tell reals from integers
// by it.
func formatReal(f float64, bits int) string {
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if strings.ContainsAny(s, ".nN") { // NaN, Inf
		return s
	}
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		return s[:i] + ".0" + s[i:]
	}
	return s + ".0"
}

// QuoteMOF returns s as a MOF string literal with DSP0004 escapes.
func QuoteMOF(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		writeEscaped(&b, r, '"')
	}
	b.WriteByte('"')
	return b.String()
}

func quoteChar(r rune) string {
	var b strings.Builder
	b.WriteByte('\'')
	writeEscaped(&b, r, '\'')
	b.WriteByte('\'')
	return b.String()
}

func writeEscaped(b *strings.Builder, r rune, quote rune) {
	switch r {
	case '\\':
		b.WriteString(`\\`)
	case quote:
		b.WriteByte('\\')
		b.WriteRune(r)
	case '\n':
		b.WriteString(`\n`)
	case '\t':
		b.WriteString(`\t`)
	case '\r':
		b.WriteString(`\r`)
	case '\b':
		b.WriteString(`\b`)
	case '\f':
		b.WriteString(`\f`)
	default:
		if r < 0x20 || r == 0x7F {
			fmt.Fprintf(b, `\x%04X`, r)
			return
		}
		b.WriteRune(r)
	}
}
