package vmmib

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/snmp/mib"
	"github.com/virtbridge/virtbridge/snmp/notify"
)

// Events to consumers, SNMP's share (issue 7): VM state changes made
// through the backend on a real libvirt test-driver bed, through the
// inventory, the notifier and the sender, to N trap destinations, each
// its own UDP socket read by its own goroutine. The cim/indication
// package has the same benchmarks for CIM-XML and WS-Eventing
// (delivery_bench_test.go there); BENCHMARKS.md, "Events to consumers".

const (
	// benchDomains is the size of the test bed.
	benchDomains = 1000
	// latencyChanges is one op of the latency benchmarks: this many state
	// changes (suspend / resume pairs), one at a time, each waited for at
	// every subscriber before the next is made.
	latencyChanges = 200
	// stormDomains, stormRounds: a storm is stormRounds times suspending
	// then resuming each of stormDomains domains, as fast as the backend
	// takes the calls: 10,000 state changes.
	stormDomains = 10
	stormRounds  = 500
	// stormSubscribers get every change of a storm.
	stormSubscribers = 10
	// benchQueue is each destination's queue, large enough to hold a
	// whole storm.
	benchQueue = 20000
	// stall fails a benchmark when nothing more arrives for this long:
	// the bound on a loss, not a performance target.
	stall = 30 * time.Second
)

// BenchmarkDeliveryTrap: per state change, the time from just before
// the backend call (Suspend or Resume) to the vmPaused / vmRunning v2c
// trap arriving at each of N destinations. Per-VM notifications only
// (the bulk threshold is out of reach), pacing as shipped (it does not
// bite: one change at a time).
func BenchmarkDeliveryTrap(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			r := newTrapRig(b, n, 0)
			r.arr.latency(b, r.running, r.change, trapKey(r.names))
		})
	}
}

// BenchmarkStormTrap: 10,000 state changes made as fast as the backend
// takes them, every one to arrive, in order, at each of 10 destinations.
// rate=default is the sender's shipped pacing (1,000 packets/s per
// destination, bursts of 32), which bounds a storm to about 10 s by
// design. rate=unpaced shows what the pipeline itself does; there the
// receivers' sockets may overflow (what pacing is for: see
// notify.Destination.Rate), so what UDP loses is counted (udp-lost),
// not failed, while the sender must still send every trap, in order.
func BenchmarkStormTrap(b *testing.B) {
	for _, c := range []struct {
		name string
		rate float64
	}{{"default", 0}, {"unpaced", -1}} {
		b.Run("rate="+c.name, func(b *testing.B) {
			r := newTrapRig(b, stormSubscribers, c.rate)
			var sent func() int
			if c.rate < 0 {
				sent = func() int {
					n := 0
					for _, st := range r.sender.Stats() {
						n += int(st.Sent)
					}
					return n
				}
			}
			r.arr.storm(b, r.inv, r.running[:stormDomains], r.change, trapKey(r.names), sent)
			for _, st := range r.sender.Stats() {
				if st.Dropped+st.Expired+st.Failed != 0 {
					b.Fatalf("destination %s: %+v", st.Name, st)
				}
			}
		})
	}
}

type trapRig struct {
	arr     *arrivals
	inv     *inventory.Inventory
	sender  *notify.Sender
	running []string          // UUIDs of the bed's running domains
	names   map[string]string // UUID -> name (the trap carries vmName)
	change  func(ctx context.Context, uuid string, suspend bool) error
}

