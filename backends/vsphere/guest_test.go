package vsphere_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
)

// TestGuestIdentityFollowsReconfiguration: a new BIOS UUID and guest OS
// set elsewhere reach the inventory through the update stream, as a
// configuration change, and read back as govmomi reads them.
func TestGuestIdentityFollowsReconfiguration(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	ref := s.vms(t)[0]
	uuid := strings.ToLower(ref.Config.InstanceUuid)
	before, ok := inv.Snapshot().Domain(uuid)
	if !ok || before.BIOSUUID != strings.ToLower(ref.Config.Uuid) || before.GuestOS != ref.Config.GuestFullName {
		t.Fatalf("before: %+v, govmomi reads BIOS UUID %q, guest %q", before, ref.Config.Uuid, ref.Config.GuestFullName)
	}

	// Through the API. The simulator announces a reconfiguration as
	// config.changeVersion alone (vSphere names every property changed),
	// which the backend follows like any other change.
	const newBIOS = "4c4c4544-0042-3510-8052-b4c04f4a4e31"
	task, err := object.NewVirtualMachine(s.ref.Client, ref.Self).Reconfigure(ctx, types.VirtualMachineConfigSpec{Uuid: strings.ToUpper(newBIOS), GuestId: "ubuntu64Guest"})
	check(t, "reconfigure", err)
	check(t, "reconfigure", task.Wait(ctx))
	c := awaitChange(t, sub, "the new guest identity", func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == uuid && c.After.BIOSUUID == newBIOS
	})
	got, _ := s.vm(t, uuid)
	if c.Cause.Kind != backends.EventConfigChanged || c.After.GuestOS != got.Config.GuestFullName || c.After.GuestOS == before.GuestOS ||
		c.After.Arch != "x86_64" || c.After.UUID != before.UUID {
		t.Errorf("after reconfiguring: %+v from %+v; govmomi reads guest %q", c.After, c.Cause, got.Config.GuestFullName)
	}

	// Only the identity properties, announced one by one as vSphere does
	// (set inside the simulator, which then sends those changes): no
	// change version moves, so only watching them brings the change.
	const otherBIOS = "4c4c4544-0042-3510-8052-b4c04f4a4e32"
	obj := s.model.Map().Get(ref.Self).(*simulator.VirtualMachine)
	s.model.Service.Context.Map.AtomicUpdate(s.model.Service.Context, obj, []types.PropertyChange{
		{Name: "config.uuid", Val: otherBIOS}, {Name: "config.guestFullName", Val: "Ubuntu Linux (64-bit)"},
	})
	c = awaitChange(t, sub, "the identity alone", func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == uuid && c.After.BIOSUUID == otherBIOS
	})
	if c.Cause.Kind != backends.EventConfigChanged || c.Cause.Detail != "config.uuid,config.guestFullName" || c.After.GuestOS != "Ubuntu Linux (64-bit)" {
		t.Errorf("identity change: %+v, guest %q", c.Cause, c.After.GuestOS)
	}
}

// slowTasks makes every simulator task named name (PowerOn, Suspend …)
// wait d before it runs, so a test can act on it while it is running. The
// simulator has one package-wide knob for this (simulator.TaskDelay): a
// test using it must not run in parallel, and sets it before its own
// simulator starts any task. LockHandoff 0 keeps the VM readable while
// its task waits.
func slowTasks(t *testing.T, name string, d time.Duration) {
	old := simulator.TaskDelay
	simulator.TaskDelay = simulator.DelayConfig{MethodDelay: map[string]int{name: int(d / time.Millisecond), "LockHandoff": 0}}
	t.Cleanup(func() { simulator.TaskDelay = old })
}

// runningTask waits for a task of the VM, described as descID (e.g.
// "VirtualMachine.powerOn"), to be running, and returns it.
func (s *sim) runningTask(t *testing.T, vm types.ManagedObjectReference, descID string) *object.Task {
	t.Helper()
	ctx := ctxT(t)
	pc := property.DefaultCollector(s.ref.Client)
	for {
		var v mo.VirtualMachine
		check(t, "recent tasks", pc.RetrieveOne(ctx, vm, []string{"recentTask"}, &v))
		if len(v.RecentTask) > 0 {
			var tasks []mo.Task
			check(t, "task info", pc.Retrieve(ctx, v.RecentTask, []string{"info"}, &tasks))
			for _, x := range tasks {
				if x.Info.DescriptionId == descID && x.Info.State == types.TaskInfoStateRunning {
					return object.NewTask(s.ref.Client, x.Self)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no running %s task", descID)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestTaskProgress: the progress vSphere reports for a running task
// reaches the reporter the caller's context carries. The simulator's own
// tasks report none, so the test sets it through the vSphere API
// (Task.UpdateProgress, as a vCenter extension would) while the start
// task is held back.
func TestTaskProgress(t *testing.T) {
	s := newSim(t, simulator.ESX())
	slowTasks(t, "PowerOn", 2*time.Second) // after the model powered its VMs on
	b := s.open(t, s.opts())
	ref := s.vms(t)[0]
	uuid := strings.ToLower(ref.Config.InstanceUuid)
	check(t, "destroy", b.Destroy(ctxT(t), uuid))

	var mu sync.Mutex
	var seen []int
	ctx := backends.WithProgress(ctxT(t), func(p int) { mu.Lock(); seen = append(seen, p); mu.Unlock() })
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx, uuid) }()
	task := s.runningTask(t, ref.Self, "VirtualMachine.powerOn")
	check(t, "update progress", task.UpdateProgress(ctxT(t), 42))
	check(t, "start", <-done)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[len(seen)-1] != 42 {
		t.Errorf("progress reported %v, want it to end with the 42 the task showed", seen)
	}
	if p := s.powerOf(t, uuid); p != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after start: %s", p)
	}
}
