package wsman

import (
	"strconv"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// enumeration modes, kept in the context handed to the client so that
// Pull renders what Enumerate asked for without server-side state.
const (
	modeObjects = 'O'
	modeEPRs    = 'E'
	modeBoth    = 'B'
)

// enumContext is the wsen:EnumerationContext a client holds between
// pulls: the mode, how many items it was handed so far (for
// TotalItemsCountEstimate, the size of the whole result) and the broker's
// enumeration, "" once that ended. An ended context still answers Pull,
// with EndOfSequence: a non-optimized Enumerate of an empty result hands
// one out, and the client's first Pull must succeed.
type enumContext struct {
	mode      byte
	delivered uint64
	id        string
}

func (e enumContext) String() string {
	return string(e.mode) + strconv.FormatUint(e.delivered, 10) + ":" + e.id
}

// maxContextLen bounds the text of an enumContext: mode, 20 digits, the
// colon and a broker id (32 hex digits).
const maxContextLen = 1 + 20 + 1 + 32

// parseContext reads a client's EnumerationContext.
func parseContext(s string) (enumContext, error) {
	if s == "" {
		// The empty context of an optimized enumeration that ended at
		// once: a client that pulls anyway gets EndOfSequence.
		return enumContext{mode: modeObjects}, nil
	}
	bad := fault(faultInvalidEnumerationContext, "", "EnumerationContext %q was not issued by this service", s)
	i := strings.IndexByte(s, ':')
	if len(s) > maxContextLen || i < 2 || strings.IndexByte("OEB", s[0]) < 0 {
		return enumContext{}, bad
	}
	n, err := strconv.ParseUint(s[1:i], 10, 64)
	if err != nil {
		return enumContext{}, bad
	}
	return enumContext{mode: s[0], delivered: n, id: s[i+1:]}, nil
}

// enumerate: WS-Enumeration Enumerate with the WS-Man extensions
// (DSP0226 §8.2): mode, optimization, filters, expiry.
func (c *call) enumerate() (*writer, error) {
	b := c.req.Body
	if b == nil || !b.Is(nsWSEN, "Enumerate") {
		return nil, fault(faultSchemaValidationError, "", "the body of Enumerate must be wsen:Enumerate")
	}
	mode := byte(modeObjects)
	switch m := kidText(b, nsWSMan, "EnumerationMode"); m {
	case "":
	case modeEPR:
		mode = modeEPRs
	case modeObjectAndEPR:
		mode = modeBoth
	default:
		return nil, fault(faultUnsupportedFeature, "EnumerationMode", "EnumerationMode %q: want %s or %s", m, modeEPR, modeObjectAndEPR)
	}
	var o broker.PullOptions
	if e := kidText(b, nsWSEN, "Expires"); e != "" {
		d, err := parseExpires(e)
		if err != nil {
			return nil, err
		}
		o.Timeout = d
	}
	optimize := b.Kid(nsWSMan, "OptimizeEnumeration") != nil
	if optimize {
		n, err := maxElements(b, nsWSMan)
		if err != nil {
			return nil, err
		}
		o.MaxObjectCount = n
	}
	ns, sels := namespaceOf(c.req.Selectors, c.h.Namespace)
	class, err := classOf(c.req.ResourceURI)
	if err != nil {
		return nil, err
	}
	items := &itemWriter{c: c, mode: mode}
	if optimize {
		longest := func() *writer {
			return c.enumerateResponse(strings.Repeat("x", maxContextLen), nil, true, true, o.Timeout, maxTotal)
		}
		if items.budget, err = c.itemBudget(longest); err != nil {
			return nil, err
		}
	}
	open, err := c.openFor(ns, class, sels, b, o)
	if err != nil {
		return nil, err
	}
	page, err := open(items.emit)
	if err != nil {
		return nil, err
	}
	if items.tooBig && items.n == 0 {
		_ = c.h.Broker.CloseEnumeration("", page.Context)
		return nil, items.fault()
	}
	ctx := enumContext{mode: mode, delivered: uint64(items.n), id: page.Context}
	total, err := c.total(ctx.delivered, page)
	if err != nil {
		return nil, err
	}
	return c.enumerateResponse(ctx.String(), items.buf.Bytes(), optimize, page.EndOfSequence, o.Timeout, total), nil
}

// maxTotal stands for the longest TotalItemsCountEstimate when measuring.
var maxTotal = func() *uint64 { n := ^uint64(0); return &n }()

// total is the TotalItemsCountEstimate, nil when not asked for: what was
// handed out so far and what is left after this page.
func (c *call) total(delivered uint64, page broker.Page) (*uint64, error) {
	if !c.req.TotalItemsEstimate {
		return nil, nil
	}
	n := delivered
	if !page.EndOfSequence {
		left, err := c.h.Broker.EnumerationCount("", page.Context)
		if err != nil {
			return nil, err
		}
		n += left
	}
	return &n, nil
}

// enumerateResponse writes a wsen:EnumerateResponse (DSP0226 §8.2.3: with
// OptimizeEnumeration the first items follow the context, then
// wsman:EndOfSequence if they are all).
func (c *call) enumerateResponse(ctx string, items []byte, optimize, eos bool, expires time.Duration, total *uint64) *writer {
	w := &writer{}
	w.envelopeStart(actionEnumerate+responseSuffix, c.req.MessageID, estimate(total))
	w.open("wsen:EnumerateResponse")
	if expires > 0 {
		w.leaf("wsen:Expires", formatDuration(expires))
	}
	if optimize && eos {
		// Everything is here: no context to pull with, as openwsman
		// answers too (wsl, for one, pulls while a context is given).
		ctx = ""
	}
	w.leaf("wsen:EnumerationContext", ctx)
	if optimize {
		w.open("wsman:Items")
		w.Write(items)
		w.close("wsman:Items")
		if eos {
			w.WriteString("<wsman:EndOfSequence/>")
		}
	}
	w.close("wsen:EnumerateResponse")
	w.envelopeEnd()
	return w
}

// itemBudget is how many bytes of items fit in a response within
// MaxEnvelopeSize, 0 for no limit: longest renders the response with
// none, its other parts as long as they can be.
func (c *call) itemBudget(longest func() *writer) (int, error) {
	if c.req.MaxEnvelopeSize == 0 {
		return 0, nil
	}
	rest := longest().Len()
	if rest >= c.req.MaxEnvelopeSize {
		return 0, fault(faultEncodingLimit, "MaxEnvelopeSize", "a response without items is %d bytes, MaxEnvelopeSize is %d", rest, c.req.MaxEnvelopeSize)
	}
	return c.req.MaxEnvelopeSize - rest, nil
}

// estimate writes wsman:TotalItemsCountEstimate when it was asked for.
func estimate(total *uint64) func(*writer) {
	if total == nil {
		return nil
	}
	return func(w *writer) { w.leaf("wsman:TotalItemsCountEstimate", strconv.FormatUint(*total, 10)) }
}

// opener starts the broker enumeration and returns its first page.
type opener func(emit func(*cim.Instance) error) (broker.Page, error)

func kidText(n *xmltree.Node, space, name string) string {
	if k := n.Kid(space, name); k != nil {
		return text(k)
	}
	return ""
}

// maxElements reads MaxElements of namespace space: default 1, at most
// maxPage (more may be asked for; fewer is always a valid answer).
func maxElements(b *xmltree.Node, space string) (uint32, error) {
	s := kidText(b, space, "MaxElements")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fault(faultInvalidParameter, "", "MaxElements %q is not a positive integer", s)
	}
	return uint32(min(n, maxPage)), nil
}

