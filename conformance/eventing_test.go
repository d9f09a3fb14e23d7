package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
	"github.com/virtbridge/virtbridge/cim/wsman/sinktest"
	"github.com/virtbridge/virtbridge/snmp/notify/trapdtest"
)

// WS-Eventing (DSP0226 §10) against the running agent: subscriptions
// sent with winrm's transport, events pushed to a real HTTP sink.

const (
	wsNSEventing = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	wsAllClasses = "http://schemas.dmtf.org/wbem/wscim/1/*"
	wsEvent      = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Event"
	wsPullMode   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull"
	wsPushMode   = "http://schemas.xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push"
)

// wsSubscribe subscribes to VM state changes in mode, pushing to sink
// (nil for Pull), and returns the wse:Identifier and the reply.
func (c *wsClient) wsSubscribe(t *testing.T, mode string, sink *sinktest.Sink, extra string) (string, *wsReply) {
	t.Helper()
	notify := ""
	if sink != nil {
		notify = `<wse:NotifyTo><wsa:Address>` + sink.URL + `</wsa:Address></wse:NotifyTo>`
	}
	body := fmt.Sprintf(`<wse:Subscribe xmlns:wse="%s"><wse:Delivery Mode="%s">%s</wse:Delivery>`+
		`<wsman:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</wsman:Filter>%s</wse:Subscribe>`,
		wsNSEventing, mode, notify, xmlEscape(stateChangeQuery), extra)
	r := c.ok(t, wsRequest{action: wsNSEventing + "/Subscribe", resourceURI: wsAllClasses,
		selectors: `<wsman:Selector Name="__cimnamespace">root/interop</wsman:Selector>`, body: body})
	id := r.root.find(wsNSEventing, "Identifier")
	if id == nil || !strings.HasPrefix(id.text(), "uuid:") {
		t.Fatalf("no wse:Identifier in the SubscribeResponse:\n%s", r)
	}
	return id.text(), r
}

// wsManage sends Renew, GetStatus, Unsubscribe (op) for subscription id.
func (c *wsClient) wsManage(t *testing.T, op, id string) *wsReply {
	t.Helper()
	return c.do(t, wsRequest{action: wsNSEventing + "/" + op, resourceURI: wsAllClasses,
		headers: `<wse:Identifier xmlns:wse="` + wsNSEventing + `">` + id + `</wse:Identifier>`,
		body:    `<wse:` + op + ` xmlns:wse="` + wsNSEventing + `"/>`})
}

// pushedStates is the EnabledState of every VM modification event for
// uuid pushed to the sink, in order.
func pushedStates(msgs []*sinktest.Message, uuid string) []string {
	return sinktest.VMStates(msgs, uuid)
}

