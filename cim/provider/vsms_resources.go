package provider

import (
	"context"
	"fmt"
	"slices"
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
	if err != nil {
		return cim.Value{}, nil, err
	}
	if len(rasds) == 0 {
		return cim.Value{}, nil, fmt.Errorf("ResourceSettings (embedded RASDs) are required: %w", cim.ErrInvalidParameter)
	}
	// Check everything first, then attach, detaching again what was
	// attached if a later device fails: nothing is added unless all are.
	var disks []backends.DiskSpec
	var nics []backends.NICSpec
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
			disks = append(disks, ds)
		case "ethernet":
			ns, err := nicSpec(r)
			if err != nil {
				return cim.Value{}, nil, err
			}
			nics = append(nics, ns)
		default:
			return cim.Value{}, nil, fmt.Errorf("a system has one %s allocation; change it with ModifyResourceSettings: %w", kind, cim.ErrInvalidParameter)
		}
	}
	if err := v.checkDevices(d, disks, nics); err != nil {
		return cim.Value{}, nil, err
	}
	taken := map[string]bool{}
	for _, n := range nics {
		taken[n.MAC] = true
	}
	uuid, sc := d.UUID, scope(d)
	var steps []step
	var results []cim.Value
	for _, ds := range disks {
		steps = append(steps, step{
			do:   func(ctx context.Context) error { return env.Ops.AttachDisk(ctx, uuid, ds, sc) },
			undo: func(ctx context.Context) error { return env.Ops.DetachDisk(ctx, uuid, ds.Target, sc) },
		})
		results = append(results, cim.Ref(v.rasdPath(classStorageRASD, uuid, "disk/"+ds.Target)))
	}
	for _, ns := range nics {
		if ns.MAC == "" {
			ns.MAC = v.newMAC(taken) // to name it in the results, and to undo
		}
		steps = append(steps, step{
			do:   func(ctx context.Context) error { return env.Ops.AttachNIC(ctx, uuid, ns, sc) },
			undo: func(ctx context.Context) error { return env.Ops.DetachNIC(ctx, uuid, ns.MAC, sc) },
		})
		results = append(results, cim.Ref(v.rasdPath(classEthernetRASD, uuid, "nic/"+ns.MAC)))
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if err := apply(ctx, steps); err != nil {
		return cim.Value{}, nil, err
	}
	n := len(d.Disks) + len(d.NICs) + len(steps)
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
	if err != nil {
		return cim.Value{}, nil, err
	}
	if len(rasds) == 0 {
		return cim.Value{}, nil, fmt.Errorf("ResourceSettings (embedded RASDs) are required: %w", cim.ErrInvalidParameter)
	}
	var steps []step
	var results []cim.Value
	// shown says whether the inventory shows the changes of systems that
	// are shut off (a running guest's balloon may take its time).
	var shown []func(*inventory.Snapshot) bool
	for _, r := range rasds {
		id, _ := strProp(r, "InstanceID")
		d, part, err := v.rasdOf(id)
		if err != nil {
			return cim.Value{}, nil, err
		}
		uuid, sc := d.UUID, scope(d)
		switch part {
		case "processor":
			n, ok, err := quantity(r, "VirtualQuantity")
			limit := d.MaxVCPUs
			if h := v.snap.Host.CPUs; h > 0 && h < limit {
				limit = h
			}
			if err != nil || !ok || n < 1 || n > uint64(limit) {
				return cim.Value{}, nil, fmt.Errorf("%s: VirtualQuantity %s vCPUs: want 1..%d (the system's maximum, within the host's CPUs): %w", id, propText(r, "VirtualQuantity"), limit, cim.ErrInvalidParameter)
			}
			old := d.VCPUs
			if !d.State.Active() {
				shown = append(shown, func(s *inventory.Snapshot) bool { now, ok := s.Domain(uuid); return ok && now.VCPUs == int(n) })
			}
			steps = append(steps, step{
				do:   func(ctx context.Context) error { return env.Ops.SetVCPUs(ctx, uuid, int(n), sc) },
				undo: func(ctx context.Context) error { return env.Ops.SetVCPUs(ctx, uuid, old, sc) },
			})
			results = append(results, cim.Ref(v.rasdPath(classProcRASD, uuid, part)))
		case "memory":
			b, ok, err := bytesOf(r, "byte*2^10")
			if err != nil {
				return cim.Value{}, nil, fmt.Errorf("%s: %w", id, err)
			}
			if !ok || b>>10 < 1 || b>>10 > d.MaxMemKiB {
				return cim.Value{}, nil, fmt.Errorf("%s: VirtualQuantity %s: want 1 KiB..%d KiB (the system's maximum): %w", id, propText(r, "VirtualQuantity"), d.MaxMemKiB, cim.ErrInvalidParameter)
			}
			old := d.MemoryKiB
			if !d.State.Active() {
				shown = append(shown, func(s *inventory.Snapshot) bool { now, ok := s.Domain(uuid); return ok && now.MemoryKiB == b>>10 })
			}
			steps = append(steps, step{
				do:   func(ctx context.Context) error { return env.Ops.SetMemory(ctx, uuid, b>>10, sc) },
				undo: func(ctx context.Context) error { return env.Ops.SetMemory(ctx, uuid, old, sc) },
			})
			results = append(results, cim.Ref(v.rasdPath(classMemRASD, uuid, part)))
		default:
			return cim.Value{}, nil, fmt.Errorf("%s: only processor and memory allocations can be modified; remove and add disks and NICs: %w", id, cim.ErrNotSupported)
		}
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if err := apply(ctx, steps); err != nil {
		return cim.Value{}, nil, err
	}
	err = until(ctx, env.Current, "the new allocations", allOf(shown))
	if err != nil {
		return cim.Value{}, nil, err
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
	// Every device must exist before any goes; the inventory shows the
	// removal from systems that are shut off (a running guest lets go of
	// a device in its own time).
	var steps []func(context.Context) error
	var shown []func(*inventory.Snapshot) bool
	for _, e := range refs.Elems() {
		p, _ := e.Ref()
		id := keyString(p, "InstanceID")
		d, part, err := v.rasdOf(id)
		if err != nil {
			return cim.Value{}, nil, fmt.Errorf("ResourceSettings: %w", err)
		}
		uuid, sc := d.UUID, scope(d)
		switch {
		case strings.HasPrefix(part, "disk/"):
			target := strings.TrimPrefix(part, "disk/")
			has := func(x *backends.Domain) bool {
				return slices.ContainsFunc(x.Disks, func(k backends.Disk) bool { return k.Target == target })
			}
			if !has(d) {
				return cim.Value{}, nil, fmt.Errorf("ResourceSettings: %s has no disk %s: %w", d.Name, target, cim.ErrNotFound)
			}
			steps = append(steps, func(ctx context.Context) error { return env.Ops.DetachDisk(ctx, uuid, target, sc) })
			if !d.State.Active() {
				shown = append(shown, func(s *inventory.Snapshot) bool { now, ok := s.Domain(uuid); return ok && !has(now) })
			}
		case strings.HasPrefix(part, "nic/"):
			mac := strings.TrimPrefix(part, "nic/")
			has := func(x *backends.Domain) bool {
				return slices.ContainsFunc(x.NICs, func(n backends.NIC) bool { return strings.EqualFold(n.MAC, mac) })
			}
			if !has(d) {
				return cim.Value{}, nil, fmt.Errorf("ResourceSettings: %s has no NIC %s: %w", d.Name, mac, cim.ErrNotFound)
			}
			steps = append(steps, func(ctx context.Context) error { return env.Ops.DetachNIC(ctx, uuid, mac, sc) })
			if !d.State.Active() {
				shown = append(shown, func(s *inventory.Snapshot) bool { now, ok := s.Domain(uuid); return ok && !has(now) })
			}
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
	err := until(ctx, env.Current, "the removal", allOf(shown))
	if err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, nil)
}

// propText is a property's value for a message ("NULL" when unset).
func propText(r *cim.Instance, name string) string {
	v, ok := r.Get(name)
	if !ok || v.IsNull() {
		return "NULL"
	}
	return strings.Trim(v.String(), `"`)
}
