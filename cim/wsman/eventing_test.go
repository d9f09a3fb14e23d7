package wsman

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/wsman/sinktest"
	"github.com/virtbridge/virtbridge/cim/xmltree"
	"github.com/virtbridge/virtbridge/internal/reference"
)

// states is the EnabledState of every pushed state change of uuid.
func states(_ *testing.T, msgs []*sinktest.Message, uuid string) []string {
	return sinktest.VMStates(msgs, uuid)
}

// eventState reads one event element.
func eventState(ev *xmltree.Node, uuid string) string { return sinktest.VMState(ev, uuid) }

func TestSubscribePushDeliversStateChangesInOrder(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	params := `<my:Route xmlns:my="urn:test:sink">console-7</my:Route>`
	id, r := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, params), wqlFilter(stateQuery)+`<wsman:SendBookmarks/>`))
	if got := find(r.root, nsWSE, "SubscriptionManager"); got == nil || find(got, nsWSA, "Address") == nil {
		t.Fatalf("no SubscriptionManager EPR:\n%s", r.raw)
	}
	if find(r.root, nsWSE, "Expires") != nil {
		t.Errorf("a subscription without Expires never expires, yet the response has one:\n%s", r.raw)
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	msgs := sink.Wait(t, 30*time.Second, "two state change events", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
	if got := states(t, msgs, uuid); strings.Join(got, ",") != "9,2" {
		t.Errorf("EnabledState sequence %v, want 9 (Quiesce: paused) then 2 (Enabled)", got)
	}
	var last int64
	for _, m := range msgs {
		if m.To != sink.URL {
			t.Errorf("wsa:To %q, want the NotifyTo address %q", m.To, sink.URL)
		}
		if route := m.Header.Kid("urn:test:sink", "Route"); route == nil || textOf(route) != "console-7" {
			t.Errorf("the NotifyTo reference parameter is not echoed as a header:\n%s", m.Raw)
		}
		if !strings.HasPrefix(m.ContentType, "application/soap+xml") {
			t.Errorf("Content-Type %q", m.ContentType)
		}
		bm, err := strconv.ParseInt(m.HeaderText(nsWSMan, "Bookmark"), 10, 64)
		if err != nil || bm <= last {
			t.Errorf("bookmark %q after %d: want increasing numbers (SendBookmarks)", m.HeaderText(nsWSMan, "Bookmark"), last)
		}
		last = bm
		if filter := m.Body.Kid(m.Body.Space, "IndicationFilterName"); filter == nil || textOf(filter) != "WSMAN:"+id {
			t.Errorf("IndicationFilterName is not the subscription's own filter:\n%s", m.Raw)
		}
	}
	if bad := sink.Bad(); len(bad) > 0 {
		t.Errorf("malformed deliveries: %v", bad)
	}
}

func TestSubscriptionShowsInInterop(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	id, _ := e.subscribe(t, subscribeBody(deliveryPushWithAck, notifyTo(sink.URL, "")+`<wsman:Heartbeats>PT30S</wsman:Heartbeats>`, wqlFilter(stateQuery)))
	var found bool
	err := e.br.EnumerateInstances("root/interop", "CIM_ListenerDestinationWSManagement", true, func(inst *cim.Instance) error {
		if name, _ := inst.Get("Name"); strings.Contains(name.String(), id) {
			found = true
			mode, _ := inst.Get("DeliveryMode")
			hb, _ := inst.Get("Heartbeat")
			dest, _ := inst.Get("Destination")
			if d, _ := dest.Str(); mode.String() != "3" || hb.String() != "30" || d != sink.URL {
				t.Errorf("destination DeliveryMode %v Heartbeat %v Destination %v, want 3, 30, %s", mode, hb, dest, sink.URL)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("the WS-Eventing subscription's destination is not in root/interop (err %v)", err)
	}
	subs := 0
	_ = e.br.EnumerateInstances("root/interop", "CIM_IndicationSubscription", true, func(inst *cim.Instance) error {
		subs++
		return nil
	})
	if subs != 1 {
		t.Errorf("%d subscriptions in root/interop, want 1", subs)
	}
}

func TestPushWithAckAndSubscriptionEnd(t *testing.T) {
	e := newEvEnv(t, evOptions{retries: 1})
	sink, ends := sinktest.Start(t), sinktest.Start(t)
	endTo := `<wse:EndTo><wsa:Address>` + ends.URL + `</wsa:Address></wse:EndTo>`
	id, _ := e.subscribe(t, subscribeBody(deliveryPushWithAck, notifyTo(sink.URL, ""), wqlFilter(stateQuery)+endTo))
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	msgs := sink.Wait(t, 30*time.Second, "acknowledged events", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
	for _, m := range msgs {
		if m.Header.Kid(nsWSMan, "AckRequested") == nil {
			t.Errorf("PushWithAck message without wsman:AckRequested:\n%s", m.Raw)
		}
	}
	// A subscriber that stops acknowledging loses its subscription, and
	// hears why at EndTo.
	sink.WithholdAcks(true)
	e.suspendResume(t, uuid)
	got := ends.Wait(t, 30*time.Second, "SubscriptionEnd", func(m []*sinktest.Message) bool { return len(m) > 0 })
	end := got[0]
	if end.Action != actionSubEnd || end.Body == nil || end.Body.Name != "SubscriptionEnd" {
		t.Fatalf("EndTo got %s:\n%s", end.Action, end.Raw)
	}
	if st := find(end.Body, nsWSE, "Status"); st == nil || textOf(st) != nsWSE+"/DeliveryFailure" {
		t.Errorf("SubscriptionEnd status: %s", end.Raw)
	}
	if ident := find(end.Body, nsWSE, "Identifier"); ident == nil || textOf(ident) != id {
		t.Errorf("SubscriptionEnd names another subscription: %s", end.Raw)
	}
	if r := e.manage(server.RoleOperator, actionEvGetStatus, id, `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`); r.status == 200 {
		t.Errorf("GetStatus of the ended subscription answered 200")
	}
}

func TestDeliveryRefusedEndsSubscription(t *testing.T) {
	e := newEvEnv(t, evOptions{retries: 5})
	sink := sinktest.Start(t)
	id, _ := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, ""), wqlFilter(stateQuery)))
	sink.Refuse(true)
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	waitFor(t, "the refused subscription to end", func() bool {
		return e.manage(server.RoleOperator, actionEvGetStatus, id, `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`).status != 200
	})
	// Refused once: not retried five times.
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("%d deliveries to a subscriber that refused the first, want 1", n)
	}
}

// TestSubscriberThatNeverAnswers: a subscriber that takes the request
// and never answers costs each delivery its timeout; after the retries
// the subscription ends and EndTo hears why. Garbage answers to
// PushWithAck count as no acknowledgement.
func TestSubscriberThatNeverAnswers(t *testing.T) {
	e := newEvEnv(t, evOptions{retries: 1, timeout: 200 * time.Millisecond})
	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) }))
	t.Cleanup(func() { close(hang); silent.Close(); garbage.Close() })
	ends := sinktest.Start(t)
	endTo := `<wse:EndTo><wsa:Address>` + ends.URL + `</wsa:Address></wse:EndTo>`
	a, _ := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(silent.URL, ""), wqlFilter(stateQuery)+endTo))
	b, _ := e.subscribe(t, subscribeBody(deliveryPushWithAck, notifyTo(garbage.URL, ""), wqlFilter(stateQuery)+endTo))
	e.suspendResume(t, e.running(t))
	got := ends.Wait(t, 30*time.Second, "two SubscriptionEnds", func(m []*sinktest.Message) bool { return len(m) >= 2 })
	ended := map[string]bool{}
	for _, m := range got {
		if id := find(m.Body, nsWSE, "Identifier"); id != nil {
			ended[textOf(id)] = true
		}
		if st := find(m.Body, nsWSE, "Status"); st == nil || textOf(st) != nsWSE+"/DeliveryFailure" {
			t.Errorf("SubscriptionEnd status:\n%s", m.Raw)
		}
	}
	if !ended[a] || !ended[b] {
		t.Errorf("ended %v, want %s (silent) and %s (garbage)", ended, a, b)
	}
}

