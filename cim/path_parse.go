package cim

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseObjectPath parses a WBEM URI (DSP0207) in the untyped form
// (".../root/cimv2:CIM_Foo.Name=\"x\",Id=5") or the typed form
// (".../root/cimv2/(instance)CIM_Foo.Name=(string)\"x\",Id=(uint16)5"), with
// or without "//host" and a leading namespace type ("http:", "https:"),
// which is dropped. A relative path without namespace ("CIM_Foo.Id=5") is
// accepted too.
//
// Untyped key values get the type their text implies: a quoted value is a
// string, or a reference if it parses as an instance path; an unquoted one
// is boolean (TRUE/FALSE), real64 (with '.' or an exponent) or an integer
// (sint64, or uint64 beyond it). Class.NormalizePath converts them to the
// declared key types.
func ParseObjectPath(s string) (ObjectPath, error) {
	p, err := parsePath(s)
	if err == nil && p.IsZero() {
		err = errors.New("empty path")
	}
	if err != nil {
		return ObjectPath{}, fmt.Errorf("parsing object path %q: %w", s, err)
	}
	return p, nil
}

func parsePath(s string) (ObjectPath, error) {
	var p ObjectPath
	s = stripScheme(s)
	hasHost := strings.HasPrefix(s, "//")
	if hasHost {
		s = s[2:]
		end := strings.IndexByte(s, '/') // an IPv6 literal holds no '/'
		if end < 0 {
			end = len(s)
		}
		p.Host, s = s[:end], s[end:]
		if p.Host == "" {
			return p, errors.New("empty host after \"//\"")
		}
	}
	slash := strings.HasPrefix(s, "/")
	if slash {
		s = s[1:]
	}
	i := scanNamespace(s)
	ns, rest := s[:i], s[i:]
	switch {
	case strings.HasPrefix(rest, ":"):
		p.Namespace = ns
		if err := checkNamespace(ns); err != nil {
			return p, err
		}
		return p, parseModel(&p, rest[1:], false)
	case strings.HasPrefix(rest, "/(") || (ns == "" && strings.HasPrefix(rest, "(")):
		p.Namespace = ns
		if err := checkNamespace(ns); err != nil {
			return p, err
		}
		return p, parseTyped(&p, strings.TrimPrefix(rest, "/"))
	case rest == "" && (slash || hasHost):
		p.Namespace = ns
		if err := checkNamespace(ns); err != nil {
			return p, err
		}
		return p, nil
	case !slash && !hasHost:
		return p, parseModel(&p, s, false) // relative: class and keys only
	}
	return p, fmt.Errorf("expected ':' or \"/(\" after namespace %q, found %q", ns, trunc(rest))
}

// stripScheme drops a DSP0207 namespace type such as "http:" or
// "cimxml.wbem:" when a '/' follows it.
func stripScheme(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' && i > 0:
			if strings.HasPrefix(s[i+1:], "/") {
				return s[i+1:]
			}
			return s
		case isASCIILetter(c), i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return s
		}
	}
	return s
}

// scanNamespace returns the length of the namespace-like prefix of s,
// stopping before a typed path's "/(".
func scanNamespace(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' && strings.HasPrefix(s[i+1:], "(") {
			return i
		}
		if !(c == '/' || c == '_' || isASCIILetter(c) || c >= '0' && c <= '9') {
			return i
		}
	}
	return len(s)
}

func checkNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	for seg := range strings.SplitSeq(ns, "/") {
		if seg == "" {
			return fmt.Errorf("namespace %q has an empty segment", ns)
		}
	}
	return nil
}

// parseTyped parses "(instance)Class.k=(t)v", "(class)Class" or
// "(namespace)".
func parseTyped(p *ObjectPath, s string) error {
	switch {
	case strings.HasPrefix(s, "(namespace)"):
		if s != "(namespace)" {
			return fmt.Errorf("unexpected %q after (namespace)", trunc(s[11:]))
		}
		return nil
	case strings.HasPrefix(s, "(class)"):
		if err := parseModel(p, s[7:], true); err != nil {
			return err
		}
		if len(p.Keys) > 0 {
			return errors.New("(class) path has keys")
		}
		return nil
	case strings.HasPrefix(s, "(instance)"):
		if err := parseModel(p, s[10:], true); err != nil {
			return err
		}
		if len(p.Keys) == 0 {
			return errors.New("(instance) path has no keys")
		}
		return nil
	}
	return fmt.Errorf("expected (namespace), (class) or (instance), found %q", trunc(s))
}

// parseModel parses "Class" or "Class.key=value,...".
func parseModel(p *ObjectPath, s string, typed bool) error {
	n := identLen(s)
	if n == 0 {
		return fmt.Errorf("expected class name, found %q", trunc(s))
	}
	p.ClassName, s = s[:n], s[n:]
	if s == "" {
		return nil
	}
	if s[0] != '.' {
		return fmt.Errorf("expected '.' after class name, found %q", trunc(s))
	}
	s = s[1:]
	for {
		n := identLen(s)
		if n == 0 {
			return fmt.Errorf("expected key name, found %q", trunc(s))
		}
		name := s[:n]
		if _, dup := p.Key(name); dup {
			return fmt.Errorf("key %s bound twice", name)
		}
		s = s[n:]
		if !strings.HasPrefix(s, "=") {
			return fmt.Errorf("expected '=' after key %s, found %q", name, trunc(s))
		}
		v, rest, err := parseKeyValue(s[1:], typed)
		if err != nil {
			return fmt.Errorf("key %s: %w", name, err)
		}
		p.Keys = append(p.Keys, KeyBinding{Name: name, Value: v})
		if rest == "" {
			return nil
		}
		if rest[0] != ',' {
			return fmt.Errorf("expected ',' after key %s, found %q", name, trunc(rest))
		}
		s = rest[1:]
	}
}

// identLen returns the length of the DSP0004 identifier at the start of s.
func identLen(s string) int {
	for i, r := range s {
		if !IsIdentRune(r, i == 0) {
			return i
		}
	}
	return len(s)
}

// IsIdentRune reports whether r may appear in a CIM name (DSP0004
// IDENTIFIER), first telling whether it is the first character.
func IsIdentRune(r rune, first bool) bool {
	switch {
	case r == '_' || r < utf8.RuneSelf && isASCIILetter(byte(r)):
		return true
	case r >= '0' && r <= '9':
		return !first
	}
	return r >= 0x80 && r <= 0xFFEF && r != utf8.RuneError
}

// ValidName reports whether s is a CIM name (DSP0004 IDENTIFIER).
func ValidName(s string) bool { return s != "" && identLen(s) == len(s) }

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// trunc shortens input quoted in errors.
func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
