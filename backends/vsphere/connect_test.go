package vsphere_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/vsphere"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

func TestConnectCertificateChecks(t *testing.T) {
	s := newSim(t, simulator.ESX())
	caFile, err := s.server.CertificateFile()
	check(t, "CA file", err)
	lower := strings.ToLower(strings.ReplaceAll(s.thumb, ":", ""))
	for name, o := range map[string]func(*vsphere.Options){
		"thumbprint":           func(o *vsphere.Options) {},
		"thumbprint bare":      func(o *vsphere.Options) { o.Thumbprint = lower },
		"CA bundle":            func(o *vsphere.Options) { o.Thumbprint, o.CAFile = "", caFile },
		"insecure, with alarm": func(o *vsphere.Options) { o.Thumbprint, o.Insecure = "", true },
	} {
		t.Run(name, func(t *testing.T) {
			var log syncbuf.Buffer
			opts := s.opts()
			opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
			o(&opts)
			b := s.open(t, opts)
			if b.Name() != "vsphere "+s.addr {
				t.Errorf("Name() = %q", b.Name())
			}
			h, err := b.Host(ctxT(t))
			check(t, "Host", err)
			if h.Hostname == "" {
				t.Errorf("host without a name: %+v", h)
			}
			warned := strings.Contains(log.String(), "level=WARN") && strings.Contains(log.String(), "insecure")
			if warned != opts.Insecure {
				t.Errorf("insecure %v, warned %v:\n%s", opts.Insecure, warned, log.String())
			}
		})
	}
}

func TestConnectRefused(t *testing.T) {
	s := newSim(t, simulator.ESX())
	otherPEM := filepath.Join(t.TempDir(), "other.pem")
	check(t, "write", os.WriteFile(otherPEM, []byte(strings.TrimSpace(testCA)+"\n"), 0o600))
	for _, tc := range []struct {
		name string
		mod  func(*vsphere.Options)
		kind error
		says string
	}{
		{"wrong password", func(o *vsphere.Options) { o.Password = "nope" }, backends.ErrAccessDenied, "log in"},
		{"unknown user", func(o *vsphere.Options) { o.User = "mallory" }, backends.ErrAccessDenied, "mallory"},
		{"system CAs", func(o *vsphere.Options) { o.Thumbprint = "" }, backends.ErrNotConnected, s.thumb},
		{"other CA", func(o *vsphere.Options) { o.Thumbprint, o.CAFile = "", otherPEM }, backends.ErrNotConnected, s.thumb},
		{"wrong pin", func(o *vsphere.Options) { o.Thumbprint = strings.Repeat("AB:", 31) + "AB" }, backends.ErrNotConnected, "does not match"},
		{"bad pin", func(o *vsphere.Options) { o.Thumbprint = "xyz" }, backends.ErrInvalidArgument, "thumbprint"},
		{"two checks", func(o *vsphere.Options) { o.Insecure = true }, backends.ErrInvalidArgument, "at most one"},
		{"no user", func(o *vsphere.Options) { o.User = "" }, backends.ErrInvalidArgument, "user"},
		{"missing CA file", func(o *vsphere.Options) { o.Thumbprint, o.CAFile = "", "/nonexistent.pem" }, backends.ErrInvalidArgument, "CA bundle"},
		{"missing host", func(o *vsphere.Options) { o.Host = "esx-99" }, backends.ErrNotFound, "esx-99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := s.opts()
			tc.mod(&opts)
			b, err := vsphere.Open(ctxT(t), s.url(), opts)
			if b != nil {
				b.Close()
			}
			wantKind(t, "Open", err, tc.kind)
			if err != nil && !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

// testCA is a CA certificate that signed nothing the simulator serves.
const testCA = `
-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw
DgYDVQQKEwdBY21lIENvMB4XDTE3MTAyMDE5NDMwNloXDTE4MTAyMDE5NDMwNlow
EjEQMA4GA1UEChMHQWNtZSBDbzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0d
7VNhbWvZLWPuj/RtHFjvtJBEwOkhbN/BnnE8rnZR8+sbwnc/KhCk3FhnpHZnQz7B
5aETbbIgmuvewdjvSBSjYzBhMA4GA1UdDwEB/wQEAwICpDATBgNVHSUEDDAKBggr
BgEFBQcDATAPBgNVHRMBAf8EBTADAQH/MCkGA1UdEQQiMCCCDmxvY2FsaG9zdDo1
NDUzgg4xMjcuMC4wLjE6NTQ1MzAKBggqhkjOPQQDAgNIADBFAiEA2zpJEPQyz6/l
Wf86aX6PepsntZv2GYlA5UpabfT2EZICICpJ5h/iI+i341gBmLiAFQOyTDT+/wQc
6MF9+Yw1Yy0t
-----END CERTIFICATE-----`

func TestConnectUnreachableAndSlow(t *testing.T) {
	// A port nothing listens on: refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(t, "listen", err)
	closed := l.Addr().String()
	l.Close()
	opts := vsphere.Options{User: "u", Password: "p", Insecure: true}
	_, err = vsphere.Open(ctxT(t), "vsphere://"+closed, opts)
	wantKind(t, "closed port", err, backends.ErrNotConnected)

	// A server that accepts and never answers: the caller's deadline
	// ends the wait.
	slow, err := net.Listen("tcp", "127.0.0.1:0")
	check(t, "listen", err)
	defer slow.Close()
	go func() {
		for {
			c, err := slow.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err = vsphere.Open(ctx, "vsphere://"+slow.Addr().String(), opts)
	wantKind(t, "silent server", err, backends.ErrTimeout)
}

func TestConnectHostSelection(t *testing.T) {
	s := newSim(t, simulator.VPX())
	opts := s.opts()
	_, err := vsphere.Open(ctxT(t), s.url(), opts)
	wantKind(t, "several hosts, none named", err, backends.ErrInvalidArgument)
	if err != nil && !strings.Contains(err.Error(), "DC0_C0_H1") {
		t.Errorf("error %q does not list the hosts", err)
	}
	opts.Host = "DC0_C0_H1"
	b := s.open(t, opts)
	h, err := b.Host(ctxT(t))
	check(t, "Host", err)
	if h.Hostname != "DC0_C0_H1" {
		t.Errorf("host %q, want DC0_C0_H1", h.Hostname)
	}
}

func TestConnectCredentialsFile(t *testing.T) {
	s := newSim(t, simulator.ESX())
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	check(t, "write", os.WriteFile(good, []byte("# vSphere\nusername="+simUser+"\npassword="+simPass+"\n"), 0o600))
	opts := s.opts()
	opts.User, opts.Password, opts.CredentialsFile = "", "", good
	s.open(t, opts)

	bad := filepath.Join(dir, "bad")
	check(t, "write", os.WriteFile(bad, []byte("username="+simUser+"\n"), 0o600))
	opts.CredentialsFile = bad
	_, err := vsphere.Open(ctxT(t), s.url(), opts)
	wantKind(t, "no password line", err, backends.ErrInvalidArgument)

	// The user may also come from the URL.
	check(t, "write", os.WriteFile(good, []byte("password="+simPass+"\n"), 0o600))
	opts.CredentialsFile = good
	b, err := vsphere.Open(ctxT(t), "vsphere://"+simUser+"@"+s.addr, opts)
	check(t, "user from the URL", err)
	b.Close()
	_, err = vsphere.Open(ctxT(t), "vsphere://"+simUser+":"+simPass+"@"+s.addr, opts)
	wantKind(t, "password in the URL", err, backends.ErrInvalidArgument)
}
