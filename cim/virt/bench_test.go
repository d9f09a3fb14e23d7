package virt_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim/cimxml"
)

// The CIM-XML benchmarks of issue 4 (recorded in BENCHMARKS.md): real
// test-driver beds, the inventory synced from them, the broker of virt.New
// behind cimxml.Handler on an httptest server, real CIM-XML requests
// POSTed and every response read to its last byte.
//
// Reference points (sfcb + libvirt-cim, same test-driver beds):
// KVM_ComputerSystem at about 1,000 instances/s (0.9 s for 1,000 VMs,
// 5.4 s for 5,000), 415 MB resident at 5,000 VMs; Associators of one VM
// 0.7 s at 1,000 VMs, 3.3 s at 5,000.

// agent is the CIM-XML front end over a bed (newBed).
type agent struct {
	*bed
	url    string
	client *http.Client
	// probeAt > 0 has the next response measure the live heap once that
	// many bytes of it are written, into probed.
	probeAt atomic.Int64
	probed  chan uint64
}

// newAgent serves CIM-XML over HTTP as a read-only user from an n-domain
// bed.
func newAgent(tb testing.TB, n int) *agent {
	tb.Helper()
	a := &agent{bed: newBed(tb, n), probed: make(chan uint64, 1)}
	h := &cimxml.Handler{Broker: a.broker}
	a.url, a.client = serve(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if at := a.probeAt.Load(); at > 0 {
			w = &probingWriter{ResponseWriter: w, at: at, probe: func() { a.probed <- liveHeap() }}
		}
		h.ServeHTTP(w, r)
	}), "/cimom")
	return a
}

// request is one CIM-XML intrinsic call, as wbemcli sends it.
type request struct {
	method string
	body   []byte
	elem   []byte // the element that opens each returned object
}

func intrinsic(method, params string) string {
	var ns strings.Builder
	for p := range strings.SplitSeq(namespace, "/") {
		fmt.Fprintf(&ns, `<NAMESPACE NAME="%s"/>`, p)
	}
	return `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH>` + ns.String() + `</LOCALNAMESPACEPATH>` +
		params + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

// enumerateInstances: DeepInheritance true, LocalOnly false, no
// qualifiers or class origins (wbemcli ei's defaults).
func enumerateInstances(class string) request {
	return request{method: "EnumerateInstances", elem: []byte("<VALUE.NAMEDINSTANCE>"), body: []byte(intrinsic("EnumerateInstances",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="`+class+`"/></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="DeepInheritance"><VALUE>TRUE</VALUE></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="IncludeQualifiers"><VALUE>FALSE</VALUE></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="IncludeClassOrigin"><VALUE>FALSE</VALUE></IPARAMVALUE>`))}
}

// systemDevices: Associators of one VM through CIM_SystemDevice.
func systemDevices(uuid string) request {
	return request{method: "Associators", elem: []byte("<VALUE.OBJECTWITHPATH>"), body: []byte(intrinsic("Associators",
		`<IPARAMVALUE NAME="ObjectName"><INSTANCENAME CLASSNAME="VB_ComputerSystem">`+
			`<KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">VB_ComputerSystem</KEYVALUE></KEYBINDING>`+
			`<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">`+uuid+`</KEYVALUE></KEYBINDING>`+
			`</INSTANCENAME></IPARAMVALUE>`+
			`<IPARAMVALUE NAME="AssocClass"><CLASSNAME NAME="CIM_SystemDevice"/></IPARAMVALUE>`))}
}

// counter counts the occurrences of pat in what is written to it,
// without keeping it (a match may straddle two writes).
type counter struct {
	pat   []byte
	n     int
	bytes int64
	tail  [64]byte // the last len(pat)-1 bytes seen
	tl    int
}

func (c *counter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	k := len(c.pat) - 1
	if c.tl > 0 {
		var seam [128]byte
		s := append(append(seam[:0], c.tail[:c.tl]...), p[:min(k, len(p))]...)
		c.n += bytes.Count(s, c.pat)
	}
	c.n += bytes.Count(p, c.pat)
	if len(p) >= k {
		c.tl = copy(c.tail[:], p[len(p)-k:])
	} else {
		var j [128]byte
		s := append(append(j[:0], c.tail[:c.tl]...), p...)
		c.tl = copy(c.tail[:], s[max(0, len(s)-k):])
	}
	return len(p), nil
}

// post sends req and returns its response, status and CIM headers
// checked.
func (a *agent) post(tb testing.TB, req request) *http.Response {
	hr, err := http.NewRequest(http.MethodPost, a.url, bytes.NewReader(req.body))
	if err != nil {
		tb.Fatal(err)
	}
	hr.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	hr.Header.Set("CIMOperation", "MethodCall")
	hr.Header.Set("CIMMethod", req.method)
	hr.Header.Set("CIMObject", namespace)
	hr.Header.Set("TE", "trailers")
	resp, err := a.client.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("CIMError") != "" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tb.Fatalf("%s: HTTP %s, CIMError %q: %s", req.method, resp.Status, resp.Header.Get("CIMError"), b)
	}
	return resp
}