// newTrapRig starts a 1,000-VM bed, the inventory, the notifier and a
// sender to n UDP receivers, as the agent wires them (cmd/virtbridge's
// snmp.go), with bulk notifications out of reach.
func newTrapRig(b *testing.B, n int, rate float64) *trapRig {
	builder, be, inv, plan, _ := rig(b, benchDomains)
	r := &trapRig{arr: newArrivals(n), inv: inv, names: map[string]string{}, running: testbed.UUIDsIn(plan, testbed.StateRunning)}
	for _, p := range plan {
		r.names[p.UUID] = p.Name
	}
	if len(r.running) < stormDomains {
		b.Fatalf("%d running domains in the bed", len(r.running))
	}
	var dests []notify.Destination
	for i := range n {
		dests = append(dests, notify.Destination{Name: fmt.Sprintf("r%d", i), Address: trapReceiver(b, r.arr, i),
			Version: "2c", Community: "public", QueueSize: benchQueue, Rate: rate})
	}
	sender, err := notify.New(dests, notify.Engine{}, builder.Uptime, nil)
	if err != nil {
		b.Fatal(err)
	}
	r.sender = sender
	notifier := NewNotifier(builder, NotifierConfig{Threshold: 1 << 30}, func(trap mib.OID, vbs []mib.Varbind) {
		sender.Send(notify.Notification{TrapOID: trap, Varbinds: vbs})
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	sub := inv.Subscribe(1 << 17) // as the agent
	wg.Add(2)
	go func() { defer wg.Done(); _ = sender.Run(ctx) }()
	go func() { defer wg.Done(); _ = notifier.Run(ctx, sub) }()
	b.Cleanup(func() {
		cancel()
		wg.Wait()
		if m := notifier.Missed.Load(); m != 0 {
			b.Errorf("the notifier missed %d inventory changes", m)
		}
	})
	inventoryRun(b, inv)
	r.change = func(ctx context.Context, uuid string, suspend bool) error {
		if suspend {
			return be.Suspend(ctx, uuid)
		}
		return be.Resume(ctx, uuid)
	}
	return r
}

// trapKey names the trap a change must produce: vmPaused(4) or
// vmRunning(1), and the VM's name.
func trapKey(names map[string]string) func(uuid string, suspend bool) string {
	return func(uuid string, suspend bool) string {
		if suspend {
			return ".1.3.6.1.2.1.236.0.4 " + names[uuid]
		}
		return ".1.3.6.1.2.1.236.0.1 " + names[uuid]
	}
}

// trapReceiver is subscriber i: a UDP socket whose reader stamps each
// datagram as it is read, then decodes it.
func trapReceiver(b *testing.B, arr *arrivals, i int) string {
	b.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20) // up to net.core.rmem_max
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			k, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			at := time.Now()
			p, err := (&gosnmp.GoSNMP{}).SnmpDecodePacket(buf[:k])
			if err != nil || len(p.Variables) < 3 {
				arr.add(i, fmt.Sprintf("undecodable: %v", err), at)
				continue
			}
			trap, _ := p.Variables[1].Value.(string)
			name, _ := p.Variables[2].Value.([]byte)
			arr.add(i, trap+" "+string(name), at)
		}
	}()
	b.Cleanup(func() {
		c.Close()
		<-done
	})
	return c.LocalAddr().String()
}

// arrivals records what each subscriber received, in order, and when.
// Traps are decoded as they arrive (gosnmp, a few microseconds each);
// cim/indication's delivery_bench_test.go has a variant that keeps
// bodies and decodes them after the timed part.
type arrivals struct {
	mu     sync.Mutex
	got    [][]arrival
	total  int
	signal chan struct{}
}

type arrival struct {
	key string
	at  time.Time
}

func newArrivals(subscribers int) *arrivals {
	return &arrivals{got: make([][]arrival, subscribers), signal: make(chan struct{}, 1)}
}

