package wsman

import (
	"strconv"
	"strings"
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
	if s := kidText(b, nsWSEN, "EnumerationContext"); strings.HasPrefix(s, "uuid:") {
		return c.pullEvents(s, b) // a Pull-mode event subscription's
	}
	ctx, err := parseContext(kidText(b, nsWSEN, "EnumerationContext"))
	if err != nil {
		return nil, err
	}
	n, err := maxElements(b, nsWSEN)
	if err != nil {
		return nil, err
	}
	if ctx.id == "" {
		// Ended already: the end again.
		total := c.totalOf(ctx.delivered)
		return c.pullResponse("", nil, true, total), nil
	}
	items := &itemWriter{c: c, mode: ctx.mode}
	longest := func() *writer { return c.pullResponse(strings.Repeat("x", maxContextLen), nil, true, maxTotal) }
	if items.budget, err = c.itemBudget(longest); err != nil {
		return nil, err
	}
	if s := kidText(b, nsWSEN, "MaxCharacters"); s != "" {
		mc, err := strconv.ParseUint(s, 10, 64)
		if err != nil || mc == 0 {
			return nil, fault(faultInvalidParameter, "", "MaxCharacters %q is not a positive integer", s)
		}
		if items.budget == 0 || mc < uint64(items.budget) {
			items.budget, items.byChars = int(mc), true
		}
	}
	page, err := c.h.Broker.Pull("", ctx.id, broker.WithPath, n, items.emit)
	if err != nil {
		return nil, err
	}
	if items.tooBig && items.n == 0 {
		// The item stays first in line: the context remains valid for a
		// Pull with more room.
		return nil, items.fault()
	}
	next := enumContext{mode: ctx.mode, delivered: ctx.delivered + uint64(items.n), id: page.Context}
	total, err := c.total(next.delivered, page)
	if err != nil {
		return nil, err
	}
	s := ""
	if !page.EndOfSequence {
		s = next.String()
	}
	return c.pullResponse(s, items.buf.Bytes(), page.EndOfSequence, total), nil
}

// totalOf is the TotalItemsCountEstimate of an ended enumeration.
func (c *call) totalOf(delivered uint64) *uint64 {
	if !c.req.TotalItemsEstimate {
		return nil
	}
	return &delivered
}

// pullResponse writes a wsen:PullResponse: the next context unless the
// enumeration ended, the items, EndOfSequence when it did.
func (c *call) pullResponse(ctx string, items []byte, eos bool, total *uint64) *writer {
	w := &writer{}
	w.envelopeStart(actionPull+responseSuffix, c.req.MessageID, estimate(total))
	w.open("wsen:PullResponse")
	if ctx != "" {
		w.leaf("wsen:EnumerationContext", ctx)
	}
	w.open("wsen:Items")
	w.Write(items)
	w.close("wsen:Items")
	if eos {
		w.WriteString("<wsen:EndOfSequence/>")
	}
	w.close("wsen:PullResponse")
	w.envelopeEnd()
	return w
}

// release: WS-Enumeration Release.
func (c *call) release() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Release") {
		return nil, fault(faultSchemaValidationError, "", "the body of Release must be wsen:Release")
	}
	ctx, err := parseContext(kidText(b, nsWSEN, "EnumerationContext"))
	if err != nil {
		return nil, err
	}
	if ctx.id != "" {
		if err := c.h.Broker.CloseEnumeration("", ctx.id); err != nil {
			return nil, err
		}
	}
	return c.empty(actionRelease + responseSuffix), nil
}

// stillOpen refuses an ended context: there is no enumeration to renew
// or ask about.
func stillOpen(ctx enumContext) error {
	if ctx.id == "" {
		return fault(faultInvalidEnumerationContext, "", "the enumeration has ended")
	}
	return nil
}

// renew: WS-Enumeration Renew with a new Expires.
func (c *call) renew() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Renew") {
		return nil, fault(faultSchemaValidationError, "", "the body of Renew must be wsen:Renew")
	}
	ctx, err := parseContext(kidText(b, nsWSEN, "EnumerationContext"))
	if err != nil {
		return nil, err
	}
	if err := stillOpen(ctx); err != nil {
		return nil, err
	}
	var d time.Duration
	if e := kidText(b, nsWSEN, "Expires"); e != "" {
		if d, err = parseExpires(e); err != nil {
			return nil, err
		}
	}
	until, err := c.h.Broker.RenewEnumeration("", ctx.id, d)
	if err != nil {
		return nil, err
	}
	w := &writer{}
	w.envelopeStart(actionRenew+responseSuffix, c.req.MessageID, nil)
	w.open("wsen:RenewResponse")
	w.leaf("wsen:Expires", formatDuration(time.Until(until)))
	w.leaf("wsen:EnumerationContext", ctx.String())
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
	ctx, err := parseContext(kidText(b, nsWSEN, "EnumerationContext"))
	if err != nil {
		return nil, err
	}
	if err := stillOpen(ctx); err != nil {
		return nil, err
	}
	until, err := c.h.Broker.EnumerationExpires("", ctx.id)
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