func TestEventsModeBatches(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	e.subscribe(t, subscribeBody(deliveryEvents, notifyTo(sink.URL, "")+`<wsman:MaxElements>4</wsman:MaxElements><wsman:MaxTime>PT5S</wsman:MaxTime>`, wqlFilter(stateQuery)))
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	e.suspendResume(t, uuid)
	msgs := sink.Wait(t, 30*time.Second, "one batch", func(m []*sinktest.Message) bool { return len(m) >= 1 })
	m := msgs[0]
	if m.Action != actionEvents || m.Body == nil || m.Body.Name != "Events" {
		t.Fatalf("Events mode delivered %s:\n%s", m.Action, m.Raw)
	}
	var got []string
	for _, ev := range m.Body.Kids {
		if a, _ := ev.Attr("Action"); a != actionEvent || len(ev.Kids) != 1 {
			t.Errorf("wsman:Event Action %q with %d children", a, len(ev.Kids))
			continue
		}
		got = append(got, eventState(ev.Kids[0], uuid))
	}
	if strings.Join(got, ",") != "9,2,9,2" {
		t.Errorf("one batch of four events wanted (MaxElements 4 within MaxTime 5s), got states %v in %d messages", got, len(msgs))
	}
}

func TestHeartbeats(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, "")+`<wsman:Heartbeats>PT1S</wsman:Heartbeats>`, wqlFilter(stateQuery)))
	msgs := sink.Wait(t, 20*time.Second, "two heartbeats", func(m []*sinktest.Message) bool { return sinktest.Count(m, actionHeartbeat) >= 2 })
	for _, m := range msgs {
		if m.Action == actionHeartbeat && m.Body != nil {
			t.Errorf("a heartbeat has a body:\n%s", m.Raw)
		}
	}
}

