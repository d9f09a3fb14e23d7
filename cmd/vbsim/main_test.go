package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

// TestServeAndConfig: vbsim serves the simulator, prints what to connect
// with, and the configuration it writes brings `virtbridge inventory` to
// the simulator's VMs; it stops when its context ends.
func TestServeAndConfig(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "virtbridge")
	if out, err := exec.Command("go", "build", "-o", bin, "../virtbridge").CombinedOutput(); err != nil {
		t.Fatalf("building virtbridge: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	sims := make(chan *vspheretest.Sim, 1)
	done := make(chan error, 1)
	cfgDir := filepath.Join(dir, "agent")
	go func() {
		done <- run(ctx, []string{"-model", "vpx", "-vms", "4", "-listen", "127.0.0.1:0", "-dir", cfgDir}, &stdout, &stderr,
			func(s *vspheretest.Sim) { sims <- s })
	}()
	var s *vspheretest.Sim
	select {
	case s = <-sims:
	case err := <-done:
		t.Fatalf("vbsim ended: %v\n%s%s", err, stdout.String(), stderr.String())
	case <-ctx.Done():
		t.Fatal("vbsim did not start")
	}
	out := stdout.String()
	cfg := filepath.Join(cfgDir, "virtbridge.yaml")
	for _, want := range []string{s.URL(), s.Thumbprint, "virtbridge serve --config " + cfg, `host: "DC0_H0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("vbsim's output lacks %q:\n%s", want, out)
		}
	}

	inv, err := exec.CommandContext(ctx, bin, "inventory", "--config", cfg, "--json").Output()
	if err != nil {
		t.Fatalf("virtbridge inventory --config %s: %v\n%s", cfg, err, inv)
	}
	var got struct {
		Backend string
		Host    struct{ Hostname string }
		Domains []struct{ Name, UUID string }
	}
	if err := json.Unmarshal(inv, &got); err != nil {
		t.Fatalf("inventory --json: %v\n%s", err, inv)
	}
	vms, err := s.VMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want, have []string
	for _, vm := range vms {
		want = append(want, vm.Name+" "+vm.UUID)
	}
	for _, d := range got.Domains {
		have = append(have, d.Name+" "+d.UUID)
	}
	slices.Sort(have)
	if !slices.Equal(have, want) || len(want) != 4 || got.Host.Hostname != vspheretest.VPXHost {
		t.Errorf("virtbridge inventory through vbsim's configuration: host %q, domains %v; the simulator has %v on %s",
			got.Host.Hostname, have, want, vspheretest.VPXHost)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("vbsim: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("vbsim did not stop")
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-vms", "0"}, {"-model", "hyperv"}, {"stray"}, {"-nosuchflag"}} {
		var out bytes.Buffer
		if err := run(t.Context(), args, &out, &out, nil); err == nil {
			t.Errorf("vbsim %v: no error\n%s", args, out.String())
		}
	}
}
