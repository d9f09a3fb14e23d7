package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

// testDomainUUID is the UUID of the "test" domain of test:///default.
const testDomainUUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"

// runCmd calls run with args and returns its exit status and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncbuf.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		code, out, errOut := runCmd(t, arg)
		if code != 0 || out != "virtbridge "+version+"\n" || errOut != "" {
			t.Errorf("run(%s) = %d, stdout %q, stderr %q", arg, code, out, errOut)
		}
	}
}

func TestRunUsage(t *testing.T) {
	code, out, errOut := runCmd(t)
	if code != 2 || out != "" || errOut != usage {
		t.Errorf("run() = %d, stdout %q, stderr %q; want 2 and the usage", code, out, errOut)
	}
	for _, arg := range []string{"help", "-h", "--help"} {
		if code, out, _ := runCmd(t, arg); code != 0 || out != usage {
			t.Errorf("run(%s) = %d, stdout %q", arg, code, out)
		}
	}
}

func TestRunUnknownCommand(t *testing.T) {
	code, out, errOut := runCmd(t, "frobnicate", "--connect", "test:///default")
	if code != 2 || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	checkOneLine(t, errOut, `unknown command "frobnicate"`)
}

func TestRunBadFlag(t *testing.T) {
	for _, args := range [][]string{
		{"inventory", "--bogus"},
		{"serve", "--connect"}, // flag needs an argument
		{"testbed", "--domains", "ten"},
		{"inventory", "--connect", "test:///default", "stray"},
	} {
		code, out, errOut := runCmd(t, args...)
		if code != 2 || out != "" {
			t.Errorf("run(%q) = %d, stdout %q", args, code, out)
		}
		// The flag package prints its own complaint and the flags; the last
		// line is ours.
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "virtbridge: ") {
			t.Errorf("run(%q) stderr ends %q", args, last)
		}
	}
}

func TestRunHelpFlag(t *testing.T) {
	code, out, errOut := runCmd(t, "inventory", "-h")
	if code != 0 || out != "" || !strings.Contains(errOut, "-connect") {
		t.Errorf("inventory -h = %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// checkOneLine asserts stderr is exactly one line, ours, naming want.
func checkOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	if !strings.HasPrefix(stderr, "virtbridge: ") {
		t.Errorf("stderr %q does not start with \"virtbridge: \"", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not name %q", stderr, want)
	}
	for _, bad := range []string{"panic", "goroutine"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr %q mentions %s", stderr, bad)
		}
	}
}

func TestInventoryTable(t *testing.T) {
	code, out, errOut := runCmd(t, "inventory", "--connect", "test:///default")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "Host ") || !strings.Contains(out, "via libvirt test:///default") {
		t.Errorf("no host line:\n%s", out)
	}
	var row []string
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "test" {
			row = f
		}
	}
	// NAME UUID STATE VCPUS MEMORY DISKS NICS PERSISTENT AUTOSTART
	want := []string{"test", testDomainUUID, "running", "2/2", "2048/8192", "vda", "aa:bb:cc:dd:ee:ff", "yes", "no"}
	if !slices.Equal(row, want) {
		t.Errorf("row %q, want %q\n%s", row, want, out)
	}
	if !strings.HasSuffix(out, "\n1 domains\n") {
		t.Errorf("no count line:\n%s", out)
	}
}