func TestPullModeSubscription(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	id, r := e.subscribe(t, subscribeBody(deliveryPull, "", wqlFilter(stateQuery)))
	ctx := find(r.root, nsWSEN, "EnumerationContext")
	if ctx == nil || textOf(ctx) != id {
		t.Fatalf("a Pull-mode SubscribeResponse needs the enumeration context:\n%s", r.raw)
	}
	pull := func(maxTime string) *reply {
		return e.op(req{action: actionPull, resource: AllClasses, body: `<wsen:Pull><wsen:EnumerationContext>` + id +
			`</wsen:EnumerationContext><wsen:MaxTime>` + maxTime + `</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements></wsen:Pull>`}.String())
	}
	if r := pull("PT0.2S"); r.status == 200 || faultSubcode(r) != "TimedOut" {
		t.Errorf("Pull with no events: HTTP %d %s, want the wsman:TimedOut fault", r.status, faultSubcode(r))
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	var got []string
	waitFor(t, "two events pulled", func() bool {
		r := pull("PT1S")
		if r.status != 200 {
			return false
		}
		items := find(r.root, nsWSEN, "Items")
		for _, k := range items.Kids {
			got = append(got, eventState(k, uuid))
		}
		return len(got) >= 2
	})
	if strings.Join(got, ",") != "9,2" {
		t.Errorf("pulled states %v, want 9,2", got)
	}
}

func TestRenewGetStatusUnsubscribe(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	id, r := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, ""), wqlFilter(stateQuery)+`<wse:Expires>PT600S</wse:Expires>`))
	exp := find(r.root, nsWSE, "Expires")
	if exp == nil {
		t.Fatalf("no Expires granted:\n%s", r.raw)
	}
	granted, err := time.Parse(time.RFC3339, textOf(exp))
	if err != nil || time.Until(granted) < 590*time.Second || time.Until(granted) > 610*time.Second {
		t.Errorf("Expires %q: want about ten minutes from now (%v)", textOf(exp), err)
	}
	renew := e.manage(server.RoleOperator, actionEvRenew, id, `<wse:Renew xmlns:wse="`+nsWSE+`"><wse:Expires>PT3600S</wse:Expires></wse:Renew>`)
	if renew.status != 200 || find(renew.root, nsWSE, "RenewResponse") == nil {
		t.Fatalf("Renew: HTTP %d\n%s", renew.status, renew.raw)
	}
	st := e.manage(server.RoleOperator, actionEvGetStatus, id, `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`)
	exp = find(st.root, nsWSE, "Expires")
	if st.status != 200 || exp == nil {
		t.Fatalf("GetStatus: HTTP %d\n%s", st.status, st.raw)
	}
	if got, _ := time.Parse(time.RFC3339, textOf(exp)); time.Until(got) < 3500*time.Second {
		t.Errorf("after Renew PT3600S GetStatus says %s", textOf(exp))
	}
	if v := e.manage(server.RoleReadOnly, actionUnsubscribe, id, `<wse:Unsubscribe xmlns:wse="`+nsWSE+`"/>`); v.status == 200 || faultSubcode(v) != "AccessDenied" {
		t.Errorf("a read-only user unsubscribed: HTTP %d %s", v.status, faultSubcode(v))
	}
	un := e.manage(server.RoleOperator, actionUnsubscribe, id, `<wse:Unsubscribe xmlns:wse="`+nsWSE+`"/>`)
	if un.status != 200 {
		t.Fatalf("Unsubscribe: HTTP %d\n%s", un.status, un.raw)
	}
	if again := e.manage(server.RoleOperator, actionEvRenew, id, `<wse:Renew xmlns:wse="`+nsWSE+`"/>`); again.status == 200 || faultSubcode(again) != "UnableToRenew" {
		t.Errorf("Renew after Unsubscribe: HTTP %d %s, want wse:UnableToRenew", again.status, faultSubcode(again))
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	time.Sleep(300 * time.Millisecond)
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages after Unsubscribe", n)
	}
}

