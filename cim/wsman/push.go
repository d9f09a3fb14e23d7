package wsman

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/xmltree"
	"github.com/virtbridge/virtbridge/internal/idcache"
)

// Pusher sends WS-Eventing messages to subscribers (DSP0226 §10.2.9):
// events, heartbeats and SubscriptionEnd, as SOAP 1.2 over HTTP(S). It is
// the indication service's Pusher.
type Pusher struct {
	http    *http.Client
	timeout time.Duration
	nested  *idcache.Cache[nestedKey, []byte] // see writer.nested
}

// nestedCached is how many embedded instances a Pusher keeps rendered.
const nestedCached = 1024

// NewPusher returns a pusher whose every message is bounded by timeout.
// Subscribers' certificates are verified unless insecureTLS is set.
func NewPusher(timeout time.Duration, insecureTLS bool) *Pusher {
	hc, timeout := export.HTTPClient(timeout, insecureTLS)
	return &Pusher{http: hc, timeout: timeout, nested: idcache.New[nestedKey, []byte](nestedCached)}
}

// Push delivers events: each in its own message (Push, PushWithAck,
// a DroppedEvents message before an event that follows a loss), or all
// in one wsman:Events message (Events); none is a heartbeat.
func (p *Pusher) Push(ctx context.Context, d *indication.Delivery, events []indication.Event) error {
	if len(events) == 0 {
		return p.send(ctx, d, d.NotifyTo, actionHeartbeat, "", nil)
	}
	if d.Mode == indication.ModeEvents {
		return p.send(ctx, d, d.NotifyTo, actionEvents, bookmarkOf(d, events), func(w *writer) {
			w.open("wsman:Events")
			for _, ev := range events {
				if ev.Dropped > 0 {
					w.open("wsman:Event", "Action", actionDropped)
					w.leaf("wsman:DroppedEvents", uintText(ev.Dropped), "Action", actionEvent)
					w.close("wsman:Event")
				}
				if ev.Indication != nil {
					w.open("wsman:Event", "Action", actionEvent)
					w.writeInstance(ev.Indication, 0)
					w.close("wsman:Event")
				}
			}
			w.close("wsman:Events")
		})
	}
	for _, ev := range events {
		if ev.Dropped > 0 {
			n := ev.Dropped
			if err := p.send(ctx, d, d.NotifyTo, actionDropped, "", func(w *writer) {
				w.leaf("wsman:DroppedEvents", uintText(n), "Action", actionEvent)
			}); err != nil {
				return err
			}
		}
		if ev.Indication == nil {
			continue
		}
		ind := ev.Indication
		if err := p.send(ctx, d, d.NotifyTo, actionEvent, bookmarkOf(d, []indication.Event{ev}), func(w *writer) {
			w.writeInstance(ind, 0)
		}); err != nil {
			return err
		}
	}
	return nil
}

// End sends wse:SubscriptionEnd to d.EndTo.
func (p *Pusher) End(ctx context.Context, d *indication.Delivery, status indication.EndStatus, reason string) error {
	if d.EndTo == nil {
		return nil
	}
	return p.send(ctx, d, *d.EndTo, actionSubEnd, "", func(w *writer) {
		w.open("wse:SubscriptionEnd", "xmlns:wse", nsWSE)
		w.open("wse:SubscriptionManager")
		w.leaf("wsa:Address", d.Manager)
		w.open("wsa:ReferenceParameters")
		if d.ResourceURI != "" {
			w.leaf("wsman:ResourceURI", d.ResourceURI)
		}
		w.leaf("wse:Identifier", d.ID)
		w.close("wsa:ReferenceParameters")
		w.close("wse:SubscriptionManager")
		w.leaf("wse:Status", nsWSE+"/"+string(status))
		w.leaf("wse:Reason", reason, "xml:lang", "en-US")
		w.close("wse:SubscriptionEnd")
	})
}

// bookmarkOf is the bookmark a delivery carries: its last event's, when
// the subscriber asked for bookmarks.
func bookmarkOf(d *indication.Delivery, events []indication.Event) string {
	if !d.SendBookmarks {
		return ""
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Bookmark != "" {
			return events[i].Bookmark
		}
	}
	return ""
}

