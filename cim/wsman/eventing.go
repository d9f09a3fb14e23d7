package wsman

import (
	"errors"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// WS-Eventing (DSP0226 §10, DSP0227 §10): Subscribe, Renew, GetStatus,
// Unsubscribe, and Pull on a Pull-mode subscription. The subscriptions
// themselves are the indication service's.

// modes maps wse:Delivery/@Mode onto the service's delivery modes.
var modes = map[string]indication.DeliveryMode{
	deliveryPush: indication.ModePush, deliveryPushWithAck: indication.ModePushWithAck,
	deliveryEvents: indication.ModeEvents, deliveryPull: indication.ModePull,
}

// maxPullWait bounds how long a Pull on a subscription waits for events.
const maxPullWait = 25 * time.Second

func (c *call) events() (*indication.Service, error) {
	if c.h.Events == nil {
		return nil, fault(faultActionNotSupported, "", "event subscriptions are off (indications.enabled is false)")
	}
	return c.h.Events, nil
}

// subscribe: wse:Subscribe.
func (c *call) subscribe() (*writer, error) {
	svc, err := c.events()
	if err != nil {
		return nil, err
	}
	if err := c.operator(); err != nil {
		return nil, err
	}
	b := c.req.Body
	if b == nil || !b.Is(nsWSE, "Subscribe") {
		return nil, fault(faultSchemaValidationError, "", "the body of Subscribe must be wse:Subscribe")
	}
	es, err := c.decodeSubscribe(b)
	if err != nil {
		return nil, err
	}
	id, err := svc.Subscribe(es)
	if err != nil {
		return nil, eventFault(err)
	}
	w := &writer{}
	w.envelopeStart(actionSubscribe+responseSuffix, c.req.MessageID, nil)
	w.open("wse:SubscribeResponse", "xmlns:wse", nsWSE)
	w.open("wse:SubscriptionManager")
	w.leaf("wsa:Address", c.req.To)
	w.open("wsa:ReferenceParameters")
	w.leaf("wsman:ResourceURI", c.req.ResourceURI)
	w.leaf("wse:Identifier", id)
	w.close("wsa:ReferenceParameters")
	w.close("wse:SubscriptionManager")
	writeExpires(w, es.Expires)
	if es.Delivery.Mode == indication.ModePull {
		w.leaf("wsen:EnumerationContext", id)
	}
	w.close("wse:SubscribeResponse")
	w.envelopeEnd()
	return w, nil
}

// writeExpires writes wse:Expires as an xs:dateTime; a subscription
// that never expires has none.
func writeExpires(w *writer, t time.Time) {
	if !t.IsZero() {
		w.leaf("wse:Expires", t.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
}

// decodeSubscribe reads the filter, the delivery and its options.
func (c *call) decodeSubscribe(b *xmltree.Node) (indication.EventSubscription, error) {
	var es indication.EventSubscription
	q, lang, err := c.eventFilter(b)
	if err != nil {
		return es, err
	}
	es.Query, es.Language = q, lang
	if s := kidText(b, nsWSE, "Expires"); s != "" {
		if es.Expires, err = expiresAt(s); err != nil {
			return es, err
		}
	}
	if b.Kid(nsWSMan, "SendBookmarks") != nil {
		es.Delivery.SendBookmarks = true
	}
	if bm := b.Kid(nsWSMan, "Bookmark"); bm != nil {
		if es.Bookmark = text(bm); es.Bookmark == "" {
			return es, fault(faultInvalidBookmark, "Invalid", "wsman:Bookmark is empty")
		}
	}
	d := &es.Delivery
	d.Manager, d.ResourceURI = c.req.To, c.req.ResourceURI
	if e := b.Kid(nsWSE, "EndTo"); e != nil {
		epr, err := notifyEPR(e, "wse:EndTo")
		if err != nil {
			return es, err
		}
		d.EndTo = &epr
	}
	del := b.Kid(nsWSE, "Delivery")
	if del == nil {
		return es, fault(faultSchemaValidationError, "", "wse:Subscribe needs a wse:Delivery")
	}
	mode, _ := del.Attr("Mode")
	mode = strings.TrimSpace(mode)
	if mode == "" {
		mode = deliveryPush
	}
	m, ok := modes[mode]
	if !ok {
		return es, fault(faultDeliveryModeUnavailable, "", "delivery mode %q: this service delivers Push, PushWithAck, Events and Pull", mode)
	}
	d.Mode = m
	return es, c.decodeDelivery(del, d)
}

// decodeDelivery reads wse:Delivery's NotifyTo and the WS-Management
// delivery options (DSP0226 §10.2.9 - §10.2.11).
func (c *call) decodeDelivery(del *xmltree.Node, d *indication.Delivery) error {
	if n := del.Kid(nsWSE, "NotifyTo"); n != nil {
		epr, err := notifyEPR(n, "wse:NotifyTo")
		if err != nil {
			return err
		}
		d.NotifyTo = epr
	} else if d.Mode != indication.ModePull {
		return fault(faultSchemaValidationError, "", "push delivery needs a wse:NotifyTo endpoint")
	}
	if d.Mode == indication.ModePull {
		d.NotifyTo = indication.EPR{Address: anonymous}
	}
	dur := func(name string) (time.Duration, error) {
		s := kidText(del, nsWSMan, name)
		if s == "" {
			return 0, nil
		}
		v, err := parseDuration(s)
		if err != nil || v <= 0 {
			return 0, fault(faultInvalidParameter, "", "wsman:%s %q is not a positive xs:duration", name, s)
		}
		return v, nil
	}
	var err error
	if d.Heartbeat, err = dur("Heartbeats"); err != nil {
		return err
	}
	if d.Heartbeat > 0 && d.Heartbeat < time.Second {
		return fault(faultInvalidParameter, "", "wsman:Heartbeats %v: at least one second", d.Heartbeat)
	}
	if d.MaxTime, err = dur("MaxTime"); err != nil {
		return err
	}
	if del.Kid(nsWSMan, "MaxElements") != nil {
		n, err := maxElements(del, nsWSMan)
		if err != nil {
			return err
		}
		d.MaxElements = int(min(n, maxPage))
	}
	if s := kidText(del, nsWSMan, "MaxEnvelopeSize"); s != "" {
		size, err := parsePositive(s)
		if err != nil || size < minEnvelope {
			return fault(faultEncodingLimit, "MinimumEnvelopeLimit", "wsman:MaxEnvelopeSize %q: want at least %d", s, minEnvelope)
		}
		d.MaxEnvelope = size
	}
	if enc := kidText(del, nsWSMan, "ContentEncoding"); enc != "" {
		if !strings.EqualFold(enc, "UTF-8") {
			return fault(faultUnsupportedFeature, "", "wsman:ContentEncoding %q: events are sent in UTF-8", enc)
		}
		d.ContentEncoding = "UTF-8"
	}
	if l := del.Kid(nsWSMan, "Locale"); l != nil {
		d.Locale, _ = l.AttrNS(nsXML, "lang")
	}
	if r := del.Kid(nsWSMan, "ConnectionRetry"); r != nil {
		return fault(faultUnsupportedFeature, "DeliveryRetries", "wsman:ConnectionRetry: retries are the indication service's DeliveryRetryAttempts and DeliveryRetryInterval")
	}
	return nil
}

// notifyEPR reads a NotifyTo or EndTo: an http(s) address, and its
// reference parameters (or 2004/08 reference properties) to echo.
func notifyEPR(n *xmltree.Node, what string) (indication.EPR, error) {
	var e indication.EPR
	a := n.Kid(nsWSA, "Address")
	if a == nil || text(a) == "" {
		return e, fault(faultSchemaValidationError, "", "%s has no wsa:Address", what)
	}
	e.Address = text(a)
	if !strings.HasPrefix(e.Address, "http://") && !strings.HasPrefix(e.Address, "https://") {
		return e, fault(faultEventSourceUnableToProcess, "", "%s %q: events are delivered over http or https", what, e.Address)
	}
	if err := checkURL(e.Address); err != nil {
		return e, fault(faultEventSourceUnableToProcess, "", "%s %q: %v", what, e.Address, err)
	}
	var raw strings.Builder
	for _, name := range []string{"ReferenceParameters", "ReferenceProperties"} {
		if p := n.Kid(nsWSA, name); p != nil {
			for _, k := range p.Kids {
				writeNode(&raw, k)
			}
		}
	}
	e.Params = raw.String()
	return e, nil
}

// eventFilter reads the subscription's filter: wsman:Filter or
// wse:Filter in WQL or CQL; without one, the resource URI names an
// indication class, or an existing CIM_IndicationFilter by selectors.
func (c *call) eventFilter(b *xmltree.Node) (string, string, error) {
	f := b.Kid(nsWSMan, "Filter")
	if f == nil {
		f = b.Kid(nsWSE, "Filter")
	}
	ns, sels := namespaceOf(c.req.Selectors, c.h.Namespace)
	if !strings.EqualFold(ns, c.h.Namespace) && !strings.EqualFold(ns, c.h.Events.Interop()) {
		return "", "", fault(faultDestinationUnreachable, "InvalidResourceURI", "__cimnamespace %q: indications come from %s (subscriptions live in %s)", ns, c.h.Namespace, c.h.Events.Interop())
	}
	if f != nil {
		dialect, _ := f.Attr("Dialect")
		switch strings.TrimSpace(dialect) {
		case dialectWQL, "":
			return text(f), "WQL", nil
		case dialectCQL:
			return text(f), "DMTF:CQL", nil
		}
		return "", "", &Fault{kind: faultFilterDialectUnavailable, Text: "dialect " + dialect,
			extra: "<wsen:SupportedDialect>" + dialectWQL + "</wsen:SupportedDialect><wsen:SupportedDialect>" + dialectCQL + "</wsen:SupportedDialect>"}
	}
	if c.req.ResourceURI == AllClasses {
		return "", "", fault(faultCannotProcessFilter, "", "a subscription to every class (%s) needs a WQL or CQL wsman:Filter naming the indication class", AllClasses)
	}
	class, err := classOf(c.req.ResourceURI)
	if err != nil {
		return "", "", err
	}
	if strings.EqualFold(class, "CIM_IndicationFilter") {
		q, lang, err := c.h.Events.FilterQuery(selectorName(sels))
		if err != nil {
			return "", "", eventFault(err)
		}
		return q, lang, nil
	}
	return "SELECT * FROM " + class, "WQL", nil
}

func selectorName(sels []Selector) string {
	for _, s := range sels {
		if strings.EqualFold(s.Name, "Name") {
			return s.Value
		}
	}
	return ""
}

// expiresAt reads wse:Expires, an xs:duration or xs:dateTime.
func expiresAt(s string) (time.Time, error) {
	d, err := parseExpires(s)
	if err != nil {
		return time.Time{}, fault(faultEventInvalidExpirationTime, "", "wse:Expires %q: a positive xs:duration or a future xs:dateTime", s)
	}
	return time.Now().Add(d), nil
}

// eventFault maps the indication service's errors onto WS-Eventing faults.
func eventFault(err error) error {
	switch {
	case errors.Is(err, indication.ErrExpires):
		return fault(faultEventInvalidExpirationTime, "", "%v", err)
	case errors.Is(err, indication.ErrBookmark):
		return fault(faultInvalidBookmark, "Invalid", "%v", err)
	case errors.Is(err, indication.ErrNoSubscription):
		return fault(faultDestinationUnreachable, "", "%v", err)
	case errors.Is(err, cim.ErrInvalidQuery), errors.Is(err, cim.ErrQueryLanguage):
		return fault(faultCannotProcessFilter, "", "%v", err)
	case errors.Is(err, cim.ErrServerLimitsExceeded):
		return fault(faultEventSourceUnableToProcess, "", "%v", err)
	}
	return err
}

// subscription finds the request's wse:Identifier.
func (c *call) subscriptionID() (*indication.Service, string, error) {
	svc, err := c.events()
	if err != nil {
		return nil, "", err
	}
	if c.req.Identifier == "" {
		return nil, "", fault(faultMessageInformationHeaderRequired, "", "%s needs the wse:Identifier header of the SubscriptionManager reference", c.req.Action)
	}
	return svc, c.req.Identifier, c.operator()
}

// renewSubscription: wse:Renew.
func (c *call) renewSubscription() (*writer, error) {
	svc, id, err := c.subscriptionID()
	if err != nil {
		return nil, err
	}
	var exp time.Time
	if b := c.req.Body; b != nil {
		if s := kidText(b, nsWSE, "Expires"); s != "" {
			if exp, err = expiresAt(s); err != nil {
				return nil, err
			}
		}
	}
	if err := svc.Renew(id, exp); err != nil {
		if errors.Is(err, indication.ErrNoSubscription) {
			return nil, fault(faultUnableToRenew, "", "%v", err)
		}
		return nil, eventFault(err)
	}
	return c.expiresResponse(actionEvRenew, "wse:RenewResponse", exp), nil
}

// subscriptionStatus: wse:GetStatus.
func (c *call) subscriptionStatus() (*writer, error) {
	svc, id, err := c.subscriptionID()
	if err != nil {
		return nil, err
	}
	exp, err := svc.Status(id)
	if err != nil {
		return nil, eventFault(err)
	}
	return c.expiresResponse(actionEvGetStatus, "wse:GetStatusResponse", exp), nil
}

func (c *call) expiresResponse(action, el string, exp time.Time) *writer {
	w := &writer{}
	w.envelopeStart(action+responseSuffix, c.req.MessageID, nil)
	w.open(el, "xmlns:wse", nsWSE)
	writeExpires(w, exp)
	w.close(el)
	w.envelopeEnd()
	return w
}

// unsubscribe: wse:Unsubscribe.
func (c *call) unsubscribe() (*writer, error) {
	svc, id, err := c.subscriptionID()
	if err != nil {
		return nil, err
	}
	if err := svc.Unsubscribe(id); err != nil {
		return nil, eventFault(err)
	}
	return c.empty(actionUnsubscribe + responseSuffix), nil
}

// pullEvents: wsen:Pull on a Pull-mode subscription's context, waiting
// up to wsen:MaxTime (or the OperationTimeout) for events. Nothing
// within the wait is wsman:TimedOut, unless the subscription asked for
// heartbeats: then an empty answer is its heartbeat.
func (c *call) pullEvents(id string, b *xmltree.Node) (*writer, error) {
	svc := c.h.Events
	if svc == nil {
		return nil, fault(faultInvalidEnumerationContext, "", "EnumerationContext %q was not issued by this service", id)
	}
	n, err := maxElements(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	wait := maxPullWait
	if c.req.Timeout > 0 {
		wait = min(wait, c.req.Timeout)
	}
	if s := kidText(b, nsWSEN, "MaxTime"); s != "" {
		d, err := parseDuration(s)
		if err != nil || d <= 0 {
			return nil, fault(faultInvalidParameter, "", "wsen:MaxTime %q is not a positive xs:duration", s)
		}
		wait = min(wait, d)
	}
	heartbeat, err := svc.Heartbeat(id)
	if err != nil {
		return nil, fault(faultInvalidEnumerationContext, "", "%v", err)
	}
	if heartbeat > 0 {
		wait = min(wait, heartbeat)
	}
	events, err := svc.Pull(c.ctx, id, int(n), wait)
	if err != nil {
		return nil, eventFault(err)
	}
	if len(events) == 0 && heartbeat == 0 {
		return nil, fault(faultTimedOut, "", "no events within %v", wait)
	}
	w := &writer{}
	w.envelopeStart(actionPull+responseSuffix, c.req.MessageID, func(w *writer) {
		if len(events) > 0 && events[len(events)-1].Bookmark != "" {
			w.leaf("wsman:Bookmark", events[len(events)-1].Bookmark)
		}
	})
	w.open("wsen:PullResponse")
	w.leaf("wsen:EnumerationContext", id)
	w.open("wsen:Items")
	for _, ev := range events {
		writeEventItems(w, ev)
	}
	w.close("wsen:Items")
	w.close("wsen:PullResponse")
	w.envelopeEnd()
	return w, nil
}

// writeEventItems writes one event: the indication, preceded by a
// wsman:DroppedEvents count when some were lost before it.
func writeEventItems(w *writer, ev indication.Event) {
	if ev.Dropped > 0 {
		w.leaf("wsman:DroppedEvents", uintText(ev.Dropped), "Action", actionEvent)
	}
	if ev.Indication != nil {
		w.writeInstance(ev.Indication, 0)
	}
}
