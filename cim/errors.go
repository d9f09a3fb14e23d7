package cim

// ErrorKind classifies repository errors; test with errors.Is. The kinds
// match CIM status codes of DSP0200.
type ErrorKind int

// The error kinds.
const (
	ErrFailed                          ErrorKind = 1  // CIM_ERR_FAILED
	ErrAccessDenied                    ErrorKind = 2  // CIM_ERR_ACCESS_DENIED
	ErrInvalidNamespace                ErrorKind = 3  // CIM_ERR_INVALID_NAMESPACE
	ErrInvalidParameter                ErrorKind = 4  // CIM_ERR_INVALID_PARAMETER
	ErrInvalidClass                    ErrorKind = 5  // CIM_ERR_INVALID_CLASS
	ErrNotFound                        ErrorKind = 6  // CIM_ERR_NOT_FOUND
	ErrInvalidSuperclass               ErrorKind = 10 // CIM_ERR_INVALID_SUPERCLASS
	ErrNotSupported                    ErrorKind = 7  // CIM_ERR_NOT_SUPPORTED
	ErrAlreadyExists                   ErrorKind = 11 // CIM_ERR_ALREADY_EXISTS
	ErrNoSuchProperty                  ErrorKind = 12 // CIM_ERR_NO_SUCH_PROPERTY
	ErrQueryLanguage                   ErrorKind = 14 // CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED
	ErrInvalidQuery                    ErrorKind = 15 // CIM_ERR_INVALID_QUERY
	ErrMethodNotAvailable              ErrorKind = 16 // CIM_ERR_METHOD_NOT_AVAILABLE
	ErrMethodNotFound                  ErrorKind = 17 // CIM_ERR_METHOD_NOT_FOUND
	ErrInvalidEnumerationContext       ErrorKind = 21 // CIM_ERR_INVALID_ENUMERATION_CONTEXT
	ErrInvalidOperationTimeout         ErrorKind = 22 // CIM_ERR_INVALID_OPERATION_TIMEOUT
	ErrPullHasBeenAbandoned            ErrorKind = 23 // CIM_ERR_PULL_HAS_BEEN_ABANDONED
	ErrPullCannotBeAbandoned           ErrorKind = 24 // CIM_ERR_PULL_CANNOT_BE_ABANDONED
	ErrFilteredEnumerationNotSupported ErrorKind = 25 // CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED
	ErrContinuationOnErrorNotSupported ErrorKind = 26 // CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED
	ErrServerLimitsExceeded            ErrorKind = 27 // CIM_ERR_SERVER_LIMITS_EXCEEDED
	ErrServerIsShuttingDown            ErrorKind = 28 // CIM_ERR_SERVER_IS_SHUTTING_DOWN
)

func (k ErrorKind) Error() string {
	switch k {
	case ErrInvalidNamespace:
		return "invalid namespace"
	case ErrInvalidParameter:
		return "invalid parameter"
	case ErrInvalidClass:
		return "invalid class"
	case ErrNotFound:
		return "not found"
	case ErrInvalidSuperclass:
		return "invalid superclass"
	case ErrAlreadyExists:
		return "already exists"
	case ErrFailed:
		return "failed"
	case ErrAccessDenied:
		return "access denied"
	case ErrNotSupported:
		return "not supported"
	case ErrNoSuchProperty:
		return "no such property"
	case ErrQueryLanguage:
		return "query language not supported"
	case ErrInvalidQuery:
		return "invalid query"
	case ErrMethodNotAvailable:
		return "method not available"
	case ErrMethodNotFound:
		return "method not found"
	case ErrInvalidEnumerationContext:
		return "invalid enumeration context"
	case ErrInvalidOperationTimeout:
		return "invalid operation timeout"
	case ErrPullHasBeenAbandoned:
		return "pull has been abandoned"
	case ErrPullCannotBeAbandoned:
		return "pull cannot be abandoned"
	case ErrFilteredEnumerationNotSupported:
		return "filtered enumeration not supported"
	case ErrContinuationOnErrorNotSupported:
		return "continuation on error not supported"
	case ErrServerLimitsExceeded:
		return "server limits exceeded"
	case ErrServerIsShuttingDown:
		return "server is shutting down"
	}
	return "CIM error"
}

// Known reports whether k is one of the kinds above.
func (k ErrorKind) Known() bool { return k.Error() != "CIM error" }
