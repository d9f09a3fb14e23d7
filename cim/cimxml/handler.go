package cimxml

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/server"
)

// Handler serves CIM-XML operations (DSP0200 over HTTP) from a broker.
// Mount it on POST /cimom and / with cim/server, which authenticates.
type Handler struct {
	Broker *broker.Broker
	Log    *slog.Logger
	Limits Limits
	// CommitBytes is how much of a response is held back before it is
	// sent (default 64 KiB): an error before that still becomes a clean
	// CIM ERROR; after it the body is streamed (chunked) and an error is
	// reported in the CIMStatusCode trailer when the client accepts
	// trailers, or by dropping the connection when it does not.
	CommitBytes int
}

// ServeHTTP decodes the request, checks its HTTP headers against it
// (DSP0200 §7.3), runs it, and streams the answer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if r.Method != http.MethodPost {
		// M-POST is optional (§7.2.2): 501 makes clients fall back to POST.
		w.Header().Set("Allow", "POST")
		http.Error(w, "CIM-XML requests use POST", http.StatusNotImplemented)
		return
	}
	if bad := checkHeaders(r); bad != nil {
		headerError(w, bad.status, bad.cimError, bad.msg)
		return
	}
	lim := h.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	req, err := DecodeRequestLimits(r.Body, lim)
	if err != nil {
		var re *RequestError
		if errors.As(err, &re) && re.HTTPStatus() != http.StatusOK {
			headerError(w, re.HTTPStatus(), re.CIMErrorHeader(), err.Error())
			return
		}
		// A valid request we cannot serve: a CIM ERROR in the body.
		id, intrinsic := "", true
		if re != nil {
			id, intrinsic = re.MessageID, !re.Extrinsic
		}
		h.reply(w, r, &Request{MessageID: id, Intrinsic: intrinsic, Method: r.Header.Get("CIMMethod")}, func(*call) error { return ErrorFor(err) })
		return
	}
	if msg := matchHeaders(r, req); msg != "" {
		headerError(w, http.StatusBadRequest, "header-mismatch", msg)
		return
	}
	role, user, _ := server.RoleFrom(r.Context())
	log.Debug("cim-xml request", "method", req.Method, "namespace", req.Namespace, "user", user, "remote", r.RemoteAddr)
	h.reply(w, r, req, func(c *call) error {
		c.role = role
		return dispatch(c)
	})
}

type headerProblem struct {
	status   int
	cimError string
	msg      string
}

// checkHeaders applies DSP0200 §7.3's rules on the headers alone.
func checkHeaders(r *http.Request) *headerProblem {
	if r.Header.Get("CIMBatch") != "" {
		return &headerProblem{http.StatusNotImplemented, "multiple-requests-unsupported", "CIMBatch: batched requests are not supported"}
	}
	if v := r.Header.Get("CIMProtocolVersion"); v != "" && !strings.HasPrefix(v, "1.") {
		return &headerProblem{http.StatusNotImplemented, "unsupported-protocol-version", fmt.Sprintf("CIMProtocolVersion %q: only 1.x is supported", v)}
	}
	switch op := r.Header.Get("CIMOperation"); {
	case op == "":
		return &headerProblem{http.StatusBadRequest, "unsupported-operation", "the CIMOperation header is missing (want MethodCall)"}
	case !strings.EqualFold(op, "MethodCall"):
		return &headerProblem{http.StatusBadRequest, "unsupported-operation", fmt.Sprintf("CIMOperation %q: only MethodCall is served here", op)}
	}
	if r.Header.Get("CIMMethod") == "" {
		return &headerProblem{http.StatusBadRequest, "header-mismatch", "the CIMMethod header is missing"}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
		if mt != "application/xml" && mt != "text/xml" {
			return &headerProblem{http.StatusUnsupportedMediaType, "", fmt.Sprintf("Content-Type %q: CIM-XML requests are application/xml", ct)}
		}
	}
	return nil
}

