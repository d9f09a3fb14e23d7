package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/vsphere"
	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
	"github.com/virtbridge/virtbridge/cim"
)

// The provider over a vSphere backend, against govmomi's simulator: the
// same code as over libvirt, reading only the model.

// vsphereRig is an ESX simulator, the backend over it with a running
// inventory, and govmomi's own client for checking and steering.
type vsphereRig struct {
	ref *govmomi.Client
	b   *vsphere.Backend
	inv *inventory.Inventory
}

func newVSphereRig(t *testing.T) *vsphereRig {
	t.Helper()
	sim := vspheretest.New(t, vspheretest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ref := sim.Client
	b, err := vsphere.Open(ctx, sim.URL(), sim.BackendOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	inv := inventory.New(b, inventory.Config{CallTimeout: 20 * time.Second})
	if err := inv.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inv.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	return &vsphereRig{ref: ref, b: b, inv: inv}
}

// vms reads the simulator's VMs through govmomi.
func (r *vsphereRig) vms(t *testing.T) []mo.VirtualMachine {
	t.Helper()
	ctx := t.Context()
	v, err := view.NewManager(r.ref.Client).CreateContainerView(ctx, r.ref.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config", "runtime"}, &vms); err != nil {
		t.Fatal(err)
	}
	return vms
}

func uint16List(inst *cim.Instance, name string) []uint16 {
	v, _ := inst.Get(name)
	var out []uint16
	for _, e := range v.Elems() {
		x, _ := e.Uint()
		out = append(out, uint16(x))
	}
	return out
}

// TestVSphereVirtualSystems: a VMware VM shows its BIOS UUID (not its
// instance UUID) as DSP1052's GUID, its configured guest OS, and neither
// offers nor accepts Quiesce (9), which vSphere cannot do: refused as
// CIM_ERR_NOT_SUPPORTED by the provider, with no job and no backend call.
func TestVSphereVirtualSystems(t *testing.T) {
	r := newVSphereRig(t)
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	vms := r.vms(t)
	if len(vms) == 0 {
		t.Fatal("no VMs in the simulator")
	}
	snap := r.inv.Snapshot()
	v := s.At(snap, time.Now())
	for _, vm := range vms {
		uuid := strings.ToLower(vm.Config.InstanceUuid)
		d, ok := snap.Domain(uuid)
		if !ok {
			t.Fatalf("%s missing", vm.Name)
		}
		inst, err := s.VirtualSystem(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids, _ := inst.Get("OtherIdentifyingInfo")
		descs, _ := inst.Get("IdentifyingDescriptions")
		if want := `{"` + strings.ToLower(vm.Config.Uuid) + `"}`; ids.String() != want || descs.String() != `{"CIM:GUID"}` || strings.EqualFold(vm.Config.Uuid, uuid) {
			t.Errorf("%s: identifying info %v %v, want %s (config.uuid, not the instance UUID %s)", vm.Name, ids, descs, want, uuid)
		}
		want := []uint16{3, 4, 6, 10, 11} // running: all but Enabled, and no Quiesce
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			t.Fatalf("%s is %s; the simulator starts its VMs powered on", vm.Name, vm.Runtime.PowerState)
		}
		if got := uint16List(inst, "AvailableRequestedStates"); !slices.Equal(got, want) {
			t.Errorf("%s: AvailableRequestedStates %v, want %v", vm.Name, got, want)
		}
		caps, err := s.VMCapabilities(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := uint16List(caps, "RequestedStatesSupported"); !slices.Equal(got, []uint16{2, 3, 4, 6, 10, 11}) {
			t.Errorf("%s: RequestedStatesSupported %v, want all but 9", vm.Name, got)
		}
		vssd, err := s.SystemSettings(d)
		if err != nil {
			t.Fatal(err)
		}
		if g, _ := vssd.Get("GuestOS"); g.String() != `"`+vm.Config.GuestFullName+`"` || vm.Config.GuestFullName == "" {
			t.Errorf("%s: VSSD GuestOS %v, want %q", vm.Name, g, vm.Config.GuestFullName)
		}

		// Quiesce is refused before the backend is asked: the provider's
		// own error, not vSphere's "cannot pause", and no job.
		_, _, err = v.Invoke(t.Context(), Env{Ops: r.b, Current: r.inv.Snapshot}, inst.Path, "RequestStateChange",
			map[string]cim.Value{"RequestedState": cim.Uint16(9)})
		if !errors.Is(err, cim.ErrNotSupported) || !strings.Contains(err.Error(), "in any state") {
			t.Errorf("%s: Quiesce answered %v, want the provider's CIM_ERR_NOT_SUPPORTED", vm.Name, err)
		}
	}
	if jobs := s.Jobs.list(); len(jobs) != 0 {
		t.Errorf("refused requests left %d jobs", len(jobs))
	}
}

// TestVSphereJobProgress: a power-on held back in the simulator runs as
// a job; the progress its vSphere task reports shows as the job's
// PercentComplete, and the job completes at 100. The simulator's tasks
// report no progress of their own, so the test sets it through the API
// (Task.UpdateProgress); holding a task back takes the simulator's one
// package-wide knob (simulator.TaskDelay), so this test must not run in
// parallel with other simulator tests.
func TestVSphereJobProgress(t *testing.T) {
	r := newVSphereRig(t)
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	env := Env{Ops: r.b, Current: r.inv.Snapshot}
	vm := r.vms(t)[0]
	uuid := strings.ToLower(vm.Config.InstanceUuid)
	call := func(env Env, state uint16) (uint32, map[string]cim.Value) {
		t.Helper()
		d, _ := r.inv.Snapshot().Domain(uuid)
		inst, err := s.VirtualSystem(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ret, out, err := s.At(r.inv.Snapshot(), time.Now()).Invoke(t.Context(), env, inst.Path, "RequestStateChange",
			map[string]cim.Value{"RequestedState": cim.Uint16(state)})
		if err != nil {
			t.Fatalf("RequestStateChange(%d): %v", state, err)
		}
		code, _ := ret.Uint()
		return uint32(code), out
	}
	if code, _ := call(env, 3); code != 0 {
		t.Fatalf("power off: %d", code)
	}

	old := simulator.TaskDelay
	simulator.TaskDelay = simulator.DelayConfig{MethodDelay: map[string]int{"PowerOn": 2000, "LockHandoff": 0}}
	t.Cleanup(func() { simulator.TaskDelay = old })
	async := env
	async.Window = -1
	code, out := call(async, 2)
	if code != 4096 {
		t.Fatalf("start: %d, want 4096 (job started)", code)
	}
	jobRef, _ := out["Job"].Ref()
	task := runningTask(t, r, vm.Self)
	if err := task.UpdateProgress(t.Context(), 42); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadline, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		job, err := s.At(r.inv.Snapshot(), time.Now()).Get(jobRef)
		if err != nil {
			t.Fatalf("job %s: %v", jobRef.String(), err)
		}
		p, _ := job.Get("PercentComplete")
		st, _ := job.Get("JobState")
		seen[p.String()] = true
		if p.String() == "42" && st.String() != "4" {
			t.Fatalf("PercentComplete 42 in JobState %v, want 4 (Running)", st)
		}
		if st.String() == "7" {
			if p.String() != "100" {
				t.Errorf("completed job: PercentComplete %v, want 100", p)
			}
			break
		}
		if st.String() == "10" {
			d, _ := job.Get("ErrorDescription")
			t.Fatalf("job failed: %v", d)
		}
		select {
		case <-deadline.Done():
			t.Fatalf("job did not complete; PercentComplete seen %v", seen)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !seen["42"] {
		t.Errorf("PercentComplete seen %v, never the 42 the task reported", seen)
	}
	if d, _ := r.inv.Snapshot().Domain(uuid); d.State != backends.StateRunning {
		t.Errorf("after the job the VM is %v", d.State)
	}
}

// runningTask waits for the VM's power-on task to be running.
func runningTask(t *testing.T, r *vsphereRig, vm types.ManagedObjectReference) *object.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pc := property.DefaultCollector(r.ref.Client)
	for {
		var m mo.VirtualMachine
		if err := pc.RetrieveOne(ctx, vm, []string{"recentTask"}, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.RecentTask) > 0 {
			var tasks []mo.Task
			if err := pc.Retrieve(ctx, m.RecentTask, []string{"info"}, &tasks); err != nil {
				t.Fatal(err)
			}
			for _, x := range tasks {
				if x.Info.DescriptionId == "VirtualMachine.powerOn" && x.Info.State == types.TaskInfoStateRunning {
					return object.NewTask(r.ref.Client, x.Self)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("no running power-on task")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
