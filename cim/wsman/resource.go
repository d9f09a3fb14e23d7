package wsman

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// classOf returns the class a resource URI names, "" for AllClasses.
func classOf(uri string) (string, error) {
	if uri == "" {
		return "", fault(faultDestinationUnreachable, "InvalidResourceURI", "no wsman:ResourceURI")
	}
	if uri == AllClasses {
		return "", nil
	}
	for _, p := range []string{DMTFPrefix, VendorPrefix} {
		if c, ok := strings.CutPrefix(uri, p); ok && cim.ValidName(c) {
			return c, nil
		}
	}
	return "", fault(faultDestinationUnreachable, "InvalidResourceURI", "resource URI %q: want %sCLASS, %sCLASS or %s", uri, DMTFPrefix, VendorPrefix, AllClasses)
}

// resourceURI is the resource URI of class (DSP0227 §5).
func resourceURI(class string) string {
	if strings.HasPrefix(strings.ToUpper(class), "VB_") {
		return VendorPrefix + class
	}
	return DMTFPrefix + class
}

// namespaceOf takes __cimnamespace out of sels (DSP0227 §6), def when
// absent.
func namespaceOf(sels []Selector, def string) (string, []Selector) {
	var rest []Selector
	ns := def
	for _, s := range sels {
		if strings.EqualFold(s.Name, namespaceSelector) {
			ns = s.Value
			continue
		}
		rest = append(rest, s)
	}
	return ns, rest
}

// pathOf builds the instance path the selectors name: every key of the
// class, each converted to its type (DSP0226 §7.2.3 InvalidSelectors
// details for what is missing, unexpected or of the wrong type).
func pathOf(repo *cim.Repository, ns, class string, sels []Selector) (cim.ObjectPath, error) {
	c, err := repo.Class(ns, class)
	if err != nil {
		return cim.ObjectPath{}, fault(faultDestinationUnreachable, "InvalidResourceURI", "no class %s in namespace %s", class, ns)
	}
	p := cim.ObjectPath{Namespace: ns, ClassName: c.Name}
	for _, s := range sels {
		k := c.Property(s.Name)
		if k == nil || !k.IsKey() {
			return p, fault(faultInvalidSelectors, "UnexpectedSelectors", "%s is not a key of %s", s.Name, c.Name)
		}
		v, err := selectorValue(repo, ns, s, k)
		if err != nil {
			return p, err
		}
		p.Keys = append(p.Keys, cim.KeyBinding{Name: k.Name, Value: v})
	}
	for _, k := range c.Keys() {
		if _, ok := p.Key(k.Name); !ok {
			return p, fault(faultInvalidSelectors, "InsufficientSelectors", "selector %s (a key of %s) is missing", k.Name, c.Name)
		}
	}
	return p, nil
}

// selectorValue converts a selector to the type of key k.
func selectorValue(repo *cim.Repository, ns string, s Selector, k *cim.Property) (cim.Value, error) {
	bad := func() error {
		return fault(faultInvalidSelectors, "TypeMismatch", "selector %s = %q is not a %s", s.Name, s.Value, k.TypeName())
	}
	if k.Type == cim.TypeReference {
		if s.EPR == nil {
			return cim.Value{}, bad()
		}
		class, err := classOf(s.EPR.ResourceURI)
		if err != nil || class == "" {
			return cim.Value{}, bad()
		}
		rns, sels := namespaceOf(s.EPR.Selectors, ns)
		p, err := pathOf(repo, rns, class, sels)
		if err != nil {
			return cim.Value{}, err
		}
		return cim.Ref(p), nil
	}
	if s.EPR != nil {
		return cim.Value{}, bad()
	}
	if k.Type == cim.TypeString {
		return cim.String(s.Value), nil
	}
	v, err := cim.ParseScalar(k.Type, s.Value)
	if err != nil {
		return cim.Value{}, bad()
	}
	return v, nil
}
