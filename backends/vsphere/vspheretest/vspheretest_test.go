package vspheretest_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/vsphere"
	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestSimulators: both models hold the VMs asked for on the managed host,
// in the mixed power states, and the vSphere backend, logging in with
// what the fixture hands out, sees the same VMs.
func TestSimulators(t *testing.T) {
	for _, model := range []string{vspheretest.ModelESX, vspheretest.ModelVPX} {
		t.Run(model, func(t *testing.T) {
			s := vspheretest.New(t, vspheretest.Options{Model: model, VMs: 7, Mixed: true})
			ctx := ctxT(t)
			if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.IsVPX != (model == vspheretest.ModelVPX) {
				t.Errorf("Addr %s, IsVPX %v", s.Addr, s.IsVPX)
			}
			vms, err := s.VMs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) != 7 {
				t.Fatalf("%d VMs on %s, want 7", len(vms), s.Host)
			}
			h, err := s.HostInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k := min(4, h.CPUThreads)
			states := map[types.VirtualMachinePowerState]int{}
			for i, vm := range vms {
				states[vm.PowerState]++
				if vm.NumCPU != 1+i%k || vm.MemoryMB != 256<<(i%4) {
					t.Errorf("%s: %d vCPUs, %d MiB; want %d and %d", vm.Name, vm.NumCPU, vm.MemoryMB, 1+i%k, 256<<(i%4))
				}
				if len(vm.UUID) != 36 || vm.NumCPU < 1 || vm.MemoryMB < 1 || len(vm.NICs) == 0 || len(vm.Drives) == 0 || vm.NICs[0].Network == "" {
					t.Errorf("VM %+v", vm)
				}
			}
			if states["poweredOn"] != 3 || states["poweredOff"] != 2 || states["suspended"] != 2 {
				t.Errorf("power states %v, want 3 on, 2 off, 2 suspended", states)
			}
			if h.Name != s.Host || h.VMs != 7 || h.PoweredOnVMs != 3 || len(h.Datastores) == 0 || len(h.Networks) == 0 || h.Product == "" {
				t.Errorf("host %+v", h)
			}

			b, err := vsphere.Open(ctx, s.URL(), vsphere.Options{User: s.User, Password: s.Password, Thumbprint: s.Thumbprint,
				Host: map[bool]string{true: s.Host}[s.IsVPX], CallTimeout: 20 * time.Second})
			if err != nil {
				t.Fatalf("the backend cannot log in with the fixture's settings: %v", err)
			}
			defer b.Close()
			doms, err := b.Domains(ctx)
			if err != nil {
				t.Fatal(err)
			}
			byUUID := map[string]backends.Domain{}
			for _, d := range doms {
				byUUID[d.UUID] = d
			}
			for _, vm := range vms {
				d, ok := byUUID[vm.UUID]
				if !ok || d.Name != vm.Name || d.VCPUs != vm.NumCPU || len(d.Disks) != len(vm.Drives) || len(d.NICs) != len(vm.NICs) {
					t.Errorf("backend %+v, fixture %+v", d, vm)
				}
			}
			if len(doms) != len(vms) {
				t.Errorf("backend lists %d domains, fixture %d", len(doms), len(vms))
			}

			// Changes behind the backend's back, read back.
			on, off := vms[0].UUID, vms[1].UUID
			for _, step := range []struct {
				f    func(context.Context, string) error
				uuid string
				want types.VirtualMachinePowerState
			}{{s.PowerOff, on, "poweredOff"}, {s.PowerOn, off, "poweredOn"}, {s.PowerOn, on, "poweredOn"}, {s.Suspend, on, "suspended"}} {
				if err := step.f(ctx, step.uuid); err != nil {
					t.Fatal(err)
				}
				if vm, err := s.VM(ctx, step.uuid); err != nil || vm.PowerState != step.want {
					t.Errorf("%s: %s, %v; want %s", step.uuid, vm.PowerState, err, step.want)
				}
			}
			if err := s.PowerOff(ctx, off); err != nil {
				t.Fatal(err)
			}
			if err := s.Suspend(ctx, off); err == nil {
				t.Error("suspending a powered-off VM succeeded")
			}
			if err := s.SetToolsRunning(ctx, on, true); err != nil {
				t.Fatal(err)
			}
			if vm, _ := s.VM(ctx, on); vm.Tools != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				t.Errorf("tools %q after SetToolsRunning", vm.Tools)
			}
			// Snapshots, oldest first, the newest current; the VM's files
			// on its datastore.
			for _, name := range []string{"s1", "s2"} {
				if err := s.CreateSnapshot(ctx, off, name); err != nil {
					t.Fatal(err)
				}
			}
			vm, err := s.VM(ctx, off)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(vm.Snapshots, ",") != "s1,s2" || vm.CurrentSnapshot != "s2" {
				t.Errorf("snapshots %q, current %q; want s1, s2 and s2", vm.Snapshots, vm.CurrentSnapshot)
			}
			if vms[2].Snapshots != nil || vms[2].CurrentSnapshot != "" {
				t.Errorf("%s: snapshots %q, current %q; want none", vms[2].Name, vms[2].Snapshots, vms[2].CurrentSnapshot)
			}
			if ok, err := s.FileExists(ctx, vm.VMX); !ok || err != nil || !strings.HasSuffix(vm.VMX, ".vmx") {
				t.Errorf("FileExists(%q) = %v, %v", vm.VMX, ok, err)
			}
			dir, _, _ := strings.Cut(vm.VMX, "/")
			for _, f := range []string{dir + "/nothing.vmx", strings.TrimSuffix(vm.VMX, ".vmx") + "-none/x.vmx"} {
				if ok, err := s.FileExists(ctx, f); ok || err != nil {
					t.Errorf("FileExists(%q) = %v, %v; want false", f, ok, err)
				}
			}
			if _, err := s.FileExists(ctx, "not a path"); err == nil {
				t.Error("FileExists of a name that is no datastore path: no error")
			}
			if _, err := s.VM(ctx, "00000000-0000-0000-0000-000000000000"); err == nil {
				t.Error("an unknown UUID was found")
			}
			if y := s.ConfigYAML(); !strings.Contains(y, s.URL()) || !strings.Contains(y, s.Thumbprint) || strings.Contains(y, "host:") != s.IsVPX {
				t.Errorf("ConfigYAML:\n%s", y)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	ctx := ctxT(t)
	if _, err := vspheretest.Start(ctx, vspheretest.Options{Model: "hyperv"}); err == nil {
		t.Error("an unknown model started")
	}
	if _, err := vspheretest.Start(ctx, vspheretest.Options{VMs: -1}); err == nil {
		t.Error("-1 VMs started")
	}
	if _, err := vspheretest.Start(ctx, vspheretest.Options{Listen: "no-port"}); err == nil {
		t.Error("a listen address without a port started")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := vspheretest.Start(ctx, vspheretest.Options{Listen: l.Addr().String()}); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("listening on a taken address: %v", err)
	}
	s, err := vspheretest.Start(ctx, vspheretest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close() // idempotent
	if _, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		t.Errorf("%s still answers after Close", s.Addr)
	}
}