// inventoryOut is what the tests read of `inventory --json`, declared
// apart from the command's own types so a renamed key fails the test.
type inventoryOut struct {
	Backend string    `json:"backend"`
	Synced  time.Time `json:"synced"`
	Host    struct {
		HypervisorType string `json:"hypervisorType"`
		CPUs           int    `json:"cpus"`
	} `json:"host"`
	Domains []struct {
		UUID         string `json:"uuid"`
		Name         string `json:"name"`
		Title        string `json:"title"`
		State        string `json:"state"`
		Persistent   bool   `json:"persistent"`
		VCPUs        int    `json:"vcpus"`
		MaxVCPUs     int    `json:"maxVcpus"`
		MemoryKiB    uint64 `json:"memoryKiB"`
		MaxMemoryKiB uint64 `json:"maxMemoryKiB"`
		Disks        []struct {
			Target   string `json:"target"`
			Bus      string `json:"bus"`
			Device   string `json:"device"`
			Source   string `json:"source"`
			Format   string `json:"format"`
			ReadOnly bool   `json:"readOnly"`
		} `json:"disks"`
		NICs []struct {
			MAC       string `json:"mac"`
			Model     string `json:"model"`
			Network   string `json:"network"`
			Bridge    string `json:"bridge"`
			HostIface string `json:"hostInterface"`
			LinkUp    bool   `json:"linkUp"`
		} `json:"nics"`
	} `json:"domains"`
}

func inventoryJSONOf(t *testing.T, uri string) inventoryOut {
	t.Helper()
	code, out, errOut := runCmd(t, "inventory", "--connect", uri, "--json")
	if code != 0 {
		t.Fatalf("inventory --connect %s --json: exit %d: %s", uri, code, errOut)
	}
	var inv inventoryOut
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if dec.More() {
		t.Errorf("more than one JSON value in\n%s", out)
	}
	return inv
}

func TestInventoryJSON(t *testing.T) {
	inv := inventoryJSONOf(t, "test:///default")
	if inv.Backend != "libvirt test:///default" || inv.Host.HypervisorType != "TEST" || inv.Synced.IsZero() {
		t.Errorf("backend %q, host type %q, synced %v", inv.Backend, inv.Host.HypervisorType, inv.Synced)
	}
	if len(inv.Domains) != 1 {
		t.Fatalf("%d domains, want 1", len(inv.Domains))
	}
	d := inv.Domains[0]
	if d.Name != "test" || d.UUID != testDomainUUID || d.State != "running" || d.VCPUs != 2 ||
		d.MemoryKiB != 2097152 || d.MaxMemoryKiB != 8388608 {
		t.Errorf("domain %+v", d)
	}
	if len(d.Disks) != 1 || d.Disks[0].Target != "vda" {
		t.Errorf("disks %+v, want vda", d.Disks)
	}
	if len(d.NICs) != 1 || d.NICs[0].MAC != "aa:bb:cc:dd:ee:ff" {
		t.Errorf("nics %+v, want aa:bb:cc:dd:ee:ff", d.NICs)
	}
}

func TestTestbedInventory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "node.xml")
	code, out, errOut := runCmd(t, "testbed", "--domains", "25", "-o", file)
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("testbed: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	plan, err := testbed.Plan(testbed.Options{Domains: 25, Seed: 1, NamePrefix: "vb"})
	if err != nil {
		t.Fatal(err)
	}
	inv := inventoryJSONOf(t, "test://"+file)
	if len(inv.Domains) != len(plan) {
		t.Fatalf("%d domains, want %d", len(inv.Domains), len(plan))
	}
	if inv.Host.CPUs != testbed.NodeCPUs {
		t.Errorf("host has %d CPUs, want %d", inv.Host.CPUs, testbed.NodeCPUs)
	}
	// Plan's names sort in file order, as the inventory lists them.
	for i, p := range plan {
		d := inv.Domains[i]
		st, ok := backends.ParseState(d.State)
		if !ok {
			t.Errorf("%s: unknown state %q", d.Name, d.State)
		}
		if d.Name != p.Name || d.UUID != p.UUID || st.Label() != p.State || d.Title != p.Title ||
			d.VCPUs != p.VCPUs || d.MaxVCPUs != p.MaxVCPUs || d.MemoryKiB != p.MemoryKiB || d.MaxMemoryKiB != p.MaxMemoryKiB {
			t.Errorf("domain %d is %s %s %q (%s) %q %d/%d vCPUs %d/%d KiB, plan %s %s %q %q %d/%d vCPUs %d/%d KiB", i,
				d.Name, d.UUID, st.Label(), d.State, d.Title, d.VCPUs, d.MaxVCPUs, d.MemoryKiB, d.MaxMemoryKiB,
				p.Name, p.UUID, p.State, p.Title, p.VCPUs, p.MaxVCPUs, p.MemoryKiB, p.MaxMemoryKiB)
		}
		if len(d.Disks) != len(p.Disks) {
			t.Errorf("%s: %d disks, plan %d", d.Name, len(d.Disks), len(p.Disks))
		} else {
			for j, k := range p.Disks {
				x := d.Disks[j]
				if x.Target != k.Target || x.Bus != k.Bus || x.Device != k.Device || x.Source != k.Source || x.Format != k.Format || x.ReadOnly != k.ReadOnly {
					t.Errorf("%s: disk %+v, plan %+v", d.Name, x, k)
				}
			}
		}
		if len(d.NICs) != len(p.NICs) {
			t.Errorf("%s: %d NICs, plan %d", d.Name, len(d.NICs), len(p.NICs))
		} else {
			for j, n := range p.NICs {
				x := d.NICs[j]
				if x.MAC != n.MAC || x.Model != n.Model || x.Network != n.Network || x.Bridge != n.Bridge || x.HostIface != n.TargetDev || x.LinkUp != n.LinkUp {
					t.Errorf("%s: NIC %+v, plan %+v", d.Name, x, n)
				}
			}
		}
	}
}

