// Package deliverybench is the harness the events-to-consumers
// benchmarks share (issue 7; BENCHMARKS.md, "Events to consumers"):
// what each subscriber received, checked against the changes made
// (Arrivals), the latency driver (one change at a time) and the storm
// driver (10,000 changes as fast as the backend takes them). The
// protocols are the callers': cim/indication's delivery_bench_test.go
// (CIM-XML, WS-Eventing) and snmp/vmmib's (traps) start the bed, the
// agent's side and the receivers, and hand the drivers a Rig.
package deliverybench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
)

const (
	// BedDomains is the size of the test bed.
	BedDomains = 1000
	// LatencyChanges is one op of Latency: this many state changes
	// (suspend / resume pairs), one at a time, each waited for at every
	// subscriber before the next is made.
	LatencyChanges = 200
	// StormDomains, StormRounds: a storm is StormRounds times suspending
	// then resuming each of StormDomains domains, as fast as the backend
	// takes the calls: 10,000 state changes.
	StormDomains = 10
	StormRounds  = 500
	// StormSubscribers get every change of a storm.
	StormSubscribers = 10
	// QueueSize is each subscription's or destination's queue, large
	// enough to hold a whole storm.
	QueueSize = 20000
	// Stall fails a benchmark when nothing more arrives for this long:
	// the bound on a loss, not a performance target.
	Stall = 30 * time.Second
)

// Rig is a bed with the agent's side and the subscribers' receivers
// running, as the drivers see it.
type Rig struct {
	// Arrivals is what the receivers recorded.
	Arrivals *Arrivals
	// Inventory is the bed's: Storm notes when it published each change.
	Inventory *inventory.Inventory
	// Running are the UUIDs of the bed's running domains.
	Running []string
	// Change suspends (suspend) or resumes a domain through the backend.
	Change func(ctx context.Context, uuid string, suspend bool) error
	// Key names the delivery a change must produce (Arrival.Key).
	Key func(uuid string, suspend bool) string
}

// Latency runs the sub-benchmarks subscribers=1, 10 and 100, each on
// the rig newRig starts for that many subscribers: ops of
// LatencyChanges state changes on the running domains, one at a time
// (suspend, resume, next domain), each waited for at every subscriber,
// after one unmeasured pair that opens the connections. It reports the
// median and p99 over every delivery, and the median over changes of
// the last subscriber's delivery.
func Latency(b *testing.B, newRig func(b *testing.B, subscribers int) *Rig) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			latency(b, newRig(b, n))
		})
	}
}

func latency(b *testing.B, r *Rig) {
	a, doms := r.Arrivals, r.Running
	if len(doms) == 0 {
		b.Fatal("no running domains in the bed")
	}
	subs := a.subscribers()
	ctx := context.Background()
	from := a.lens()
	var want []string
	var t0 []time.Time
	step := func(uuid string, suspend bool) {
		want = append(want, r.Key(uuid, suspend))
		t0 = append(t0, time.Now())
		if err := r.Change(ctx, uuid, suspend); err != nil {
			b.Fatal(err)
		}
		a.wait(b, len(want)*subs)
		if n := a.count(); n != len(want)*subs {
			b.Fatalf("%d deliveries after %d changes to %d subscribers", n, len(want), subs)
		}
	}
	step(doms[0], true)
	step(doms[0], false)
	warm := len(want)
	d := 0
	for b.Loop() {
		for range LatencyChanges / 2 {
			u := doms[d%len(doms)]
			d++
			step(u, true)
			step(u, false)
		}
	}
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // anything extra arrives
	got, err := a.check(from, want)
	if err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	last := make([]time.Duration, len(want)-warm)
	for _, g := range got {
		for _, d := range g[warm:] {
			l := d.at.Sub(t0[d.change])
			all = append(all, l)
			last[d.change-warm] = max(last[d.change-warm], l)
		}
	}
	b.ReportMetric(quantileMS(all, 0.5), "p50-ms")
	b.ReportMetric(quantileMS(all, 0.99), "p99-ms")
	b.ReportMetric(quantileMS(last, 0.5), "last-p50-ms")
	b.ReportMetric(float64(len(all))/float64(b.N), "deliveries/op")
}

