package wsman

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// Selector is one wsman:Selector: a key value, or an EPR for a reference
// key (DSP0226 §7.2.3).
type Selector struct {
	Name, Value string
	EPR         *EPR
}

// EPR is a WS-Addressing endpoint reference to a CIM instance.
type EPR struct {
	Address, ResourceURI string
	Selectors            []Selector
}

// Request is a decoded WS-Management request.
type Request struct {
	Action, To, ResourceURI, MessageID string
	Selectors                          []Selector
	Options                            map[string]string // wsman:OptionSet, by name
	// MaxEnvelopeSize bounds the response; 0 for none given.
	MaxEnvelopeSize int
	// Timeout is wsman:OperationTimeout; 0 for none given.
	Timeout time.Duration
	// TotalItemsEstimate is wsman:RequestTotalItemsCountEstimate.
	TotalItemsEstimate bool
	// Body is the element inside s:Body, nil when it is empty.
	Body *xmltree.Node
}

// minEnvelope is the least MaxEnvelopeSize a service must honour
// (DSP0226 R6.2-4).
const minEnvelope = 8192

// understood are the headers this service processes; any other marked
// mustUnderstand gets the s:MustUnderstand fault.
var understood = map[[2]string]bool{
	{nsWSA, "Action"}: true, {nsWSA, "To"}: true, {nsWSA, "MessageID"}: true, {nsWSA, "ReplyTo"}: true,
	{nsWSA, "FaultTo"}: true, {nsWSMan, "ResourceURI"}: true, {nsWSMan, "SelectorSet"}: true,
	{nsWSMan, "OptionSet"}: true, {nsWSMan, "OperationTimeout"}: true, {nsWSMan, "MaxEnvelopeSize"}: true,
	{nsWSMan, "RequestTotalItemsCountEstimate"}: true,
}

// Decode reads a SOAP 1.2 envelope. Errors are *Fault.
func Decode(r io.Reader, lim xmltree.Limits) (*Request, error) {
	var n int
	root, err := xmltree.Read(r, lim, true, &n)
	if err != nil {
		if errors.Is(err, xmltree.ErrLimit) {
			return nil, fault(faultEncodingLimit, "", "%v", err)
		}
		return nil, fault(faultSchemaValidationError, "", "%v", err)
	}
	if !root.Is(nsSOAP, "Envelope") {
		return nil, fault(faultSchemaValidationError, "", "the root element is {%s}%s, not a SOAP 1.2 Envelope", root.Space, root.Name)
	}
	head, body := root.Kid(nsSOAP, "Header"), root.Kid(nsSOAP, "Body")
	if body == nil {
		return nil, fault(faultSchemaValidationError, "", "the envelope has no s:Body")
	}
	req := &Request{Options: map[string]string{}}
	switch len(body.Kids) {
	case 0:
	case 1:
		req.Body = body.Kids[0]
	default:
		return nil, fault(faultSchemaValidationError, "", "s:Body holds %d elements, want one", len(body.Kids))
	}
	if head != nil {
		if err := req.headers(head); err != nil {
			return req, err
		}
	}
	return req, nil
}

func text(n *xmltree.Node) string { return strings.TrimSpace(n.Text.String()) }

func mustUnderstand(n *xmltree.Node) bool {
	v, _ := n.AttrNS(nsSOAP, "mustUnderstand")
	return v == "true" || v == "1"
}

