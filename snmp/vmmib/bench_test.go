package vmmib

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/snmp/mib"
	"github.com/virtbridge/virtbridge/snmp/notify"
)

// BenchmarkEventToTrap measures, on a 1,000-VM test bed, the time from a
// suspend or resume through the backend to the v2c trap arriving at a UDP
// receiver: libvirt's event, the inventory, the notifier and the sender.
func BenchmarkEventToTrap(b *testing.B) {
	builder, be, inv, plan, _ := rig(b, 1000)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	sender, err := notify.New([]notify.Destination{{Name: "sink", Address: pc.LocalAddr().String(), Version: "2c", Community: "public"}},
		notify.Engine{}, builder.Uptime, nil)
	if err != nil {
		b.Fatal(err)
	}
	n := NewNotifier(builder, NotifierConfig{Threshold: 1 << 30}, func(trap mib.OID, vbs []mib.Varbind) {
		sender.Send(notify.Notification{TrapOID: trap, Varbinds: vbs})
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := inv.Subscribe(1 << 16)
	go sender.Run(ctx)
	go n.Run(ctx, sub)
	inventoryRun(b, inv)
	traps := make(chan string, 16) // trap OID + vmName
	go func() {
		buf := make([]byte, 65536)
		for {
			k, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			p, err := (&gosnmp.GoSNMP{}).SnmpDecodePacket(buf[:k])
			if err != nil || len(p.Variables) < 3 {
				continue
			}
			trap, _ := p.Variables[1].Value.(string)
			name, _ := p.Variables[2].Value.([]byte)
			traps <- trap + " " + string(name)
		}
	}()
	running := testbed.UUIDsIn(plan, testbed.StateRunning)
	names := map[string]string{}
	for _, p := range plan {
		names[p.UUID] = p.Name
	}
	wait := func(want string) time.Time {
		deadline := time.After(20 * time.Second)
		for {
			select {
			case got := <-traps:
				if got == want {
					return time.Now()
				}
			case <-deadline:
				b.Fatalf("no trap %q", want)
			}
		}
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		u := running[i%len(running)]
		i++
		t0 := time.Now()
		if err := be.Suspend(ctx, u); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, wait(".1.3.6.1.2.1.236.0.4 "+names[u]).Sub(t0))
		t0 = time.Now()
		if err := be.Resume(ctx, u); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, wait(".1.3.6.1.2.1.236.0.1 "+names[u]).Sub(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
