package wsman

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/virtbridge/virtbridge/cim/server"
)

// FuzzEventing: any body sent to a handler with the indication service
// (Subscribe, Renew, GetStatus, Unsubscribe, Pull of a subscription) gets
// a well-formed answer: a response with the action's response action or a
// fault relating to the request; nothing panics.
func FuzzEventing(f *testing.F) {
	push := subscribeBody(deliveryPush, notifyTo("http://127.0.0.1:1/sink", `<k:P xmlns:k="urn:k" k:a="1">v<k:Q/></k:P>`)+
		`<wsman:Heartbeats>PT1S</wsman:Heartbeats>`, wqlFilter(stateQuery)+`<wsman:SendBookmarks/><wse:Expires>PT10S</wse:Expires>`)
	for _, body := range []string{
		push,
		subscribeBody(deliveryPull, "", wqlFilter("SELECT * FROM CIM_InstCreation")),
		subscribeBody(deliveryEvents, notifyTo("http://127.0.0.1:1/s", "")+`<wsman:MaxElements>3</wsman:MaxElements><wsman:MaxTime>PT1S</wsman:MaxTime>`,
			`<wsman:Filter Dialect="`+dialectCQL+`">SELECT * FROM CIM_InstDeletion</wsman:Filter><wsman:Bookmark>`+BookmarkEarliestURI+`</wsman:Bookmark>`),
		subscribeBody(deliveryPushWithAck, notifyTo("https://[::1]:99999/x", ""), wqlFilter(stateQuery)),
	} {
		f.Add([]byte(req{action: actionSubscribe, resource: AllClasses, body: body}.String()))
	}
	for _, a := range []string{actionEvRenew, actionEvGetStatus, actionUnsubscribe} {
		f.Add([]byte(req{action: a, resource: AllClasses, headers: `<wse:Identifier xmlns:wse="` + nsWSE + `">uuid:1</wse:Identifier>`,
			body: `<wse:Renew xmlns:wse="` + nsWSE + `"><wse:Expires>PT5S</wse:Expires></wse:Renew>`}.String()))
	}
	f.Add([]byte(req{action: actionPull, resource: AllClasses, body: `<wsen:Pull><wsen:EnumerationContext>uuid:1</wsen:EnumerationContext><wsen:MaxTime>PT0.01S</wsen:MaxTime></wsen:Pull>`}.String()))
	e := newEvEnv(f, evOptions{})
	e.h.Limits = fuzzLimits
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		r := e.post(server.RoleOperator, string(body))
		fi, isFault := r.fault()
		if isFault && (r.status != http.StatusInternalServerError || fi.code[1] == "") {
			t.Fatalf("fault %d %v:\n%s", r.status, fi.code, r.raw)
		}
		req, err := Decode(bytes.NewReader(body), fuzzLimits)
		if err != nil || req == nil || req.MessageID == "" {
			return
		}
		if r.headerText(nsWSA, "RelatesTo") != req.MessageID {
			t.Fatalf("RelatesTo %q, MessageID %q", r.headerText(nsWSA, "RelatesTo"), req.MessageID)
		}
		if !isFault && r.status == http.StatusOK && r.headerText(nsWSA, "Action") != req.Action+responseSuffix && req.Body != nil && !req.Body.Is(nsWSMID, "Identify") {
			t.Fatalf("action %q for %q", r.headerText(nsWSA, "Action"), req.Action)
		}
	})
}

// FuzzSubscriberAnswer: whatever a subscriber answers a PushWithAck
// delivery with is an acknowledgement or an error, never a panic; only
// an Ack relating to the message is taken.
func FuzzSubscriberAnswer(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `"><s:Header><wsa:Action>` + actionAck + `</wsa:Action><wsa:RelatesTo>uuid:m</wsa:RelatesTo></s:Header><s:Body/></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>wsman:DeliveryRefused</s:Value></s:Subcode></s:Code></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte("not xml"))
	f.Fuzz(func(t *testing.T, answer []byte) {
		err := checkAck(answer, "uuid:m")
		if err == nil && !bytes.Contains(answer, []byte("uuid:m")) {
			t.Fatalf("an answer without the message's ID taken as its Ack: %q", answer)
		}
		_ = refused(answer)
	})
}
