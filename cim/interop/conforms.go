package interop

import (
	"errors"

	"github.com/virtbridge/virtbridge/cim"
)

func (v *View) eachProfile(emit func(*cim.Instance) error) error {
	for _, p := range profiles {
		inst, err := v.profile(p)
		if err != nil {
			return err
		}
		if err := emit(inst); err != nil {
			return err
		}
	}
	return nil
}

// eachReferenced links every autonomous profile to every component
// profile (DSP1033 §7.3: Antecedent is the referenced profile).
func (v *View) eachReferenced(emit func(*cim.Instance) error) error {
	for _, a := range profiles {
		if !a.Autonomous {
			continue
		}
		dep, err := v.profile(a)
		if err != nil {
			return err
		}
		for _, p := range profiles {
			if p.Autonomous || p.Class == "" {
				continue
			}
			ante, err := v.profile(p)
			if err != nil {
				return err
			}
			inst, c, err := v.newInstance(classReferenced)
			if err != nil {
				return err
			}
			inst.Set("Antecedent", cim.Ref(ante.Path))
			inst.Set("Dependent", cim.Ref(dep.Path))
			if inst, err = v.finish(inst, c); err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *View) eachConforms(emit func(*cim.Instance) error) error {
	for _, p := range profiles {
		if err := v.eachConformsOf(p, emit); err != nil {
			return err
		}
	}
	return nil
}

// eachConformsOf streams p's ElementConformsToProfile instances, one per
// central instance.
func (v *View) eachConformsOf(p Profile, emit func(*cim.Instance) error) error {
	if p.Class == "" {
		m, err := v.manager()
		if err != nil {
			return err
		}
		return v.emitConforms(p, m.Path, emit)
	}
	return v.impl.Enumerate(p.Class, func(inst *cim.Instance) error {
		if !v.central(p, inst) {
			return nil
		}
		return v.emitConforms(p, inst.Path, emit)
	})
}

// conformsFor emits p's ElementConformsToProfile for the element at path
// when it is one of p's central instances.
func (v *View) conformsFor(p Profile, path cim.ObjectPath, emit func(*cim.Instance) error) error {
	if p.Class == "" {
		m, err := v.manager()
		if err != nil || !samePath(m.Path, path) {
			return err
		}
		return v.emitConforms(p, m.Path, emit)
	}
	// A superclass path (CIM_ComputerSystem) names the instance's class
	// in CreationClassName, as the broker's GetInstance allows.
	if cc, ok := path.Key("CreationClassName"); ok {
		if s, _ := cc.Str(); s != "" && v.cfg.Repo.IsA(v.cfg.Impl, s, path.ClassName) {
			path.ClassName = s
		}
	}
	if !v.cfg.Repo.IsA(v.cfg.Impl, path.ClassName, p.Class) {
		return nil
	}
	inst, err := v.impl.Get(path)
	if errors.Is(err, cim.ErrNotFound) {
		return nil
	}
	if err != nil || !v.central(p, inst) {
		return err
	}
	return v.emitConforms(p, inst.Path, emit)
}

func (v *View) central(p Profile, inst *cim.Instance) bool {
	if !v.cfg.Repo.IsA(v.cfg.Impl, inst.ClassName, p.Class) {
		return false
	}
	if p.Match == nil {
		return true
	}
	var c centralCheck
	if n, ok := inst.Get("Name"); ok && v.cfg.Repo.IsA(v.cfg.Impl, inst.ClassName, "CIM_ComputerSystem") {
		s, _ := n.Str()
		c.host = s == v.host
	}
	if t, ok := inst.Get("ResourceType"); ok {
		c.resourceType, _ = t.Uint()
	}
	return p.Match(c)
}

func (v *View) emitConforms(p Profile, element cim.ObjectPath, emit func(*cim.Instance) error) error {
	prof, err := v.profile(p)
	if err != nil {
		return err
	}
	inst, c, err := v.newInstance(classConforms)
	if err != nil {
		return err
	}
	element.Host = ""
	if element.Namespace == "" {
		element.Namespace = v.cfg.Impl
	}
	inst.Set("ConformantStandard", cim.Ref(prof.Path))
	inst.Set("ManagedElement", cim.Ref(element))
	if inst, err = v.finish(inst, c); err != nil {
		return err
	}
	return emit(inst)
}
