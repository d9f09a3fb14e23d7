package libvirt_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestInventoryMatchesVirsh: the inventory of a 1,000-domain test bed
// equals what virsh reports through its own connection.
func TestInventoryMatchesVirsh(t *testing.T) {
	needVirsh(t)
	path, plan := writeTestbed(t, t.TempDir(), 1000)
	uri := "test://" + path
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	snap := r.inv.Snapshot()
	if snap.Len() != len(plan) {
		t.Fatalf("inventory has %d domains, the test bed %d", snap.Len(), len(plan))
	}
	names := libvirttest.Names(t, uri)
	if len(names) != snap.Len() {
		t.Fatalf("virsh lists %d domains, inventory %d", len(names), snap.Len())
	}
	virsh := libvirttest.Dominfo(t, uri, names)
	if len(virsh) != len(names) {
		t.Fatalf("virsh dominfo described %d of %d domains", len(virsh), len(names))
	}
	states := map[backends.State]int{}
	for _, d := range snap.Domains() {
		v, ok := virsh[d.UUID]
		if !ok {
			t.Errorf("%s (%s) is in the inventory but not in virsh", d.Name, d.UUID)
			continue
		}
		got := libvirttest.DomInfo{Name: d.Name, UUID: d.UUID, State: d.State.Label(), VCPUs: d.VCPUs, MaxMemKiB: d.MaxMemKiB, UsedMemKiB: d.MemoryKiB}
		if got != v {
			t.Errorf("inventory %+v\n   virsh %+v", got, v)
		}
		states[d.State]++
	}
	// The comparison means something only if the bed is mixed.
	for _, st := range []backends.State{backends.StateRunning, backends.StatePaused, backends.StateShutOff} {
		if states[st] < 300 {
			t.Errorf("only %d domains %s; the test bed should mix states", states[st], st)
		}
	}
	// Disks and NICs against the generator's plan, by UUID.
	for _, p := range plan {
		d, ok := snap.Domain(p.UUID)
		if !ok {
			t.Fatalf("%s missing", p.Name)
		}
		if len(d.Disks) != len(p.Disks) || len(d.NICs) != len(p.NICs) {
			t.Fatalf("%s: %d disks %d nics, planned %d and %d", p.Name, len(d.Disks), len(d.NICs), len(p.Disks), len(p.NICs))
		}
		for i, pd := range p.Disks {
			gd := d.Disks[i]
			if gd.Target != pd.Target || gd.Bus != pd.Bus || string(gd.Device) != pd.Device || gd.Source != pd.Source || gd.Format != pd.Format || gd.ReadOnly != pd.ReadOnly {
				t.Errorf("%s disk %d: got %+v, planned %+v", p.Name, i, gd, pd)
			}
		}
		for i, pn := range p.NICs {
			gn := d.NICs[i]
			if gn.MAC != pn.MAC || gn.Model != pn.Model || gn.Network != pn.Network || gn.Bridge != pn.Bridge || gn.LinkUp != pn.LinkUp {
				t.Errorf("%s nic %d: got %+v, planned %+v", p.Name, i, gn, pn)
			}
		}
		if d.Title != p.Title || !d.Persistent {
			t.Errorf("%s: title %q persistent %v, planned %q and persistent", p.Name, d.Title, d.Persistent, p.Title)
		}
	}
	if t.Failed() {
		return
	}
	if byName, ok := snap.DomainByName(plan[500].Name); !ok || byName.UUID != plan[500].UUID {
		t.Errorf("lookup by name %s failed", plan[500].Name)
	}
	t.Logf("1000 domains: %v", fmt.Sprint(states))
}

// TestLifecycleThroughEvents: operations through the backend reach the
// inventory through events alone; no resync runs after the first.
func TestLifecycleThroughEvents(t *testing.T) {
	path, plan := writeTestbed(t, t.TempDir(), 6)
	r := startRig(t, "test://"+path, eventsOnly, libvirt.Options{})
	dom := testbed.UUIDsIn(plan, testbed.StateRunning)[0]
	ctx := t.Context()
	steps := []struct {
		name   string
		op     func() error
		want   backends.State
		detail string
	}{
		{"suspend", func() error { return r.b.Suspend(ctx, dom) }, backends.StatePaused, "suspended/paused"},
		{"resume", func() error { return r.b.Resume(ctx, dom) }, backends.StateRunning, "resumed/unpaused"},
		{"destroy", func() error { return r.b.Destroy(ctx, dom) }, backends.StateShutOff, "stopped/destroyed"},
		{"start", func() error { return r.b.Start(ctx, dom) }, backends.StateRunning, "started/booted"},
		{"shutdown", func() error { return r.b.Shutdown(ctx, dom) }, backends.StateShutOff, "stopped/shutdown"},
	}
	for _, s := range steps {
		before := r.inv.Snapshot()
		if err := s.op(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		c := r.waitFor(t, s.name, stateChange(dom, s.want))
		if c.Cause.Kind != backends.EventLifecycle || c.Cause.Detail != s.detail {
			t.Errorf("%s: cause %v %q, want lifecycle %q", s.name, c.Cause.Kind, c.Cause.Detail, s.detail)
		}
		if c.Before == nil || c.Before.State == s.want {
			t.Errorf("%s: before-state missing or already %v", s.name, s.want)
		}
		now := r.inv.Snapshot()
		if d, _ := now.Domain(dom); d.State != s.want {
			t.Errorf("%s: snapshot says %v, want %v", s.name, d.State, s.want)
		}
		if d, _ := before.Domain(dom); d.State == s.want {
			t.Errorf("%s: the earlier snapshot changed under its reader", s.name)
		}
		t.Logf("%s: event to inventory %v", s.name, c.Time.Sub(c.Cause.Time))
	}
	if n := r.inv.Stats().Resyncs.Load(); n != 1 {
		t.Errorf("%d resyncs ran; only the first sync should have", n)
	}
	// Wrong-state and unknown-domain operations fail with typed errors.
	if err := r.b.Resume(ctx, dom); !errors.Is(err, backends.ErrInvalidState) {
		t.Errorf("resume of a shut-off domain: %v, want ErrInvalidState", err)
	}
	if err := r.b.Start(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("start of an unknown domain: %v, want ErrNotFound", err)
	}
	if _, err := r.b.Define(ctx, backends.DomainSpec{Name: "x"}); !errors.Is(err, backends.ErrInvalidArgument) {
		t.Errorf("define without vCPUs or memory: %v, want ErrInvalidArgument", err)
	}
}