// send posts one message to the endpoint to. PushWithAck messages (and
// only they) ask for a wsman:Ack and fail without one.
func (p *Pusher) send(ctx context.Context, d *indication.Delivery, to indication.EPR, action, bookmark string, body func(*writer)) error {
	ack := d.Mode == indication.ModePushWithAck && action != actionSubEnd
	msgID := newMessageID()
	w := &writer{nested: p.nested}
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("s:Envelope", "xmlns:s", nsSOAP, "xmlns:wsa", nsWSA, "xmlns:wsman", nsWSMan, "xmlns:cim", nsCIM, "xmlns:xsi", nsXSI)
	w.open("s:Header")
	w.leaf("wsa:To", to.Address)
	w.WriteString(to.Params) // the EPR's reference parameters, as headers
	w.leaf("wsa:Action", action, "s:mustUnderstand", "true")
	w.leaf("wsa:MessageID", msgID)
	if ack {
		w.open("wsa:ReplyTo")
		w.leaf("wsa:Address", anonymous)
		w.close("wsa:ReplyTo")
		w.WriteString("<wsman:AckRequested/>")
	}
	if bookmark != "" {
		w.leaf("wsman:Bookmark", bookmark)
	}
	if d.Locale != "" {
		w.WriteString(`<wsman:Locale xml:lang="`)
		w.text(d.Locale)
		w.WriteString(`" s:mustUnderstand="false"/>`)
	}
	w.close("s:Header")
	w.open("s:Body")
	if body != nil {
		body(w)
	}
	w.envelopeEnd()
	if d.MaxEnvelope > 0 && w.Len() > d.MaxEnvelope {
		return fmt.Errorf("%s to %s: the message is %d bytes, over the subscriber's MaxEnvelopeSize %d", action, to.Address, w.Len(), d.MaxEnvelope)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.Address, bytes.NewReader(w.Bytes()))
	if err != nil {
		return fmt.Errorf("%s to %s: %w", action, to.Address, err)
	}
	req.Header.Set("Content-Type", soapType)
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s to %s: %w", action, to.Address, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s to %s: reading the answer: %w", action, to.Address, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if refused(answer) {
			return fmt.Errorf("%s to %s: %w", action, to.Address, indication.ErrDeliveryRefused)
		}
		return fmt.Errorf("%s to %s: HTTP %d", action, to.Address, resp.StatusCode)
	}
	if ack {
		return checkAck(answer, msgID)
	}
	return nil
}

// refused reports whether answer is the wsman:DeliveryRefused fault a
// subscriber sends to end its subscription (DSP0226 §10.8).
func refused(answer []byte) bool {
	var n int
	root, err := xmltree.Read(bytes.NewReader(answer), xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxElements: 1000}, true, &n)
	if err != nil {
		return false
	}
	body := root.Kid(nsSOAP, "Body")
	if body == nil {
		return false
	}
	f := body.Kid(nsSOAP, "Fault")
	if f == nil {
		return false
	}
	code := f.Kid(nsSOAP, "Code")
	if code == nil {
		return false
	}
	sub := code.Kid(nsSOAP, "Subcode")
	if sub == nil || sub.Kid(nsSOAP, "Value") == nil {
		return false
	}
	v := text(sub.Kid(nsSOAP, "Value"))
	return v == "DeliveryRefused" || strings.HasSuffix(v, ":DeliveryRefused")
}

// checkAck accepts a wsman:Ack that relates to msgID.
func checkAck(answer []byte, msgID string) error {
	req, err := Decode(bytes.NewReader(answer), xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxElements: 1000})
	if err != nil && req == nil {
		return fmt.Errorf("the subscriber's answer is not an acknowledgement: %w", err)
	}
	if req.Action != actionAck {
		return fmt.Errorf("the subscriber answered %q, not %s", req.Action, actionAck)
	}
	if req.RelatesTo != msgID {
		return fmt.Errorf("the subscriber's Ack relates to %q, not to %s", req.RelatesTo, msgID)
	}
	return nil
}

// checkURL accepts an absolute http(s) URL with a host and a valid port.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Hostname() == "" {
		return fmt.Errorf("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("port %q", p)
		}
	}
	return nil
}

func uintText(n uint64) string { return strconv.FormatUint(n, 10) }

func parsePositive(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer", s)
	}
	return n, nil
}

// writeNode writes n and what it holds back as XML, each element
// declaring its own namespace, so it stands alone as a header.
func writeNode(b *strings.Builder, n *xmltree.Node) {
	var w writer
	writeNodeTo(&w, n, 0)
	b.Write(w.Bytes())
}

func writeNodeTo(w *writer, n *xmltree.Node, depth int) {
	prefix := "r" + strconv.Itoa(depth)
	name := n.Name
	attrs := []string{}
	if n.Space != "" {
		name = prefix + ":" + n.Name
		attrs = append(attrs, "xmlns:"+prefix, n.Space)
	}
	for i, a := range n.Attrs {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			continue
		case a.Name.Space == nsXML:
			attrs = append(attrs, "xml:"+a.Name.Local, a.Value)
		case a.Name.Space != "":
			ap := prefix + "a" + strconv.Itoa(i)
			attrs = append(attrs, "xmlns:"+ap, a.Name.Space, ap+":"+a.Name.Local, a.Value)
		default:
			attrs = append(attrs, a.Name.Local, a.Value)
		}
	}
	w.open(name, attrs...)
	w.text(n.Text.String())
	for _, k := range n.Kids {
		writeNodeTo(w, k, depth+1)
	}
	w.close(name)
}
