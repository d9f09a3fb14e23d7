// Package interop serves the interop namespace (DSP1033 Profile
// Registration): a CIM_RegisteredProfile per profile implemented,
// CIM_ReferencedProfile from System Virtualization to its component
// profiles, CIM_ElementConformsToProfile from each profile to its central
// instances in the implementation namespace, and the CIM_ObjectManager and
// CIM_Namespace instances that describe the agent.
package interop

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// Class names served; the DMTF classes are concrete and need no vendor
// subclass here.
const (
	classProfile    = "CIM_RegisteredProfile"
	classReferenced = "CIM_ReferencedProfile"
	classConforms   = "CIM_ElementConformsToProfile"
	classManager    = "CIM_ObjectManager"
	classNamespace  = "CIM_Namespace"
	classSystem     = "VB_ComputerSystem"
	orgDMTF         = 2 // RegisteredOrganization (CIM_RegisteredSpecification)
	notAdvertised   = 2 // AdvertiseTypes
)

// Config describes the namespaces.
type Config struct {
	Repo *cim.Repository
	// Namespace is the interop namespace (root/interop); Impl the one the
	// profiles are implemented in (root/virtualization).
	Namespace, Impl string
	// Namespaces lists every namespace served, for CIM_Namespace.
	Namespaces []string
	// Product and Version describe the object manager.
	Product, Version string
}

// Source is what the implementation namespace offers for finding central
// instances.
type Source interface {
	Enumerate(class string, emit func(*cim.Instance) error) error
	Get(path cim.ObjectPath) (*cim.Instance, error)
}

// View answers for the interop namespace over one state of impl.
type View struct {
	cfg  Config
	impl Source
	host string
}

// At is the interop namespace over impl, whose host system is called
// hostName.
func (c Config) At(impl Source, hostName string) *View {
	return &View{cfg: c, impl: impl, host: hostName}
}

func (v *View) newInstance(class string) (*cim.Instance, *cim.Class, error) {
	c, err := v.cfg.Repo.Class(v.cfg.Namespace, class)
	if err != nil {
		return nil, nil, fmt.Errorf("interop: class %s: %w", class, err)
	}
	return c.NewInstance(), c, nil
}

func (v *View) finish(inst *cim.Instance, c *cim.Class) (*cim.Instance, error) {
	if err := c.Validate(inst); err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	p, err := c.InstancePath(inst, "", v.cfg.Namespace)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	inst.Path = p
	return inst, nil
}

// profile is the CIM_RegisteredProfile of p.
func (v *View) profile(p Profile) (*cim.Instance, error) {
	inst, c, err := v.newInstance(classProfile)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String("VB:profile/"+p.ID))
	inst.Set("ElementName", cim.String(p.Name))
	inst.Set("RegisteredOrganization", cim.Uint16(orgDMTF))
	inst.Set("RegisteredName", cim.String(p.Name))
	inst.Set("RegisteredVersion", cim.String(p.Version))
	inst.Set("AdvertiseTypes", uint16s(notAdvertised))
	inst.Set("Description", cim.String("DMTF "+p.ID+" "+p.Name+" "+p.Version))
	return v.finish(inst, c)
}

func uint16s(xs ...uint16) cim.Value {
	vs := make([]cim.Value, len(xs))
	for i, x := range xs {
		vs[i] = cim.Uint16(x)
	}
	a, _ := cim.Array(cim.TypeUint16, vs...)
	return a
}

// profileOf finds the profile a CIM_RegisteredProfile path names.
func (v *View) profileOf(p cim.ObjectPath) (Profile, bool) {
	if !v.cfg.Repo.IsA(v.cfg.Namespace, p.ClassName, classProfile) {
		return Profile{}, false
	}
	id, _ := p.Key("InstanceID")
	s, _ := id.Str()
	for _, pr := range profiles {
		if s == "VB:profile/"+pr.ID {
			return pr, true
		}
	}
	return Profile{}, false
}

// manager is the CIM_ObjectManager, the central instance of Profile
// Registration.
func (v *View) manager() (*cim.Instance, error) {
	inst, c, err := v.newInstance(classManager)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classSystem))
	inst.Set("SystemName", cim.String(v.host))
	inst.Set("CreationClassName", cim.String(classManager))
	inst.Set("Name", cim.String(v.managerName()))
	inst.Set("ElementName", cim.String(v.cfg.Product))
	inst.Set("Description", cim.String(v.cfg.Product+" "+v.cfg.Version))
	inst.Set("EnabledState", cim.Uint16(2))
	inst.Set("OperationalStatus", uint16s(2))
	inst.Set("Started", cim.Bool(true))
	return v.finish(inst, c)
}

func (v *View) managerName() string { return strings.ToLower(v.cfg.Product) + ":" + v.host }

// namespace is the CIM_Namespace instance of ns.
func (v *View) namespace(ns string) (*cim.Instance, error) {
	inst, c, err := v.newInstance(classNamespace)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classSystem))
	inst.Set("SystemName", cim.String(v.host))
	inst.Set("ObjectManagerCreationClassName", cim.String(classManager))
	inst.Set("ObjectManagerName", cim.String(v.managerName()))
	inst.Set("CreationClassName", cim.String(classNamespace))
	inst.Set("Name", cim.String(ns))
	inst.Set("ElementName", cim.String(ns))
	inst.Set("ClassInfo", cim.Uint16(0))
	return v.finish(inst, c)
}
