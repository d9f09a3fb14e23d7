package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Modify applies changes to the instance at path through the backend
// (WS-Man Put, CIM-XML ModifyInstance). What may change is this table:
// a VM's name, as ElementName of its VB_ComputerSystem or of its state
// VSSD (DSP1057 §7.2: ElementName is the user-friendly name). The result
// reaches the inventory as an event; the caller waits for it there.
func (v *View) Modify(ctx context.Context, ops backends.Operations, path cim.ObjectPath, changes map[string]cim.Value) error {
	inst, err := v.Get(path)
	if err != nil {
		return err
	}
	d, ok := v.vmOfInstance(inst)
	for name, val := range changes {
		if !strings.EqualFold(name, "ElementName") || !ok {
			return fmt.Errorf("%s.%s cannot be changed here (only a VM's ElementName can): %w", inst.ClassName, name, cim.ErrNotSupported)
		}
		s, isStr := val.Str()
		if !isStr || s == "" {
			return fmt.Errorf("%s.ElementName: want a non-empty string: %w", inst.ClassName, cim.ErrInvalidParameter)
		}
		if err := ops.Rename(ctx, d.UUID, s); err != nil {
			return cimError(err)
		}
	}
	return nil
}

// vmOfInstance finds the VM a VB_ComputerSystem (not the host) or a state
// VSSD stands for.
func (v *View) vmOfInstance(inst *cim.Instance) (*backends.Domain, bool) {
	switch {
	case strings.EqualFold(inst.ClassName, classComputerSystem):
		if v.isHost(inst.Path) {
			return nil, false
		}
		return v.vmOf(inst.Path)
	case strings.EqualFold(inst.ClassName, classVSSD):
		id := keyString(inst.Path, "InstanceID")
		uuid, ok := strings.CutPrefix(id, "VB:")
		if !ok || strings.Contains(uuid, "/") {
			return nil, false // a snapshot's settings are history
		}
		return v.snap.Domain(uuid)
	}
	return nil, false
}

// cimError maps a backend error onto the CIM error kind the protocols
// answer with, keeping its text.
func cimError(err error) error {
	kind := cim.ErrFailed
	for _, m := range []struct {
		b error
		c cim.ErrorKind
	}{
		{backends.ErrNotFound, cim.ErrNotFound}, {backends.ErrInvalidArgument, cim.ErrInvalidParameter},
		{backends.ErrConflict, cim.ErrAlreadyExists}, {backends.ErrNotSupported, cim.ErrNotSupported},
		{backends.ErrAccessDenied, cim.ErrAccessDenied},
	} {
		if errors.Is(err, m.b) {
			kind = m.c
			break
		}
	}
	return fmt.Errorf("%w: %w", err, kind)
}