func (req *Request) headers(head *xmltree.Node) error {
	for _, h := range head.Kids {
		if mustUnderstand(h) && !understood[[2]string{h.Space, h.Name}] {
			return &Fault{kind: faultMustUnderstand, Text: "{" + h.Space + "}" + h.Name}
		}
		switch {
		case h.Is(nsWSA, "Action"):
			req.Action = text(h)
		case h.Is(nsWSA, "To"):
			req.To = text(h)
		case h.Is(nsWSA, "MessageID"):
			req.MessageID = text(h)
		case h.Is(nsWSA, "ReplyTo"):
			if a := h.Kid(nsWSA, "Address"); a == nil || text(a) != anonymous {
				return fault(faultUnsupportedFeature, "AddressingMode", "ReplyTo must be the anonymous address: replies go back on the same connection")
			}
		case h.Is(nsWSMan, "ResourceURI"):
			req.ResourceURI = text(h)
		case h.Is(nsWSMan, "SelectorSet"):
			sels, err := selectors(h, 0)
			if err != nil {
				return err
			}
			req.Selectors = sels
		case h.Is(nsWSMan, "OptionSet"):
			for _, o := range h.Kids {
				if name, ok := o.Attr("Name"); ok && o.Is(nsWSMan, "Option") {
					req.Options[name] = text(o)
				}
			}
		case h.Is(nsWSMan, "OperationTimeout"):
			d, err := parseDuration(text(h))
			if err != nil || d <= 0 {
				return fault(faultInvalidMessageInformationHeader, "", "wsman:OperationTimeout %q is not a positive xs:duration", text(h))
			}
			req.Timeout = d
		case h.Is(nsWSMan, "MaxEnvelopeSize"):
			size, err := strconv.Atoi(text(h))
			if err != nil || size <= 0 {
				return fault(faultInvalidMessageInformationHeader, "", "wsman:MaxEnvelopeSize %q is not a positive integer", text(h))
			}
			if size < minEnvelope {
				return fault(faultEncodingLimit, "MinimumEnvelopeLimit", "MaxEnvelopeSize %d is below %d", size, minEnvelope)
			}
			req.MaxEnvelopeSize = size
		case h.Is(nsWSMan, "RequestTotalItemsCountEstimate"):
			req.TotalItemsEstimate = true
		}
	}
	return nil
}

// selectors reads a wsman:SelectorSet; depth bounds EPRs in EPRs.
func selectors(set *xmltree.Node, depth int) ([]Selector, error) {
	var out []Selector
	seen := map[string]bool{}
	for _, s := range set.Kids {
		if !s.Is(nsWSMan, "Selector") {
			return nil, fault(faultInvalidSelectors, "UnexpectedSelectors", "unexpected {%s}%s in SelectorSet", s.Space, s.Name)
		}
		name, ok := s.Attr("Name")
		if !ok || name == "" {
			return nil, fault(faultInvalidSelectors, "InvalidValue", "a Selector has no Name")
		}
		if seen[strings.ToLower(name)] {
			return nil, fault(faultInvalidSelectors, "DuplicateSelectors", "selector %s is given twice", name)
		}
		seen[strings.ToLower(name)] = true
		sel := Selector{Name: name, Value: text(s)}
		if ref := s.Kid(nsWSA, "EndpointReference"); ref != nil {
			if depth > 4 {
				return nil, fault(faultInvalidSelectors, "InvalidValue", "selector %s: references nested too deep", name)
			}
			epr, err := readEPR(ref, depth+1)
			if err != nil {
				return nil, err
			}
			sel.EPR = epr
		}
		out = append(out, sel)
	}
	return out, nil
}

// readEPR reads an endpoint reference (wsa:Address and
// wsa:ReferenceParameters with ResourceURI and SelectorSet).
func readEPR(n *xmltree.Node, depth int) (*EPR, error) {
	e := &EPR{}
	if a := n.Kid(nsWSA, "Address"); a != nil {
		e.Address = text(a)
	}
	params := n.Kid(nsWSA, "ReferenceParameters")
	if params == nil {
		return nil, fault(faultInvalidSelectors, "InvalidValue", "endpoint reference without wsa:ReferenceParameters")
	}
	if u := params.Kid(nsWSMan, "ResourceURI"); u != nil {
		e.ResourceURI = text(u)
	}
	if set := params.Kid(nsWSMan, "SelectorSet"); set != nil {
		sels, err := selectors(set, depth)
		if err != nil {
			return nil, err
		}
		e.Selectors = sels
	}
	return e, nil
}
