package notify

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// sink is an in-process UDP receiver that counts datagrams.
func sink(b *testing.B) (string, *atomic.Int64) {
	b.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	// Up to net.core.rmem_max: the sender is unpaced here.
	c.SetReadBuffer(4 << 20)
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			if _, _, err := c.ReadFromUDP(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	b.Cleanup(func() {
		c.Close()
		<-done
	})
	return c.LocalAddr().String(), &n
}

// benchNotification is a typical VM state change: four varbinds.
func benchNotification() Notification {
	return Notification{
		TrapOID: mib.MustParse(trapOIDStr),
		Varbinds: []mib.Varbind{
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.1.1.2.17"), Type: gosnmp.OctetString, Value: "vm-0017"},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.1.1.3.17"), Type: gosnmp.OctetString, Value: "5d1f0c6e-8f43-4f39-9d3e-2b7d0c3c9a11"},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.1.1.4.17"), Type: gosnmp.Integer, Value: 1},
			{OID: mib.MustParse(oidSeq), Type: gosnmp.Gauge32, Value: uint32(17)},
		},
	}
}

// benchSend measures end to end, Send to datagram written, unpaced: the
// notifications per second one sending goroutine encodes and writes.
func benchSend(b *testing.B, d Destination) {
	addr, got := sink(b)
	d.Name, d.Address, d.Rate, d.QueueSize = "sink", addr, -1, b.N
	s, err := New([]Destination{d}, testEngine(), func() uint32 { return testUptime }, nil)
	if err != nil {
		b.Fatal(err)
	}
	runSender(b, s, nil)
	n := benchNotification()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		s.Send(n)
	}
	for statsOf(b, s, "sink").Sent < uint64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st := statsOf(b, s, "sink")
	if st.Dropped != 0 || st.Failed != 0 {
		b.Fatalf("stats %+v", st)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notifications/s")
	// Let the sink drain, then report how much of the unpaced burst the
	// kernel delivered (pacing exists because this is not 1).
	time.Sleep(10 * time.Millisecond)
	b.ReportMetric(float64(got.Load())/float64(b.N), "delivered/sent")
}

func BenchmarkSendTrap(b *testing.B) {
	benchSend(b, Destination{Version: "2c", Community: "public"})
}

func BenchmarkSendTrapV3AuthPriv(b *testing.B) {
	benchSend(b, Destination{Version: "3",
		User: User{Name: "u", AuthProto: "SHA-256", AuthPass: authPass, PrivProto: "AES", PrivPass: privPass}})
}
