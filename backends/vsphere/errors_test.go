package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

func TestFaultKinds(t *testing.T) {
	for _, tc := range []struct {
		fault types.BaseMethodFault
		kind  error
	}{
		{&types.NotAuthenticated{}, backends.ErrNotConnected},
		{&types.InvalidLogin{}, backends.ErrAccessDenied},
		{&types.NoPermission{}, backends.ErrAccessDenied},
		{&types.ManagedObjectNotFound{}, backends.ErrNotFound},
		{&types.NotFound{}, backends.ErrNotFound},
		{&types.FileNotFound{}, backends.ErrNotFound},
		{&types.DuplicateName{}, backends.ErrConflict},
		{&types.AlreadyExists{}, backends.ErrConflict},
		{&types.TaskInProgress{}, backends.ErrConflict},
		{&types.InvalidPowerState{}, backends.ErrInvalidState},
		{&types.InvalidState{}, backends.ErrInvalidState},
		{&types.ToolsUnavailable{}, backends.ErrInvalidState},
		{&types.InsufficientResourcesFault{}, backends.ErrInvalidState},
		{&types.NotSupported{}, backends.ErrNotSupported},
		{&types.MethodNotFound{}, backends.ErrNotSupported},
		{&types.InvalidArgument{}, backends.ErrInvalidArgument},
		{&types.InvalidDeviceSpec{}, backends.ErrInvalidArgument},
		{&types.InvalidName{}, backends.ErrInvalidArgument},
		{&types.HostNotConnected{}, backends.ErrNotConnected},
		{&types.Timedout{}, backends.ErrTimeout},
		{&types.SystemError{}, backends.ErrInternal},
	} {
		name := fmt.Sprintf("%T", tc.fault)
		for how, err := range map[string]error{
			"as an error": soap.WrapVimFault(tc.fault),
			"as a task's": task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: tc.fault, LocalizedMessage: "the message"}},
			"wrapped":     fmt.Errorf("doing it: %w", soap.WrapVimFault(tc.fault)),
		} {
			got := wrap("op", "vm", err)
			if !errors.Is(got, tc.kind) {
				t.Errorf("%s %s: %v, want kind %v", name, how, got, tc.kind)
			}
		}
	}
	te := task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.InvalidPowerState{}, LocalizedMessage: "The attempted operation cannot be performed in the current state (Powered off)."}}
	if got := wrap("suspend", "vm1", te).Error(); got != "suspend vm1: invalid state for this operation: The attempted operation cannot be performed in the current state (Powered off)." {
		t.Errorf("message %q", got)
	}
}

func TestTransportErrorKinds(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "https://vc/sdk", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	cert := &x509.Certificate{Raw: []byte("not really a certificate")}
	untrusted := &url.Error{Op: "Post", URL: "https://vc/sdk", Err: &tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{cert}, Err: x509.UnknownAuthorityError{Cert: cert}}}
	for _, tc := range []struct {
		err  error
		kind error
	}{
		{refused, backends.ErrNotConnected},
		{untrusted, backends.ErrNotConnected},
		{&pinError{got: "AA"}, backends.ErrNotConnected},
		{context.DeadlineExceeded, backends.ErrTimeout},
		{fmt.Errorf("waiting: %w", context.Canceled), backends.ErrTimeout},
		{backends.Errorf("x", "", backends.ErrConflict, "kept"), backends.ErrConflict},
		{errors.New("something else"), backends.ErrInternal},
	} {
		if got := wrap("op", "", tc.err); !errors.Is(got, tc.kind) {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.kind)
		}
	}
	if msg := wrap("connect", "vc", untrusted).Error(); !strings.Contains(msg, ThumbprintSHA256(cert)) || !strings.Contains(msg, "ca_file") {
		t.Errorf("untrusted certificate: %q does not say what to do", msg)
	}
}
