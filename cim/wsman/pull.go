package wsman

import (
	"strconv"
	"time"

	"github.com/virtbridge/virtbridge/cim/broker"
)

// pull: WS-Enumeration Pull (DSP0226 §8.4): up to MaxElements items,
// within MaxCharacters and MaxEnvelopeSize.
func (c *call) pull() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Pull") {
		return nil, fault(faultSchemaValidationError, "", "the body of Pull must be wsen:Pull")
	}
	mode, id, err := enumContext(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	n, err := maxElements(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	items := &itemWriter{c: c, mode: mode, budget: c.budget()}
	if s := kidText(b, nsWSEN, "MaxCharacters"); s != "" {
		if mc, err := strconv.ParseUint(s, 10, 32); err == nil && mc > 0 && (items.budget == 0 || int(mc) < items.budget) {
			items.budget = int(mc)
		}
	}
	page, err := c.h.Broker.Pull("", id, broker.WithPath, n, items.emit)
	if err != nil {
		return nil, err
	}
	var total uint64
	if c.req.TotalItemsEstimate {
		total = uint64(items.n)
		if !page.EndOfSequence {
			left, err := c.h.Broker.EnumerationCount("", id)
			if err != nil {
				return nil, err
			}
			total += left
		}
	}
	w := &writer{}
	w.envelopeStart(actionPull+responseSuffix, c.req.MessageID, c.estimate(total))
	w.open("wsen:PullResponse")
	if !page.EndOfSequence {
		w.leaf("wsen:EnumerationContext", string(mode)+":"+id)
	}
	w.open("wsen:Items")
	w.Write(items.buf.Bytes())
	w.close("wsen:Items")
	if page.EndOfSequence {
		w.WriteString("<wsen:EndOfSequence/>")
	}
	w.close("wsen:PullResponse")
	w.envelopeEnd()
	return w, nil
}

// release: WS-Enumeration Release.
func (c *call) release() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Release") {
		return nil, fault(faultSchemaValidationError, "", "the body of Release must be wsen:Release")
	}
	_, id, err := enumContext(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	if err := c.h.Broker.CloseEnumeration("", id); err != nil {
		return nil, err
	}
	return c.empty(actionRelease + responseSuffix), nil
}

// renew: WS-Enumeration Renew with a new Expires.
func (c *call) renew() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Renew") {
		return nil, fault(faultSchemaValidationError, "", "the body of Renew must be wsen:Renew")
	}
	mode, id, err := enumContext(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	var d time.Duration
	if e := kidText(b, nsWSEN, "Expires"); e != "" {
		if d, err = parseExpires(e); err != nil {
			return nil, err
		}
	}
	until, err := c.h.Broker.RenewEnumeration("", id, d)
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(actionRenew+responseSuffix, c.req.MessageID, nil)
	w.open("wsen:RenewResponse")
	w.leaf("wsen:Expires", formatDuration(time.Until(until)))
	w.leaf("wsen:EnumerationContext", string(mode)+":"+id)
	w.close("wsen:RenewResponse")
	w.envelopeEnd()
	return w, nil
}

// getStatus: WS-Enumeration GetStatus.
func (c *call) getStatus() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "GetStatus") {
		return nil, fault(faultSchemaValidationError, "", "the body of GetStatus must be wsen:GetStatus")
	}
	_, id, err := enumContext(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	until, err := c.h.Broker.EnumerationExpires("", id)
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(actionGetStatus+responseSuffix, c.req.MessageID, nil)
	w.open("wsen:GetStatusResponse")
	w.leaf("wsen:Expires", formatDuration(time.Until(until)))
	w.close("wsen:GetStatusResponse")
	w.envelopeEnd()
	return w, nil
}

// empty is a response with an empty body.
func (c *call) empty(action string) *writer {
	w := &writer{}
	w.envelopeStart(action, c.req.MessageID, nil)
	w.envelopeEnd()
	return w
}