// matchHeaders checks CIMMethod and CIMObject against the body (§7.3.2:
// a mismatch is 400 header-mismatch).
func matchHeaders(r *http.Request, req *Request) string {
	method := r.Header.Get("CIMMethod")
	if !strings.EqualFold(method, req.Method) {
		return fmt.Sprintf("CIMMethod header %q does not match the request's method %q", method, req.Method)
	}
	obj := r.Header.Get("CIMObject")
	if obj == "" {
		return "the CIMObject header is missing"
	}
	if dec, err := url.PathUnescape(obj); err == nil {
		obj = dec
	}
	// An extrinsic call's header carries the whole object path; its
	// namespace part is what must agree.
	ns := obj
	if !req.Intrinsic {
		ns, _, _ = strings.Cut(obj, ":")
	}
	if !strings.EqualFold(strings.Trim(ns, "/"), strings.Trim(req.Namespace, "/")) {
		return fmt.Sprintf("CIMObject header %q does not match the request's namespace %q", obj, req.Namespace)
	}
	return ""
}

func headerError(w http.ResponseWriter, status int, cimError, msg string) {
	if cimError != "" {
		w.Header().Set("CIMError", cimError)
	}
	w.Header().Set("Connection", "close")
	http.Error(w, msg, status)
}

// reply runs op with an encoder over a held-back response and finishes
// it: a CIM error before anything was sent replaces the whole answer.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, req *Request, op func(*call) error) {
	limit := h.CommitBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	// Trailers need chunked encoding: HTTP/1.1. An HTTP/1.0 answer ends
	// with the connection, so the abort below leaves its XML unfinished.
	rb := &responseBuffer{w: w, limit: limit, trailers: r.ProtoAtLeast(1, 1) && acceptsTrailers(r)}
	c := &call{h: h, req: req, ctx: r.Context(), enc: NewEncoder(rb)}
	c.start()
	err := op(c)
	if err == nil {
		err = c.enc.End()
	}
	if err == nil {
		rb.finish()
		return
	}
	ce := ErrorFor(err)
	if ce.Status == StatusFailed && h.Log != nil {
		h.Log.Warn("cim-xml operation failed", "method", req.Method, "namespace", req.Namespace, "err", err)
	}
	if !rb.committed {
		rb.buf.Reset()
		enc := NewEncoder(rb)
		if req.Intrinsic {
			enc.StartIMethodResponse(req.MessageID, req.Method)
		} else {
			enc.StartMethodResponse(req.MessageID, req.Method)
		}
		enc.WriteError(ce)
		_ = enc.End()
		rb.finish()
		return
	}
	if rb.trailers {
		_ = c.enc.End()
		w.Header().Set("CIMStatusCode", strconv.Itoa(int(ce.Status)))
		w.Header().Set("CIMStatusCodeDescription", ce.Description)
		return
	}
	// Part of a result has gone out and the client cannot be told in a
	// trailer: cut the connection rather than let it take the partial
	// result as complete.
	panic(http.ErrAbortHandler)
}

func acceptsTrailers(r *http.Request) bool {
	for _, v := range r.Header.Values("TE") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(strings.SplitN(t, ";", 2)[0]), "trailers") {
				return true
			}
		}
	}
	return false
}

// responseBuffer holds the first limit bytes of a response back; past
// that it commits the headers and streams.
type responseBuffer struct {
	w         http.ResponseWriter
	buf       bytes.Buffer
	limit     int
	committed bool
	trailers  bool
}

func (rb *responseBuffer) header() {
	h := rb.w.Header()
	h.Set("Content-Type", `application/xml; charset="utf-8"`)
	h.Set("CIMOperation", "MethodResponse")
	h.Set("Cache-Control", "no-cache")
}

func (rb *responseBuffer) Write(p []byte) (int, error) {
	if rb.committed {
		return rb.w.Write(p)
	}
	rb.buf.Write(p)
	if rb.buf.Len() >= rb.limit {
		rb.committed = true
		rb.header()
		if rb.trailers {
			rb.w.Header().Set("Trailer", "CIMStatusCode, CIMStatusCodeDescription")
		}
		rb.w.WriteHeader(http.StatusOK)
		_, err := rb.w.Write(rb.buf.Bytes())
		rb.buf = bytes.Buffer{}
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// finish sends a response that was never committed, with its length.
func (rb *responseBuffer) finish() {
	if rb.committed {
		return
	}
	rb.header()
	rb.w.Header().Set("Content-Length", strconv.Itoa(rb.buf.Len()))
	rb.w.WriteHeader(http.StatusOK)
	_, _ = rb.w.Write(rb.buf.Bytes())
}
