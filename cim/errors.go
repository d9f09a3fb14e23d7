package cim

// ErrorKind classifies repository errors; test with errors.Is. The kinds
// match CIM status codes of DSP0200.
type ErrorKind int

// The error kinds.
const (
	ErrInvalidNamespace  ErrorKind = 3  // CIM_ERR_INVALID_NAMESPACE
	ErrNotFound          ErrorKind = 6  // CIM_ERR_NOT_FOUND
	ErrInvalidSuperclass ErrorKind = 10 // CIM_ERR_INVALID_SUPERCLASS
	ErrAlreadyExists     ErrorKind = 11 // CIM_ERR_ALREADY_EXISTS
)

func (k ErrorKind) Error() string {
	switch k {
	case ErrInvalidNamespace:
		return "invalid namespace"
	case ErrNotFound:
		return "not found"
	case ErrInvalidSuperclass:
		return "invalid superclass"
	case ErrAlreadyExists:
		return "already exists"
	}
	return "CIM error"
}
