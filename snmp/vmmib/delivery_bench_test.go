package vmmib

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/internal/deliverybench"
	"github.com/virtbridge/virtbridge/snmp/mib"
	"github.com/virtbridge/virtbridge/snmp/notify"
)

// Events to consumers, SNMP's share (issue 7): VM state changes made
// through the backend on a real libvirt test-driver bed, through the
// inventory, the notifier and the sender, to N trap destinations, each
// its own UDP socket read by its own goroutine. The cim/indication
// package has the same benchmarks for CIM-XML and WS-Eventing
// (delivery_bench_test.go there), with the same harness
// (internal/deliverybench); BENCHMARKS.md, "Events to consumers".

// BenchmarkDeliveryTrap: per state change, the time from just before
// the backend call (Suspend or Resume) to the vmPaused / vmRunning v2c
// trap arriving at each of N destinations. Per-VM notifications only
// (the bulk threshold is out of reach), pacing as shipped (it does not
// bite: one change at a time).
func BenchmarkDeliveryTrap(b *testing.B) {
	deliverybench.Latency(b, func(b *testing.B, n int) *deliverybench.Rig { return &newTrapRig(b, n, 0).Rig })
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
			r := newTrapRig(b, deliverybench.StormSubscribers, c.rate)
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
			deliverybench.Storm(b, &r.Rig, sent)
			for _, st := range r.sender.Stats() {
				if st.Dropped+st.Expired+st.Failed != 0 {
					b.Fatalf("destination %s: %+v", st.Name, st)
				}
			}
		})
	}
}

type trapRig struct {
	deliverybench.Rig
	sender *notify.Sender
}

// newTrapRig starts a 1,000-VM bed, the inventory, the notifier and a
// sender to n UDP receivers, as the agent wires them (cmd/virtbridge's
// snmp.go), with bulk notifications out of reach.
func newTrapRig(b *testing.B, n int, rate float64) *trapRig {
	builder, be, inv, plan, _ := rig(b, deliverybench.BedDomains)
	names := map[string]string{} // UUID -> name (the trap carries vmName)
	for _, p := range plan {
		names[p.UUID] = p.Name
	}
	r := &trapRig{Rig: deliverybench.Rig{Arrivals: deliverybench.New(n), Inventory: inv,
		Running: testbed.UUIDsIn(plan, testbed.StateRunning), Key: trapKey(names)}}
	var dests []notify.Destination
	for i := range n {
		dests = append(dests, notify.Destination{Name: fmt.Sprintf("r%d", i), Address: trapReceiver(b, r.Arrivals, i),
			Version: "2c", Community: "public", QueueSize: deliverybench.QueueSize, Rate: rate})
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
	r.Change = func(ctx context.Context, uuid string, suspend bool) error {
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
func trapReceiver(b *testing.B, arr *deliverybench.Arrivals, i int) string {
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
				arr.Record(i, deliverybench.Arrival{Key: fmt.Sprintf("undecodable: %v", err), At: at})
				continue
			}
			trap, _ := p.Variables[1].Value.(string)
			name, _ := p.Variables[2].Value.([]byte)
			arr.Record(i, deliverybench.Arrival{Key: trap + " " + string(name), At: at})
		}
	}()
	b.Cleanup(func() {
		c.Close()
		<-done
	})
	return c.LocalAddr().String()
}