func TestSubscriptionExpires(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	id, _ := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, ""), wqlFilter(stateQuery)+`<wse:Expires>PT0.5S</wse:Expires>`))
	waitFor(t, "the subscription to expire", func() bool {
		return e.manage(server.RoleOperator, actionEvGetStatus, id, `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`).status != 200
	})
	n := 0
	_ = e.br.EnumerateInstances("root/interop", "CIM_IndicationSubscription", true, func(*cim.Instance) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d subscriptions left after expiry", n)
	}
}

func TestBookmarkReplay(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	uuid := e.running(t)
	id, _ := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, ""), wqlFilter(stateQuery)+`<wsman:SendBookmarks/>`))
	e.suspendResume(t, uuid)
	msgs := sink.Wait(t, 30*time.Second, "two events", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
	bookmark := msgs[len(msgs)-1].HeaderText(nsWSMan, "Bookmark")
	if r := e.manage(server.RoleOperator, actionUnsubscribe, id, `<wse:Unsubscribe xmlns:wse="`+nsWSE+`"/>`); r.status != 200 {
		t.Fatalf("Unsubscribe: %s", r.raw)
	}
	// Missed while unsubscribed: a pause and a resume.
	e.suspendResume(t, uuid)
	again := sinktest.Start(t)
	e.subscribe(t, subscribeBody(deliveryPush, notifyTo(again.URL, ""), wqlFilter(stateQuery)+`<wsman:SendBookmarks/><wsman:Bookmark>`+bookmark+`</wsman:Bookmark>`))
	got := again.Wait(t, 30*time.Second, "the replayed events", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
	if s := states(t, got, uuid); strings.Join(s, ",") != "9,2" {
		t.Errorf("replayed from bookmark %s: %v, want the pause and resume missed (9,2)", bookmark, s)
	}
	// From the earliest: all four.
	all := sinktest.Start(t)
	e.subscribe(t, subscribeBody(deliveryPush, notifyTo(all.URL, ""), wqlFilter(stateQuery)+`<wsman:Bookmark>`+BookmarkEarliestURI+`</wsman:Bookmark>`))
	got = all.Wait(t, 30*time.Second, "every held event", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 4 })
	if s := states(t, got, uuid); strings.Join(s, ",") != "9,2,9,2" {
		t.Errorf("replayed from the earliest: %v", s)
	}
}

// BookmarkEarliestURI is DSP0226's bookmark for "all the service holds".
const BookmarkEarliestURI = "http://schemas.dmtf.org/wbem/wsman/1/wsman/bookmark/earliest"

