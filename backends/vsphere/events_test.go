package vsphere_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
)

// eventsOnly is an inventory that changes only through events: no
// resync, no counter refresh.
var eventsOnly = inventory.Config{CallTimeout: 20 * time.Second}

// follow starts an inventory over b and runs it until the test ends.
func follow(t *testing.T, b backends.Backend) (*inventory.Inventory, *inventory.Subscription) {
	t.Helper()
	inv := inventory.New(b, eventsOnly)
	check(t, "Sync", inv.Sync(ctxT(t)))
	sub := inv.Subscribe(1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; sub.Close() })
	return inv, sub
}

// await reads changes until the snapshot satisfies ok, and returns the
// changes seen. A missing change fails the test by the deadline, not by
// any timing of the event path.
func await(t *testing.T, inv *inventory.Inventory, sub *inventory.Subscription, what string, ok func(*inventory.Snapshot) bool) []inventory.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var seen []inventory.Change
	for !ok(inv.Snapshot()) {
		c, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v (changes seen: %v)", what, err, kinds(seen))
		}
		seen = append(seen, c)
	}
	return seen
}

// awaitChange reads changes until one matches, and returns it.
func awaitChange(t *testing.T, sub *inventory.Subscription, what string, match func(inventory.Change) bool) inventory.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var seen []inventory.Change
	for {
		c, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v (changes seen: %v)", what, err, kinds(seen))
		}
		if match(c) {
			return c
		}
		seen = append(seen, c)
	}
}

func kinds(cs []inventory.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind.String()+"/"+c.Cause.Kind.String())
	}
	return out
}

