// Package listenertest is a CIM-XML indication listener for tests: a
// real HTTP server (httptest) that decodes every ExportIndication,
// answers as DSP0200 says, and keeps what it received in order. It can
// be taken down (it then answers 503) and brought back.
package listenertest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/cimxml"
)

// Listener records the indications exported to it.
type Listener struct {
	URL string // where to deliver: http://127.0.0.1:port/cimlistener

	mu      sync.Mutex
	got     []*cim.Instance
	bad     []string // malformed requests, described
	down    bool
	changed chan struct{}
}

// Start serves a listener until the test ends.
func Start(t testing.TB) *Listener {
	t.Helper()
	l := &Listener{changed: make(chan struct{}, 1)}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	l.URL = srv.URL + "/cimlistener"
	return l
}

// ServeHTTP checks the DSP0200 export headers, decodes the request and
// answers with EXPMETHODRESPONSE.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	down := l.down
	l.mu.Unlock()
	if down {
		http.Error(w, "listener down", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("CIMExport") != "MethodRequest" || r.Header.Get("CIMExportMethod") != cimxml.ExportIndication {
		l.reject(w, "bad headers: "+r.Method+" CIMExport="+r.Header.Get("CIMExport")+" CIMExportMethod="+r.Header.Get("CIMExportMethod"))
		return
	}
	req, err := cimxml.DecodeExportRequest(r.Body)
	if err != nil {
		l.reject(w, err.Error())
		return
	}
	var body bytes.Buffer
	_ = cimxml.WriteExportResponse(&body, req.MessageID, nil)
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.Header().Set("CIMExport", "MethodResponse")
	_, _ = w.Write(body.Bytes())
	l.mu.Lock()
	l.got = append(l.got, req.Indication)
	l.mu.Unlock()
	l.notify()
}

func (l *Listener) reject(w http.ResponseWriter, why string) {
	l.mu.Lock()
	l.bad = append(l.bad, why)
	l.mu.Unlock()
	w.Header().Set("CIMError", "request-not-valid")
	http.Error(w, why, http.StatusBadRequest)
}

func (l *Listener) notify() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// SetDown makes the listener answer 503 (true) or take deliveries again.
func (l *Listener) SetDown(down bool) {
	l.mu.Lock()
	l.down = down
	l.mu.Unlock()
}

// Received returns what arrived so far, in order.
func (l *Listener) Received() []*cim.Instance {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*cim.Instance(nil), l.got...)
}

// Bad returns the malformed requests seen.
func (l *Listener) Bad() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

// WaitFor waits until ok holds for what arrived, failing the test after
// a minute (a bound on failure, not a performance target).
func (l *Listener) WaitFor(t testing.TB, what string, ok func([]*cim.Instance) bool) []*cim.Instance {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		got := l.Received()
		if ok(got) {
			return got
		}
		select {
		case <-l.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("listener: %s: not seen; received %d:\n%s\nmalformed: %q", what, len(got), Describe(got), l.Bad())
		}
	}
}

// Describe lists indications one a line: class, source class and the
// states involved, for failure messages.
func Describe(insts []*cim.Instance) string {
	var b strings.Builder
	for _, inst := range insts {
		b.WriteString(inst.ClassName)
		if src := Embedded(inst, "SourceInstance"); src != nil {
			b.WriteString(" " + src.ClassName)
			if v, ok := src.Get("EnabledState"); ok {
				b.WriteString(" EnabledState=" + v.String())
			}
		}
		if v, ok := inst.Get("LostIndications"); ok {
			b.WriteString(" lost=" + v.String())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Embedded returns the instance embedded in property name, nil if none.
func Embedded(inst *cim.Instance, name string) *cim.Instance {
	v, _ := inst.Get(name)
	e, _ := v.Instance()
	return e
}

// SourceUints is the unsigned property prop of each indication's
// SourceInstance, in order (0 where it has none).
func SourceUints(is []*cim.Instance, prop string) []uint64 {
	out := make([]uint64, 0, len(is))
	for _, ind := range is {
		v, _ := Embedded(ind, "SourceInstance").Get(prop)
		n, _ := v.Uint()
		out = append(out, n)
	}
	return out
}

// FirstOfEach keeps the first arrival of each IndicationIdentifier:
// delivery is at least once, and a listener that comes back may get one
// again.
func FirstOfEach(is []*cim.Instance) []*cim.Instance {
	var out []*cim.Instance
	seen := map[string]bool{}
	for _, ind := range is {
		v, _ := ind.Get("IndicationIdentifier")
		id, _ := v.Str()
		if !seen[id] {
			seen[id] = true
			out = append(out, ind)
		}
	}
	return out
}
