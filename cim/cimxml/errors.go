package cimxml

import "net/http"

// RequestErrorKind classifies why a request could not be decoded; each
// maps onto the DSP0200 §7.1 answer.
type RequestErrorKind uint8

// The request error kinds.
const (
	// NotWellFormed: the body is not well-formed XML (or uses a DTD).
	NotWellFormed RequestErrorKind = iota + 1
	// NotValid: well-formed, but not a valid CIM-XML request.
	NotValid
	// UnsupportedCIMVersion, UnsupportedDTDVersion and
	// UnsupportedProtocolVersion: the version attributes.
	UnsupportedCIMVersion
	UnsupportedDTDVersion
	UnsupportedProtocolVersion
	// NotSupported: a valid request for what we do not implement, such
	// as an unknown intrinsic method; answered with CIM_ERR_NOT_SUPPORTED.
	NotSupported
	// InvalidParameter: a valid request one of whose parameter values
	// cannot be read, such as an embedded instance that does not parse;
	// answered with CIM_ERR_INVALID_PARAMETER.
	InvalidParameter
)

// RequestError is returned by DecodeRequest.
type RequestError struct {
	Kind RequestErrorKind
	// MessageID is the MESSAGE ID when it was read before the error, so
	// that a CIM error response can echo it.
	MessageID string
	// Extrinsic is set when the request was read as far as a METHODCALL,
	// so that a CIM error response is a METHODRESPONSE.
	Extrinsic bool
	Err       error
}

func (e *RequestError) Error() string { return "cim-xml request: " + e.Err.Error() }

func (e *RequestError) Unwrap() error { return e.Err }

// HTTPStatus returns the HTTP status to answer with: 400 or 501 for the
// header-level kinds, 200 for NotSupported (a CIM ERROR in the body).
func (e *RequestError) HTTPStatus() int {
	switch e.Kind {
	case NotWellFormed, NotValid:
		return http.StatusBadRequest
	case UnsupportedCIMVersion, UnsupportedDTDVersion, UnsupportedProtocolVersion:
		return http.StatusNotImplemented
	}
	return http.StatusOK
}

// CIMErrorHeader returns the value of the CIMError HTTP header, "" when
// the answer is a CIM ERROR element instead.
func (e *RequestError) CIMErrorHeader() string {
	switch e.Kind {
	case NotWellFormed:
		return "request-not-well-formed"
	case NotValid:
		return "request-not-valid"
	case UnsupportedCIMVersion:
		return "unsupported-cim-version"
	case UnsupportedDTDVersion:
		return "unsupported-dtd-version"
	case UnsupportedProtocolVersion:
		return "unsupported-protocol-version"
	}
	return ""
}
