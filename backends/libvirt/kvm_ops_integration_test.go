package libvirt_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

// TestKVMOperations runs the operations against QEMU through the system
// libvirtd: define, start, hot-plug a disk and a vCPU, set memory, attach
// and detach a NIC in the configuration, take a snapshot, destroy,
// undefine; virsh confirms each step.
func TestKVMOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("KVM test skipped in -short mode")
	}
	uri := libvirttest.SystemQEMU(t)
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	kvm, _ := libvirttest.KVMAvailable()
	name := fmt.Sprintf("vbops-%d", os.Getpid())
	virsh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("virsh %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		_ = exec.Command("virsh", "-c", uri, "destroy", name).Run()
		_ = exec.Command("virsh", "-c", uri, "undefine", name, "--snapshots-metadata").Run()
	})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	ctx := t.Context()

	dom, err := r.b.Define(ctx, backends.DomainSpec{Name: name, VCPUs: 1, MaxVCPUs: 2, MemoryKiB: 64 << 10, MaxMemKiB: 128 << 10})
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "define", func(c inventory.Change) bool { return c.Kind == inventory.DomainAdded && c.After.UUID == dom })
	if want := map[bool]string{true: "kvm", false: "qemu"}[kvm]; !strings.Contains(virsh("dumpxml", name), "<domain type='"+want+"'") {
		t.Errorf("defined domain is not of type %s", want)
	}
	_, err = r.b.Define(ctx, backends.DomainSpec{Name: name, VCPUs: 1, MemoryKiB: 64 << 10})
	wantKind(t, "define a name in use", err, backends.ErrConflict)

	must(t, r.b.Start(ctx, dom))
	r.until(t, "start", dom, func(d *backends.Domain) bool { return d.State == backends.StateRunning })

	img := qcow2Image(t)
	must(t, r.b.AttachDisk(ctx, dom, backends.DiskSpec{Target: "vdb", Bus: "virtio", Source: img, Format: "qcow2"}, backends.ScopeLive))
	r.until(t, "hot-plugged disk", dom, func(d *backends.Domain) bool { return slices.Equal(targets(d), []string{"vdb"}) })
	if got := virsh("domblklist", name); !strings.Contains(got, "vdb") || !strings.Contains(got, img) {
		t.Errorf("virsh domblklist: %s", got)
	}
	wantKind(t, "attach a target in use", r.b.AttachDisk(ctx, dom, backends.DiskSpec{Target: "vdb", Source: img}, backends.ScopeLive), backends.ErrConflict)

	must(t, r.b.SetVCPUs(ctx, dom, 2, backends.ScopeLive))
	r.until(t, "hot-plugged vCPU", dom, func(d *backends.Domain) bool { return d.VCPUs == 2 })
	if got := virsh("vcpucount", name, "--live", "--active"); got != "2" {
		t.Errorf("virsh vcpucount --live: %q", got)
	}
	must(t, r.b.SetMemory(ctx, dom, 96<<10, backends.ScopeConfig))
	if got := virsh("dumpxml", name, "--inactive"); !strings.Contains(got, "<currentMemory unit='KiB'>98304</currentMemory>") {
		t.Errorf("stored memory not 96 MiB:\n%s", got)
	}
	// A configuration-only NIC: QEMU's own device call, checked by virsh.
	const mac = "52:54:00:7b:00:01"
	must(t, r.b.AttachNIC(ctx, dom, backends.NICSpec{Bridge: "vbtest0", MAC: mac, Model: "virtio"}, backends.ScopeConfig))
	if got := virsh("domiflist", name, "--inactive"); !strings.Contains(got, mac) || !strings.Contains(got, "vbtest0") {
		t.Errorf("virsh domiflist --inactive: %q", got)
	}
	wantKind(t, "detach a NIC the guest lacks", r.b.DetachNIC(ctx, dom, mac, backends.ScopeBoth), backends.ErrNotFound)
	must(t, r.b.DetachNIC(ctx, dom, mac, backends.ScopeConfig))
	if got := virsh("domiflist", name, "--inactive"); strings.Contains(got, mac) {
		t.Errorf("virsh domiflist --inactive after detach: %q", got)
	}
	wantKind(t, "memory above max", r.b.SetMemory(ctx, dom, 256<<10, backends.ScopeBoth), backends.ErrInvalidArgument)
	// Another spelling of this host's URI passes the own-URI check; the
	// destination already having the UUID stops it.
	wantKind(t, "migrate to this host", r.b.Migrate(ctx, dom, uri+"?", backends.MigrateOptions{Live: true}), backends.ErrConflict)

	snap, err := r.b.CreateSnapshot(ctx, dom, backends.SnapshotSpec{Name: "booted", Description: "with a disk"})
	if err != nil {
		t.Fatal(err)
	}
	r.until(t, "snapshot", dom, func(d *backends.Domain) bool { return len(d.Snapshots) == 1 && d.Snapshots[0].Name == snap })
	if got := virsh("snapshot-list", name, "--name"); got != "booted" {
		t.Errorf("virsh snapshot-list: %q", got)
	}

	must(t, r.b.Destroy(ctx, dom))
	r.until(t, "destroy", dom, func(d *backends.Domain) bool { return d.State == backends.StateShutOff })
	wantKind(t, "undefine with a snapshot", r.b.Undefine(ctx, dom, backends.UndefineOptions{}), backends.ErrInvalidState)
	must(t, r.b.Undefine(ctx, dom, backends.UndefineOptions{Snapshots: true}))
	r.waitFor(t, "undefine", func(c inventory.Change) bool { return c.Kind == inventory.DomainRemoved && c.Before.UUID == dom })
	if out, err := exec.Command("virsh", "-c", uri, "domuuid", name).CombinedOutput(); err == nil {
		t.Errorf("virsh still knows %s: %s", name, out)
	}
}

// qcow2Image makes a small qcow2 image QEMU (running as libvirt-qemu)
// can open and snapshot: t.TempDir's parents are private to root.
func qcow2Image(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "vbops")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	if err := os.Chmod(img, 0o666); err != nil {
		t.Fatal(err)
	}
	return img
}
