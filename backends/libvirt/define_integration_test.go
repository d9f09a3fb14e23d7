package libvirt_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

func fullSpec(name, disk string) backends.DomainSpec {
	return backends.DomainSpec{Name: name, Title: "Defined by a test", VCPUs: 1, MaxVCPUs: 2, MemoryKiB: 256 << 10, MaxMemKiB: 512 << 10,
		Disks: []backends.DiskSpec{
			{Target: "vda", Bus: "virtio", Source: disk, Format: "qcow2"},
			{Target: "hdc", Bus: "ide", Device: backends.DiskDeviceCDROM, ReadOnly: true},
		},
		NICs:      []backends.NICSpec{{Network: "default", Model: "virtio"}, {Bridge: "br0", MAC: "52:54:00:12:34:56", Model: "e1000"}},
		BootOrder: []string{"cdrom", "hd", "network"},
	}
}

// TestDefine: a spec becomes a shut-off, persistent domain the inventory
// learns of from libvirt's event; bad specs define nothing.
func TestDefine(t *testing.T) {
	r, node := opsBed(t, 0)
	ctx := t.Context()
	disk := diskFiles(t, 1)[0]
	spec := fullSpec("defined", disk)
	uuid, err := r.b.Define(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	c := r.waitFor(t, "define", func(c inventory.Change) bool { return c.Kind == inventory.DomainAdded && c.After.Name == "defined" })
	d := c.After
	if c.Cause.Kind != backends.EventDefined || d.UUID != uuid || d.State != backends.StateShutOff || !d.Persistent || d.Title != spec.Title ||
		d.VCPUs != 1 || d.MaxVCPUs != 2 || d.MemoryKiB != 256<<10 || d.MaxMemKiB != 512<<10 || d.OSType != "hvm" {
		t.Errorf("defined domain (cause %v): %+v", c.Cause.Kind, d)
	}
	wantDisks := []backends.Disk{
		{Target: "vda", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: disk, Format: "qcow2"},
		{Target: "hdc", Bus: "ide", Device: backends.DiskDeviceCDROM, ReadOnly: true},
	}
	if !slices.Equal(d.Disks, wantDisks) {
		t.Errorf("disks %+v, want %+v", d.Disks, wantDisks)
	}
	if len(d.NICs) != 2 || d.NICs[0].Network != "default" || d.NICs[0].Model != "virtio" || d.NICs[0].MAC == "" ||
		d.NICs[1].Bridge != "br0" || d.NICs[1].MAC != "52:54:00:12:34:56" || d.NICs[1].Model != "e1000" {
		t.Errorf("NICs %+v", d.NICs)
	}
	x := definition(t, r, uuid, true)
	var boot []string
	for _, b := range x.OS.BootDevices {
		boot = append(boot, b.Dev)
	}
	if x.Type != "test" || !slices.Equal(boot, spec.BootOrder) || x.Features == nil || x.Features.ACPI == nil {
		t.Errorf("type %q, boot %v, features %+v", x.Type, boot, x.Features)
	}

	before := domainCount(t, r)
	for i, c := range []struct {
		name string
		edit func(*backends.DomainSpec)
		kind error
	}{
		{"a test-bed domain's name", func(s *backends.DomainSpec) { s.Name = node.Domains[0].Name }, backends.ErrConflict},
		{"the new domain's name", func(s *backends.DomainSpec) { s.Name = "defined" }, backends.ErrConflict},
		{"a missing disk source", func(s *backends.DomainSpec) { s.Disks[0].Source = disk + ".missing" }, backends.ErrInvalidArgument},
		{"a directory as disk source", func(s *backends.DomainSpec) { s.Disks[0].Source = t.TempDir() }, backends.ErrInvalidArgument},
		{"a file as lun", func(s *backends.DomainSpec) { s.Disks[0].Device = backends.DiskDeviceLUN }, backends.ErrInvalidArgument},
		{"a duplicate target", func(s *backends.DomainSpec) { s.Disks[1].Target = "vda" }, backends.ErrInvalidArgument},
		{"vCPUs above max", func(s *backends.DomainSpec) { s.VCPUs = 3 }, backends.ErrInvalidArgument},
		{"vCPUs above the test driver's 32", func(s *backends.DomainSpec) { s.MaxVCPUs = 64 }, backends.ErrInvalidArgument},
		{"memory above max", func(s *backends.DomainSpec) { s.MemoryKiB = 1 << 20 }, backends.ErrInvalidArgument},
		{"no memory", func(s *backends.DomainSpec) { s.MemoryKiB, s.MaxMemKiB = 0, 0 }, backends.ErrInvalidArgument},
		{"an unknown network", func(s *backends.DomainSpec) { s.NICs[0].Network = "nonet" }, backends.ErrInvalidArgument},
		{"a bad MAC", func(s *backends.DomainSpec) { s.NICs[1].MAC = "zz:54:00:12:34:56" }, backends.ErrInvalidArgument},
		{"an unknown boot device", func(s *backends.DomainSpec) { s.BootOrder = []string{"usb"} }, backends.ErrInvalidArgument},
		{"an empty name", func(s *backends.DomainSpec) { s.Name = "" }, backends.ErrInvalidArgument},
	} {
		s := fullSpec(fmt.Sprintf("bad-%d", i), disk)
		c.edit(&s)
		uuid, err := r.b.Define(ctx, s)
		wantKind(t, "define with "+c.name, err, c.kind)
		if uuid != "" {
			t.Errorf("define with %s returned UUID %q", c.name, uuid)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = r.b.Define(done, fullSpec("late", disk))
	wantKind(t, "define after ctx ended", err, backends.ErrTimeout)
	if after := domainCount(t, r); after != before {
		t.Errorf("refused specs changed the domain count from %d to %d", before, after)
	}
}

// TestUndefine: a shut-off domain goes, with its managed save image and
// snapshot metadata when asked; a running one, or one with a managed save
// or snapshots not asked about, stays.
func TestUndefine(t *testing.T) {
	r, node := opsBed(t, 2)
	ctx := t.Context()
	running := planned(t, node, testbed.StateRunning, 0)
	withSnaps := planned(t, node, testbed.StateShutOff, 2)
	removed := func(uuid string) func(inventory.Change) bool {
		return func(c inventory.Change) bool { return c.Kind == inventory.DomainRemoved && c.Before.UUID == uuid }
	}

	wantKind(t, "undefine running", r.b.Undefine(ctx, running.UUID, backends.UndefineOptions{ManagedSave: true, Snapshots: true}), backends.ErrInvalidState)
	wantKind(t, "undefine with snapshots", r.b.Undefine(ctx, withSnaps.UUID, backends.UndefineOptions{}), backends.ErrInvalidState)
	wantKind(t, "undefine unknown", r.b.Undefine(ctx, "00000000-0000-4000-8000-000000000000", backends.UndefineOptions{}), backends.ErrNotFound)
	wantKind(t, "undefine bad UUID", r.b.Undefine(ctx, "not-a-uuid", backends.UndefineOptions{}), backends.ErrInvalidArgument)
	if n := domainCount(t, r); n != len(node.Domains) {
		t.Fatalf("refused undefines left %d of %d domains", n, len(node.Domains))
	}

	if err := r.b.Undefine(ctx, withSnaps.UUID, backends.UndefineOptions{Snapshots: true}); err != nil {
		t.Fatal(err)
	}
	if c := r.waitFor(t, "undefine", removed(withSnaps.UUID)); c.Cause.Kind != backends.EventUndefined {
		t.Errorf("removed by %v, want the undefined event", c.Cause.Kind)
	}

	// Managed save: the running domain stops with an image, which blocks
	// undefine until asked for.
	if err := r.b.ManagedSave(ctx, running.UUID); err != nil {
		t.Fatal(err)
	}
	r.until(t, "managed save", running.UUID, func(d *backends.Domain) bool { return d.State == backends.StateShutOff && d.ManagedSave })
	wantKind(t, "undefine with a managed save", r.b.Undefine(ctx, running.UUID, backends.UndefineOptions{}), backends.ErrInvalidState)
	if err := r.b.Undefine(ctx, running.UUID, backends.UndefineOptions{ManagedSave: true}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "undefine saved", removed(running.UUID))
	if n := domainCount(t, r); n != len(node.Domains)-2 {
		t.Errorf("%d domains left, want %d", n, len(node.Domains)-2)
	}
}
