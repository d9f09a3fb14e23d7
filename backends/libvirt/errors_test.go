package libvirt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

var allKinds = []error{
	backends.ErrNotFound, backends.ErrInvalidState, backends.ErrNotSupported, backends.ErrInvalidArgument,
	backends.ErrNotConnected, backends.ErrAccessDenied, backends.ErrTimeout, backends.ErrConflict, backends.ErrInternal,
}

// checkKind asserts err is a *backends.Error of exactly one kind, want.
func checkKind(t *testing.T, err error, op, target string, want error) {
	t.Helper()
	var be *backends.Error
	if !errors.As(err, &be) {
		t.Fatalf("%v (%T) is not a *backends.Error", err, err)
	}
	if be.Op != op || be.Target != target {
		t.Errorf("Op, Target = %q, %q, want %q, %q", be.Op, be.Target, op, target)
	}
	for _, k := range allKinds {
		if got := errors.Is(err, k); got != (k == want) {
			t.Errorf("errors.Is(%q, %q) = %v", err, k, got)
		}
	}
	if be.Err == nil || be.Err.Error() == "" {
		t.Errorf("%q lost libvirt's message", err)
	}
	if strings.Contains(err.Error(), "virError(") {
		t.Errorf("%q carries the bindings' Go syntax rather than libvirt's message", err)
	}
}

func randomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func TestWrapNotFound(t *testing.T) {
	c := testConnect(t)
	uuid := randomUUID()
	_, err := c.LookupDomainByUUIDString(uuid)
	var le lv.Error
	if !errors.As(err, &le) || le.Code != lv.ERR_NO_DOMAIN {
		t.Fatalf("LookupDomainByUUIDString(%s) = %v, want ERR_NO_DOMAIN", uuid, err)
	}
	werr := wrap("read domain", uuid, err)
	checkKind(t, werr, "read domain", uuid, backends.ErrNotFound)
	if !strings.HasPrefix(werr.Error(), "read domain "+uuid+": not found: ") || !strings.Contains(werr.Error(), le.Message) {
		t.Errorf("wrapped error %q", werr)
	}
	// Wrapped again by a caller, the kind still shows.
	if outer := fmt.Errorf("sync: %w", werr); !errors.Is(outer, backends.ErrNotFound) {
		t.Errorf("errors.Is through fmt.Errorf failed for %q", outer)
	}

	_, err = c.LookupDomainByName("no-such-domain")
	checkKind(t, wrap("read domain", "no-such-domain", err), "read domain", "no-such-domain", backends.ErrNotFound)
}

// TestWrapKinds provokes each kind from the test driver. Note the test
// driver reports some wrong-state calls (Create of a running domain, Resume
// of one not paused, Suspend of one shut off) as VIR_ERR_INTERNAL_ERROR,
// which can only be ErrInternal; Destroy and Reboot use
// VIR_ERR_OPERATION_INVALID like the QEMU driver.
func TestWrapKinds(t *testing.T) {
	c := testConnect(t)
	dom, err := c.LookupDomainByName("test") // running
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()

	_, err = c.LookupDomainByUUIDString("not-a-uuid")
	checkKind(t, wrap("read domain", "not-a-uuid", err), "read domain", "not-a-uuid", backends.ErrInvalidArgument)

	err = dom.SetVcpus(100) // the test driver allows 32
	checkKind(t, wrap("set vcpus", "test", err), "set vcpus", "test", backends.ErrInvalidArgument)

	_, err = c.DomainDefineXML("<domain type='test'><name>x</name>")
	checkKind(t, wrap("define", "", err), "define", "", backends.ErrInvalidArgument)

	_, err = c.DomainDefineXML("<domain type='bogus'><name>x</name></domain>")
	checkKind(t, wrap("define", "", err), "define", "", backends.ErrNotSupported)

	_, err = dom.Migrate(c, lv.MIGRATE_LIVE, "", "", 0)
	checkKind(t, wrap("migrate", "test", err), "migrate", "test", backends.ErrNotSupported)

	_, err = dom.SnapshotLookupByName("nope", 0)
	checkKind(t, wrap("revert snapshot", "test", err), "revert snapshot", "test", backends.ErrNotFound)

	_, err = c.LookupNetworkByName("nope")
	checkKind(t, wrap("read network", "nope", err), "read network", "nope", backends.ErrNotFound)

	_, err = c.LookupStoragePoolByName("nope")
	checkKind(t, wrap("read pool", "nope", err), "read pool", "nope", backends.ErrNotFound)

	if err := dom.Destroy(); err != nil {
		t.Fatal(err)
	}
	err = dom.Destroy() // already shut off
	checkKind(t, wrap("destroy", "test", err), "destroy", "test", backends.ErrInvalidState)

	err = dom.Reboot(0)
	checkKind(t, wrap("reboot", "test", err), "reboot", "test", backends.ErrInvalidState)

	_, err = lv.NewConnect("qemu+unix:///system?socket=/nonexistent/sock")
	checkKind(t, wrap("connect", "", err), "connect", "", backends.ErrNotConnected)
}

func TestWrapOther(t *testing.T) {
	if err := wrap("x", "y", nil); err != nil {
		t.Errorf("wrap(nil) = %v", err)
	}
	plain := errors.New("plain")
	err := wrap("list domains", "", plain)
	if !errors.Is(err, backends.ErrInternal) || !errors.Is(err, plain) {
		t.Errorf("wrap of a non-libvirt error = %v", err)
	}
	if err.Error() != "list domains: hypervisor error: plain" {
		t.Errorf("wrap of a non-libvirt error reads %q", err)
	}
	// A libvirt code with no mapping is internal.
	err = wrap("op", "", lv.Error{Code: lv.ERR_INTERNAL_ERROR, Domain: lv.FROM_QEMU, Message: "internal error: boom"})
	checkKind(t, err, "op", "", backends.ErrInternal)
	// Every mapped code gives its kind.
	for code, kind := range errorKinds {
		err := wrap("op", "t", lv.Error{Code: code, Message: "m"})
		if !errors.Is(err, kind) {
			t.Errorf("code %d: %v is not %v", code, err, kind)
		}
	}
}
