package vsphere_test

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// snapshotNames lists a VM's snapshots through govmomi, depth first, with
// the current one marked by a star.
func (s *sim) snapshotNames(t *testing.T, uuid string) []string {
	t.Helper()
	vm, _ := s.vm(t, uuid)
	if vm.Snapshot == nil {
		return nil
	}
	var out []string
	var walk func([]types.VirtualMachineSnapshotTree)
	walk = func(l []types.VirtualMachineSnapshotTree) {
		for _, n := range l {
			name := n.Name
			if vm.Snapshot.CurrentSnapshot != nil && *vm.Snapshot.CurrentSnapshot == n.Snapshot {
				name += "*"
			}
			out = append(out, name)
			walk(n.ChildSnapshotList)
		}
	}
	walk(vm.Snapshot.RootSnapshotList)
	return out
}

func TestSnapshots(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	uuid := strings.ToLower(s.vms(t)[0].Config.InstanceUuid)
	name, err := b.CreateSnapshot(ctx, uuid, backends.SnapshotSpec{Name: "one", Description: "first"})
	check(t, "CreateSnapshot", err)
	if name != "one" {
		t.Errorf("snapshot named %q", name)
	}
	two, err := b.CreateSnapshot(ctx, uuid, backends.SnapshotSpec{})
	check(t, "CreateSnapshot without a name", err)
	if got := strings.Join(s.snapshotNames(t, uuid), " "); got != "one "+two+"*" {
		t.Errorf("snapshots %q", got)
	}
	_, err = b.CreateSnapshot(ctx, uuid, backends.SnapshotSpec{Name: "one"})
	wantKind(t, "same name", err, backends.ErrConflict)
	d, err := b.Domain(ctx, uuid)
	check(t, "Domain", err)
	if len(d.Snapshots) != 2 || d.Snapshots[0].Name != "one" || d.Snapshots[0].Description != "first" ||
		d.Snapshots[1].Parent != "one" || !d.Snapshots[1].Current || d.Snapshots[0].State != backends.StateRunning {
		t.Errorf("domain snapshots %+v", d.Snapshots)
	}
	check(t, "RevertSnapshot", b.RevertSnapshot(ctx, uuid, "one"))
	if got := strings.Join(s.snapshotNames(t, uuid), " "); got != "one* "+two {
		t.Errorf("after revert: %q", got)
	}
	wantKind(t, "undefine with snapshots", b.Undefine(ctx, uuid, backends.UndefineOptions{}), backends.ErrInvalidState)
	check(t, "DeleteSnapshot", b.DeleteSnapshot(ctx, uuid, two))
	if got := strings.Join(s.snapshotNames(t, uuid), " "); got != "one*" {
		t.Errorf("after delete: %q", got)
	}
	wantKind(t, "revert to a missing snapshot", b.RevertSnapshot(ctx, uuid, two), backends.ErrNotFound)
	wantKind(t, "delete a missing snapshot", b.DeleteSnapshot(ctx, uuid, "nope"), backends.ErrNotFound)
	check(t, "suspend", b.ManagedSave(ctx, uuid))
	wantKind(t, "undefine a suspended VM", b.Undefine(ctx, uuid, backends.UndefineOptions{Snapshots: true}), backends.ErrInvalidState)
	check(t, "undefine with both", b.Undefine(ctx, uuid, backends.UndefineOptions{Snapshots: true, ManagedSave: true}))
}

func TestSettings(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	vms := s.vms(t)
	uuid := strings.ToLower(vms[0].Config.InstanceUuid)
	other := vms[1].Name

	check(t, "SetDescription", b.SetDescription(ctx, uuid, "line one\nline two"))
	if vm, _ := s.vm(t, uuid); vm.Config.Annotation != "line one\nline two" {
		t.Errorf("notes %q", vm.Config.Annotation)
	}
	d, err := b.Domain(ctx, uuid)
	check(t, "Domain", err)
	if d.Description != "line one\nline two" {
		t.Errorf("description %q", d.Description)
	}

	wantKind(t, "rename a running VM", b.Rename(ctx, uuid, "new name"), backends.ErrInvalidState)
	check(t, "destroy", b.Destroy(ctx, uuid))
	wantKind(t, "rename to a taken name", b.Rename(ctx, uuid, other), backends.ErrConflict)
	wantKind(t, "rename to nothing", b.Rename(ctx, uuid, " "), backends.ErrInvalidArgument)
	check(t, "Rename", b.Rename(ctx, uuid, "new/name"))
	// vCenter stores "new%2fname"; the simulator does not escape.
	if vm, _ := s.vm(t, uuid); vm.Name != "new%2fname" && vm.Name != "new/name" {
		t.Errorf("renamed to %q in vSphere", vm.Name)
	}
	if d, err := b.Domain(ctx, uuid); err != nil || d.Name != "new/name" {
		t.Errorf("renamed domain %q, %v", d.Name, err)
	}

	// The simulator has no autostart manager behind the host's reference.
	wantKind(t, "SetAutostart", b.SetAutostart(ctx, uuid, true), backends.ErrNotSupported)
	wantKind(t, "migrate on ESXi", b.Migrate(ctx, uuid, "elsewhere", backends.MigrateOptions{Live: true}), backends.ErrNotSupported)
}

func TestMigrate(t *testing.T) {
	s := newSim(t, simulator.VPX())
	const vmName = "DC0_C0_RP0_VM0"
	from := s.hostOf(t, vmName)
	opts := s.opts()
	opts.Host = from
	b := s.open(t, opts)
	ctx := ctxT(t)
	uuid := strings.ToLower(vmByName(t, s, vmName).Config.InstanceUuid)
	to := "DC0_C0_H1"
	if from == to {
		to = "DC0_C0_H2"
	}
	wantKind(t, "to this host", b.Migrate(ctx, uuid, from, backends.MigrateOptions{Live: true}), backends.ErrInvalidArgument)
	wantKind(t, "to no host", b.Migrate(ctx, uuid, "DC9_H9", backends.MigrateOptions{Live: true}), backends.ErrNotFound)
	wantKind(t, "to another endpoint", b.Migrate(ctx, uuid, "vsphere://vc2.example.com/?host="+to, backends.MigrateOptions{Live: true}), backends.ErrNotSupported)
	check(t, "Migrate", b.Migrate(ctx, uuid, "vsphere://"+s.addr+"/sdk?host="+to, backends.MigrateOptions{Live: true}))
	if got := s.hostOf(t, vmName); got != to {
		t.Errorf("the VM is on %s, want %s", got, to)
	}
	_, err := b.Domain(ctx, uuid)
	wantKind(t, "the VM after it left", err, backends.ErrNotFound)
	// To a host of another cluster, and back through a name alone.
	opts.Host = to
	b2 := s.open(t, opts)
	check(t, "Migrate to a standalone host", b2.Migrate(ctx, uuid, "DC0_H0", backends.MigrateOptions{}))
	if got := s.hostOf(t, vmName); got != "DC0_H0" {
		t.Errorf("the VM is on %s, want DC0_H0", got)
	}
}
