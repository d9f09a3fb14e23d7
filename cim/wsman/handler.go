package wsman

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// Handler serves WS-Management on POST /wsman from a broker. Mount it
// with cim/server, using AllowAnonymous for Identify.
type Handler struct {
	Broker *broker.Broker
	// Namespace is the CIM namespace of requests without __cimnamespace.
	Namespace string
	// Product and Version answer Identify.
	Product, Version string
	Log              *slog.Logger
	Limits           xmltree.Limits
	// Events takes WS-Eventing subscriptions; nil when indications are off.
	Events *indication.Service
}

// call is one request in progress.
type call struct {
	ctx   context.Context
	h     *Handler
	req   *Request
	role  server.Role
	start time.Time
}

func (h *Handler) limits() xmltree.Limits {
	if h.Limits == (xmltree.Limits{}) {
		return xmltree.Limits{MaxBytes: 4 << 20, MaxDepth: 32, MaxElements: 100000}
	}
	return h.Limits
}

// ServeHTTP decodes the envelope, dispatches on wsa:Action and writes the
// response or a fault.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "WS-Management requests use POST", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
		if mt != "application/soap+xml" && mt != "text/xml" && mt != "application/xml" {
			http.Error(w, "WS-Management requests are application/soap+xml (SOAP 1.2), not "+ct, http.StatusUnsupportedMediaType)
			return
		}
	}
	role, _, _ := server.RoleFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	c := &call{ctx: ctx, h: h, role: role, start: time.Now()}
	out, err := c.serve(r.Body)
	if err != nil {
		f := faultFor(err)
		if f.kind == faultInternalError && h.Log != nil {
			h.Log.Warn("ws-man request failed", "action", c.action(), "err", err)
		}
		if f.kind == faultActionNotSupported && f.action == "" {
			f.action = c.action()
		}
		out = writeFault(f, c.messageID())
		if f.kind == faultVersionMismatch && f.envelope == nsSOAP11 {
			h.send(w, faults[f.kind].httpCode, "text/xml;charset=UTF-8", out)
			return
		}
		h.send(w, faults[f.kind].httpCode, soapType, out)
		return
	}
	h.send(w, http.StatusOK, soapType, out)
}

const soapType = "application/soap+xml;charset=UTF-8"

func (h *Handler) send(w http.ResponseWriter, status int, contentType string, out *writer) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

func (c *call) action() string {
	if c.req == nil {
		return ""
	}
	return c.req.Action
}

func (c *call) messageID() string {
	if c.req == nil {
		return ""
	}
	return c.req.MessageID
}

// serve runs the request and returns the response envelope.
func (c *call) serve(body io.Reader) (*writer, error) {
	req, err := Decode(body, c.h.limits())
	c.req = req
	if err != nil {
		return nil, err
	}
	if req.Body != nil && req.Body.Is(nsWSMID, "Identify") {
		return c.identify(), nil
	}
	for _, h := range []struct{ name, v string }{{"wsa:To", req.To}, {"wsa:Action", req.Action}, {"wsa:MessageID", req.MessageID}} {
		if h.v == "" {
			return nil, fault(faultMessageInformationHeaderRequired, "", "%s is missing", h.name)
		}
	}
	if c.role == "" {
		// Only Identify is served without credentials.
		return nil, fault(faultAccessDenied, "", "%s needs authentication", req.Action)
	}
	out, err := c.dispatch()
	if err != nil {
		return nil, err
	}
	// An enumeration has handed out its items by now: they are sent late
	// rather than lost.
	if !c.enumerating() && req.Timeout > 0 && time.Since(c.start) > req.Timeout {
		return nil, fault(faultTimedOut, "", "the operation took longer than its OperationTimeout %v", req.Timeout)
	}
	if req.MaxEnvelopeSize > 0 && out.Len() > req.MaxEnvelopeSize {
		return nil, fault(faultEncodingLimit, "MaxEnvelopeSize", "the response is %d bytes, over MaxEnvelopeSize %d", out.Len(), req.MaxEnvelopeSize)
	}
	return out, nil
}

// enumerating reports whether the request is an Enumerate or Pull, which
// take items from an enumeration.
func (c *call) enumerating() bool {
	return c.req.Action == actionEnumerate || c.req.Action == actionPull
}

// dispatch picks the operation by wsa:Action (DSP0226 §7-§9, custom
// actions §6.?).
func (c *call) dispatch() (*writer, error) {
	switch c.req.Action {
	case actionGet:
		return c.get()
	case actionPut:
		return c.put()
	case actionCreate, actionDelete:
		if err := c.operator(); err != nil {
			return nil, err
		}
		return nil, fault(faultActionNotSupported, "ActionMismatch", "%s: the model served has no instances a client may create or delete", c.req.Action)
	case actionEnumerate:
		return c.enumerate()
	case actionPull:
		return c.pull()
	case actionRelease:
		return c.release()
	case actionRenew:
		return c.renew()
	case actionGetStatus:
		return c.getStatus()
	case actionSubscribe:
		return c.subscribe()
	case actionEvRenew:
		return c.renewSubscription()
	case actionEvGetStatus:
		return c.subscriptionStatus()
	case actionUnsubscribe:
		return c.unsubscribe()
	}
	if uri := c.req.ResourceURI; uri != "" && strings.HasPrefix(c.req.Action, uri+"/") {
		return c.invoke(strings.TrimPrefix(c.req.Action, uri+"/"))
	}
	return nil, &Fault{kind: faultActionNotSupported, Text: c.req.Action}
}

func (c *call) operator() error {
	if c.role != server.RoleOperator {
		return fault(faultAccessDenied, "", "only operators may change the managed resources")
	}
	return nil
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xmlEscape(&b, s)
	return b.String()
}

// IsIdentify reports whether r is an unauthenticated wsmid:Identify, which
// DSP0226 §11 lets a service answer without credentials.
func IsIdentify(r *http.Request) bool {
	req, err := Decode(r.Body, xmltree.Limits{MaxBytes: 64 << 10, MaxDepth: 16, MaxElements: 200})
	return err == nil && req.Body != nil && req.Body.Is(nsWSMID, "Identify")
}