func (a *arrivals) add(sub int, key string, at time.Time) {
	a.mu.Lock()
	a.got[sub] = append(a.got[sub], arrival{key, at})
	a.total++
	a.mu.Unlock()
	select {
	case a.signal <- struct{}{}:
	default:
	}
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// wait waits until want deliveries arrived in all, failing b when none
// arrives for stall.
func (a *arrivals) wait(b *testing.B, want int) time.Time {
	b.Helper()
	last, lastAt := a.count(), time.Now()
	for {
		n := a.count()
		if n >= want {
			return time.Now()
		}
		if n != last {
			last, lastAt = n, time.Now()
		}
		if time.Since(lastAt) > stall {
			b.Fatalf("lost: %d of %d deliveries arrived, none for %v", n, want, stall)
		}
		select {
		case <-a.signal:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// check compares subscriber sub's deliveries from index from on with
// want (one key per change, in order) and returns their arrival times.
func (a *arrivals) check(b *testing.B, sub, from int, want []string) []time.Time {
	b.Helper()
	a.mu.Lock()
	got := slices.Clone(a.got[sub][from:])
	a.mu.Unlock()
	if len(got) != len(want) {
		b.Fatalf("subscriber %d: %d deliveries, want %d", sub, len(got), len(want))
	}
	at := make([]time.Time, len(got))
	for k := range got {
		if got[k].key != want[k] {
			b.Fatalf("subscriber %d, change %d: got %q, want %q (lost, out of order or unexpected)", sub, k, got[k].key, want[k])
		}
		at[k] = got[k].at
	}
	return at
}

// latency runs ops of latencyChanges state changes on the running
// domains, one at a time (suspend, resume, next domain), each waited
// for at every subscriber, after one unmeasured pair that opens the
// connections. It reports the median and p99 over every delivery, and
// the median over changes of the last subscriber's delivery.
func (a *arrivals) latency(b *testing.B, doms []string, change func(context.Context, string, bool) error, key func(string, bool) string) {
	subs := len(a.got)
	ctx := context.Background()
	var want []string
	var t0 []time.Time
	step := func(uuid string, suspend bool) {
		want = append(want, key(uuid, suspend))
		t0 = append(t0, time.Now())
		if err := change(ctx, uuid, suspend); err != nil {
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
		for range latencyChanges / 2 {
			u := doms[d%len(doms)]
			d++
			step(u, true)
			step(u, false)
		}
	}
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // anything extra arrives
	var all []time.Duration
	last := make([]time.Duration, len(want)-warm)
	for s := range subs {
		at := a.check(b, s, 0, want)
		for k := warm; k < len(want); k++ {
			l := at[k].Sub(t0[k])
			all = append(all, l)
			last[k-warm] = max(last[k-warm], l)
		}
	}
	b.ReportMetric(quantileMS(all, 0.5), "p50-ms")
	b.ReportMetric(quantileMS(all, 0.99), "p99-ms")
	b.ReportMetric(quantileMS(last, 0.5), "last-p50-ms")
	b.ReportMetric(float64(len(all))/float64(b.N), "deliveries/op")
}

// storm makes stormRounds rounds of suspending, then resuming, each
// domain in doms as fast as the backend takes the calls, and waits
// until every subscriber has every change, in order. It reports the
// time from the first call to the last delivery, deliveries per second
// over it, the time the calls took, the time until the inventory
// published the last change, and the per-delivery latency.
//
// With sent (the datagrams the sender has written), losses on the way
// (UDP, at a receiver's socket) are counted, not failed: it waits until
// everything is sent and nothing more arrives, checks that what arrived
// is in order, and reports "udp-lost".
func (a *arrivals) storm(b *testing.B, inv *inventory.Inventory, doms []string, change func(context.Context, string, bool) error, key func(string, bool) string, sent func() int) {
	subs := len(a.got)
	ctx := context.Background()
	var want []string
	for range stormRounds {
		for _, suspend := range []bool{true, false} {
			for _, u := range doms {
				want = append(want, key(u, suspend))
			}
		}
	}
	var total, calls, published time.Duration
	var lat []time.Duration
	delivered, lost := 0, 0
	t0 := make([]time.Time, len(want))
	clock := startChangeClock(b, inv)
	iter := 0
	for b.Loop() {
		from := a.lens()
		start := time.Now()
		k := 0
		for range stormRounds {
			for _, suspend := range []bool{true, false} {
				for _, u := range doms {
					t0[k] = time.Now()
					k++
					if err := change(ctx, u, suspend); err != nil {
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
		var end time.Time
		for s := range subs {
			var at []time.Time
			var idx []int
			if sent == nil {
				at = a.check(b, s, from[s], want)
			} else {
				at, idx = a.inOrder(b, s, from[s], want)
				lost += len(want) - len(at)
			}
			delivered += len(at)
			for j := range at {
				k := j
				if idx != nil {
					k = idx[j]
				}
				lat = append(lat, at[j].Sub(t0[k]))
				if at[j].After(end) {
					end = at[j]
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

// lens is how many deliveries each subscriber has had.
func (a *arrivals) lens() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]int, len(a.got))
	for s := range a.got {
		out[s] = len(a.got[s])
	}
	return out
}

// quiet waits until nothing has arrived for d.
func (a *arrivals) quiet(d time.Duration) {
	for n := -1; n != a.count(); {
		n = a.count()
		time.Sleep(d)
	}
}

// inOrder checks that subscriber sub's deliveries from index from on
// are want with some left out (none repeated, none out of order) and
// returns their arrival times and the indexes in want they match.
func (a *arrivals) inOrder(b *testing.B, sub, from int, want []string) ([]time.Time, []int) {
	b.Helper()
	a.mu.Lock()
	got := slices.Clone(a.got[sub][from:])
	a.mu.Unlock()
	var at []time.Time
	var idx []int
	k := 0
	for _, g := range got {
		for k < len(want) && want[k] != g.key {
			k++
		}
		if k == len(want) {
			b.Fatalf("subscriber %d: %q is out of order, repeated or unexpected", sub, g.key)
		}
		at, idx = append(at, g.at), append(idx, k)
		k++
	}
	return at, idx
}

// waitSent waits until the sender has written want datagrams in all,
// failing b when it writes none for stall.
func waitSent(b *testing.B, sent func() int, want int) {
	b.Helper()
	last, lastAt := sent(), time.Now()
	for n := sent(); n < want; n = sent() {
		if n != last {
			last, lastAt = n, time.Now()
		}
		if time.Since(lastAt) > stall {
			b.Fatalf("the sender wrote %d of %d traps, none for %v", n, want, stall)
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
	deadline := time.Now().Add(stall)
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
