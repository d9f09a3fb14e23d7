package backends

import (
	"errors"
	"fmt"
)

// Sentinel kinds of backend failure. Front ends map these onto protocol
// errors (CIM status codes, SNMP error-status), so every backend error must
// wrap exactly one of them.
var (
	ErrNotFound        = errors.New("not found")
	ErrInvalidState    = errors.New("invalid state for this operation")
	ErrNotSupported    = errors.New("not supported")
	ErrInvalidArgument = errors.New("invalid argument")
	ErrNotConnected    = errors.New("not connected to the hypervisor")
	ErrAccessDenied    = errors.New("access denied")
	ErrTimeout         = errors.New("timed out")
	ErrConflict        = errors.New("conflict")
	ErrInternal        = errors.New("hypervisor error")
)

// Error is a backend failure: what was being done, on which object, which
// kind of failure, and the hypervisor's own message.
type Error struct {
	Op     string // e.g. "suspend"
	Target string // domain name or UUID, or "" for host-wide operations
	Kind   error  // one of the sentinels above
	Err    error  // the hypervisor's error, may be nil
}

func (e *Error) Error() string {
	s := e.Op
	if e.Target != "" {
		s += " " + e.Target
	}
	s += ": " + e.Kind.Error()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is lets errors.Is match the kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap exposes the hypervisor's error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error whose hypervisor message is formatted.
func Errorf(op, target string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, Target: target, Kind: kind, Err: fmt.Errorf(format, args...)}
}
