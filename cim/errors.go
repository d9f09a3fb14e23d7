package cim

// ErrorKind classifies repository errors; test with errors.Is. The kinds
// match CIM status codes of DSP0200.
type ErrorKind int

// The error kinds.
const (
	ErrInvalidNamespace  ErrorKind = 3  // CIM_ERR_INVALID_NAMESPACE
	ErrInvalidParameter  ErrorKind = 4  // CIM_ERR_INVALID_PARAMETER
	ErrInvalidClass      ErrorKind = 5  // CIM_ERR_INVALID_CLASS
	ErrNotFound          ErrorKind = 6  // CIM_ERR_NOT_FOUND
	ErrInvalidSuperclass ErrorKind = 10 // CIM_ERR_INVALID_SUPERCLASS
	ErrAlreadyExists     ErrorKind = 11 // CIM_ERR_ALREADY_EXISTS
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
	}
	return "CIM error"
}

// Known reports whether k is one of the kinds above.
func (k ErrorKind) Known() bool { return k.Error() != "CIM error" }