// TestWSEventingThroughAgent: an operator subscribes (Push with
// bookmarks, and Pull) through winrm's transport; a pause and a resume
// requested over CIM-XML reach the sink and the Pull in order; the
// subscription is a CIM_ListenerDestinationWSManagement in root/interop;
// after kill -9 and a restart it answers GetStatus and still delivers;
// Unsubscribe ends it; a read-only user cannot subscribe.
func TestWSEventingThroughAgent(t *testing.T) {
	need(t, "snmpget")
	a := startAgent(t, 4, fastRetries)
	sink := sinktest.Start(t)
	ws := newWSClient(t, a.wsmanHTTP, false, cimOperator)
	id, _ := ws.wsSubscribe(t, wsPushMode, sink, `<wsman:SendBookmarks/>`)
	pullID, pr := ws.wsSubscribe(t, wsPullMode, nil, "")
	if ctx := pr.root.find(wsNSEnum, "EnumerationContext"); ctx == nil || ctx.text() != pullID {
		t.Fatalf("Pull-mode SubscribeResponse without its context:\n%s", pr)
	}
	viewer := newWSClient(t, a.wsmanHTTP, false, cimViewer)
	if r := viewer.do(t, wsRequest{action: wsNSEventing + "/Subscribe", resourceURI: wsAllClasses, body: `<wse:Subscribe xmlns:wse="` + wsNSEventing + `"/>`}); r.fault() == nil {
		t.Errorf("a read-only user subscribed:\n%s", r)
	}
	if n := a.countInterop(t, "CIM_ListenerDestinationWSManagement"); n != 2 {
		t.Errorf("%d CIM_ListenerDestinationWSManagement in root/interop, want the 2 subscriptions", n)
	}

	vm := firstRunning(t, a.plan)
	a.requestState(t, vm.UUID, 9)
	a.requestState(t, vm.UUID, 2)
	msgs := sink.Wait(t, time.Minute, "pause and resume pushed", func(m []*sinktest.Message) bool { return len(pushedStates(m, vm.UUID)) >= 2 })
	if s := pushedStates(msgs, vm.UUID); !slices.Equal(s, []string{"9", "2"}) {
		t.Errorf("pushed EnabledState %v, want [9 2]", s)
	}
	for _, m := range msgs {
		if m.HeaderText(sinktest.NSWSMan, "Bookmark") == "" {
			t.Errorf("SendBookmarks asked, none sent:\n%s", m.Raw)
		}
	}
	var pulled []string
	deadline := time.Now().Add(time.Minute)
	for len(pulled) < 2 && time.Now().Before(deadline) {
		r := ws.do(t, wsRequest{action: wsNSEnum + "/Pull", resourceURI: wsAllClasses,
			body: `<wsen:Pull><wsen:EnumerationContext>` + pullID + `</wsen:EnumerationContext><wsen:MaxTime>PT2S</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements></wsen:Pull>`})
		if r.fault() != nil || r.root == nil {
			continue
		}
		if items := r.root.find(wsNSEnum, "Items"); items != nil {
			for _, k := range items.kids {
				pulled = append(pulled, xnodeState(k, vm.UUID))
			}
		}
	}
	if !slices.Equal(pulled, []string{"9", "2"}) {
		t.Errorf("pulled EnabledState %v, want [9 2]", pulled)
	}

	a.kill()
	b := runAgent(t, a.dir, a.uri, a.plan, fastRetries)
	ws = newWSClient(t, b.wsmanHTTP, false, cimOperator)
	if r := ws.wsManage(t, "GetStatus", id); r.fault() != nil {
		t.Fatalf("GetStatus after kill -9 and restart:\n%s", r)
	}
	b.requestState(t, vm.UUID, 9)
	// At least once across kill -9: an event delivered just before it may
	// come again; each counts once.
	msgs = sink.Wait(t, time.Minute, "a pause after the restart", func(m []*sinktest.Message) bool {
		return len(pushedStates(sinktest.FirstOfEach(m), vm.UUID)) >= 3
	})
	msgs = sinktest.FirstOfEach(msgs)
	if s := pushedStates(msgs, vm.UUID); !slices.Equal(s[:3], []string{"9", "2", "9"}) {
		t.Errorf("pushed EnabledState %v, want [9 2 9 ...]", s)
	}
	if r := ws.wsManage(t, "Unsubscribe", id); r.fault() != nil {
		t.Fatalf("Unsubscribe:\n%s", r)
	}
	if r := ws.wsManage(t, "GetStatus", id); r.fault() == nil {
		t.Errorf("GetStatus after Unsubscribe answered:\n%s", r)
	}
	b.requestState(t, vm.UUID, 2)
	time.Sleep(500 * time.Millisecond)
	if s := pushedStates(sinktest.FirstOfEach(sink.Messages()), vm.UUID); len(s) != 3 {
		t.Errorf("events after Unsubscribe: %v", s)
	}
}

// xnodeState reads a pulled VB_InstModification item.
func xnodeState(n *xnode, uuid string) string {
	if n.name.Local != "VB_InstModification" {
		return ""
	}
	src := n.kid(n.name.Space, "SourceInstance")
	if src == nil || len(src.kids) != 1 {
		return ""
	}
	cs := src.kids[0]
	name, st := cs.kid(cs.name.Space, "Name"), cs.kid(cs.name.Space, "EnabledState")
	if name == nil || st == nil || name.text() != uuid {
		return ""
	}
	return st.text()
}

