package libvirt_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

// TestKVMLifecycle runs the lifecycle test against a real hypervisor:
// QEMU/KVM through the system libvirtd.
func TestKVMLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("KVM test skipped in -short mode")
	}
	uri := libvirttest.SystemQEMU(t)
	kvm, _ := libvirttest.KVMAvailable()
	name := fmt.Sprintf("vbtest-%d", os.Getpid())
	xmlPath := filepath.Join(t.TempDir(), "dom.xml")
	if err := os.WriteFile(xmlPath, []byte(libvirttest.FirmwareOnlyDomainXML(name, kvm)), 0o644); err != nil {
		t.Fatal(err)
	}
	virsh := func(args ...string) string {
		out, err := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("virsh %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// Counters on: the bulk refresh is part of what a real host exercises.
	cfg := eventsOnly
	cfg.CounterInterval = 200 * time.Millisecond
	r := startRig(t, uri, cfg, libvirt.Options{})

	virsh("define", xmlPath)
	t.Cleanup(func() {
		_ = exec.Command("virsh", "-c", uri, "destroy", name).Run()
		_ = exec.Command("virsh", "-c", uri, "undefine", name).Run()
	})
	added := r.waitFor(t, "define", func(c inventory.Change) bool {
		return c.Kind == inventory.DomainAdded && c.After.Name == name
	})
	dom := added.After.UUID
	if got := virsh("domuuid", name); got != dom {
		t.Fatalf("inventory UUID %s, virsh %s", dom, got)
	}
	if added.After.State != backends.StateShutOff || !added.After.Persistent || added.After.MaxMemKiB != 64*1024 {
		t.Errorf("defined domain: %+v", added.After)
	}
	ctx := t.Context()
	steps := []struct {
		name string
		op   func() error
		want backends.State
	}{
		{"start", func() error { return r.b.Start(ctx, dom) }, backends.StateRunning},
		{"suspend", func() error { return r.b.Suspend(ctx, dom) }, backends.StatePaused},
		{"resume", func() error { return r.b.Resume(ctx, dom) }, backends.StateRunning},
		{"destroy", func() error { return r.b.Destroy(ctx, dom) }, backends.StateShutOff},
	}
	for _, s := range steps {
		if err := s.op(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		c := r.waitFor(t, s.name, stateChange(dom, s.want))
		want := map[backends.State]string{backends.StateRunning: "running", backends.StatePaused: "paused", backends.StateShutOff: "shut off"}[s.want]
		if got := virsh("domstate", name); got != want {
			t.Errorf("%s: virsh says %q, inventory %v", s.name, got, c.After.State)
		}
		if s.name == "start" {
			if c.After.StartTime.IsZero() {
				t.Error("started domain has no start time")
			}
			// The bulk counter refresh sees the guest burn CPU.
			deadline := time.Now().Add(20 * time.Second)
			for {
				d, _ := r.inv.Snapshot().Domain(dom)
				if d.CPUTime > 0 && len(d.VCPUInfo) == 1 && d.VCPUInfo[0].Time > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("CPU time never refreshed: %v %+v", d.CPUTime, d.VCPUInfo)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		t.Logf("%s: event to inventory %v", s.name, c.Time.Sub(c.Cause.Time))
	}
	// Hot-plug a disk into the running guest: DEVICE_ADDED, not a resync,
	// brings it into the inventory.
	if err := r.b.Start(ctx, dom); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "restart", stateChange(dom, backends.StateRunning))
	// QEMU may follow "started" with "resumed"; let that settle so the
	// disk can only arrive with its own event.
	r.quiet(t, 500*time.Millisecond)
	img := diskImage(t)
	virsh("attach-disk", name, img, "vdb", "--live", "--targetbus", "virtio")
	c := r.waitFor(t, "device added", func(c inventory.Change) bool {
		return c.Kind == inventory.DomainModified && c.After.UUID == dom && len(c.After.Disks) == 1
	})
	if c.Cause.Kind != backends.EventDeviceAdded || c.After.Disks[0].Target != "vdb" || c.After.Disks[0].Source != img {
		t.Errorf("hot-plugged disk: cause %v, disks %+v", c.Cause.Kind, c.After.Disks)
	}
	if err := r.b.Destroy(ctx, dom); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "destroy", stateChange(dom, backends.StateShutOff))
	virsh("undefine", name)
	r.waitFor(t, "undefine", func(c inventory.Change) bool {
		return c.Kind == inventory.DomainRemoved && c.Before.UUID == dom
	})
	if _, ok := r.inv.Snapshot().Domain(dom); ok {
		t.Error("undefined domain still in the inventory")
	}
}

// diskImage makes a small raw image QEMU (running as libvirt-qemu) can
// open: t.TempDir's parents are private to root.
func diskImage(t *testing.T) string {
	dir, err := os.MkdirTemp("/tmp", "vbkvm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o666); err != nil {
		t.Fatal(err)
	}
	return img
}