// TestStateLabels checks that every state a test bed can hold reads back
// under testbed's own name.
func TestStateLabels(t *testing.T) {
	for _, tt := range []struct {
		s    backends.State
		want string
	}{
		{backends.StateRunning, testbed.StateRunning},
		{backends.StatePaused, testbed.StatePaused},
		{backends.StateShutOff, testbed.StateShutOff},
	} {
		if got := tt.s.Label(); got != tt.want {
			t.Errorf("%v.Label() = %q, testbed says %q", tt.s, got, tt.want)
		}
	}
}

// badInputs are mistakes a user makes; each gets one line on stderr.
func badInputs(t *testing.T) []struct {
	name string
	args []string
	code int
	want string
} {
	dir := t.TempDir()
	config := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownKey := config("unknown-key.yaml", "connect: test:///default\nlog:\n  level: info\n  levle: debug\n")
	badDuration := config("bad-duration.yaml", "connect: test:///default\ninventory:\n  resync_interval: 5 parsecs\n")
	xmlFormat := config("xml-format.yaml", "connect: test:///default\nlog:\n  format: xml\n")
	shortResync := config("short-resync.yaml", "inventory:\n  resync_interval: 1ms\n  call_timeout: 10ms\n")
	notYAML := config("not-yaml.yaml", "connect: [test:///default\n")
	missing := filepath.Join(dir, "missing.yaml")
	return []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unreachable URI", []string{"--connect", "qemu+unix:///system?socket=/nonexistent/sock"}, 1, "/nonexistent/sock"},
		{"malformed URI", []string{"--connect", "::not a uri"}, 1, "Unable to parse URI ::not a uri"},
		{"missing test file", []string{"--connect", "test:///nonexistent/file.xml"}, 1, "/nonexistent/file.xml: no such file"},
		{"test file is a directory", []string{"--connect", "test://" + dir}, 1, "is not a regular file"},
		{"unknown config key", []string{"--config", unknownKey}, 1, `line 4: unknown key "levle"`},
		{"bad duration", []string{"--config", badDuration}, 1, "line 3: inventory.resync_interval: cannot unmarshal !!str `5 parsecs` into time.Duration"},
		{"log format xml", []string{"--config", xmlFormat}, 1, `log.format "xml": want text or json`},
		{"two bad values", []string{"--config", shortResync}, 1, "inventory.resync_interval 1ms"},
		{"not YAML", []string{"--config", notYAML}, 1, notYAML},
		{"missing config file", []string{"--config", missing}, 1, missing + ": no such file or directory"},
		{"bad log level flag", []string{"--connect", "test:///default", "--log-level", "loud"}, 1, `log.level "loud"`},
	}
}

