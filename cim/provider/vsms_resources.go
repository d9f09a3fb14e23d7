package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// rasdPath is the path of a VM's RASD of class and part.
func (v *View) rasdPath(class, uuid, part string) cim.ObjectPath {
	return cim.ObjectPath{Namespace: v.s.Namespace, ClassName: class, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String(settingID(uuid, part))}}}
}

// addResourceSettings: disks and NICs added to the VM whose VSSD
// AffectedConfiguration names (DSP1042 §8.2.5).
func (v *View) addResourceSettings(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, err := v.vmArg(in, "AffectedConfiguration")
	if err != nil {
		return cim.Value{}, nil, err
	}
	res, _ := param(in, "ResourceSettings")
	rasds, err := instancesOf("ResourceSettings", res)
	if err != nil || len(rasds) == 0 {
		return cim.Value{}, nil, fmt.Errorf("ResourceSettings (embedded RASDs) are required: %w", cim.ErrInvalidParameter)
	}
	// Check everything first: nothing is attached unless all can be.
	type add struct {
		disk *backends.DiskSpec
		nic  *backends.NICSpec
	}
	var adds []add
	for _, r := range rasds {
		kind, err := resourceKind(r)
		if err != nil {
			return cim.Value{}, nil, err
		}
		switch kind {
		case "disk", "dvd":
			ds, err := diskSpec(r, kind == "dvd")
			if err != nil {
				return cim.Value{}, nil, err
			}
			if ds.Target == "" {
				return cim.Value{}, nil, fmt.Errorf("%s: Address, the guest's device name (e.g. vdb), is required: %w", r.ClassName, cim.ErrInvalidParameter)
			}
			adds = append(adds, add{disk: &ds})
		case "ethernet":
			ns, err := nicSpec(r)
			if err != nil {
				return cim.Value{}, nil, err
			}
			adds = append(adds, add{nic: &ns})
		default:
			return cim.Value{}, nil, fmt.Errorf("a system has one %s allocation; change it with ModifyResourceSettings: %w", kind, cim.ErrInvalidParameter)
		}
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	var results []cim.Value
	for _, a := range adds {
		if a.disk != nil {
			if err := env.Ops.AttachDisk(ctx, d.UUID, *a.disk, scope(d)); err != nil {
				return cim.Value{}, nil, cimError(err)
			}
			results = append(results, cim.Ref(v.rasdPath(classStorageRASD, d.UUID, "disk/"+a.disk.Target)))
			continue
		}
		if err := env.Ops.AttachNIC(ctx, d.UUID, *a.nic, scope(d)); err != nil {
			return cim.Value{}, nil, cimError(err)
		}
	}
	uuid, n := d.UUID, len(d.Disks)+len(d.NICs)+len(adds)
	err = until(ctx, env.Current, "the new resources", func(s *inventory.Snapshot) bool {
		now, ok := s.Domain(uuid)
		return ok && len(now.Disks)+len(now.NICs) >= n
	})
	if err != nil {
		return cim.Value{}, nil, err
	}
	out := map[string]cim.Value{}
	if len(results) > 0 {
		arr, _ := cim.Array(cim.TypeReference, results...)
		out["ResultingResourceSettings"] = arr
	}
	return ret(0, out)
}

// modifyResourceSettings: a VM's vCPU count and memory size, from
// embedded processor and memory RASDs (VirtualQuantity).
func (v *View) modifyResourceSettings(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	res, _ := param(in, "ResourceSettings")
	rasds, err := instancesOf("ResourceSettings", res)
	if err != nil || len(rasds) == 0 {
		return cim.Value{}, nil, fmt.Errorf("ResourceSettings (embedded RASDs) are required: %w", cim.ErrInvalidParameter)
	}
	var steps []func(context.Context) error
	var results []cim.Value
	for _, r := range rasds {
		id, _ := strProp(r, "InstanceID")
		d, part, err := v.rasdOf(id)
		if err != nil {
			return cim.Value{}, nil, err
		}
		uuid, sc := d.UUID, scope(d)
		switch part {
		case "processor":
			n, ok := str2uint(r, "VirtualQuantity")
			if !ok || n < 1 || int(n) > d.MaxVCPUs {
				return cim.Value{}, nil, fmt.Errorf("%s: VirtualQuantity %d vCPUs: want 1..%d (the system's maximum): %w", id, n, d.MaxVCPUs, cim.ErrInvalidParameter)
			}
			steps = append(steps, func(ctx context.Context) error { return env.Ops.SetVCPUs(ctx, uuid, int(n), sc) })
			results = append(results, cim.Ref(v.rasdPath(classProcRASD, uuid, part)))
		case "memory":
			b, ok, err := bytesOf(r, "byte*2^10")
			if err != nil {
				return cim.Value{}, nil, err
			}
			if !ok || b>>10 < 1 || b>>10 > d.MaxMemKiB {
				return cim.Value{}, nil, fmt.Errorf("%s: VirtualQuantity: want 1 KiB..%d KiB (the system's maximum): %w", id, d.MaxMemKiB, cim.ErrInvalidParameter)
			}
			steps = append(steps, func(ctx context.Context) error { return env.Ops.SetMemory(ctx, uuid, b>>10, sc) })
			results = append(results, cim.Ref(v.rasdPath(classMemRASD, uuid, part)))
		default:
			return cim.Value{}, nil, fmt.Errorf("%s: only processor and memory allocations can be modified; remove and add disks and NICs: %w", id, cim.ErrNotSupported)
		}
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return cim.Value{}, nil, cimError(err)
		}
	}
	arr, _ := cim.Array(cim.TypeReference, results...)
	return ret(0, map[string]cim.Value{"ResultingResourceSettings": arr})
}

// removeResourceSettings: disks and NICs detached, named by RASD
// references.
func (v *View) removeResourceSettings(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	refs, _ := param(in, "ResourceSettings")
	if !refs.IsArray() || refs.Len() == 0 {
		return cim.Value{}, nil, fmt.Errorf("ResourceSettings (references to RASDs) are required: %w", cim.ErrInvalidParameter)
	}
	var steps []func(context.Context) error
	for _, e := range refs.Elems() {
		p, _ := e.Ref()
		id := keyString(p, "InstanceID")
		d, part, err := v.rasdOf(id)
		if err != nil {
			return cim.Value{}, nil, err
		}
		uuid, sc := d.UUID, scope(d)
		switch {
		case strings.HasPrefix(part, "disk/"):
			target := strings.TrimPrefix(part, "disk/")
			steps = append(steps, func(ctx context.Context) error { return env.Ops.DetachDisk(ctx, uuid, target, sc) })
		case strings.HasPrefix(part, "nic/"):
			mac := strings.TrimPrefix(part, "nic/")
			steps = append(steps, func(ctx context.Context) error { return env.Ops.DetachNIC(ctx, uuid, mac, sc) })
		default:
			return cim.Value{}, nil, fmt.Errorf("%s: a system keeps its %s allocation; only disks and NICs can be removed: %w", id, part, cim.ErrInvalidParameter)
		}
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return cim.Value{}, nil, cimError(err)
		}
	}
	return ret(0, nil)
}
