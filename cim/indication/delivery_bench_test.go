package indication_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/wsman"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// Events to consumers, the CIM share (issue 7): VM state changes made
// through the backend on a real libvirt test-driver bed, through the
// inventory and the indication service, to N subscribers, each with its
// own subscription (filter, destination, subscription) and its own HTTP
// server: CIM-XML ExportIndication to listeners, WS-Eventing Push to
// sinks. snmp/vmmib has the same benchmarks for traps
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
	// benchQueue is each subscription's queue (QueueSize), large enough
	// to hold a whole storm.
	benchQueue = 20000
	// stall fails a benchmark when nothing more arrives for this long:
	// the bound on a loss, not a performance target.
	stall = 30 * time.Second
)

// The two channels.
const (
	chanCIMXML     = "cimxml"
	chanWSEventing = "wseventing"
)

// BenchmarkDeliveryCIMXML: per state change, the time from just before
// the backend call (Suspend or Resume) to the VB_InstModification's
// ExportIndication arriving at each of N listeners.
func BenchmarkDeliveryCIMXML(b *testing.B) { benchDelivery(b, chanCIMXML) }

// BenchmarkDeliveryWSEventing: the same to N WS-Eventing Push sinks.
func BenchmarkDeliveryWSEventing(b *testing.B) { benchDelivery(b, chanWSEventing) }

func benchDelivery(b *testing.B, channel string) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			r := newIndicationRig(b, channel, n)
			r.arr.latency(b, r.running, r.change, indicationKey)
		})
	}
}

// BenchmarkStormCIMXML: 10,000 state changes made as fast as the backend
// takes them, every one to arrive, in order, at each of 10 listeners.
func BenchmarkStormCIMXML(b *testing.B) { benchStorm(b, chanCIMXML) }

// BenchmarkStormWSEventing: the same to 10 WS-Eventing Push sinks.
func BenchmarkStormWSEventing(b *testing.B) { benchStorm(b, chanWSEventing) }

func benchStorm(b *testing.B, channel string) {
	r := newIndicationRig(b, channel, stormSubscribers)
	r.arr.storm(b, r.inv, r.running[:stormDomains], r.change, indicationKey)
}

type indicationRig struct {
	arr     *arrivals
	inv     *inventory.Inventory
	running []string // UUIDs of the bed's running domains
	change  func(ctx context.Context, uuid string, suspend bool) error
}