// Storm makes StormRounds rounds of suspending, then resuming, each of
// StormDomains running domains as fast as the backend takes the calls,
// and waits until every subscriber has every change, in order. It
// reports the time from the first call to the last delivery,
// deliveries per second over it, the time the calls took, the time
// until the inventory published the last change, and the per-delivery
// latency.
//
// With sent (how many deliveries the agent has sent, to all
// subscribers), losses on the way (UDP, at a receiver's socket) are
// counted, not failed: it waits until everything is sent and nothing
// more arrives, checks that what arrived is in order, and reports
// "udp-lost". sent needs arrivals made by New.
func Storm(b *testing.B, r *Rig, sent func() int) {
	a := r.Arrivals
	if len(r.Running) < StormDomains {
		b.Fatalf("%d running domains in the bed", len(r.Running))
	}
	doms := r.Running[:StormDomains]
	subs := a.subscribers()
	ctx := context.Background()
	var want []string
	for range StormRounds {
		for _, suspend := range []bool{true, false} {
			for _, u := range doms {
				want = append(want, r.Key(u, suspend))
			}
		}
	}
	var total, calls, published time.Duration
	var lat []time.Duration
	delivered, lost := 0, 0
	t0 := make([]time.Time, len(want))
	clock := startChangeClock(b, r.Inventory)
	iter := 0
	for b.Loop() {
		from := a.lens()
		start := time.Now()
		k := 0
		for range StormRounds {
			for _, suspend := range []bool{true, false} {
				for _, u := range doms {
					t0[k] = time.Now()
					k++
					if err := r.Change(ctx, u, suspend); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		called := time.Now()
		iter++
		if sent == nil {
			a.wait(b, sum(from)+len(want)*subs)
		} else {
			waitSent(b, sent, iter*len(want)*subs)
		}
		b.StopTimer()
		a.quiet(200 * time.Millisecond) // anything extra arrives
		check := a.check
		if sent != nil {
			check = a.inOrder
		}
		got, err := check(from, want)
		if err != nil {
			b.Fatal(err)
		}
		var end time.Time
		for _, g := range got {
			lost += len(want) - len(g)
			delivered += len(g)
			for _, d := range g {
				lat = append(lat, d.at.Sub(t0[d.change]))
				if d.at.After(end) {
					end = d.at
				}
			}
		}
		total += end.Sub(start)
		calls += called.Sub(start)
		published += clock.when(b, iter*len(want)).Sub(start)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "storm-s")
	b.ReportMetric(float64(delivered)/total.Seconds(), "deliveries/s")
	b.ReportMetric(calls.Seconds()/float64(b.N), "calls-s")
	b.ReportMetric(published.Seconds()/float64(b.N), "inventory-s")
	b.ReportMetric(quantileMS(lat, 0.5), "p50-ms")
	b.ReportMetric(quantileMS(lat, 0.99), "p99-ms")
	if sent != nil {
		b.ReportMetric(float64(lost)/float64(b.N), "udp-lost")
	}
}

func sum(n []int) int {
	t := 0
	for _, x := range n {
		t += x
	}
	return t
}

// waitSent waits until sent reports want deliveries in all, failing b
// when none is sent for Stall.
func waitSent(b *testing.B, sent func() int, want int) {
	b.Helper()
	last, lastAt := sent(), time.Now()
	for n := sent(); n < want; n = sent() {
		if n != last {
			last, lastAt = n, time.Now()
		}
		if time.Since(lastAt) > Stall {
			b.Fatalf("the sender sent %d of %d deliveries, none for %v", n, want, Stall)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// changeClock notes when the inventory published each domain change,
// as a subscriber of its own.
type changeClock struct {
	mu  sync.Mutex
	at  []time.Time
	sub *inventory.Subscription
}

func startChangeClock(b *testing.B, inv *inventory.Inventory) *changeClock {
	c := &changeClock{sub: inv.Subscribe(1 << 17)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ch, err := c.sub.Next(ctx)
			if err != nil {
				return
			}
			if ch.Kind == inventory.DomainModified {
				c.mu.Lock()
				c.at = append(c.at, ch.Time)
				c.mu.Unlock()
			}
		}
	}()
	b.Cleanup(func() {
		cancel()
		<-done
		c.sub.Close()
	})
	return c
}

// when is when the inventory published its n-th change (from 1).
func (c *changeClock) when(b *testing.B, n int) time.Time {
	deadline := time.Now().Add(Stall)
	for {
		c.mu.Lock()
		seen := len(c.at)
		var at time.Time
		if seen >= n {
			at = c.at[n-1]
		}
		c.mu.Unlock()
		if seen >= n {
			return at
		}
		if time.Now().After(deadline) || c.sub.Dropped() > 0 {
			b.Fatalf("the inventory published %d changes, want %d (%d dropped by the clock)", seen, n, c.sub.Dropped())
		}
		time.Sleep(time.Millisecond)
	}
}

// quantileMS is the q quantile of d in milliseconds (nearest rank).
func quantileMS(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(int(q*float64(len(s))), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}
