package provider

import (
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestAssociationClasses: association instances are enumerable by class
// (each once) and can be fetched by the paths they carry, the same
// instances References reaches.
func TestAssociationClasses(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 8, Seed: 6, Pools: 2, Networks: 2, Snapshots: 2})
	snap := bed.Inventory.Snapshot()
	v := s.At(snap, time.Now())
	want := 0
	for _, d := range snap.Domains() {
		want += d.VCPUs + 1 + len(d.Disks) + len(d.NICs)
	}
	for class, n := range map[string]int{"VB_SystemDevice": want, "CIM_HostedDependency": snap.Len() + 3, "VB_HostedResourcePool": 2 + 2 + 2} {
		var got []*cim.Instance
		if err := v.Enumerate(class, func(i *cim.Instance) error { got = append(got, i); return nil }); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range got {
			if seen[canon(a.Path)] {
				t.Errorf("%s: %s twice", class, a.Path.String())
			}
			seen[canon(a.Path)] = true
			back, err := v.Get(a.Path)
			if err != nil || !back.Equal(a) {
				t.Errorf("%s: Get(%s): %v", class, a.Path.String(), err)
			}
		}
		// HostedDependency includes HostedService (3 services) as a subclass.
		if len(got) != n {
			t.Errorf("%s: %d instances, want %d", class, len(got), n)
		}
	}
}
