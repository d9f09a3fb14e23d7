// Command vbsim serves govmomi's vCenter / ESXi simulator over HTTPS, with
// as many VMs as asked for, until interrupted: a vSphere to point
// `virtbridge serve` at without one.
//
//	go run ./cmd/vbsim -model vpx -vms 10 -listen 127.0.0.1:8989 -dir /tmp/vbsim
//	bin/virtbridge serve --config /tmp/vbsim/virtbridge.yaml
//
// It prints the connect URL, the credentials, the certificate's SHA-256
// thumbprint and the configuration that points an agent at it; with -dir
// it also writes a complete agent configuration there (the demo ports of
// virtbridge.example.yaml, a CIM / WS-Man operator demo / demo-password,
// state under DIR/state). See docs/vsphere.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
	"github.com/virtbridge/virtbridge/cim/server"
)

// The CIM / WS-Man user the written configuration lets in.
const (
	demoUser     = "demo"
	demoPassword = "demo-password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vbsim:", err)
		}
		os.Exit(2)
	}
}

// run serves the simulator until ctx ends; ready, if not nil, is called
// once it serves.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*vspheretest.Sim)) error {
	fs := flag.NewFlagSet("vbsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", vspheretest.ModelVPX, "what to simulate: vpx (a vCenter with a standalone host, whose VMs are counted, and a cluster) or esx (one ESXi host)")
	vms := fs.Int("vms", 10, fmt.Sprintf("VMs on the managed host, 1..%d", vspheretest.MaxVMs))
	mixed := fs.Bool("mixed", true, "mixed power states: every third VM powered off, the next suspended, the rest on")
	listen := fs.String("listen", "127.0.0.1:8989", "TCP address to serve HTTPS on")
	user := fs.String("user", vspheretest.DefaultUser, "user name the simulator accepts")
	password := fs.String("password", vspheretest.DefaultPassword, "its password")
	dir := fs.String("dir", "", "write a complete agent configuration (virtbridge.yaml, cim-users, state/) into this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see vbsim -h)", fs.Arg(0))
	}
	if *vms < 1 || *vms > vspheretest.MaxVMs {
		return fmt.Errorf("-vms %d: want 1..%d", *vms, vspheretest.MaxVMs)
	}
	fmt.Fprintf(stderr, "vbsim: creating the %s simulator with %d VMs...\n", *model, *vms)
	start := time.Now()
	s, err := vspheretest.Start(ctx, vspheretest.Options{Model: *model, VMs: *vms, Mixed: *mixed, Listen: *listen, User: *user, Password: *password})
	if err != nil {
		return err
	}
	defer s.Close()
	kind := "ESXi host"
	if s.IsVPX {
		kind = "vCenter"
	}
	fmt.Fprintf(stdout, "vbsim: %s simulator at %s, %d VMs on host %s (ready in %v)\n", kind, s.SDKURL(), *vms, s.Host, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  connect:    %s\n  user:       %s\n  password:   %s\n  thumbprint: %s\n", s.URL(), s.User, s.Password, s.Thumbprint)
	fmt.Fprintf(stdout, "\nvirtbridge configuration (top level):\n\n%s\n", s.ConfigYAML())
	if *dir != "" {
		cfg, err := writeConfig(*dir, s)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (CIM-XML / WS-Man user %s, password %s); serve it with:\n\n  virtbridge serve --config %s\n\n", cfg, demoUser, demoPassword, cfg)
	}
	fmt.Fprintln(stdout, "Ctrl-C stops the simulator.")
	if ready != nil {
		ready(s)
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "vbsim: stopping")
	return nil
}

// writeConfig writes an agent configuration for s into dir, on the demo
// ports of virtbridge.example.yaml (loopback only), with a users file
// holding the demo operator; it returns the configuration's path.
func writeConfig(dir string, s *vspheretest.Sim) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	state := filepath.Join(abs, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return "", err
	}
	users := filepath.Join(abs, "cim-users")
	if err := server.WriteUser(users, demoUser, "operator", demoPassword); err != nil {
		return "", fmt.Errorf("writing %s: %w", users, err)
	}
	cfg := fmt.Sprintf(`# Written by vbsim: virtbridge serving the vSphere simulator at %s.
%slog: {level: info}
snmp:
  listen: ["127.0.0.1:1161"]
  state_dir: %q
  communities:
    - {name: public, access: read-only, read_view: all}
    - {name: private, access: read-write, read_view: all, write_view: control}
  views:
    all: {included: ["1.3.6.1"]}
    control: {included: ["1.3.6.1.4.1.32473.1.2"]}
cim:
  http: ["127.0.0.1:5988"]
  https: ["127.0.0.1:5989"]
  users_file: %q
  state_dir: %q
wsman:
  http: ["127.0.0.1:5985"]
  https: ["127.0.0.1:5986"]
`, s.SDKURL(), s.ConfigYAML(), state, users, state)
	path := filepath.Join(abs, "virtbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", err
	}
	return path, nil
}
