package indication_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/wsman"
	"github.com/virtbridge/virtbridge/cim/xmltree"
	"github.com/virtbridge/virtbridge/internal/deliverybench"
)

// Events to consumers, the CIM share (issue 7): VM state changes made
// through the backend on a real libvirt test-driver bed, through the
// inventory and the indication service, to N subscribers, each with its
// own subscription (filter, destination, subscription) and its own HTTP
// server: CIM-XML ExportIndication to listeners, WS-Eventing Push to
// sinks. snmp/vmmib has the same benchmarks for traps
// (delivery_bench_test.go there), with the same harness
// (internal/deliverybench); BENCHMARKS.md, "Events to consumers".

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
	deliverybench.Latency(b, func(b *testing.B, n int) *deliverybench.Rig { return newIndicationRig(b, channel, n) })
}

// BenchmarkStormCIMXML: 10,000 state changes made as fast as the backend
// takes them, every one to arrive, in order, at each of 10 listeners.
func BenchmarkStormCIMXML(b *testing.B) { benchStorm(b, chanCIMXML) }

// BenchmarkStormWSEventing: the same to 10 WS-Eventing Push sinks.
func BenchmarkStormWSEventing(b *testing.B) { benchStorm(b, chanWSEventing) }

func benchStorm(b *testing.B, channel string) {
	deliverybench.Storm(b, newIndicationRig(b, channel, deliverybench.StormSubscribers), nil)
}

// newIndicationRig starts a 1,000-VM bed with its inventory following
// events, the indication service assembled as the agent does (virt.Assemble;
// store, exporter, pusher, codec, history 1,000, QueueSize 20,000, no
// retries: a failed delivery is dropped and reported (CIM-XML) or ends
// the subscription (WS-Eventing), either of which fails the benchmark),
// and n subscribers of the channel, each with a filter for VM state
// changes.
func newIndicationRig(b *testing.B, channel string, n int) *deliverybench.Rig {
	bed := libvirttest.NewBed(b, testbed.Options{Domains: deliverybench.BedDomains, Seed: 11})
	bed.Run(b)
	decode := listenerKey
	if channel == chanWSEventing {
		decode = sinkKey
	}
	r := &deliverybench.Rig{Arrivals: deliverybench.NewByID(n, decode), Inventory: bed.Inventory,
		Running: testbed.UUIDsIn(bed.Plan, testbed.StateRunning), Key: indicationKey}
	st, err := indication.OpenStore(filepath.Join(b.TempDir(), "indications.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	ic := &indication.Config{Store: st, QueueSize: deliverybench.QueueSize, Exporter: export.New(10*time.Second, false),
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
			url := startReceiver(b, r.Arrivals, i, true)
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
			url := startReceiver(b, r.Arrivals, i, false)
			_, err := a.Indications.Subscribe(indication.EventSubscription{Query: stateChanges, Language: "WQL",
				Delivery: indication.Delivery{Mode: indication.ModePush, NotifyTo: indication.EPR{Address: url}, Manager: "http://127.0.0.1/wsman"}})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	r.Change = func(ctx context.Context, uuid string, suspend bool) error {
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
func startReceiver(b *testing.B, arr *deliverybench.Arrivals, i int, cimXML bool) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		at := time.Now()
		switch {
		case err != nil:
			arr.Record(i, deliverybench.Arrival{Key: "unreadable: " + err.Error(), At: at})
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case cimXML && (r.Header.Get("CIMExport") != "MethodRequest" || r.Header.Get("CIMExportMethod") != cimxml.ExportIndication):
			arr.Record(i, deliverybench.Arrival{Key: "bad headers", At: at})
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		got := deliverybench.Arrival{At: at}
		if i == 0 {
			got.Body = body
		}
		if !cimXML {
			got.ID = between(body, "<p:IndicationIdentifier>", "<")
			arr.Record(i, got)
			return
		}
		got.ID = between(body, `<MESSAGE ID="`, `"`)
		arr.Record(i, got)
		var answer bytes.Buffer
		_ = cimxml.WriteExportResponse(&answer, got.ID, nil)
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