// newIndicationRig starts a 1,000-VM bed with its inventory following
// events, the indication service assembled as the agent does (virt.Assemble;
// store, exporter, pusher, codec, history 1,000, QueueSize 20,000, no
// retries: a failed delivery is dropped and reported (CIM-XML) or ends
// the subscription (WS-Eventing), either of which fails the benchmark),
// and n subscribers of the channel, each with a filter for VM state
// changes.
func newIndicationRig(b *testing.B, channel string, n int) *indicationRig {
	bed := libvirttest.NewBed(b, testbed.Options{Domains: benchDomains, Seed: 11})
	bed.Run(b)
	decode := listenerKey
	if channel == chanWSEventing {
		decode = sinkKey
	}
	r := &indicationRig{arr: newArrivals(n, decode), inv: bed.Inventory, running: testbed.UUIDsIn(bed.Plan, testbed.StateRunning)}
	if len(r.running) < stormDomains {
		b.Fatalf("%d running domains in the bed", len(r.running))
	}
	st, err := indication.OpenStore(filepath.Join(b.TempDir(), "indications.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	ic := &indication.Config{Store: st, QueueSize: benchQueue, Exporter: export.New(10*time.Second, false),
		Pusher: wsman.NewPusher(10*time.Second, false), MaxInstances: 2 * n, History: 1000,
		Codec: indication.Codec{Marshal: cimxml.MarshalInstance, Unmarshal: cimxml.UnmarshalInstance}}
	a, err := virt.Assemble(virt.Config{Namespace: implNS, Version: "bench", Ops: bed.Backend, Indications: ic}, bed.Inventory)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Indications.Run(ctx)
	}()
	b.Cleanup(func() {
		cancel()
		<-done
		a.Broker.Close()
		_ = st.Close()
	})
	// Run subscribes to the inventory at once; the subscriptions below
	// (store writes) take longer than that, so no change is made before.
	for i := range n {
		name := fmt.Sprintf("bench-%d", i)
		switch channel {
		case chanCIMXML:
			url := startReceiver(b, r.arr, i, true)
			fp, err := a.Broker.CreateInstance(b.Context(), interopNS, filterInst(name, "DMTF:CQL", stateChanges))
			if err != nil {
				b.Fatal(err)
			}
			dp, err := a.Broker.CreateInstance(b.Context(), interopNS, destInst(name, url))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.Broker.CreateInstance(b.Context(), interopNS, subInst(fp, dp, nil)); err != nil {
				b.Fatal(err)
			}
		case chanWSEventing:
			url := startReceiver(b, r.arr, i, false)
			_, err := a.Indications.Subscribe(indication.EventSubscription{Query: stateChanges, Language: "WQL",
				Delivery: indication.Delivery{Mode: indication.ModePush, NotifyTo: indication.EPR{Address: url}, Manager: "http://127.0.0.1/wsman"}})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	r.change = func(ctx context.Context, uuid string, suspend bool) error {
		if suspend {
			return bed.Backend.Suspend(ctx, uuid)
		}
		return bed.Backend.Resume(ctx, uuid)
	}
	return r
}

// indicationKey names the delivery a change must produce: the VM and
// its new EnabledState, 9 (Quiesce) when paused, 2 (Enabled) when running.
func indicationKey(uuid string, suspend bool) string {
	if suspend {
		return uuid + " 9"
	}
	return uuid + " 2"
}

// startReceiver is subscriber i: an HTTP server of its own that reads
// each request's body, stamps it and answers: 200, and for CIM-XML an
// EXPMETHODRESPONSE, as listenertest.Listener and sinktest.Sink do. It
// picks out the indication's IndicationIdentifier (CIM-XML's MESSAGE ID,
// WS-Eventing's p:IndicationIdentifier) with a byte search; subscriber
// 0 also keeps each body, decoded in full only after the timed part.
// The subscribers share the machine's two cores with the agent, and a
// listener's XML decoding is not the agent's latency (decoding in the
// handler doubled the CIM-XML latency at 100 subscribers).
func startReceiver(b *testing.B, arr *arrivals, i int, cimXML bool) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		at := time.Now()
		switch {
		case err != nil:
			arr.add(i, arrival{key: "unreadable: " + err.Error(), at: at})
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case cimXML && (r.Header.Get("CIMExport") != "MethodRequest" || r.Header.Get("CIMExportMethod") != cimxml.ExportIndication):
			arr.add(i, arrival{key: "bad headers", at: at})
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		got := arrival{at: at}
		if i == 0 {
			got.raw = body
		}
		if !cimXML {
			got.id = between(body, "<p:IndicationIdentifier>", "<")
			arr.add(i, got)
			return
		}
		got.id = between(body, `<MESSAGE ID="`, `"`)
		arr.add(i, got)
		var answer bytes.Buffer
		_ = cimxml.WriteExportResponse(&answer, got.id, nil)
		w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
		w.Header().Set("CIMExport", "MethodResponse")
		_, _ = w.Write(answer.Bytes())
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/receiver"
}

// between is the text of body between the first open and the close
// after it, "" if there is none.
func between(body []byte, open, close string) string {
	i := bytes.Index(body, []byte(open))
	if i < 0 {
		return ""
	}
	rest := body[i+len(open):]
	if j := bytes.Index(rest, []byte(close)); j >= 0 {
		return string(rest[:j])
	}
	return ""
}

// listenerKey decodes an ExportIndication as listenertest does and
// returns the key of the change it reports.
func listenerKey(body []byte) string {
	req, err := cimxml.DecodeExportRequest(bytes.NewReader(body))
	if err != nil {
		return "undecodable: " + err.Error()
	}
	ind := req.Indication
	v, _ := ind.Get("SourceInstance")
	src, _ := v.Instance()
	if ind.ClassName != "VB_InstModification" || src == nil {
		return "unexpected " + ind.ClassName
	}
	return str(src, "Name") + " " + fmt.Sprint(u16(src, "EnabledState"))
}

// sinkKey parses a WS-Eventing message as sinktest does and returns the
// key of the VB_InstModification it carries.
func sinkKey(body []byte) string {
	var n int
	root, err := xmltree.Read(bytes.NewReader(body), xmltree.Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxElements: 1_000_000}, true, &n)
	if err != nil {
		return "undecodable: " + err.Error()
	}
	const nsSOAP = "http://www.w3.org/2003/05/soap-envelope"
	var ev *xmltree.Node
	if bd := root.Kid(nsSOAP, "Body"); bd != nil && len(bd.Kids) == 1 {
		ev = bd.Kids[0]
	}
	if ev == nil || ev.Name != "VB_InstModification" {
		return "unexpected message"
	}
	src := ev.Kid(ev.Space, "SourceInstance")
	if src == nil || len(src.Kids) != 1 {
		return "no SourceInstance"
	}
	cs := src.Kids[0]
	name, state := cs.Kid(cs.Space, "Name"), cs.Kid(cs.Space, "EnabledState")
	if name == nil || state == nil {
		return "no Name or EnabledState"
	}
	return strings.TrimSpace(name.Text.String()) + " " + strings.TrimSpace(state.Text.String())
}

// arrivals records what each subscriber received, in order, and when.
// A variant of it, with keys decoded as they arrive, is in snmp/vmmib's
// delivery_bench_test.go.
type arrivals struct {
	decode func([]byte) string // a body to the key of its change
	mu     sync.Mutex
	got    [][]arrival
	total  int
	signal chan struct{}
}

// arrival is one delivery: the indication's identifier, and its body
// (subscriber 0 only) until it is decoded into its key. A key without a
// body is an error.
type arrival struct {
	id, key string
	raw     []byte
	at      time.Time
}

func newArrivals(subscribers int, decode func([]byte) string) *arrivals {
	return &arrivals{decode: decode, got: make([][]arrival, subscribers), signal: make(chan struct{}, 1)}
}

func (a *arrivals) add(sub int, got arrival) {
	a.mu.Lock()
	a.got[sub] = append(a.got[sub], got)
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

// check looks at the deliveries from index from on, once all are in:
// subscriber 0's, decoded, must be want (one key per change, in
// order); every other subscriber's must be the same indications
// (identifiers) in the same order. It returns each subscriber's arrival
// times and lets subscriber 0's bodies go.
func (a *arrivals) check(b *testing.B, from int, want []string) [][]time.Time {
	b.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	at := make([][]time.Time, len(a.got))
	var ids []string
	for s := range a.got {
		got := a.got[s][from:]
		if len(got) != len(want) {
			b.Fatalf("subscriber %d: %d deliveries, want %d", s, len(got), len(want))
		}
		at[s] = make([]time.Time, len(got))
		for k := range got {
			at[s][k] = got[k].at
			if got[k].key != "" {
				b.Fatalf("subscriber %d, change %d: %s", s, k, got[k].key)
			}
			if s > 0 {
				if got[k].id != ids[k] {
					b.Fatalf("subscriber %d, change %d: indication %q, subscriber 0 got %q (lost, out of order or unexpected)", s, k, got[k].id, ids[k])
				}
				continue
			}
			key := a.decode(got[k].raw)
			got[k].raw = nil
			if key != want[k] || got[k].id == "" {
				b.Fatalf("subscriber 0, change %d: got %q (indication %q), want %q (lost, out of order or unexpected)", k, key, got[k].id, want[k])
			}
			ids = append(ids, got[k].id)
		}
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
	for _, at := range a.check(b, 0, want) {
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
func (a *arrivals) storm(b *testing.B, inv *inventory.Inventory, doms []string, change func(context.Context, string, bool) error, key func(string, bool) string) {
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
	t0 := make([]time.Time, len(want))
	clock := startChangeClock(b, inv)
	iter := 0
	for b.Loop() {
		from := a.count() / subs
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
		end := a.wait(b, (from+len(want))*subs)
		b.StopTimer()
		time.Sleep(100 * time.Millisecond) // anything extra arrives
		for _, at := range a.check(b, from, want) {
			for k := range at {
				lat = append(lat, at[k].Sub(t0[k]))
			}
		}
		total += end.Sub(start)
		calls += called.Sub(start)
		iter++
		published += clock.when(b, iter*len(want)).Sub(start)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "storm-s")
	b.ReportMetric(float64(len(want)*subs*b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(calls.Seconds()/float64(b.N), "calls-s")
	b.ReportMetric(published.Seconds()/float64(b.N), "inventory-s")
	b.ReportMetric(quantileMS(lat, 0.5), "p50-ms")
	b.ReportMetric(quantileMS(lat, 0.99), "p99-ms")
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