// TestQueuedIndicationsSurviveKill9: indications queued for a listener
// that is down are stored as they are made; the agent is killed (-9)
// and started again, the listener comes back, and it receives them, in
// order.
func TestQueuedIndicationsSurviveKill9(t *testing.T) {
	slow := "indications:\n  delivery_retry_interval: 50ms\n  delivery_retry_attempts: 60000\n"
	a := startAgent(t, 4, slow)
	l := listenertest.Start(t)
	l.SetDown(true)
	a.subscribeAll(t, "queued", "DMTF:CQL", stateChangeQuery, l.URL)
	vm := firstRunning(t, a.plan)
	a.requestState(t, vm.UUID, 9)
	a.requestState(t, vm.UUID, 2)
	a.requestState(t, vm.UUID, 9)
	time.Sleep(500 * time.Millisecond) // published and committed
	a.kill()
	if n := len(l.Received()); n != 0 {
		t.Fatalf("the listener was down, yet received %d", n)
	}
	l.SetDown(false)
	runAgent(t, a.dir, a.uri, a.plan, slow)
	// At least once: the killed agent's last retry may reach the listener
	// as it comes back.
	got := l.WaitFor(t, "the three queued before kill -9", func(is []*cim.Instance) bool { return len(listenertest.FirstOfEach(is)) >= 3 })
	got = listenertest.FirstOfEach(got)
	if s := enabledStates(got); !slices.Equal(s, []uint64{9, 2, 9}) {
		t.Errorf("after kill -9 and restart: EnabledState %v, want [9 2 9]\n%s", s, listenertest.Describe(got))
	}
}

// TestOneOrderThreeWays: a pause and a resume reach SNMP, CIM-XML and
// WS-Eventing consumers in the same order.
func TestOneOrderThreeWays(t *testing.T) {
	port := trapdtest.FreeUDPPort(t, "127.0.0.1")
	a := startAgent(t, 4, trapDestination(port)+fastRetries)
	td := trapdtest.StartOn(t, "127.0.0.1", port, "authCommunity log public\n")
	l := listenertest.Start(t)
	sink := sinktest.Start(t)
	a.subscribeAll(t, "states", "DMTF:CQL", stateChangeQuery, l.URL)
	newWSClient(t, a.wsmanHTTP, false, cimOperator).wsSubscribe(t, wsPushMode, sink, "")
	vm := firstRunning(t, a.plan)
	i := a.vmIndexOf(t, vm.Name)
	for range 2 {
		a.requestState(t, vm.UUID, 9)
		a.requestState(t, vm.UUID, 2)
	}
	want := []uint64{9, 2, 9, 2}
	got := l.WaitFor(t, "CIM-XML", func(is []*cim.Instance) bool { return len(is) >= 4 })
	if s := enabledStates(got); !slices.Equal(s, want) {
		t.Errorf("CIM-XML: %v, want %v", s, want)
	}
	msgs := sink.Wait(t, time.Minute, "WS-Eventing", func(m []*sinktest.Message) bool { return len(pushedStates(m, vm.UUID)) >= 4 })
	if s := pushedStates(msgs, vm.UUID); strings.Join(s, ",") != "9,2,9,2" {
		t.Errorf("WS-Eventing: %v, want %v", s, want)
	}
	recs := td.WaitFor(t, "SNMP", func(rs []trapdtest.Record) bool { return len(trapsOf(rs, i)) >= 4 })
	p, r := "OID: ."+vmPaused, "OID: ."+vmRunning
	if oids := trapsOf(recs, i); !slices.Equal(oids, []string{p, r, p, r}) {
		t.Errorf("SNMP: %v, want paused, running, paused, running", oids)
	}
}

// trapsOf is the snmpTrapOID of each notification about VM index i.
func trapsOf(rs []trapdtest.Record, i string) []string {
	var oids []string
	for _, r := range rs {
		if _, ok := r.Value(vmNameColumn + i); !ok {
			continue
		}
		oid, _ := r.Value(snmpTrapOID)
		oids = append(oids, oid)
	}
	return oids
}

// trapDestination is the agent's snmp: config lines for one v2c trap
// destination on 127.0.0.1:port.
func trapDestination(port int) string {
	return fmt.Sprintf("  notifications:\n    destinations:\n      - {name: trap, address: \"127.0.0.1:%d\", version: \"2c\", community: public}\n", port)
}
