package interop

import (
	"errors"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// errStop ends a walk early once Get found what it looked for.
var errStop = errors.New("found")

// served are the concrete classes of this namespace, each with its
// enumerator.
func (v *View) served() []struct {
	class string
	each  func(emit func(*cim.Instance) error) error
} {
	return []struct {
		class string
		each  func(emit func(*cim.Instance) error) error
	}{
		{classProfile, v.eachProfile},
		{classReferenced, v.eachReferenced},
		{classConforms, v.eachConforms},
		{classManager, func(emit func(*cim.Instance) error) error {
			m, err := v.manager()
			if err != nil {
				return err
			}
			return emit(m)
		}},
		{classNamespace, func(emit func(*cim.Instance) error) error {
			for _, ns := range v.cfg.Namespaces {
				inst, err := v.namespace(ns)
				if err != nil {
					return err
				}
				if err := emit(inst); err != nil {
					return err
				}
			}
			return nil
		}},
	}
}

// Enumerate streams the instances of class and its subclasses.
func (v *View) Enumerate(class string, emit func(*cim.Instance) error) error {
	c, err := v.cfg.Repo.Class(v.cfg.Namespace, class)
	if err != nil {
		return fmt.Errorf("enumerating %s: %w", class, cim.ErrInvalidClass)
	}
	for _, s := range v.served() {
		if v.cfg.Repo.IsA(v.cfg.Namespace, s.class, c.Name) {
			if err := s.each(emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get returns the instance at path. An ElementConformsToProfile is
// checked against its two ends rather than found by enumeration.
func (v *View) Get(path cim.ObjectPath) (*cim.Instance, error) {
	notFound := fmt.Errorf("no instance %s: %w", path.String(), cim.ErrNotFound)
	if strings.EqualFold(path.ClassName, classConforms) {
		std, _ := path.Key("ConformantStandard")
		el, _ := path.Key("ManagedElement")
		sp, ok1 := std.Ref()
		ep, ok2 := el.Ref()
		if !ok1 || !ok2 {
			return nil, notFound
		}
		pr, ok := v.profileOf(sp)
		if !ok {
			return nil, notFound
		}
		var found *cim.Instance
		err := v.conformsFor(pr, ep, func(inst *cim.Instance) error { found = inst; return nil })
		if err != nil || found == nil {
			return nil, notFound
		}
		return found, nil
	}
	var found *cim.Instance
	for _, s := range v.served() {
		if !strings.EqualFold(s.class, path.ClassName) {
			continue
		}
		err := s.each(func(inst *cim.Instance) error {
			if samePath(inst.Path, path) {
				found = inst
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, err
		}
	}
	if found == nil {
		return nil, notFound
	}
	return found, nil
}

// References streams the associations of this namespace that refer to
// source: its profiles' links, or the conformance of a central instance of
// the implementation namespace.
func (v *View) References(source cim.ObjectPath, assocClass string, emit func(*cim.Instance) error) error {
	want := func(class string) bool {
		return assocClass == "" || v.cfg.Repo.IsA(v.cfg.Namespace, class, assocClass)
	}
	refers := func(inst *cim.Instance) error {
		for _, pv := range inst.Properties {
			if r, ok := pv.Value.Ref(); ok && samePath(r, source) {
				return emit(inst)
			}
		}
		return nil
	}
	if pr, ok := v.profileOf(source); ok {
		if want(classReferenced) {
			if err := v.eachReferenced(refers); err != nil {
				return err
			}
		}
		if want(classConforms) {
			return v.eachConformsOf(pr, emit)
		}
		return nil
	}
	if !want(classConforms) {
		return nil
	}
	if strings.EqualFold(source.ClassName, classManager) {
		return v.eachConformsOf(profiles[0], refers)
	}
	if source.Namespace != "" && !strings.EqualFold(strings.Trim(source.Namespace, "/"), v.cfg.Impl) {
		return nil
	}
	for _, pr := range profiles {
		if err := v.conformsFor(pr, source, emit); err != nil {
			return err
		}
	}
	return nil
}

// samePath compares class and keys, not host or namespace, neither of
// the paths nor of the paths their reference keys hold: clients address
// us by any host name, and may give a reference key without namespace.
func samePath(a, b cim.ObjectPath) bool { return a.Local().Equal(b.Local()) }