func TestBadInput(t *testing.T) {
	for _, tt := range badInputs(t) {
		for _, cmd := range []string{"inventory", "serve"} {
			t.Run(cmd+" "+tt.name, func(t *testing.T) {
				code, out, errOut := runCmd(t, append([]string{cmd}, tt.args...)...)
				if code != tt.code || out != "" {
					t.Errorf("exit %d, stdout %q; want exit %d", code, out, tt.code)
				}
				checkOneLine(t, errOut, tt.want)
			})
		}
	}
	t.Run("testbed negative domains", func(t *testing.T) {
		code, _, errOut := runCmd(t, "testbed", "--domains", "-1", "-o", filepath.Join(t.TempDir(), "x.xml"))
		if code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		checkOneLine(t, errOut, "--domains -1")
	})
	t.Run("testbed unwritable output", func(t *testing.T) {
		code, _, errOut := runCmd(t, "testbed", "--domains", "1", "-o", "/nonexistent/dir/node.xml")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		checkOneLine(t, errOut, "/nonexistent/dir/node.xml")
	})
}

// TestServe runs the agent until it logs that it serves, then cancels it.
func TestServe(t *testing.T) {
	var out, errOut syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", serveConfig(t), "--connect", "test:///default"}, &out, &errOut)
	}()
	waitFor(t, &errOut, "virtbridge serving", done)
	if !strings.Contains(errOut.String(), "domains=1") {
		t.Errorf("serving line does not count the test domain:\n%s", errOut.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not stop within 10s of cancel:\n%s", errOut.String())
	}
	if !strings.Contains(errOut.String(), "virtbridge stopping") {
		t.Errorf("no stopping line:\n%s", errOut.String())
	}
	if out.String() != "" {
		t.Errorf("serve wrote to stdout: %q", out.String())
	}
}

func TestServeJSONLogs(t *testing.T) {
	var out, errOut syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", serveConfig(t), "--connect", "test:///default", "--log-format", "json"}, &out, &errOut)
	}()
	waitFor(t, &errOut, `"msg":"virtbridge serving"`, done)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d:\n%s", code, errOut.String())
	}
	for line := range strings.Lines(errOut.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line %q is not JSON: %v", line, err)
		}
	}
}

// waitFor polls buf until it holds s, failing if run ends first.
func waitFor(t *testing.T, buf *syncbuf.Buffer, s string, done <-chan int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(buf.String(), s) {
		select {
		case code := <-done:
			t.Fatalf("run ended with %d before logging %q:\n%s", code, s, buf.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 20s:\n%s", s, buf.String())
		}
	}
}

// The binary tests build the command once: they check what reaches the
// process's real stderr, where libvirt and libxml2 write too, and signals.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "virtbridge-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "virtbridge")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// TestBadInputBinary repeats TestBadInput through the built command, so
// anything libvirt or libxml2 prints on the process's stderr shows.
func TestBadInputBinary(t *testing.T) {
	bin := binary(t)
	for _, tt := range badInputs(t) {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"inventory"}, tt.args...)...)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
				t.Errorf("exit: %v, want status %d", err, tt.code)
			}
			checkOneLine(t, errOut.String(), tt.want)
		})
	}
}

func TestServeSIGTERM(t *testing.T) {
	bin := binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "serve", "--config", serveConfig(t), "--connect", "test:///default")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := make(chan string, 100)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			var log []string
			read := func(until string) bool {
				timeout := time.After(20 * time.Second)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							return false
						}
						log = append(log, l)
						if strings.Contains(l, until) {
							return true
						}
					case <-timeout:
						return false
					}
				}
			}
			if !read("virtbridge serving") {
				t.Fatalf("no serving line:\n%s", strings.Join(log, "\n"))
			}
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			stopping := read("virtbridge stopping")
			for l := range lines { // to EOF, so Wait does not race the reader
				log = append(log, l)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Errorf("exit after %v: %v\n%s", sig, err, strings.Join(log, "\n"))
				}
				if d := time.Since(sent); d > 5*time.Second {
					t.Errorf("took %v to stop", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5s after %v:\n%s", sig, strings.Join(log, "\n"))
			}
			if !stopping {
				t.Errorf("no stopping line:\n%s", strings.Join(log, "\n"))
			}
			for _, l := range log {
				if !strings.HasPrefix(l, "time=") {
					t.Errorf("stray stderr line %q", l)
				}
			}
		})
	}
}

