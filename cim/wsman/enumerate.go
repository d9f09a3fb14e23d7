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
	w := &writer{}
	items := &itemWriter{c: c, mode: mode, budget: c.budget()}
	open, err := c.openFor(ns, class, sels, b, o)
	if err != nil {
		return nil, err
	}
	page, err := open(items.emit)
	if err != nil {
		return nil, err
	}
	id := string(mode) + ":" + page.Context
	var total uint64
	if c.req.TotalItemsEstimate {
		total = uint64(items.n)
		if !page.EndOfSequence {
			left, err := c.h.Broker.EnumerationCount("", page.Context)
			if err != nil {
				return nil, err
			}
			total += left
		}
	}
	w.envelopeStart(actionEnumerate+responseSuffix, c.req.MessageID, c.estimate(total))
	w.open("wsen:EnumerateResponse")
	if o.Timeout > 0 {
		w.leaf("wsen:Expires", formatDuration(o.Timeout))
	}
	w.leaf("wsen:EnumerationContext", id)
	if optimize {
		w.open("wsman:Items")
		w.Write(items.buf.Bytes())
		w.close("wsman:Items")
		if page.EndOfSequence {
			w.WriteString("<wsman:EndOfSequence/>")
		}
	}
	w.close("wsen:EnumerateResponse")
	w.envelopeEnd()
	return w, nil
}

// estimate writes wsman:TotalItemsCountEstimate when it was asked for.
func (c *call) estimate(total uint64) func(*writer) {
	if !c.req.TotalItemsEstimate {
		return nil
	}
	return func(w *writer) { w.leaf("wsman:TotalItemsCountEstimate", strconv.FormatUint(total, 10)) }
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
// 100000.
func maxElements(b *xmltree.Node, space string) (uint32, error) {
	s := kidText(b, space, "MaxElements")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || n > 100000 {
		return 0, fault(faultInvalidParameter, "", "MaxElements %q: want 1..100000", s)
	}
	return uint32(n), nil
}

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

// budget is how many bytes of items fit in the response.
func (c *call) budget() int {
	if c.req.MaxEnvelopeSize == 0 {
		return 0
	}
	// Room for the envelope, headers and the response elements.
	return max(c.req.MaxEnvelopeSize-2048, 1)
}

// itemWriter renders a page's items as the mode says, within budget.
type itemWriter struct {
	c      *call
	mode   byte
	budget int // 0 for unbounded
	buf    writer
	n      int
}

func (iw *itemWriter) emit(inst *cim.Instance) error {
	var one writer
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
	if iw.budget > 0 && iw.buf.Len()+one.Len() > iw.budget {
		if iw.n == 0 {
			return fault(faultEncodingLimit, "MaxEnvelopeSize", "one %s is %d bytes, more than MaxEnvelopeSize allows", inst.ClassName, one.Len())
		}
		return broker.ErrPageFull
	}
	iw.buf.Write(one.Bytes())
	iw.n++
	return nil
}

// context splits a client's EnumerationContext into mode and broker id.
func enumContext(b *xmltree.Node, space string) (byte, string, error) {
	s := kidText(b, space, "EnumerationContext")
	if len(s) < 3 || s[1] != ':' || strings.IndexByte("OEB", s[0]) < 0 {
		return 0, "", fault(faultInvalidEnumerationContext, "", "EnumerationContext %q was not issued by this service", s)
	}
	return s[0], s[2:], nil
}
