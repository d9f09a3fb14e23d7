package provider

import (
	"context"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestJobPercentComplete: a job's PercentComplete is NULL while its
// operation has reported nothing, then what it reported, and 100 once it
// is done; the "before" instance of its end shows the last report.
func TestJobPercentComplete(t *testing.T) {
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 1, Seed: 3})
	var events []JobEvent
	s.Jobs.Watch(func(ev JobEvent) { events = append(events, ev) })
	reported, release := make(chan struct{}), make(chan struct{})
	job, err := s.Jobs.Run("slow", JobState, cim.ObjectPath{Namespace: ns, ClassName: classComputerSystem}, -1, time.Minute, func(ctx context.Context) error {
		<-reported
		backends.ReportProgress(ctx, 37)
		<-release
		return nil
	})
	if err != nil || job == nil {
		t.Fatalf("Run: %v %v", job, err)
	}
	percent := func() cim.Value {
		t.Helper()
		v := s.At(bed.Inventory.Snapshot(), time.Now())
		inst, err := v.Get(v.jobPath(job))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := inst.Get("PercentComplete")
		return p
	}
	if p := percent(); !p.IsNull() {
		t.Errorf("PercentComplete %v before any report, want NULL", p)
	}
	close(reported)
	deadline := time.Now().Add(10 * time.Second)
	for percent().String() != "37" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if p := percent(); p.String() != "37" {
		t.Errorf("PercentComplete %v after the report, want 37", p)
	}
	close(release)
	if err := job.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p := percent(); p.String() != "100" {
		t.Errorf("PercentComplete %v when done, want 100", p)
	}
	s.Jobs.mu.Lock()
	evs := append([]JobEvent(nil), events...)
	s.Jobs.mu.Unlock()
	if len(evs) != 2 || !evs[1].Ended {
		t.Fatalf("job events %+v, want kept then ended", evs)
	}
	before, after, err := s.JobInstances(evs[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := before.Get("PercentComplete")
	a, _ := after.Get("PercentComplete")
	if b.String() != "37" || a.String() != "100" {
		t.Errorf("end of the job: PercentComplete %v → %v, want 37 → 100", b, a)
	}
}
