package indication

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// The service's classes in the interop namespace, as a broker source:
// the filters, destinations and subscriptions, the indication service
// and its capabilities.

// Enumerate streams the instances of class and its subclasses that the
// service holds (none for other classes).
func (s *Service) Enumerate(class string, emit func(*cim.Instance) error) error {
	insts, err := s.instances(func(c string) bool { return s.cfg.Repo.IsA(s.cfg.Interop, c, class) })
	if err != nil {
		return err
	}
	for _, inst := range insts {
		if err := emit(inst); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the instance at path: keys compared without host or
// namespace, names case-insensitively.
func (s *Service) Get(path cim.ObjectPath) (*cim.Instance, error) {
	insts, err := s.instances(func(c string) bool { return strings.EqualFold(c, path.ClassName) })
	if err != nil {
		return nil, err
	}
	for _, inst := range insts {
		if samePath(inst.Path, path) || sameName(inst, path) {
			return inst, nil
		}
	}
	return nil, fmt.Errorf("no instance %s: %w", path.String(), cim.ErrNotFound)
}

// sameName matches a filter or destination by its Name key, and a
// subscription by the names its references hold: the other keys are the
// agent's own, and clients may spell them differently (another host name).
func sameName(inst *cim.Instance, path cim.ObjectPath) bool {
	name := func(p cim.ObjectPath, key string) string {
		v, _ := p.Key(key)
		if r, ok := v.Ref(); ok {
			v, _ = r.Key("Name")
		}
		n, _ := v.Str()
		return nameKey(n)
	}
	if inst.ClassName == classSubscription {
		return name(inst.Path, "Filter") == name(path, "Filter") && name(inst.Path, "Handler") == name(path, "Handler") && name(path, "Filter") != ""
	}
	return inst.ClassName != classService && inst.ClassName != classCapabilities && name(path, "Name") != "" && name(inst.Path, "Name") == name(path, "Name")
}

// References streams the subscriptions naming source.
func (s *Service) References(source cim.ObjectPath, assocClass string, emit func(*cim.Instance) error) error {
	if assocClass != "" && !s.cfg.Repo.IsA(s.cfg.Interop, classSubscription, assocClass) {
		return nil
	}
	insts, err := s.instances(func(c string) bool { return c == classSubscription })
	if err != nil {
		return err
	}
	for _, inst := range insts {
		for _, prop := range []string{"Filter", "Handler"} {
			v, _ := inst.Get(prop)
			if r, ok := v.Ref(); ok && samePath(r, source) {
				if err := emit(inst); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// instances makes the instances of the classes want accepts, each kind
// in name order.
func (s *Service) instances(want func(class string) bool) ([]*cim.Instance, error) {
	var out []*cim.Instance
	var errs []error
	add := func(inst *cim.Instance, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, inst)
	}
	if want(classService) {
		add(s.serviceInstance())
	}
	if want(classCapabilities) {
		add(s.capabilitiesInstance())
	}
	s.mu.RLock()
	if want(classFilter) {
		for _, k := range sortedKeys(s.filters) {
			add(s.filterInstance(s.filters[k].rec))
		}
	}
	for _, k := range sortedKeys(s.dests) {
		if d := s.dests[k]; want(d.class()) {
			add(s.destInstance(d))
		}
	}
	if want(classSubscription) {
		for _, k := range sortedKeys(s.subs) {
			sub := s.subs[k]
			add(s.subInstance(sub.rec, sub.dest.class()))
		}
	}
	s.mu.RUnlock()
	return out, errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// samePath compares class and keys, case-insensitively for strings, not
// host or namespace, nor those of the paths reference keys hold: clients
// address us by any host name and spell names as they like.
func samePath(a, b cim.ObjectPath) bool {
	return strings.EqualFold(a.Local().Canonical(), b.Local().Canonical())
}
