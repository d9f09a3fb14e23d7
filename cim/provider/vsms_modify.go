package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// modifySystemSettings: the VM named by the embedded VSSD's InstanceID
// takes its ElementName (rename), AutomaticStartupAction (2 None, 4
// Always: autostart) and Notes. Other properties must be unchanged.
func (v *View) modifySystemSettings(ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	sys, _ := param(in, "SystemSettings")
	vssds, err := instancesOf("SystemSettings", sys)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if len(vssds) != 1 {
		return cim.Value{}, nil, fmt.Errorf("ModifySystemSettings: SystemSettings (one embedded VSSD) is required: %w", cim.ErrInvalidParameter)
	}
	want := vssds[0]
	id, _ := strProp(want, "InstanceID")
	uuid, ok := strings.CutPrefix(id, "VB:")
	d, found := v.snap.Domain(uuid)
	if !ok || !found || strings.Contains(uuid, "/") {
		return cim.Value{}, nil, fmt.Errorf("SystemSettings: InstanceID %q names no virtual system's settings: %w", id, cim.ErrNotFound)
	}
	var steps []step
	// What the inventory shows once the changes are made.
	wantName, wantAuto, wantNotes := d.Name, d.Autostart, d.Description
	if name, ok := strProp(want, "ElementName"); ok && name != d.Name {
		wantName = name
		steps = append(steps, step{
			do:   func(ctx context.Context) error { return env.Ops.Rename(ctx, uuid, name) },
			undo: func(ctx context.Context) error { return env.Ops.Rename(ctx, uuid, d.Name) },
		})
	}
	if a, ok := str2uint(want, "AutomaticStartupAction"); ok {
		on := a == startupAlways
		if a != startupAlways && a != startupNone {
			return cim.Value{}, nil, fmt.Errorf("AutomaticStartupAction %d: this hypervisor offers 2 (None) and 4 (Always Startup): %w", a, cim.ErrNotSupported)
		}
		if on != d.Autostart {
			wantAuto = on
			steps = append(steps, step{
				do:   func(ctx context.Context) error { return env.Ops.SetAutostart(ctx, uuid, on) },
				undo: func(ctx context.Context) error { return env.Ops.SetAutostart(ctx, uuid, d.Autostart) },
			})
		}
	}
	if v, ok := want.Get("Notes"); ok && !v.IsNull() {
		lines, _ := v.StringSlice()
		if one, ok := v.Str(); ok {
			lines = []string{one} // one note, as WS-Man sends a single element
		}
		if text := strings.Join(lines, "\n"); text != d.Description {
			wantNotes = text
			steps = append(steps, step{
				do:   func(ctx context.Context) error { return env.Ops.SetDescription(ctx, uuid, text) },
				undo: func(ctx context.Context) error { return env.Ops.SetDescription(ctx, uuid, d.Description) },
			})
		}
	}
	if a, ok := str2uint(want, "AutomaticShutdownAction"); ok {
		return cim.Value{}, nil, fmt.Errorf("AutomaticShutdownAction %d: libvirt decides this for the whole host (libvirt-guests), not per system: %w", a, cim.ErrNotSupported)
	}
	ctx, cancel := withLimit(ctx)
	defer cancel()
	if err := apply(ctx, steps); err != nil {
		return cim.Value{}, nil, err
	}
	// (Compared as the domain's fields: a WS-Man client's single Notes
	// string never reads like the VSSD's Notes array.)
	err = until(ctx, env.Current, "the new settings", func(s *inventory.Snapshot) bool {
		now, ok := s.Domain(uuid)
		return ok && now.Name == wantName && now.Autostart == wantAuto && now.Description == wantNotes
	})
	if err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, nil)
}

// rasdOf resolves a RASD's InstanceID ("VB:UUID/part") to its VM and part.
func (v *View) rasdOf(id string) (*backends.Domain, string, error) {
	rest, ok := strings.CutPrefix(id, "VB:")
	uuid, part, hasPart := strings.Cut(rest, "/")
	d, found := v.snap.Domain(uuid)
	if !ok || !hasPart || !found {
		return nil, "", fmt.Errorf("InstanceID %q names no resource of a virtual system: %w", id, cim.ErrNotFound)
	}
	return d, part, nil
}

// scope is where a device or size change goes: the running guest and
// its configuration when it runs, the configuration otherwise.
func scope(d *backends.Domain) backends.Scope {
	if d.State.Active() {
		return backends.ScopeBoth
	}
	return backends.ScopeConfig
}
