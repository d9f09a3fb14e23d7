package broker

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// AssocFilter narrows an association traversal as DSP0200 §5.3.2.12-15
// define it. For References and ReferenceNames ResultClass names the
// association class and ResultRole is unused.
type AssocFilter struct {
	AssocClass, ResultClass string
	// Role is the name of the association's property that refers to the
	// source object; ResultRole of the one that refers to the result.
	Role, ResultRole string
}

// References streams the associations that refer to the instance obj of
// namespace ns (DSP0200 §5.3.2.14), with full paths.
func (b *Broker) References(ns string, obj cim.ObjectPath, f AssocFilter, emit func(*cim.Instance) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	return s.referenceInstances(obj, f, emit)
}

func (s *session) referenceInstances(obj cim.ObjectPath, f AssocFilter, emit func(*cim.Instance) error) error {
	return s.references(obj, f.AssocClass, f.ResultClass, f.Role, func(a *cim.Instance, _ string, ans string) error {
		return emit(s.full(a, ans))
	})
}

// ReferenceNames is References' paths only (§5.3.2.15).
func (b *Broker) ReferenceNames(ns string, obj cim.ObjectPath, f AssocFilter, emit func(cim.ObjectPath) error) error {
	return b.References(ns, obj, f, func(a *cim.Instance) error { return emit(a.Path) })
}

// Associators streams the instances at the other end of obj's
// associations (DSP0200 §5.3.2.12), each once, with full paths.
func (b *Broker) Associators(ns string, obj cim.ObjectPath, f AssocFilter, emit func(*cim.Instance) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	return s.associatorInstances(obj, f, emit)
}

func (s *session) associatorInstances(obj cim.ObjectPath, f AssocFilter, emit func(*cim.Instance) error) error {
	return s.associators(obj, f, func(p cim.ObjectPath) error {
		inst, err := s.getInstance(p)
		if err != nil {
			return fmt.Errorf("associated instance %s: %w", p.String(), err)
		}
		return emit(inst)
	})
}

// AssociatorNames is Associators' paths only (§5.3.2.13); it does not
// build the associated instances.
func (b *Broker) AssociatorNames(ns string, obj cim.ObjectPath, f AssocFilter, emit func(cim.ObjectPath) error) error {
	s, err := b.open(ns)
	if err != nil {
		return err
	}
	return s.associators(obj, f, func(p cim.ObjectPath) error {
		return emit(s.fullPath(p, s.ns))
	})
}

// references checks obj exists, then asks every namespace's source for
// the associations naming it (the interop namespace links central
// instances of the others). emit gets the association, the property
// through which it refers to obj, and the association's namespace.
func (s *session) references(obj cim.ObjectPath, assocClass, resultClass, role string, emit func(a *cim.Instance, via, ns string) error) error {
	if !obj.IsInstance() {
		return fmt.Errorf("%q: associations of classes are not supported, give an instance path: %w", obj.String(), cim.ErrNotSupported)
	}
	for _, name := range []string{assocClass, resultClass} {
		if name != "" {
			if _, err := s.class(name); err != nil {
				return err
			}
		}
	}
	src, _, err := s.getInstanceSource(obj)
	if err != nil {
		return err
	}
	ordered := []string{s.ns}
	for name := range s.srcs {
		if name != s.ns {
			ordered = append(ordered, name)
		}
	}
	sortStrings(ordered[1:])
	for _, ns := range ordered {
		err := s.srcs[ns].References(src, assocClass, func(a *cim.Instance) error {
			if resultClass != "" && !s.b.cfg.Repo.IsA(ns, a.ClassName, resultClass) {
				return nil
			}
			via := ""
			for _, pv := range a.Properties {
				if ref, ok := pv.Value.Ref(); ok && sameObject(ref, src, s.ns) && (role == "" || equalFold(role, pv.Name)) {
					via = pv.Name
					break
				}
			}
			if via == "" {
				return nil
			}
			return emit(a, via, ns)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// getInstanceSource returns obj with the request namespace filled in,
// after checking that it exists.
func (s *session) getInstanceSource(obj cim.ObjectPath) (cim.ObjectPath, string, error) {
	inst, err := s.getInstance(obj)
	if err != nil {
		return cim.ObjectPath{}, "", err
	}
	return inst.Path, inst.Path.Namespace, nil
}

func (s *session) associators(obj cim.ObjectPath, f AssocFilter, emit func(cim.ObjectPath) error) error {
	// references checks AssocClass; ResultClass names the other end here,
	// so check it as well rather than silently match nothing.
	if f.ResultClass != "" {
		if _, err := s.class(f.ResultClass); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	return s.references(obj, f.AssocClass, "", f.Role, func(a *cim.Instance, via, ans string) error {
		for _, pv := range a.Properties {
			ref, ok := pv.Value.Ref()
			if !ok || equalFold(pv.Name, via) || (f.ResultRole != "" && !equalFold(f.ResultRole, pv.Name)) {
				continue
			}
			if ref.Namespace == "" {
				ref.Namespace = ans
			}
			if f.ResultClass != "" && !s.b.cfg.Repo.IsA(ref.Namespace, ref.ClassName, f.ResultClass) {
				continue
			}
			key := normNamespace(ref.Namespace) + ":" + ref.Canonical()
			if seen[key] {
				continue
			}
			seen[key] = true
			if err := emit(ref); err != nil {
				return err
			}
		}
		return nil
	})
}

// sameObject compares class, keys and namespace (an empty one meaning
// ns), not host: clients address us by whatever name they like.
func sameObject(a, b cim.ObjectPath, ns string) bool {
	if a.Namespace == "" {
		a.Namespace = ns
	}
	if b.Namespace == "" {
		b.Namespace = ns
	}
	if normNamespace(a.Namespace) != normNamespace(b.Namespace) {
		return false
	}
	a.Host, b.Host, a.Namespace, b.Namespace = "", "", "", ""
	return a.Equal(b)
}