// do sends req, reads the answer to its last byte and returns how many
// objects it held and its size; a CIM error in the trailer fails tb.
func (a *agent) do(tb testing.TB, req request, buf []byte) (objects int, size int64) {
	resp := a.post(tb, req)
	c := &counter{pat: req.elem}
	_, err := io.CopyBuffer(c, resp.Body, buf)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("%s: reading the response: %v", req.method, err)
	}
	if st := resp.Trailer.Get("CIMStatusCode"); st != "" {
		tb.Fatalf("%s: CIMStatusCode %s in the trailer: %s", req.method, st, resp.Trailer.Get("CIMStatusCodeDescription"))
	}
	return c.n, c.bytes
}

// midResponseHeap is how much more heap is live half-way through one
// response than before it was asked for: what the server holds for a
// response in flight. The handler's writer, once half the response has
// passed through it, collects and reads the heap the collection marked
// live, from the handler's own goroutine (so the encoder is paused with
// everything it holds). A server that built the whole answer before
// sending it would hold all of it.
func (a *agent) midResponseHeap(tb testing.TB, req request, size int64, buf []byte) float64 {
	before := liveHeap()
	a.probeAt.Store(size / 2)
	defer a.probeAt.Store(0)
	a.do(tb, req, buf)
	select {
	case mid := <-a.probed:
		return float64(int64(mid) - int64(before))
	default:
		tb.Fatal("the response never reached half its size")
		return 0
	}
}

// probingWriter runs probe once when more than at bytes have been written.
type probingWriter struct {
	http.ResponseWriter
	at, n int64
	probe func()
}

func (w *probingWriter) Write(p []byte) (int, error) {
	if w.n <= w.at && w.n+int64(len(p)) > w.at {
		w.probe()
	}
	w.n += int64(len(p))
	return w.ResponseWriter.Write(p)
}

// liveHeap collects, then returns the bytes of heap objects the
// collection marked live.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// expectedRASDs is what the snapshot says CIM_ResourceAllocationSettingData
// holds: per VM one processor RASD (with vCPUs), one memory RASD, one per
// disk and one per NIC; then four templates (default, minimum, maximum,
// increment, DSP1043) for each pool: processors, memory, every storage
// pool and every network.
func expectedRASDs(snap *inventory.Snapshot) int {
	n := 0
	for _, d := range snap.Domains() {
		if len(d.VCPUInfo) > 0 {
			n++
		}
		n += 1 + len(d.Disks) + len(d.NICs)
	}
	return n + 4*(2+len(snap.Host.StoragePools)+len(snap.Host.Networks))
}

// systemDeviceCount is what CIM_SystemDevice ties to d: its vCPUs, its
// memory, its disks and its NICs.
func systemDeviceCount(d *backends.Domain) int {
	return len(d.VCPUInfo) + 1 + len(d.Disks) + len(d.NICs)
}

// run benchmarks req against a, which must answer want objects each time.
func run(b *testing.B, a *agent, req request, want int) {
	buf := make([]byte, 64<<10)
	// Warm: the first request loads what is built lazily (pool usage,
	// class lookups) and gives the response size.
	got, size := a.do(b, req, buf)
	if got != want {
		b.Fatalf("%s: %d objects in the response, want %d", req.method, got, want)
	}
	mid := a.midResponseHeap(b, req, size, buf)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		if got, _ := a.do(b, req, buf); got != want {
			b.Fatalf("%s: %d objects in the response, want %d", req.method, got, want)
		}
	}
	runtime.ReadMemStats(&m1)
	a.checkOffline(b)
	objects := float64(want) * float64(b.N)
	b.ReportMetric(objects/b.Elapsed().Seconds(), "instances/s")
	b.ReportMetric(float64(size)/float64(want), "B/instance")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/objects, "alloc-B/instance")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/objects, "allocs/instance")
	b.ReportMetric(mid/(1<<10), "mid-response-heap-KiB")
}

// BenchmarkEnumerateComputerSystem: EnumerateInstances CIM_ComputerSystem,
// the host and every VM.
func BenchmarkEnumerateComputerSystem(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			a := newAgent(b, n)
			if a.snap.Len() != len(a.plan) {
				b.Fatalf("the inventory has %d VMs, the test bed %d", a.snap.Len(), len(a.plan))
			}
			run(b, a, enumerateInstances("CIM_ComputerSystem"), 1+len(a.plan))
		})
	}
}

// BenchmarkEnumerateRASD: EnumerateInstances
// CIM_ResourceAllocationSettingData, every VM's RASDs (processor, memory,
// disks, NICs: the four subclasses) and the pools' templates.
func BenchmarkEnumerateRASD(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			a := newAgent(b, n)
			run(b, a, enumerateInstances("CIM_ResourceAllocationSettingData"), expectedRASDs(a.snap))
		})
	}
}

// BenchmarkAssociatorsSystemDevice: Associators of one VM through
// CIM_SystemDevice with 10 and with 10,000 VMs on the host. Domain i of a
// test bed depends only on the seed and i, so both ask about the same VM
// (same devices, same answer).
func BenchmarkAssociatorsSystemDevice(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			a := newAgent(b, n)
			d, ok := a.snap.Domain(a.plan[5].UUID)
			if !ok {
				b.Fatalf("VM %s is not in the inventory", a.plan[5].UUID)
			}
			run(b, a, systemDevices(d.UUID), systemDeviceCount(d))
		})
	}
}
