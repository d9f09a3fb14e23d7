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
	// RelatesTo is wsa:RelatesTo (of an acknowledgement).
	RelatesTo string
	// Identifier is a WS-Eventing subscription's wse:Identifier.
	Identifier string
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
	{nsWSMan, "RequestTotalItemsCountEstimate"}: true, {nsWSMan, "Locale"}: true, {nsWSE, "Identifier"}: true,
	{nsWSA, "RelatesTo"}: true,
}

// single are the headers a message may carry once (WS-Addressing's
// message information headers and the WS-Management addressing ones).
var single = map[[2]string]bool{
	{nsWSA, "Action"}: true, {nsWSA, "To"}: true, {nsWSA, "MessageID"}: true, {nsWSA, "ReplyTo"}: true,
	{nsWSA, "FaultTo"}: true, {nsWSMan, "ResourceURI"}: true, {nsWSMan, "SelectorSet"}: true,
	{nsWSMan, "OptionSet"}: true, {nsWSMan, "OperationTimeout"}: true, {nsWSMan, "MaxEnvelopeSize"}: true,
}

// SOAP 1.2 roles (SOAP 1.2 §5.2.2): headers for other roles are not for
// this node and are ignored, mustUnderstand or not.
const (
	roleNext     = nsSOAP + "/role/next"
	roleUltimate = nsSOAP + "/role/ultimateReceiver"
	nsXML        = "http://www.w3.org/XML/1998/namespace"
)

// Decode reads a SOAP 1.2 envelope. Errors are *Fault. The request is
// returned with the error whenever the envelope was read, so that a fault
// can still relate to its wsa:MessageID.
func Decode(r io.Reader, lim xmltree.Limits) (*Request, error) {
	var n int
	root, err := xmltree.Read(r, lim, true, &n)
	if err != nil {
		if errors.Is(err, xmltree.ErrLimit) {
			detail := ""
			if errors.Is(err, xmltree.ErrTooBig) {
				detail = "ServiceEnvelopeLimit"
			}
			return nil, fault(faultEncodingLimit, detail, "%v", err)
		}
		return nil, fault(faultSchemaValidationError, "", "%v", err)
	}
	if root.Name == "Envelope" && root.Space != nsSOAP {
		return nil, &Fault{kind: faultVersionMismatch, Text: "the envelope is {" + root.Space + "}Envelope; this service speaks SOAP 1.2 only", envelope: root.Space}
	}
	if !root.Is(nsSOAP, "Envelope") {
		return nil, fault(faultSchemaValidationError, "", "the root element is {%s}%s, not a SOAP 1.2 Envelope", root.Space, root.Name)
	}
	req := &Request{Options: map[string]string{}}
	var head, body *xmltree.Node
	var misplaced *xmltree.Node
	for _, k := range root.Kids {
		switch {
		case k.Is(nsSOAP, "Header") && head == nil && body == nil:
			head = k
		case k.Is(nsSOAP, "Body") && body == nil:
			body = k
		default:
			if misplaced == nil {
				misplaced = k
			}
		}
	}
	if head != nil {
		// The MessageID first: every fault below relates to it.
		if id := head.Kid(nsWSA, "MessageID"); id != nil {
			req.MessageID = text(id)
		}
	}
	if misplaced != nil {
		return req, fault(faultSchemaValidationError, "", "unexpected {%s}%s in the envelope: want s:Header then s:Body", misplaced.Space, misplaced.Name)
	}
	if body == nil {
		return req, fault(faultSchemaValidationError, "", "the envelope has no s:Body")
	}
	if head != nil {
		if err := req.headers(head); err != nil {
			return req, err
		}
	}
	switch len(body.Kids) {
	case 0:
	case 1:
		req.Body = body.Kids[0]
	default:
		return req, fault(faultSchemaValidationError, "", "s:Body holds %d elements, want one", len(body.Kids))
	}
	return req, nil
}

func text(n *xmltree.Node) string { return strings.TrimSpace(n.Text.String()) }

func mustUnderstand(n *xmltree.Node) bool {
	v, _ := n.AttrNS(nsSOAP, "mustUnderstand")
	v = strings.TrimSpace(v)
	return v == "true" || v == "1"
}

// forUs reports whether header h targets this node (SOAP 1.2 §5.2.2).
func forUs(h *xmltree.Node) bool {
	role, ok := h.AttrNS(nsSOAP, "role")
	role = strings.TrimSpace(role)
	return !ok || role == "" || role == roleNext || role == roleUltimate
}

func (req *Request) headers(head *xmltree.Node) error {
	seen := map[[2]string]bool{}
	for _, h := range head.Kids {
		if !forUs(h) {
			continue
		}
		name := [2]string{h.Space, h.Name}
		if mustUnderstand(h) && !understood[name] {
			return &Fault{kind: faultMustUnderstand, Text: "{" + h.Space + "}" + h.Name, notUnderstood: name}
		}
		if single[name] {
			if seen[name] {
				return fault(faultInvalidMessageInformationHeader, "", "{%s}%s is given twice", h.Space, h.Name)
			}
			seen[name] = true
		}
		switch {
		case h.Is(nsWSA, "Action"):
			req.Action = text(h)
		case h.Is(nsWSA, "To"):
			req.To = text(h)
		case h.Is(nsWSA, "MessageID"):
			req.MessageID = text(h)
		case h.Is(nsWSA, "ReplyTo"), h.Is(nsWSA, "FaultTo"):
			if a := h.Kid(nsWSA, "Address"); a == nil || text(a) != anonymous {
				return fault(faultUnsupportedFeature, "AddressingMode", "%s must be the anonymous address: replies and faults go back on the same connection", h.Name)
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
				name, ok := o.Attr("Name")
				if !ok || !o.Is(nsWSMan, "Option") {
					continue
				}
				// No option is implemented: one the client says must be
				// complied with cannot be (DSP0226 §6.4).
				if mc, _ := o.Attr("MustComply"); strings.TrimSpace(mc) == "true" || strings.TrimSpace(mc) == "1" {
					return fault(faultInvalidOptions, "NotSupported", "option %s is not supported", name)
				}
				req.Options[name] = text(o)
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
		case h.Is(nsWSA, "RelatesTo"):
			req.RelatesTo = text(h)
		case h.Is(nsWSE, "Identifier"):
			req.Identifier = text(h)
		case h.Is(nsWSMan, "RequestTotalItemsCountEstimate"):
			req.TotalItemsEstimate = true
		case h.Is(nsWSMan, "Locale"):
			// Replies are in English; a client that insists on another
			// language is told so (DSP0226 §6.3).
			lang, _ := h.AttrNS(nsXML, "lang")
			if l := strings.ToLower(strings.TrimSpace(lang)); mustUnderstand(h) && l != "en" && !strings.HasPrefix(l, "en-") {
				return fault(faultUnsupportedFeature, "Locale", "locale %q: replies are in English", lang)
			}
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
