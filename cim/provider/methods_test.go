package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestRequestStateChange drives DSP1057's RequestStateChange against a
// real test-driver bed: each allowed transition reaches the inventory,
// 4097 for one the state forbids, 5 for an unknown state, 4098 for a
// timeout, and a job (4096) that completes when the call is made to
// answer at once.
func TestRequestStateChange(t *testing.T) {
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 6, Seed: 3})
	bed.Run(t)
	inv := bed.Inventory
	env := Env{Ops: bed.Backend, Current: inv.Snapshot}
	uuid := testbed.UUIDsIn(bed.Plan, testbed.StateRunning)[0]
	ctx := t.Context()
	call := func(env Env, state uint16, extra map[string]cim.Value) (uint32, map[string]cim.Value) {
		t.Helper()
		v := s.At(inv.Snapshot(), time.Now())
		d, _ := inv.Snapshot().Domain(uuid)
		vm, err := s.VirtualSystem(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]cim.Value{"RequestedState": cim.Uint16(state)}
		for k, x := range extra {
			in[k] = x
		}
		r, out, err := v.Invoke(ctx, env, vm.Path, "RequestStateChange", in)
		if err != nil {
			t.Fatalf("RequestStateChange(%d): %v", state, err)
		}
		code, _ := r.Uint()
		return uint32(code), out
	}
	stateNow := func() backends.State { d, _ := inv.Snapshot().Domain(uuid); return d.State }
	steps := []struct {
		req  uint16
		code uint32
		want backends.State
	}{
		{9, 0, backends.StatePaused},     // Quiesce: suspend
		{9, 4097, backends.StatePaused},  // already paused
		{10, 4097, backends.StatePaused}, // no reboot while paused
		{2, 0, backends.StateRunning},    // Enabled: resume
		{3, 0, backends.StateShutOff},    // Disabled: power off
		{2, 0, backends.StateRunning},    // Enabled: start
		{4, 0, backends.StateShutOff},    // Shut Down: guest shutdown
		{7, 5, backends.StateShutOff},    // not a state one can request
	}
	for _, st := range steps {
		if code, _ := call(env, st.req, nil); code != st.code || stateNow() != st.want {
			t.Errorf("RequestedState %d: returned %d, state %v; want %d, %v", st.req, code, stateNow(), st.code, st.want)
		}
	}
	timeout, _ := cim.NewInterval(30 * time.Second)
	if code, _ := call(env, 2, map[string]cim.Value{"TimeoutPeriod": cim.DatetimeValue(timeout)}); code != 4098 {
		t.Errorf("with a TimeoutPeriod: %d, want 4098", code)
	}
	// A call that answers at once gets a job, followed to completion.
	async := env
	async.Window = -1
	code, out := call(async, 2, nil)
	if code != 4096 {
		t.Fatalf("asynchronous start: %d, want 4096", code)
	}
	ref, ok := out["Job"].Ref()
	if !ok {
		t.Fatalf("no Job reference in %v", out)
	}
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		job, err := s.At(inv.Snapshot(), time.Now()).Get(ref)
		if err != nil {
			t.Fatalf("job %s: %v", ref.String(), err)
		}
		if js, _ := job.Get("JobState"); js.String() == "7" {
			break
		} else if js.String() == "10" {
			desc, _ := job.Get("ErrorDescription")
			t.Fatalf("job failed: %v", desc)
		}
		select {
		case <-deadline.Done():
			t.Fatal("job did not complete")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if stateNow() != backends.StateRunning {
		t.Errorf("after the job the domain is %v", stateNow())
	}
	// The job is linked to the VM it changed.
	d, _ := inv.Snapshot().Domain(uuid)
	vm, _ := s.VirtualSystem(d, time.Now())
	var jobs int
	err := s.At(inv.Snapshot(), time.Now()).Associators(vm.Path, "CIM_AffectedJobElement", "", func(*cim.Instance) error { jobs++; return nil })
	if err != nil || jobs != 1 {
		t.Errorf("VM → AffectedJobElement: %d jobs, %v", jobs, err)
	}
}

// TestJobGetError: a failed job says so in JobState and ErrorDescription,
// and GetError hands back a CIM_Error with the same text.
func TestJobGetError(t *testing.T) {
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 1, Seed: 3})
	vmPath := cim.ObjectPath{Namespace: ns, ClassName: classComputerSystem}
	job, err := s.Jobs.Run("doomed", JobState, vmPath, -1, time.Minute, func(context.Context) error {
		return errors.New("the disk image is gone")
	})
	if err != nil || job == nil {
		t.Fatalf("Run: %v %v", job, err)
	}
	if err := job.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	v := s.At(bed.Inventory.Snapshot(), time.Now())
	inst, err := v.Get(v.jobPath(job))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := inst.Get("JobState"); st.String() != "10" {
		t.Errorf("JobState %v, want 10 (Exception)", st)
	}
	if d, _ := inst.Get("ErrorDescription"); !strings.Contains(d.String(), "the disk image is gone") {
		t.Errorf("ErrorDescription %v", d)
	}
	r, out, err := v.Invoke(t.Context(), Env{Ops: bed.Backend, Current: bed.Inventory.Snapshot}, inst.Path, "GetError", nil)
	if err != nil || r.String() != "0" {
		t.Fatalf("GetError: %v %v", r, err)
	}
	e, ok := out["Error"].Instance()
	if !ok || e.ClassName != "CIM_Error" {
		t.Fatalf("Error: %v", out["Error"])
	}
	if m, _ := e.Get("Message"); !strings.Contains(m.String(), "the disk image is gone") {
		t.Errorf("CIM_Error.Message %v", m)
	}
}
