package vsphere_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// The backend is tested against govmomi's in-process vCenter / ESXi
// simulator, over HTTPS, and compared with what govmomi's own client reads.

const (
	simUser = "vbuser"
	simPass = "vb-secret"
)

// sim is one simulator instance with a reference client.
type sim struct {
	model  *simulator.Model
	server *simulator.Server
	ref    *govmomi.Client // govmomi's own view of the simulator
	addr   string          // HOST:PORT
	thumb  string          // SHA-256 thumbprint of its certificate
}

// newSim starts a simulator of model (simulator.ESX() or VPX()).
func newSim(t *testing.T, model *simulator.Model) *sim {
	t.Helper()
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.Listen = &url.URL{User: url.UserPassword(simUser, simPass)}
	srv := model.Service.NewServer()
	t.Cleanup(func() { srv.Close(); model.Remove() })
	s := &sim{model: model, server: srv, addr: srv.URL.Host, thumb: vsphere.ThumbprintSHA256(srv.Certificate())}
	u := *srv.URL
	u.User = url.UserPassword(simUser, simPass)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ref, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		t.Fatal(err)
	}
	s.ref = ref
	return s
}

// url is the connect URL of the simulator.
func (s *sim) url() string { return "vsphere://" + s.addr }

// opts are options that reach the simulator, quick to notice a drop.
func (s *sim) opts() vsphere.Options {
	return vsphere.Options{User: simUser, Password: simPass, Thumbprint: s.thumb, UpdateWait: time.Second,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond, CallTimeout: 20 * time.Second}
}

// open connects a backend with opts, closing it at the end of the test.
func (s *sim) open(t *testing.T, opts vsphere.Options) *vsphere.Backend {
	t.Helper()
	b, err := vsphere.Open(ctxT(t), s.url(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// ctxT bounds a test's calls, so a hang fails the test instead of the run.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// vms reads every VM of the simulator through govmomi.
func (s *sim) vms(t *testing.T, props ...string) []mo.VirtualMachine {
	t.Helper()
	ctx := ctxT(t)
	v, err := view.NewManager(s.ref.Client).CreateContainerView(ctx, s.ref.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, props, &vms); err != nil {
		t.Fatal(err)
	}
	return vms
}

// vm reads one VM through govmomi by instance UUID.
func (s *sim) vm(t *testing.T, uuid string) (mo.VirtualMachine, bool) {
	t.Helper()
	for _, vm := range s.vms(t) {
		if vm.Config != nil && strings.EqualFold(vm.Config.InstanceUuid, uuid) {
			return vm, true
		}
	}
	return mo.VirtualMachine{}, false
}

// onHost lists the VMs of the simulator on host (by name), templates aside.
func (s *sim) onHost(t *testing.T, host string) []mo.VirtualMachine {
	t.Helper()
	ref := s.host(t, host).Self
	var out []mo.VirtualMachine
	for _, vm := range s.vms(t) {
		if vm.Runtime.Host != nil && *vm.Runtime.Host == ref && !vm.Config.Template {
			out = append(out, vm)
		}
	}
	return out
}

// hostOf names the host a VM (by name) runs on.
func (s *sim) hostOf(t *testing.T, vmName string) string {
	t.Helper()
	for _, vm := range s.vms(t) {
		if vm.Name == vmName {
			var h mo.HostSystem
			check(t, "host of "+vmName, s.ref.RetrieveOne(ctxT(t), *vm.Runtime.Host, []string{"name"}, &h))
			return h.Name
		}
	}
	t.Fatalf("no VM %q in the simulator", vmName)
	return ""
}

// host reads a host through govmomi by name; "" is the first.
func (s *sim) host(t *testing.T, name string) mo.HostSystem {
	t.Helper()
	ctx := ctxT(t)
	v, err := view.NewManager(s.ref.Client).CreateContainerView(ctx, s.ref.ServiceContent.RootFolder, []string{"HostSystem"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var hosts []mo.HostSystem
	if err := v.Retrieve(ctx, []string{"HostSystem"}, nil, &hosts); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if name == "" || h.Name == name {
			return h
		}
	}
	t.Fatalf("no host %q in the simulator", name)
	return mo.HostSystem{}
}

// wantKind fails unless err is a *backends.Error of kind.
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	var be *backends.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %v", what, kind)
	case !errors.Is(err, kind) || !errors.As(err, &be):
		t.Errorf("%s: %v (%T), want a backends.Error of kind %v", what, err, err, kind)
	}
}

// awaitEvent reads the backend's events (in a test with no inventory)
// until one matches. Once the watcher has queued it, the simulator has
// finished sending that update: it hands its live objects to responses,
// so a device change made while it still encodes the last one is a data
// race inside the simulator.
func awaitEvent(t *testing.T, b *vsphere.Backend, what string, match func(backends.Event) bool) {
	t.Helper()
	ctx := ctxT(t)
	for {
		select {
		case ev := <-b.Events():
			if match(ev) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no event for %s", what)
		}
	}
}

// deviceEvent matches a device event of a kind about dev.
func deviceEvent(kind backends.EventKind, dev string) func(backends.Event) bool {
	return func(ev backends.Event) bool { return ev.Kind == kind && strings.EqualFold(ev.Device, dev) }
}

// check fails the test on err.
func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