// domain returns a domain of the snapshot by name.
func domain(s *inventory.Snapshot, name string) *backends.Domain {
	for _, d := range s.Domains() {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// TestEventsFollowChangesMadeElsewhere changes the simulator through
// govmomi's own client, never the backend, and sees the inventory follow
// through WaitForUpdatesEx alone. Each step changes a VM of its own: the
// simulator hands out its live objects to responses, so a VM changed
// while the inventory still reads it after the last step is a data race
// inside the simulator.
func TestEventsFollowChangesMadeElsewhere(t *testing.T) {
	model := simulator.ESX()
	model.Machine = 6
	s := newSim(t, model)
	b := s.open(t, s.opts())
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	vms := s.vms(t)
	vm := func(i int) *object.VirtualMachine { return object.NewVirtualMachine(s.ref.Client, vms[i].Self) }
	dom := func(sn *inventory.Snapshot, i int) *backends.Domain { return domain(sn, vms[i].Name) }

	// Power off and suspend: lifecycle events.
	task, err := vm(0).PowerOff(ctx)
	check(t, "power off", err)
	check(t, "power off", task.Wait(ctx))
	c := awaitChange(t, sub, "shut off", func(c inventory.Change) bool {
		return c.After != nil && c.After.Name == vms[0].Name && c.After.State == backends.StateShutOff
	})
	if c.Kind != inventory.DomainModified || c.Cause.Kind != backends.EventLifecycle || c.Cause.Detail != "powerState/poweredOff" {
		t.Errorf("power off came as %v %+v", c.Kind, c.Cause)
	}
	task, _ = vm(1).Suspend(ctx)
	check(t, "suspend", task.Wait(ctx))
	await(t, inv, sub, "suspended", func(sn *inventory.Snapshot) bool {
		d := dom(sn, 1)
		return d.State == backends.StateShutOff && d.ManagedSave && d.StateReason == "suspended"
	})

	// Devices and configuration.
	nets, err := object.NewNetwork(s.ref.Client, s.host(t, "").Network[0]).EthernetCardBackingInfo(ctx)
	check(t, "backing", err)
	card, err := object.VirtualDeviceList{}.CreateEthernetCard("vmxnet3", nets)
	check(t, "card", err)
	check(t, "add nic", vm(2).AddDevice(ctx, card))
	await(t, inv, sub, "a second NIC", func(sn *inventory.Snapshot) bool { return len(dom(sn, 2).NICs) == 2 })
	task, _ = vm(3).Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 3, MemoryMB: 64, Annotation: "notes"})
	check(t, "reconfigure", task.Wait(ctx))
	await(t, inv, sub, "3 vCPUs", func(sn *inventory.Snapshot) bool {
		d := dom(sn, 3)
		return d.VCPUs == 3 && d.MemoryKiB == 64*1024 && d.Description == "notes"
	})
	task, _ = vm(4).CreateSnapshot(ctx, "before", "", false, false)
	check(t, "snapshot", task.Wait(ctx))
	await(t, inv, sub, "a snapshot", func(sn *inventory.Snapshot) bool {
		d := dom(sn, 4)
		return len(d.Snapshots) == 1 && d.Snapshots[0].Name == "before" && d.Snapshots[0].Current
	})
	task, _ = vm(5).Rename(ctx, "renamed")
	check(t, "rename", task.Wait(ctx))
	await(t, inv, sub, "the new name", func(sn *inventory.Snapshot) bool { return domain(sn, "renamed") != nil })

	// A VM created and destroyed elsewhere.
	folder := object.NewFolder(s.ref.Client, *vms[0].Parent)
	pool := object.NewResourcePool(s.ref.Client, *vms[0].ResourcePool)
	spec := types.VirtualMachineConfigSpec{Name: "newcomer", GuestId: "otherGuest64", NumCPUs: 1, MemoryMB: 32,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"}}
	task, err = folder.CreateVM(ctx, spec, pool, nil)
	check(t, "create", err)
	info, err := task.WaitForResult(ctx)
	check(t, "create", err)
	c = awaitChange(t, sub, "the new VM", func(c inventory.Change) bool { return c.After != nil && c.After.Name == "newcomer" })
	if c.Kind != inventory.DomainAdded || c.Cause.Kind != backends.EventDefined {
		t.Errorf("the new VM came as %v %+v", c.Kind, c.Cause)
	}
	nvm := object.NewVirtualMachine(s.ref.Client, info.Result.(types.ManagedObjectReference))
	task, _ = nvm.Destroy(ctx)
	check(t, "destroy", task.Wait(ctx))
	// The removal comes as the VM's own event, or (the simulator's property
	// collector sometimes loses it after its container view changed, and
	// re-announces the rest instead) through the resync the backend then
	// asks for.
	c = awaitChange(t, sub, "the VM gone", func(c inventory.Change) bool { return c.Kind == inventory.DomainRemoved })
	if c.Before.Name != "newcomer" {
		t.Errorf("removed %s, want newcomer", c.Before.Name)
	}
}

// TestEventsHostChanges: a distributed switch the host joins brings its
// port groups to the host, a host event after which the inventory
// re-reads the host. (The simulator reports no change of a host's
// datastores.)
func TestEventsHostChanges(t *testing.T) {
	s := newSim(t, simulator.VPX())
	opts := s.opts()
	opts.Host = "DC0_H0"
	b := s.open(t, opts)
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	host := s.host(t, "DC0_H0")
	dc, err := find.NewFinder(s.ref.Client).DefaultDatacenter(ctx)
	check(t, "datacenter", err)
	folders, err := dc.Folders(ctx)
	check(t, "folders", err)
	task, err := folders.NetworkFolder.CreateDVS(ctx, types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{Name: "DVS9"}}})
	check(t, "create switch", err)
	info, err := task.WaitForResult(ctx)
	check(t, "create switch", err)
	dvs := object.NewDistributedVirtualSwitch(s.ref.Client, info.Result.(types.ManagedObjectReference))
	task, err = dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{{Name: "PG9", Type: "earlyBinding", NumPorts: 8}})
	check(t, "add port group", err)
	check(t, "add port group", task.Wait(ctx))
	task, err = dvs.Reconfigure(ctx, &types.DVSConfigSpec{Host: []types.DistributedVirtualSwitchHostMemberConfigSpec{
		{Operation: string(types.ConfigSpecOperationAdd), Host: host.Self},
	}})
	check(t, "join the switch", err)
	check(t, "join the switch", task.Wait(ctx))
	c := awaitChange(t, sub, "the host change", func(c inventory.Change) bool { return c.Kind == inventory.HostModified })
	nets := inv.Snapshot().Host.Networks
	if c.Cause.Kind != backends.EventHostChanged || !slices.ContainsFunc(nets, func(n backends.Network) bool { return n.Name == "PG9" && n.Bridge == "DVS9" }) {
		t.Errorf("host change %+v; networks %+v", c.Cause, nets)
	}
}

// vmByName finds a simulator VM through govmomi.
func vmByName(t *testing.T, s *sim, name string) mo.VirtualMachine {
	t.Helper()
	for _, vm := range s.vms(t) {
		if vm.Name == name {
			return vm
		}
	}
	t.Fatalf("no VM %q", name)
	return mo.VirtualMachine{}
}
