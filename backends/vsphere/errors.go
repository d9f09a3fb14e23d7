package vsphere

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// faultKinds maps vSphere faults onto the backend error kinds, most
// specific first: NotAuthenticated is a NoPermission, InvalidPowerState an
// InvalidState, FileNotFound a FileFault. Faults not matched are
// backends.ErrInternal.
var faultKinds = []struct {
	match func(types.BaseMethodFault) bool
	kind  error
}{
	{is[*types.NotAuthenticated], backends.ErrNotConnected},
	{is[*types.InvalidLogin], backends.ErrAccessDenied},
	{impl[types.BaseNoPermission], backends.ErrAccessDenied},
	{impl[types.BaseSecurityError], backends.ErrAccessDenied},
	{is[*types.ManagedObjectNotFound], backends.ErrNotFound},
	{is[*types.NotFound], backends.ErrNotFound},
	{is[*types.FileNotFound], backends.ErrNotFound},
	{is[*types.DuplicateName], backends.ErrConflict},
	{is[*types.AlreadyExists], backends.ErrConflict},
	{is[*types.FileAlreadyExists], backends.ErrConflict},
	{impl[types.BaseTaskInProgress], backends.ErrConflict},
	{impl[types.BaseResourceInUse], backends.ErrConflict},
	{is[*types.ConcurrentAccess], backends.ErrConflict},
	{is[*types.RequestCanceled], backends.ErrConflict},
	{is[*types.ToolsUnavailable], backends.ErrInvalidState},
	{impl[types.BaseInvalidState], backends.ErrInvalidState},
	{impl[types.BaseInsufficientResourcesFault], backends.ErrInvalidState},
	{impl[types.BaseMigrationFault], backends.ErrInvalidState},
	{is[*types.NotImplemented], backends.ErrNotSupported},
	{is[*types.MethodNotFound], backends.ErrNotSupported},
	{is[*types.MethodDisabled], backends.ErrNotSupported},
	{impl[types.BaseNotSupported], backends.ErrNotSupported},
	{impl[types.BaseInvalidArgument], backends.ErrInvalidArgument},
	{impl[types.BaseInvalidDeviceSpec], backends.ErrInvalidArgument},
	{impl[types.BaseVmConfigFault], backends.ErrInvalidArgument},
	{impl[types.BaseInvalidDatastore], backends.ErrInvalidArgument},
	{is[*types.InvalidName], backends.ErrInvalidArgument},
	{impl[types.BaseInvalidRequest], backends.ErrInvalidArgument},
	{impl[types.BaseHostConnectFault], backends.ErrNotConnected},
	{is[*types.HostNotConnected], backends.ErrNotConnected},
	{impl[types.BaseTimedout], backends.ErrTimeout},
}

func is[T types.BaseMethodFault](f types.BaseMethodFault) bool { _, ok := f.(T); return ok }

func impl[T any](f types.BaseMethodFault) bool { _, ok := f.(T); return ok }

// faultOf digs the vSphere fault out of a govmomi error (a SOAP fault, a
// fault returned as an error, a failed task's) with its message, or the
// fault's type name when it has none.
func faultOf(err error) (types.BaseMethodFault, string) {
	var hf interface{ Fault() types.BaseMethodFault }
	if !errors.As(err, &hf) || hf.Fault() == nil {
		return nil, ""
	}
	f := hf.Fault()
	msg := ""
	if e, ok := hf.(error); ok {
		msg = e.Error()
		if _, rest, ok := strings.Cut(msg, "FaultCode: "); ok {
			msg = rest // a SOAP fault: "ServerFaultCode: message"
		}
	}
	if msg == "" {
		msg = reflect.TypeOf(f).Elem().Name()
	}
	return f, msg
}

// kindOf classifies any error a vSphere call returns.
func kindOf(err error) error {
	if f, _ := faultOf(err); f != nil {
		for _, fk := range faultKinds {
			if fk.match(f) {
				return fk.kind
			}
		}
		return backends.ErrInternal
	}
	var ne net.Error
	var be *backends.Error
	switch {
	case errors.As(err, &be):
		return be.Kind
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return backends.ErrTimeout
	case explainTLS(err) != "":
		return backends.ErrNotConnected
	case errors.As(err, &ne) && ne.Timeout():
		return backends.ErrTimeout
	case errors.As(err, &ne):
		return backends.ErrNotConnected
	}
	return backends.ErrInternal
}

// wrap turns a vSphere error into a backends.Error naming what was done.
func wrap(op, target string, err error) error {
	if err == nil {
		return nil
	}
	var be *backends.Error
	if errors.As(err, &be) {
		return err
	}
	kind := kindOf(err)
	if msg := explainTLS(err); msg != "" {
		err = errors.New(msg)
	} else if f, msg := faultOf(err); f != nil && msg != "" {
		err = errors.New(msg)
	}
	return &backends.Error{Op: op, Target: target, Kind: kind, Err: err}
}
