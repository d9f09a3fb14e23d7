package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Class names of the instances this file makes.
const (
	classComputerSystem = "VB_ComputerSystem"
)

// identifyingGUID is the IdentifyingDescriptions entry for a system's
// SMBIOS UUID in OtherIdentifyingInfo (DSP1052, Computer System profile).
const identifyingGUID = "CIM:GUID"

// Schema is the repository of mof/ and the namespace the profiles live in.
type Schema struct {
	Repo      *cim.Repository
	Namespace string // e.g. root/virtualization
	// Jobs holds the operations started through methods; nil serves none.
	Jobs *Jobs
}

func (s Schema) newInstance(class string) (*cim.Instance, error) {
	c, err := s.Repo.Class(s.Namespace, class)
	if err != nil {
		return nil, fmt.Errorf("provider: class %s: %w", class, err)
	}
	return c.NewInstance(), nil
}

// finish checks inst against its class and gives it its path.
func (s Schema) finish(class string, inst *cim.Instance) (*cim.Instance, error) {
	c, err := s.Repo.Class(s.Namespace, class)
	if err != nil {
		return nil, fmt.Errorf("provider: class %s: %w", class, err)
	}
	if err := c.Validate(inst); err != nil {
		return nil, fmt.Errorf("provider: %s instance: %w", class, err)
	}
	if inst.Path, err = c.InstancePath(inst, "", s.Namespace); err != nil {
		return nil, fmt.Errorf("provider: %s path: %w", class, err)
	}
	return inst, nil
}

// keyPath is the instance path of class with these key values, for an
// association's reference to an instance not otherwise needed.
func (s Schema) keyPath(class string, keys ...cim.PropertyValue) (cim.ObjectPath, error) {
	c, err := s.Repo.Class(s.Namespace, class)
	if err != nil {
		return cim.ObjectPath{}, fmt.Errorf("provider: class %s: %w", class, err)
	}
	return c.InstancePath(&cim.Instance{ClassName: c.Name, Properties: keys}, "", s.Namespace)
}

func uint16s(xs []uint16) cim.Value {
	vs := make([]cim.Value, len(xs))
	for i, x := range xs {
		vs[i] = cim.Uint16(x)
	}
	v, _ := cim.Array(cim.TypeUint16, vs...)
	return v
}

// VirtualSystem is a domain as a DSP1057 virtual system: a VB_ComputerSystem
// keyed by its UUID (Name), the join key with SNMP's vmUUID.
func (s Schema) VirtualSystem(d *backends.Domain, now time.Time) (*cim.Instance, error) {
	inst, err := s.newInstance(classComputerSystem)
	if err != nil {
		return nil, err
	}
	st := stateOf(d)
	inst.Set("CreationClassName", cim.String(classComputerSystem))
	inst.Set("Name", cim.String(d.UUID))
	inst.Set("ElementName", cim.String(d.Name))
	inst.Set("Caption", cim.String("Virtual Machine"))
	if d.Title != "" {
		inst.Set("Description", cim.String(d.Title))
	}
	if d.BIOSUUID != "" {
		// The SMBIOS UUID the guest sees, as DSP1052 (Computer System
		// profile) identifies a system by it: "CIM:GUID".
		inst.Set("OtherIdentifyingInfo", cim.Strings(d.BIOSUUID))
		inst.Set("IdentifyingDescriptions", cim.Strings(identifyingGUID))
	}
	inst.Set("EnabledState", cim.Uint16(st.enabled))
	inst.Set("RequestedState", cim.Uint16(requestedNotApplicable))
	enabledDefault := uint16(enabledDisabled)
	if d.Autostart {
		enabledDefault = enabledEnabled
	}
	inst.Set("EnabledDefault", cim.Uint16(enabledDefault))
	inst.Set("HealthState", cim.Uint16(st.health))
	inst.Set("PrimaryStatus", cim.Uint16(st.primary))
	inst.Set("OperationalStatus", uint16s(st.operational))
	operating := st.operating
	self := cim.ObjectPath{ClassName: classComputerSystem, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String(classComputerSystem)}, {Name: "Name", Value: cim.String(d.UUID)}}}
	if kind := s.Jobs.activeKind(self); kind != "" {
		operating = jobOperating[kind]
	}
	inst.Set("OperatingStatus", cim.Uint16(operating))
	inst.Set("AvailableRequestedStates", uint16s(availableRequestedStates(d)))
	var onTime uint64
	if d.State.Active() && !d.StartTime.IsZero() {
		onTime = uint64(now.Sub(d.StartTime).Milliseconds())
		if ts, err := cim.NewTimestamp(d.StartTime); err == nil {
			inst.Set("TimeOfLastStateChange", cim.DatetimeValue(ts))
		}
	}
	inst.Set("OnTimeInMilliseconds", cim.Uint64(onTime))
	return s.finish(classComputerSystem, inst)
}

// HostSystem is the hypervisor host as DSP1042's host computer system,
// named by its host name (as Hyper-V names its host).
func (s Schema) HostSystem(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classComputerSystem)
	if err != nil {
		return nil, err
	}
	inst.Set("CreationClassName", cim.String(classComputerSystem))
	inst.Set("Name", cim.String(h.Hostname))
	inst.Set("ElementName", cim.String(h.Hostname))
	inst.Set("Caption", cim.String("Hosting Computer System"))
	inst.Set("Description", cim.String(strings.TrimSpace(h.HypervisorType+" "+h.HypervisorVersion)))
	inst.Set("EnabledState", cim.Uint16(enabledEnabled))
	inst.Set("RequestedState", cim.Uint16(requestedNotApplicable))
	inst.Set("HealthState", cim.Uint16(healthOK))
	inst.Set("PrimaryStatus", cim.Uint16(primaryOK))
	inst.Set("OperationalStatus", uint16s([]uint16{opOK}))
	return s.finish(classComputerSystem, inst)
}