// examplePath is the example configuration at the repository root.
const examplePath = "../../virtbridge.example.yaml"

func TestExampleConfig(t *testing.T) {
	cfg, err := loadConfig(examplePath)
	if err != nil {
		t.Fatalf("loading %s: %v", examplePath, err)
	}
	// The example documents the defaults: only connect differs.
	want := defaultConfig()
	want.Connect = "test:///default"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("example config\n%+v\ndiffers from the defaults\n%+v", cfg, want)
	}
	// And it shows every key, none missing.
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	have := yamlKeys(doc.Content[0], "")
	// A map's entries are examples, not keys of Config.
	for i, k := range have {
		if strings.HasPrefix(k, "snmp.views.") {
			have[i] = "snmp.views"
		}
	}
	have = slices.Compact(have)
	all := configKeys(reflect.TypeOf(Config{}), "")
	if !slices.Equal(have, all) {
		t.Errorf("example has keys\n%q\nConfig has\n%q", have, all)
	}
	// Every key has a comment saying what it does.
	for _, k := range commentlessKeys(doc.Content[0], "") {
		t.Errorf("key %s has no comment", k)
	}
	// And the agent runs with it.
	if code, out, errOut := runCmd(t, "inventory", "--config", examplePath); code != 0 || !strings.Contains(out, testDomainUUID) {
		t.Errorf("inventory --config example: exit %d\n%s%s", code, out, errOut)
	}
}

// configKeys lists the dotted YAML keys of a config struct, sorted.
func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, configKeys(f.Type, prefix+name+".")...)
		} else {
			keys = append(keys, prefix+name)
		}
	}
	slices.Sort(keys)
	return keys
}

// yamlKeys lists the dotted keys of the leaves of a YAML mapping, sorted.
func yamlKeys(n *yaml.Node, prefix string) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.MappingNode {
			keys = append(keys, yamlKeys(v, prefix+k.Value+".")...)
		} else {
			keys = append(keys, prefix+k.Value)
		}
	}
	slices.Sort(keys)
	return keys
}

// commentlessKeys lists leaf keys with no comment of their own, allowing a
// comment that covers the key before them (reconnect_min and _max share).
func commentlessKeys(n *yaml.Node, prefix string) []string {
	var bare []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.MappingNode {
			bare = append(bare, commentlessKeys(v, prefix+k.Value+".")...)
			continue
		}
		if k.HeadComment == "" && k.LineComment == "" && (i == 0 || n.Content[i-2].HeadComment == "") {
			bare = append(bare, prefix+k.Value)
		}
	}
	return bare
}

// serveConfig is a config for serve tests: the SNMP agent and the CIM-XML
// server on ephemeral ports with their state in a temporary directory.
func serveConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "serve.yaml")
	users := filepath.Join(dir, "cim-users")
	if err := server.WriteUser(users, "tester", "operator", "tester-pass-1"); err != nil {
		t.Fatal(err)
	}
	cfg := "snmp:\n  listen: [\"127.0.0.1:0\"]\n  state_dir: " + strconv.Quote(dir) + "\n" +
		"cim:\n  http: [\"127.0.0.1:0\"]\n  https: []\n  state_dir: " + strconv.Quote(dir) + "\n  users_file: " + strconv.Quote(users) + "\n" +
		"wsman:\n  http: [\"127.0.0.1:0\"]\n  https: []\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
