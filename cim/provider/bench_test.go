package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// BenchmarkAssociatorsOneVM: SystemDevice associators of one VM, with 10
// and with 10,000 VMs on the host. The cost must not grow with the host
// (sfcb + libvirt-cim's grows linearly: 0.7 s at 1,000 VMs, 3.3 s at 5,000).
func BenchmarkAssociatorsOneVM(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			s := schemaB(b)
			bed := libvirttest.NewBed(b, testbed.Options{Domains: n, Seed: 8})
			plan, inv := bed.Plan, bed.Inventory
			snap := inv.Snapshot()
			d, _ := snap.Domain(plan[n/2].UUID)
			vm, err := s.VirtualSystem(d, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			v := s.At(snap, time.Now())
			for b.Loop() {
				count := 0
				if err := v.Associators(vm.Path, "CIM_SystemDevice", "", func(*cim.Instance) error { count++; return nil }); err != nil || count == 0 {
					b.Fatalf("%d associators, %v", count, err)
				}
			}
		})
	}
}

// BenchmarkAssociatorsProcessorPool: every vCPU allocated from the
// processor pool. This walk does grow with the host (the pool serves every
// VM); it shows by how much.
func BenchmarkAssociatorsProcessorPool(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			s := schemaB(b)
			bed := libvirttest.NewBed(b, testbed.Options{Domains: n, Seed: 8})
			v := s.At(bed.Inventory.Snapshot(), time.Now())
			pool, err := s.keyPath(classPool, cim.PropertyValue{Name: "InstanceID", Value: cim.String("VB:pool/processor")})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				count := 0
				if err := v.Associators(pool, "CIM_ElementAllocatedFromPool", "", func(*cim.Instance) error { count++; return nil }); err != nil || count < n {
					b.Fatalf("%d associators, %v", count, err)
				}
			}
		})
	}
}