func TestSubscriptionSurvivesRestart(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	id, _ := e.subscribe(t, subscribeBody(deliveryPush, notifyTo(sink.URL, `<my:K xmlns:my="urn:k">v</my:K>`), wqlFilter(stateQuery)))
	e.stop()
	e.start(t, evOptions{})
	if st := e.manage(server.RoleOperator, actionEvGetStatus, id, `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`); st.status != 200 {
		t.Fatalf("GetStatus after a restart: HTTP %d\n%s", st.status, st.raw)
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	msgs := sink.Wait(t, 30*time.Second, "events after the restart", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
	if k := msgs[0].Header.Kid("urn:k", "K"); k == nil || textOf(k) != "v" {
		t.Errorf("reference parameters lost in the restart:\n%s", msgs[0].Raw)
	}
}

func TestSubscribeBadInput(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	push := notifyTo(sink.URL, "")
	for _, c := range []struct {
		name, body, subcode string
		role                server.Role
	}{
		{"unparsable filter", subscribeBody(deliveryPush, push, wqlFilter("SELECT FROM WHERE")), "CannotProcessFilter", server.RoleOperator},
		{"unknown class", subscribeBody(deliveryPush, push, wqlFilter("SELECT * FROM CIM_NoSuchIndication")), "CannotProcessFilter", server.RoleOperator},
		{"not an indication class", subscribeBody(deliveryPush, push, wqlFilter("SELECT * FROM CIM_ComputerSystem")), "CannotProcessFilter", server.RoleOperator},
		{"unknown property", subscribeBody(deliveryPush, push, wqlFilter("SELECT * FROM CIM_InstModification WHERE NoSuchProperty = 1")), "CannotProcessFilter", server.RoleOperator},
		{"no filter on all classes", subscribeBody(deliveryPush, push, ""), "CannotProcessFilter", server.RoleOperator},
		{"unknown dialect", subscribeBody(deliveryPush, push, `<wsman:Filter Dialect="urn:xpath">/x</wsman:Filter>`), "FilterDialectRequestedUnavailable", server.RoleOperator},
		{"unknown mode", subscribeBody("urn:carrier-pigeon", push, wqlFilter(stateQuery)), "DeliveryModeRequestedUnavailable", server.RoleOperator},
		{"ftp NotifyTo", subscribeBody(deliveryPush, notifyTo("ftp://127.0.0.1/x", ""), wqlFilter(stateQuery)), "EventSourceUnableToProcess", server.RoleOperator},
		{"no NotifyTo", subscribeBody(deliveryPush, "", wqlFilter(stateQuery)), "SchemaValidationError", server.RoleOperator},
		{"expired", subscribeBody(deliveryPush, push, wqlFilter(stateQuery)+`<wse:Expires>2001-01-01T00:00:00Z</wse:Expires>`), "InvalidExpirationTime", server.RoleOperator},
		{"bad expiry", subscribeBody(deliveryPush, push, wqlFilter(stateQuery)+`<wse:Expires>tomorrow</wse:Expires>`), "InvalidExpirationTime", server.RoleOperator},
		{"foreign bookmark", subscribeBody(deliveryPush, push, wqlFilter(stateQuery)+`<wsman:Bookmark>99999999999</wsman:Bookmark>`), "InvalidBookmark", server.RoleOperator},
		{"bad heartbeat", subscribeBody(deliveryPush, push+`<wsman:Heartbeats>soon</wsman:Heartbeats>`, wqlFilter(stateQuery)), "InvalidParameter", server.RoleOperator},
		{"UTF-16", subscribeBody(deliveryPush, push+`<wsman:ContentEncoding>UTF-16</wsman:ContentEncoding>`, wqlFilter(stateQuery)), "UnsupportedFeature", server.RoleOperator},
		{"read-only user", subscribeBody(deliveryPush, push, wqlFilter(stateQuery)), "AccessDenied", server.RoleReadOnly},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(c.role, req{action: actionSubscribe, resource: AllClasses, body: c.body}.String())
			if r.status == 200 || faultSubcode(r) != c.subcode {
				t.Errorf("HTTP %d subcode %q, want %s:\n%s", r.status, faultSubcode(r), c.subcode, r.raw)
			}
			if reason := find(r.root, nsSOAP, "Text"); reason == nil || textOf(reason) == "" {
				t.Errorf("fault without a reason")
			}
		})
	}
	n := 0
	_ = e.br.EnumerateInstances("root/interop", "CIM_IndicationSubscription", true, func(*cim.Instance) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d subscriptions left by refused requests", n)
	}
	if r := e.manage(server.RoleOperator, actionEvGetStatus, "uuid:00000000-0000-4000-8000-00000000dead", `<wse:GetStatus xmlns:wse="`+nsWSE+`"/>`); r.status == 200 {
		t.Errorf("GetStatus of an unknown subscription answered 200")
	}
	if r := e.op(req{action: actionEvGetStatus, resource: AllClasses, body: `<wse:GetStatus xmlns:wse="` + nsWSE + `"/>`}.String()); faultSubcode(r) != "MessageInformationHeaderRequired" {
		t.Errorf("GetStatus without wse:Identifier: %s", faultSubcode(r))
	}
}

