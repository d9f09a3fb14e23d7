package provider

import (
	"fmt"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// DSP1057: each VM has a VB_EnabledLogicalElementCapabilities,
// keyed "VB:caps/UUID" and tied to it by ElementCapabilities, listing the
// RequestedState values RequestStateChange takes. The VM's
// AvailableRequestedStates is the part of that list its state allows now.
const (
	classVMCaps  = "VB_EnabledLogicalElementCapabilities"
	vmCapsPrefix = "VB:caps/"
)

// VMCapabilities is d's VB_EnabledLogicalElementCapabilities, from the
// state table (states.go) less what d's backend cannot do. Renaming is not offered: the read side changes
// nothing.
func (s Schema) VMCapabilities(d *backends.Domain) (*cim.Instance, error) {
	inst, err := s.newInstance(classVMCaps)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(vmCapsPrefix+d.UUID))
	inst.Set("ElementName", cim.String("Capabilities of "+d.Name))
	inst.Set("RequestedStatesSupported", uint16s(requestedStatesSupported(d)))
	inst.Set("ElementNameEditSupported", cim.Bool(false))
	return s.finish(classVMCaps, inst)
}

// vmCapsProvider serves VB_EnabledLogicalElementCapabilities.
var vmCapsProvider = classProvider{
	enumerate: func(v *View, emit func(*cim.Instance) error) error {
		for _, d := range v.snap.Domains() {
			inst, err := v.s.VMCapabilities(d)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	},
	get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
		if d, ok := v.vmOf(p); ok {
			inst, err := v.s.VMCapabilities(d)
			if err != nil || samePath(inst.Path, p) {
				return inst, err
			}
		}
		return nil, fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
	},
}
