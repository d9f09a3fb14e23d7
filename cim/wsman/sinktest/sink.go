// Package sinktest is a WS-Eventing event sink for tests: a real HTTP
// server (httptest) that parses every SOAP message posted to it, keeps
// them in order, and answers as a subscriber would: 200, with a
// wsman:Ack when the message asks for one. It can be taken down (503)
// and told to withhold acknowledgements.
package sinktest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// Namespaces of the messages.
const (
	NSSOAP  = "http://www.w3.org/2003/05/soap-envelope"
	NSWSA   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	NSWSMan = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	NSWSE   = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
)

// Message is one message the sink received.
type Message struct {
	Action, To, MessageID string
	Header, Body          *xmltree.Node // s:Header, and the element in s:Body (nil when empty)
	Raw                   []byte
	ContentType           string
}

// HeaderText is the text of the header element space:name, "" if absent.
func (m *Message) HeaderText(space, name string) string {
	if m.Header == nil {
		return ""
	}
	if k := m.Header.Kid(space, name); k != nil {
		return strings.TrimSpace(k.Text.String())
	}
	return ""
}

// Sink records WS-Eventing messages.
type Sink struct {
	URL string // where to deliver: http://127.0.0.1:port/sink

	mu      sync.Mutex
	got     []*Message
	bad     []string
	down    bool
	noAck   bool
	refuse  bool
	changed chan struct{}
}

// Start serves a sink until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	s := &Sink{changed: make(chan struct{}, 1)}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/sink"
	return s
}

// SetDown makes the sink answer 503 (true) or take messages again.
func (s *Sink) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

// Refuse makes the sink answer the wsman:DeliveryRefused fault, which
// asks the service to end the subscription.
func (s *Sink) Refuse(on bool) { s.mu.Lock(); s.refuse = on; s.mu.Unlock() }

// WithholdAcks makes the sink answer 200 without a wsman:Ack.
func (s *Sink) WithholdAcks(on bool) { s.mu.Lock(); s.noAck = on; s.mu.Unlock() }

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	s.mu.Lock()
	down, noAck, refuse := s.down, s.noAck, s.refuse
	s.mu.Unlock()
	if down {
		http.Error(w, "down for the test", http.StatusServiceUnavailable)
		return
	}
	m, perr := parse(body)
	if err != nil || perr != nil {
		s.mu.Lock()
		s.bad = append(s.bad, fmt.Sprintf("%v %v: %s", err, perr, body))
		s.mu.Unlock()
		http.Error(w, "not a SOAP 1.2 envelope", http.StatusBadRequest)
		return
	}
	m.ContentType = r.Header.Get("Content-Type")
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	if refuse {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `<s:Envelope xmlns:s="%s" xmlns:wsman="%s"><s:Header/><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value>`+
			`<s:Subcode><s:Value>wsman:DeliveryRefused</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">no more, thanks</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`,
			NSSOAP, NSWSMan)
		return
	}
	if m.Header.Kid(NSWSMan, "AckRequested") != nil && !noAck {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		fmt.Fprintf(w, `<s:Envelope xmlns:s="%s" xmlns:wsa="%s"><s:Header><wsa:To>%s</wsa:To>`+
			`<wsa:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack</wsa:Action><wsa:MessageID>uuid:ack-%d</wsa:MessageID>`+
			`<wsa:RelatesTo>%s</wsa:RelatesTo></s:Header><s:Body/></s:Envelope>`,
			NSSOAP, NSWSA, "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous", time.Now().UnixNano(), m.MessageID)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func parse(body []byte) (*Message, error) {
	var n int
	root, err := xmltree.Read(bytes.NewReader(body), xmltree.Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxElements: 1_000_000}, true, &n)
	if err != nil {
		return nil, err
	}
	if !root.Is(NSSOAP, "Envelope") {
		return nil, fmt.Errorf("root is {%s}%s", root.Space, root.Name)
	}
	m := &Message{Raw: body, Header: root.Kid(NSSOAP, "Header")}
	if m.Header == nil {
		return nil, fmt.Errorf("no s:Header")
	}
	m.Action, m.To, m.MessageID = m.HeaderText(NSWSA, "Action"), m.HeaderText(NSWSA, "To"), m.HeaderText(NSWSA, "MessageID")
	b := root.Kid(NSSOAP, "Body")
	if b == nil {
		return nil, fmt.Errorf("no s:Body")
	}
	if len(b.Kids) > 0 {
		m.Body = b.Kids[0]
	}
	return m, nil
}

// Messages returns what was received so far, in order.
func (s *Sink) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.got...)
}

// Bad lists the requests that were not SOAP envelopes.
func (s *Sink) Bad() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bad...)
}

// Wait waits up to timeout until ok holds for what was received.
func (s *Sink) Wait(t testing.TB, timeout time.Duration, what string, ok func([]*Message) bool) []*Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		got := s.Messages()
		if ok(got) {
			return got
		}
		select {
		case <-s.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s: not seen within %v; the sink has %d messages: %s", what, timeout, len(got), summary(got))
			return nil
		}
	}
}

// Count returns how many received messages have action.
func Count(msgs []*Message, action string) int {
	n := 0
	for _, m := range msgs {
		if m.Action == action {
			n++
		}
	}
	return n
}

func summary(msgs []*Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Action)
		if m.Body != nil {
			b.WriteString(" " + m.Body.Name)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// VMState is the EnabledState of virtual machine uuid carried by a
// VB_InstModification event (a pushed body or a pulled item): "" for
// any other event.
func VMState(ev *xmltree.Node, uuid string) string {
	if ev == nil || ev.Name != "VB_InstModification" {
		return ""
	}
	src := ev.Kid(ev.Space, "SourceInstance")
	if src == nil || len(src.Kids) != 1 || src.Kids[0].Name != "VB_ComputerSystem" {
		return ""
	}
	cs := src.Kids[0]
	name, st := cs.Kid(cs.Space, "Name"), cs.Kid(cs.Space, "EnabledState")
	if name == nil || st == nil || strings.TrimSpace(name.Text.String()) != uuid {
		return ""
	}
	return strings.TrimSpace(st.Text.String())
}

// VMStates is VMState of every pushed event (wsman/Event) about uuid, in
// order.
func VMStates(msgs []*Message, uuid string) []string {
	var out []string
	for _, m := range msgs {
		if m.Action == "http://schemas.dmtf.org/wbem/wsman/1/wsman/Event" {
			if s := VMState(m.Body, uuid); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// FirstOfEach keeps the first arrival of each event, by the
// IndicationIdentifier its body carries (other messages all stay):
// delivery is at least once, and a subscriber that comes back may get
// one again.
func FirstOfEach(msgs []*Message) []*Message {
	var out []*Message
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Body != nil {
			if id := m.Body.Kid(m.Body.Space, "IndicationIdentifier"); id != nil {
				k := strings.TrimSpace(id.Text.String())
				if seen[k] {
					continue
				}
				seen[k] = true
			}
		}
		out = append(out, m)
	}
	return out
}
