package libvirt

import (
	"errors"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// errorKinds maps libvirt's error codes (virErrorNumber) onto the backend
// error kinds. Codes not listed are backends.ErrInternal.
var errorKinds = map[lv.ErrorNumber]error{
	lv.ERR_NO_DOMAIN:             backends.ErrNotFound,
	lv.ERR_NO_DOMAIN_SNAPSHOT:    backends.ErrNotFound,
	lv.ERR_NO_NETWORK:            backends.ErrNotFound,
	lv.ERR_NO_STORAGE_POOL:       backends.ErrNotFound,
	lv.ERR_NO_STORAGE_VOL:        backends.ErrNotFound,
	lv.ERR_OPERATION_INVALID:     backends.ErrInvalidState,
	lv.ERR_NO_SUPPORT:            backends.ErrNotSupported,
	lv.ERR_ARGUMENT_UNSUPPORTED:  backends.ErrNotSupported,
	lv.ERR_CONFIG_UNSUPPORTED:    backends.ErrNotSupported,
	lv.ERR_OPERATION_UNSUPPORTED: backends.ErrNotSupported,
	lv.ERR_INVALID_ARG:           backends.ErrInvalidArgument,
	lv.ERR_XML_ERROR:             backends.ErrInvalidArgument,
	lv.ERR_XML_DETAIL:            backends.ErrInvalidArgument,
	lv.ERR_INVALID_DOMAIN:        backends.ErrInvalidArgument,
	lv.ERR_OPERATION_DENIED:      backends.ErrAccessDenied,
	lv.ERR_AUTH_FAILED:           backends.ErrAccessDenied,
	lv.ERR_AUTH_CANCELLED:        backends.ErrAccessDenied,
	lv.ERR_ACCESS_DENIED:         backends.ErrAccessDenied,
	lv.ERR_OPERATION_TIMEOUT:     backends.ErrTimeout,
	lv.ERR_AGENT_UNRESPONSIVE:    backends.ErrTimeout,
	lv.ERR_OPERATION_ABORTED:     backends.ErrConflict,
	lv.ERR_DOM_EXIST:             backends.ErrConflict,
	lv.ERR_NO_CONNECT:            backends.ErrNotConnected,
	lv.ERR_INVALID_CONN:          backends.ErrNotConnected,
}

// wrap turns a libvirt error into a backends.Error naming what was done.
func wrap(op, target string, err error) error {
	if err == nil {
		return nil
	}
	kind := backends.ErrInternal
	var le lv.Error
	if errors.As(err, &le) {
		if k, ok := errorKinds[le.Code]; ok {
			kind = k
		} else if le.Code == lv.ERR_SYSTEM_ERROR && le.Domain == lv.FROM_RPC {
			kind = backends.ErrNotConnected // the socket broke under us
		}
		err = errors.New(le.Message)
	}
	return &backends.Error{Op: op, Target: target, Kind: kind, Err: err}
}