// maxPage bounds the items of one response.
const maxPage = 100000

// parseExpires reads wsen:Expires, an xs:duration or xs:dateTime.
func parseExpires(s string) (time.Duration, error) {
	if strings.HasPrefix(s, "P") {
		d, err := parseDuration(s)
		if err != nil || d <= 0 {
			return 0, fault(faultInvalidExpirationTime, "", "Expires %q is not a positive xs:duration", s)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fault(faultInvalidExpirationTime, "", "Expires %q is neither an xs:duration nor an xs:dateTime", s)
	}
	if d := time.Until(t); d > 0 {
		return d, nil
	}
	return 0, fault(faultInvalidExpirationTime, "", "Expires %q is in the past", s)
}

// itemWriter renders a page's items as the mode says, within budget.
type itemWriter struct {
	c      *call
	mode   byte
	budget int // 0 for unbounded
	// byChars is set when budget is the Pull's MaxCharacters.
	byChars bool
	buf     writer
	n       int
	// tooBig is set when the next item alone is over budget: it stays
	// first in line and the request fails (c.fault) if it is the first.
	tooBig bool
}

// emit renders inst in place after the items so far, and takes it back
// when it does not fit: no copy of each item.
func (iw *itemWriter) emit(inst *cim.Instance) error {
	start := iw.buf.Len()
	one := &iw.buf
	switch iw.mode {
	case modeEPRs:
		one.writeEPR(inst.Path)
	case modeBoth:
		one.open("wsman:Item")
		one.writeInstance(inst, 0)
		one.writeEPR(inst.Path)
		one.close("wsman:Item")
	default:
		one.writeInstance(inst, 0)
	}
	if iw.budget > 0 && iw.buf.Len() > iw.budget {
		iw.buf.Truncate(start)
		if iw.n == 0 {
			iw.tooBig = true
		}
		return broker.ErrPageFull
	}
	iw.n++
	return nil
}

// fault is the answer when not even one item fits.
func (iw *itemWriter) fault() error {
	if iw.byChars {
		return fault(faultEncodingLimit, "", "the next item is longer than MaxCharacters %d", iw.budget)
	}
	return fault(faultEncodingLimit, "MaxEnvelopeSize", "the next item does not fit in MaxEnvelopeSize %d", iw.c.req.MaxEnvelopeSize)
}
