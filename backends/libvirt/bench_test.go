package libvirt_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// bareListing makes exactly the libvirt calls one inventory build needs,
// and nothing else: the floor the build is measured against.
func bareListing(b *testing.B, c *lv.Connect) {
	all, err := c.ListAllDomains(0)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []lv.ConnectListAllDomainsFlags{lv.CONNECT_LIST_DOMAINS_PERSISTENT, lv.CONNECT_LIST_DOMAINS_AUTOSTART,
		lv.CONNECT_LIST_DOMAINS_MANAGEDSAVE, lv.CONNECT_LIST_DOMAINS_HAS_SNAPSHOT} {
		doms, err := c.ListAllDomains(f)
		if err != nil {
			b.Fatal(err)
		}
		for i := range doms {
			doms[i].Free()
		}
	}
	stats, err := c.GetAllDomainStats(nil, lv.DOMAIN_STATS_STATE|lv.DOMAIN_STATS_CPU_TOTAL|lv.DOMAIN_STATS_BALLOON|
		lv.DOMAIN_STATS_VCPU|lv.DOMAIN_STATS_INTERFACE|lv.DOMAIN_STATS_BLOCK, 0)
	if err != nil {
		b.Fatal(err)
	}
	for i := range stats {
		stats[i].Domain.Free()
	}
	for i := range all {
		if _, err := all[i].GetXMLDesc(0); err != nil {
			b.Fatal(err)
		}
		all[i].Free()
	}
}

// compareBuild times, per iteration, the bare calls on c and then a full
// inventory build over be, and reports both and their ratio. The host may
// hold domains besides the n the benchmark made.
func compareBuild(b *testing.B, be backends.Backend, c *lv.Connect, n int) {
	var bare, build time.Duration
	for b.Loop() {
		t0 := time.Now()
		bareListing(b, c)
		t1 := time.Now()
		inv := inventory.New(be, inventory.Config{})
		if err := inv.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		if inv.Snapshot().Len() < n {
			b.Fatalf("built %d domains, want at least %d", inv.Snapshot().Len(), n)
		}
		build += time.Since(t1)
		bare += t1.Sub(t0)
	}
	b.ReportMetric(float64(build)/float64(bare), "build/bare")
	b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms")
	b.ReportMetric(float64(bare.Milliseconds())/float64(b.N), "bare-ms")
}

// BenchmarkInventoryBuild times a full inventory build against the bare
// libvirt calls it needs, on the same connection, and reports the ratio.
func BenchmarkInventoryBuild(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			path, _ := writeTestbed(b, b.TempDir(), n)
			uri := "test://" + path
			be, err := libvirt.Open(context.Background(), uri, libvirt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			// A second connection for the bare calls: same driver, same file.
			c, err := lv.NewConnect(uri)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			compareBuild(b, be, c, n)
		})
	}
}

// BenchmarkEventLatency measures, for suspend/resume through the backend,
// the time from libvirt's callback to the snapshot that shows it.
func BenchmarkEventLatency(b *testing.B) {
	path, plan := writeTestbed(b, b.TempDir(), 1000)
	r := startRig(b, "test://"+path, eventsOnly, libvirt.Options{})
	doms := testbed.UUIDsIn(plan, testbed.StateRunning)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		u := doms[i%len(doms)]
		if err := r.b.Suspend(ctx, u); err != nil {
			b.Fatal(err)
		}
		c := r.waitFor(b, "suspend", stateChange(u, backends.StatePaused))
		lat = append(lat, c.Time.Sub(c.Cause.Time))
		if err := r.b.Resume(ctx, u); err != nil {
			b.Fatal(err)
		}
		c = r.waitFor(b, "resume", stateChange(u, backends.StateRunning))
		lat = append(lat, c.Time.Sub(c.Cause.Time))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkInventoryBuildQEMU is the same comparison on a real hypervisor:
// 200 defined (inactive) domains on qemu:///system, where every call is an
// RPC to libvirtd. Skipped where there is no KVM/QEMU.
func BenchmarkInventoryBuildQEMU(b *testing.B) {
	uri := libvirttest.SystemQEMU(b)
	c, err := lv.NewConnect(uri)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const n = 200
	for i := range n {
		name := fmt.Sprintf("vbbench-%d-%d", os.Getpid(), i)
		d, err := c.DomainDefineXML(libvirttest.FirmwareOnlyDomainXML(name, false))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { d.Undefine(); d.Free() }()
	}
	be, err := libvirt.Open(context.Background(), uri, libvirt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	compareBuild(b, be, c, n)
}
