package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// DSP1042 §8.2 VirtualSystemManagementService methods. Each checks its
// input in full before the backend is asked anything, so a bad request
// changes nothing, then waits for the inventory to show the result.

// instancesOf reads an embedded-instance parameter: one instance, or an
// array of them.
func instancesOf(name string, v cim.Value) ([]*cim.Instance, error) {
	if !v.IsValid() || v.IsNull() { // not given
		return nil, nil
	}
	if inst, ok := v.Instance(); ok {
		return []*cim.Instance{inst}, nil
	}
	var out []*cim.Instance
	if v.IsArray() {
		for _, e := range v.Elems() {
			if inst, ok := e.Instance(); ok {
				out = append(out, inst)
				continue
			}
			return nil, fmt.Errorf("%s: element %s is not an embedded instance (send it with EmbeddedObject=\"instance\"): %w", name, e, cim.ErrInvalidParameter)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want an embedded instance (EmbeddedObject=\"instance\"), got %s: %w", name, v.TypeName(), cim.ErrInvalidParameter)
}

// until polls the inventory until ok holds for it or ctx ends.
func until(ctx context.Context, current func() *inventory.Snapshot, what string, ok func(*inventory.Snapshot) bool) error {
	for {
		if ok(current()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not seen in the inventory in time: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func withLimit(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 30*time.Second)
}

func (v *View) systemPath(uuid string) cim.ObjectPath {
	return cim.ObjectPath{Namespace: v.s.Namespace, ClassName: classComputerSystem, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String(classComputerSystem)}, {Name: "Name", Value: cim.String(uuid)}}}
}

// defineSystem: a new VM from SystemSettings and ResourceSettings, or a
// copy of the VM whose VSSD ReferenceConfiguration names.
func (v *View) defineSystem(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	sys, _ := param(in, "SystemSettings")
	vssds, err := instancesOf("SystemSettings", sys)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if len(vssds) != 1 {
		return cim.Value{}, nil, fmt.Errorf("DefineSystem: SystemSettings (one embedded VSSD with the new system's ElementName) is required: %w", cim.ErrInvalidParameter)
	}
	res, _ := param(in, "ResourceSettings")
	rasds, err := instancesOf("ResourceSettings", res)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if ref, ok := param(in, "ReferenceConfiguration"); ok {
		p, _ := ref.Ref()
		inst, err := v.Get(p)
		if err != nil {
			return cim.Value{}, nil, fmt.Errorf("ReferenceConfiguration: %w", err)
		}
		d, ok := v.vmOfInstance(inst)
		if !ok {
			return cim.Value{}, nil, fmt.Errorf("ReferenceConfiguration %s is not a VM's settings: %w", p.String(), cim.ErrInvalidParameter)
		}
		rasds = append(v.settingsOf(d), rasds...)
	}
	spec, err := domainSpec(vssds[0], rasds)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if err := v.hostLimits(spec.VCPUs, spec.MaxVCPUs, spec.MemoryKiB); err != nil {
		return cim.Value{}, nil, err
	}
	if err := v.checkDevices(nil, spec.Disks, spec.NICs); err != nil {
		return cim.Value{}, nil, err
	}
	if _, taken := v.snap.DomainByName(spec.Name); taken {
		return cim.Value{}, nil, fmt.Errorf("DefineSystem: a system named %q exists: %w", spec.Name, cim.ErrAlreadyExists)
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	uuid, err := env.Ops.Define(ctx, spec)
	if err != nil {
		return cim.Value{}, nil, cimError(err)
	}
	if err := until(ctx, env.Current, "the new system", func(s *inventory.Snapshot) bool { _, ok := s.Domain(uuid); return ok }); err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, map[string]cim.Value{"ResultingSystem": cim.Ref(v.systemPath(uuid))})
}

// settingsOf is a VM's RASDs, for copying its configuration: disks keep
// their images, NICs lose their MACs (the copy gets new ones).
func (v *View) settingsOf(d *backends.Domain) []*cim.Instance {
	var out []*cim.Instance
	for _, st := range settings(&v.snap.Host, d) {
		inst, err := v.s.ResourceSettings(d, st)
		if err != nil {
			continue
		}
		if strings.EqualFold(inst.ClassName, classEthernetRASD) {
			inst.Set("Address", cim.Null(cim.TypeString))
		}
		out = append(out, inst)
	}
	return out
}

// vmArg resolves a reference parameter naming a VM (its
// VB_ComputerSystem or its state VSSD).
func (v *View) vmArg(in map[string]cim.Value, name string) (*backends.Domain, error) {
	ref, ok := param(in, name)
	p, isRef := ref.Ref()
	if !ok || !isRef {
		return nil, fmt.Errorf("%s (a reference to the virtual system) is required: %w", name, cim.ErrInvalidParameter)
	}
	inst, err := v.Get(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d, ok := v.vmOfInstance(inst)
	if !ok {
		return nil, fmt.Errorf("%s %s is not a virtual system: %w", name, p.String(), cim.ErrInvalidParameter)
	}
	return d, nil
}

// destroySystem: power the VM off if it runs, then remove its definition,
// managed save image and snapshot metadata.
func (v *View) destroySystem(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, err := v.vmArg(in, "AffectedSystem")
	if err != nil {
		return cim.Value{}, nil, err
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if d.State.Active() {
		if err := env.Ops.Destroy(ctx, d.UUID); err != nil {
			return cim.Value{}, nil, cimError(err)
		}
	}
	if err := env.Ops.Undefine(ctx, d.UUID, backends.UndefineOptions{ManagedSave: true, Snapshots: true}); err != nil {
		return cim.Value{}, nil, cimError(err)
	}
	uuid := d.UUID
	if err := until(ctx, env.Current, "the system's removal", func(s *inventory.Snapshot) bool { _, ok := s.Domain(uuid); return !ok }); err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, nil)
}