// TestOpenwsmanSubscribeCapture replays the wsman client's Subscribe
// (to the all-classes URI in root/interop, Expires PT3600.000000S) and
// checks the subscription delivers to the NotifyTo it names, here
// rewritten to a live sink.
func TestOpenwsmanSubscribeCapture(t *testing.T) {
	dir := reference.Dir(t, "wire")
	raw, err := os.ReadFile(filepath.Join(dir, "wire", "openwsman-requests.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var m string
	for _, env := range regexp.MustCompile(`(?s)<\?xml.*?</s:Envelope>`).FindAllString(string(raw), -1) {
		if strings.Contains(env, "eventing/Subscribe<") {
			m = env
		}
	}
	if m == "" {
		t.Skip("no Subscribe in the capture")
	}
	e := newEvEnv(t, evOptions{})
	sink := sinktest.Start(t)
	body := strings.Replace(m, "http://127.0.0.1:8888/sink", sink.URL, 1)
	r := e.op(body)
	if r.status != 200 || find(r.root, nsWSE, "Identifier") == nil {
		t.Fatalf("the captured Subscribe: HTTP %d\n%s", r.status, r.raw)
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	sink.Wait(t, 30*time.Second, "events for the captured subscription", func(m []*sinktest.Message) bool { return len(states(t, m, uuid)) >= 2 })
}

// TestSubscribeByResourceURI: without a filter, the resource URI names
// what to subscribe to: an indication class (every instance of it), or
// an existing CIM_IndicationFilter by its Name selector, whose query is
// then the subscription's.
func TestSubscribeByResourceURI(t *testing.T) {
	e := newEvEnv(t, evOptions{})
	byClass, byFilter := sinktest.Start(t), sinktest.Start(t)
	r := e.op(req{action: actionSubscribe, resource: DMTFPrefix + "CIM_InstModification", body: subscribeBody(deliveryPush, notifyTo(byClass.URL, ""), "")}.String())
	if r.status != 200 {
		t.Fatalf("Subscribe to the class: HTTP %d\n%s", r.status, r.raw)
	}
	f := &cim.Instance{ClassName: "CIM_IndicationFilter"}
	f.Set("Name", cim.String("ops-states"))
	f.Set("QueryLanguage", cim.String("DMTF:CQL"))
	f.Set("Query", cim.String(strings.ReplaceAll(strings.ReplaceAll(stateQuery, "&lt;", "<"), "&gt;", ">")))
	if _, err := e.br.CreateInstance(t.Context(), "root/interop", f); err != nil {
		t.Fatal(err)
	}
	r = e.op(req{action: actionSubscribe, resource: DMTFPrefix + "CIM_IndicationFilter", selectors: []Selector{{Name: "Name", Value: "ops-states"}, {Name: namespaceSelector, Value: "root/interop"}},
		body: subscribeBody(deliveryPush, notifyTo(byFilter.URL, ""), "")}.String())
	if r.status != 200 {
		t.Fatalf("Subscribe to the filter: HTTP %d\n%s", r.status, r.raw)
	}
	if r := e.op(req{action: actionSubscribe, resource: DMTFPrefix + "CIM_IndicationFilter", selectors: []Selector{{Name: "Name", Value: "nope"}},
		body: subscribeBody(deliveryPush, notifyTo(byFilter.URL, ""), "")}.String()); faultSubcode(r) != "CannotProcessFilter" {
		t.Errorf("Subscribe to a missing filter: %s\n%s", faultSubcode(r), r.raw)
	}
	uuid := e.running(t)
	e.suspendResume(t, uuid)
	for name, s := range map[string]*sinktest.Sink{"class": byClass, "filter": byFilter} {
		got := s.Wait(t, 30*time.Second, name, func(m []*sinktest.Message) bool { return len(sinktest.VMStates(m, uuid)) >= 2 })
		if st := sinktest.VMStates(got, uuid); strings.Join(st, ",") != "9,2" {
			t.Errorf("subscribed by %s: %v, want 9,2", name, st)
		}
	}
}
