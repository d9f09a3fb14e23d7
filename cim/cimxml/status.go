package cimxml

import (
	"errors"
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Status is a CIM status code (DSP0200 Table 1; the same list is the
// CIMStatusCode ValueMap of CIM_Error).
type Status uint32

// The status codes. 18 and 19 are for listeners; 29 is DSP0200 1.4.
const (
	StatusOK                              Status = 0
	StatusFailed                          Status = 1
	StatusAccessDenied                    Status = 2
	StatusInvalidNamespace                Status = 3
	StatusInvalidParameter                Status = 4
	StatusInvalidClass                    Status = 5
	StatusNotFound                        Status = 6
	StatusNotSupported                    Status = 7
	StatusClassHasChildren                Status = 8
	StatusClassHasInstances               Status = 9
	StatusInvalidSuperclass               Status = 10
	StatusAlreadyExists                   Status = 11
	StatusNoSuchProperty                  Status = 12
	StatusTypeMismatch                    Status = 13
	StatusQueryLanguageNotSupported       Status = 14
	StatusInvalidQuery                    Status = 15
	StatusMethodNotAvailable              Status = 16
	StatusMethodNotFound                  Status = 17
	StatusUnexpectedResponse              Status = 18
	StatusInvalidResponseDestination      Status = 19
	StatusNamespaceNotEmpty               Status = 20
	StatusInvalidEnumerationContext       Status = 21
	StatusInvalidOperationTimeout         Status = 22
	StatusPullHasBeenAbandoned            Status = 23
	StatusPullCannotBeAbandoned           Status = 24
	StatusFilteredEnumerationNotSupported Status = 25
	StatusContinuationOnErrorNotSupported Status = 26
	StatusServerLimitsExceeded            Status = 27
	StatusServerIsShuttingDown            Status = 28
	StatusQueryFeatureNotSupported        Status = 29
)

// statusName is a switch rather than a table: no package-level state.
func statusName(s Status) string {
	switch s {
	case StatusOK:
		return "CIM_ERR_OK"
	case StatusFailed:
		return "CIM_ERR_FAILED"
	case StatusAccessDenied:
		return "CIM_ERR_ACCESS_DENIED"
	case StatusInvalidNamespace:
		return "CIM_ERR_INVALID_NAMESPACE"
	case StatusInvalidParameter:
		return "CIM_ERR_INVALID_PARAMETER"
	case StatusInvalidClass:
		return "CIM_ERR_INVALID_CLASS"
	case StatusNotFound:
		return "CIM_ERR_NOT_FOUND"
	case StatusNotSupported:
		return "CIM_ERR_NOT_SUPPORTED"
	case StatusClassHasChildren:
		return "CIM_ERR_CLASS_HAS_CHILDREN"
	case StatusClassHasInstances:
		return "CIM_ERR_CLASS_HAS_INSTANCES"
	case StatusInvalidSuperclass:
		return "CIM_ERR_INVALID_SUPERCLASS"
	case StatusAlreadyExists:
		return "CIM_ERR_ALREADY_EXISTS"
	case StatusNoSuchProperty:
		return "CIM_ERR_NO_SUCH_PROPERTY"
	case StatusTypeMismatch:
		return "CIM_ERR_TYPE_MISMATCH"
	case StatusQueryLanguageNotSupported:
		return "CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED"
	case StatusInvalidQuery:
		return "CIM_ERR_INVALID_QUERY"
	case StatusMethodNotAvailable:
		return "CIM_ERR_METHOD_NOT_AVAILABLE"
	case StatusMethodNotFound:
		return "CIM_ERR_METHOD_NOT_FOUND"
	case StatusUnexpectedResponse:
		return "CIM_ERR_UNEXPECTED_RESPONSE"
	case StatusInvalidResponseDestination:
		return "CIM_ERR_INVALID_RESPONSE_DESTINATION"
	case StatusNamespaceNotEmpty:
		return "CIM_ERR_NAMESPACE_NOT_EMPTY"
	case StatusInvalidEnumerationContext:
		return "CIM_ERR_INVALID_ENUMERATION_CONTEXT"
	case StatusInvalidOperationTimeout:
		return "CIM_ERR_INVALID_OPERATION_TIMEOUT"
	case StatusPullHasBeenAbandoned:
		return "CIM_ERR_PULL_HAS_BEEN_ABANDONED"
	case StatusPullCannotBeAbandoned:
		return "CIM_ERR_PULL_CANNOT_BE_ABANDONED"
	case StatusFilteredEnumerationNotSupported:
		return "CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED"
	case StatusContinuationOnErrorNotSupported:
		return "CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED"
	case StatusServerLimitsExceeded:
		return "CIM_ERR_SERVER_LIMITS_EXCEEDED"
	case StatusServerIsShuttingDown:
		return "CIM_ERR_SERVER_IS_SHUTTING_DOWN"
	case StatusQueryFeatureNotSupported:
		return "CIM_ERR_QUERY_FEATURE_NOT_SUPPORTED"
	}
	return ""
}

// String returns the DSP0200 name, "CIM_ERR_NOT_FOUND", or "CIM status N"
// for a code outside the table.
func (s Status) String() string {
	if n := statusName(s); n != "" {
		return n
	}
	return fmt.Sprintf("CIM status %d", uint32(s))
}

// Known reports whether s is in the DSP0200 table.
func (s Status) Known() bool { return statusName(s) != "" }

// Error is a CIM error as an ERROR element carries it.
type Error struct {
	Status      Status
	Description string
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Status.String()
	}
	return e.Status.String() + ": " + e.Description
}

// Errorf returns an *Error with a formatted description.
func Errorf(s Status, format string, args ...any) *Error {
	return &Error{Status: s, Description: fmt.Sprintf(format, args...)}
}

// ErrorFor maps any error onto the CIM error to answer with: an *Error in
// the chain as it is, a cim.ErrorKind to its status, a RequestError of
// kind NotSupported to CIM_ERR_NOT_SUPPORTED, anything else to
// CIM_ERR_FAILED. The description is err's text.
func ErrorFor(err error) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	st := StatusFailed
	var kind cim.ErrorKind
	var re *RequestError
	switch {
	case errors.As(err, &kind):
		st = statusOfKind(kind)
	case errors.As(err, &re) && re.Kind == NotSupported:
		st = StatusNotSupported
	case errors.As(err, &re) && re.Kind == InvalidParameter:
		st = StatusInvalidParameter
	}
	return &Error{Status: st, Description: err.Error()}
}

// statusOfKind: the cim package's error kinds are numbered as the CIM
// status codes they stand for.
func statusOfKind(k cim.ErrorKind) Status {
	if !k.Known() {
		return StatusFailed
	}
	return Status(k)
}
