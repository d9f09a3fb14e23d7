package provider

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// References streams the association instances that refer to source, of
// assocClass or its subclasses ("" for any) (DSP0200 References). The
// source's identity says where to look: the host, one pool, or one VM,
// so a walk from a VM's object costs that VM only.
func (v *View) References(source cim.ObjectPath, assocClass string, emit func(*cim.Instance) error) error {
	sink := &refSink{v: v, assocClass: assocClass, source: idOf(source), emit: emit}
	if strings.EqualFold(source.ClassName, classJob) {
		return v.jobAssociations(source, sink)
	}
	if v.isHost(source) {
		return v.hostAssociations(strings.EqualFold(source.ClassName, classComputerSystem), sink)
	}
	if p, role, ok := v.poolObject(source); ok {
		return v.poolAssociations(p, role, sink)
	}
	d, ok := v.vmOf(source)
	if !ok {
		return nil
	}
	if err := v.vmAssociations(d, sink); err != nil {
		return err
	}
	if strings.EqualFold(source.ClassName, classComputerSystem) {
		if err := v.jobAssociations(source, sink); err != nil {
			return err
		}
	}
	if !sink.wants(classHostedDep) {
		return nil
	}
	host, err := v.s.HostSystem(v.snap.Host)
	if err != nil {
		return err
	}
	return sink.add(v.hostedDependency(host.Path, d))
}

// refSink passes on the association instances of the requested class that
// refer to the source; wants lets a walk skip building the others.
type refSink struct {
	v          *View
	all        bool // every association of the class, whatever it refers to
	assocClass string
	source     pathID
	emit       func(*cim.Instance) error
	wanted     map[string]bool
}

func (s *refSink) wants(class string) bool {
	if s.assocClass == "" {
		return true
	}
	w, ok := s.wanted[class]
	if !ok {
		w = s.v.s.Repo.IsA(s.v.s.Namespace, class, s.assocClass)
		if s.wanted == nil {
			s.wanted = map[string]bool{}
		}
		s.wanted[class] = w
	}
	return w
}

func (s *refSink) add(inst *cim.Instance, err error) error {
	if err != nil || !s.wants(inst.ClassName) {
		return err
	}
	if s.all {
		return s.emit(inst)
	}
	for _, pv := range inst.Properties {
		if ref, ok := pv.Value.Ref(); ok && s.source.is(ref) {
			return s.emit(inst)
		}
	}
	return nil
}

// poolObject finds the pool whose object (the pool, its capabilities or
// one of its templates) a path names, by its InstanceID.
func (v *View) poolObject(p cim.ObjectPath) (pool, poolRole, bool) {
	id := keyString(p, "InstanceID")
	if rest, ok := strings.CutPrefix(id, poolPrefix); ok {
		pl, found := findPool(&v.snap.Host, rest)
		return pl, rolePool, found
	}
	if rest, ok := strings.CutPrefix(id, poolCapsPrefix); ok {
		pl, found := findPool(&v.snap.Host, rest)
		return pl, roleCaps, found
	}
	if strings.HasPrefix(id, templatePrefix) {
		pl, _, found := v.templateByID(id)
		return pl, roleTemplate, found
	}
	return pool{}, 0, false
}

// Associators streams the objects at the other end of source's
// associations of assocClass, which are of resultClass ("" for any)
// (DSP0200 Associators).
func (v *View) Associators(source cim.ObjectPath, assocClass, resultClass string, emit func(*cim.Instance) error) error {
	src := idOf(source)
	return v.References(source, assocClass, func(a *cim.Instance) error {
		for _, pv := range a.Properties {
			ref, ok := pv.Value.Ref()
			if !ok || src.is(ref) || (resultClass != "" && !v.s.Repo.IsA(v.s.Namespace, ref.ClassName, resultClass)) {
				continue
			}
			inst, err := v.Get(ref)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	})
}
