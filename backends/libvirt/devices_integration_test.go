package libvirt_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
)

// TestDevices: disks and NICs come and go from a shut-off domain's
// configuration (the test driver has no device calls, so the backend
// redefines the domain), the inventory follows, and conflicts, absent
// devices and bad specs change nothing. Live changes are what the test
// driver cannot do.
func TestDevices(t *testing.T) {
	r, _ := opsBed(t, 0)
	ctx := t.Context()
	files := diskFiles(t, 2)
	const mac1, mac2 = "52:54:00:00:00:01", "52:54:00:00:00:02"
	uuid, err := r.b.Define(ctx, backends.DomainSpec{Name: "devices", VCPUs: 1, MemoryKiB: 64 << 10,
		Disks: []backends.DiskSpec{{Target: "vda", Bus: "virtio", Source: files[0]}},
		NICs:  []backends.NICSpec{{Bridge: "br0", MAC: mac1}}})
	if err != nil {
		t.Fatal(err)
	}
	r.until(t, "define", uuid, func(*backends.Domain) bool { return true })

	must(t, r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdb", Bus: "virtio", Source: files[1], Format: "raw"}, backends.ScopeConfig))
	d := r.until(t, "attach disk", uuid, func(d *backends.Domain) bool { return len(d.Disks) == 2 })
	if got := d.Disks[1]; got.Target != "vdb" || got.Source != files[1] || got.Format != "raw" || got.Device != backends.DiskDeviceDisk {
		t.Errorf("attached disk %+v", got)
	}
	must(t, r.b.AttachNIC(ctx, uuid, backends.NICSpec{Network: "default", MAC: "52:54:00:00:00:02", Model: "virtio"}, backends.ScopeCurrent))
	d = r.until(t, "attach nic", uuid, func(d *backends.Domain) bool { return len(d.NICs) == 2 })
	if got := d.NICs[1]; got.MAC != mac2 || got.Network != "default" || got.Model != "virtio" {
		t.Errorf("attached NIC %+v", got)
	}
	must(t, r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "hdc", Bus: "ide", Device: backends.DiskDeviceCDROM}, backends.ScopeCurrent))
	r.until(t, "attach empty cdrom", uuid, func(d *backends.Domain) bool { return slices.Contains(targets(d), "hdc") })

	before := r.inv.Snapshot()
	stored := definition(t, r, uuid, true).Devices
	for _, c := range []struct {
		what string
		err  error
		kind error
	}{
		{"a target in use", r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdb", Source: files[0]}, backends.ScopeConfig), backends.ErrConflict},
		{"a MAC in use", r.b.AttachNIC(ctx, uuid, backends.NICSpec{Bridge: "br1", MAC: "52:54:00:00:00:01"}, backends.ScopeConfig), backends.ErrConflict},
		{"a missing source", r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdc", Source: files[0] + ".gone"}, backends.ScopeConfig), backends.ErrInvalidArgument},
		{"a bad target", r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "c:", Source: files[0]}, backends.ScopeConfig), backends.ErrInvalidArgument},
		{"an unknown network", r.b.AttachNIC(ctx, uuid, backends.NICSpec{Network: "nonet"}, backends.ScopeConfig), backends.ErrInvalidArgument},
		{"no network or bridge", r.b.AttachNIC(ctx, uuid, backends.NICSpec{}, backends.ScopeConfig), backends.ErrInvalidArgument},
		{"a live attach to a shut-off domain", r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdc", Source: files[0]}, backends.ScopeLive), backends.ErrInvalidState},
		{"detaching an absent disk", r.b.DetachDisk(ctx, uuid, "vdz", backends.ScopeConfig), backends.ErrNotFound},
		{"detaching an absent NIC", r.b.DetachNIC(ctx, uuid, "52:54:00:00:00:99", backends.ScopeConfig), backends.ErrNotFound},
		{"detaching a bad target", r.b.DetachDisk(ctx, uuid, "", backends.ScopeConfig), backends.ErrInvalidArgument},
		{"detaching a bad MAC", r.b.DetachNIC(ctx, uuid, "52:54", backends.ScopeConfig), backends.ErrInvalidArgument},
		{"a live detach from a shut-off domain", r.b.DetachDisk(ctx, uuid, "vda", backends.ScopeBoth), backends.ErrInvalidState},
	} {
		wantKind(t, c.what, c.err, c.kind)
	}
	if now := definition(t, r, uuid, true).Devices; !reflect.DeepEqual(now, stored) {
		t.Errorf("refused changes altered the devices:\n%+v\nwas\n%+v", now, stored)
	}

	must(t, r.b.DetachDisk(ctx, uuid, "vda", backends.ScopeConfig))
	r.until(t, "detach disk", uuid, func(d *backends.Domain) bool { return slices.Equal(targets(d), []string{"vdb", "hdc"}) })
	must(t, r.b.DetachNIC(ctx, uuid, "52:54:00:00:00:01", backends.ScopeCurrent))
	r.until(t, "detach nic", uuid, func(d *backends.Domain) bool { return slices.Equal(macs(d), []string{mac2}) })
	if old, _ := before.Domain(uuid); len(old.Disks) != 3 || len(old.NICs) != 2 {
		t.Errorf("an earlier inventory snapshot changed: %+v", old)
	}

	// Running: the configuration still changes; live, the test driver
	// cannot, and nothing changes.
	must(t, r.b.Start(ctx, uuid))
	r.until(t, "start", uuid, func(d *backends.Domain) bool { return d.State == backends.StateRunning })
	live, stored := definition(t, r, uuid, false).Devices, definition(t, r, uuid, true).Devices
	wantKind(t, "live attach", r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdc", Source: files[0]}, backends.ScopeLive), backends.ErrNotSupported)
	wantKind(t, "attach to both", r.b.AttachNIC(ctx, uuid, backends.NICSpec{Bridge: "br0"}, backends.ScopeBoth), backends.ErrNotSupported)
	wantKind(t, "live detach", r.b.DetachDisk(ctx, uuid, "vdb", backends.ScopeCurrent), backends.ErrNotSupported)
	if now := definition(t, r, uuid, false).Devices; !reflect.DeepEqual(now, live) {
		t.Errorf("refused live changes altered the guest")
	}
	if now := definition(t, r, uuid, true).Devices; !reflect.DeepEqual(now, stored) {
		t.Errorf("refused live changes altered the configuration")
	}
	must(t, r.b.AttachDisk(ctx, uuid, backends.DiskSpec{Target: "vdc", Source: files[0]}, backends.ScopeConfig))
	if x := definition(t, r, uuid, true); len(x.Devices.Disks) != 3 {
		t.Errorf("stored disks after a config attach: %d", len(x.Devices.Disks))
	}
	if x := definition(t, r, uuid, false); len(x.Devices.Disks) != 2 {
		t.Errorf("a config attach reached the guest: %d disks", len(x.Devices.Disks))
	}
}
