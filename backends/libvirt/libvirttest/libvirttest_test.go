package libvirttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func virsh(t *testing.T, uri string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("virsh"); err != nil {
		t.Skip("virsh not installed")
	}
	out, err := exec.Command("virsh", append([]string{"-c", uri}, args...)...).CombinedOutput()
	return string(out), err
}

func mustVirsh(t *testing.T, uri string, args ...string) string {
	t.Helper()
	out, err := virsh(t, uri, args...)
	if err != nil {
		t.Fatalf("virsh -c %s %v: %v\n%s", uri, args, err, out)
	}
	return out
}

const testNodeXML = `<node>
  <domain type='test'>
    <name>fromfile</name>
    <memory>8192</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
`

func TestSessionDaemon(t *testing.T) {
	d := SessionDaemon(t)
	if n := len(d.Socket()); n >= 108 {
		t.Fatalf("socket path is %d bytes, too long for sun_path", n)
	}
	if out := mustVirsh(t, d.URI(""), "list", "--all"); !strings.Contains(out, " test ") {
		t.Fatalf("default test node has no 'test' domain:\n%s", out)
	}

	xmlPath := filepath.Join(d.Dir(), "node.xml")
	if err := os.WriteFile(xmlPath, []byte(testNodeXML), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustVirsh(t, d.URI(xmlPath), "list", "--all"); !strings.Contains(out, "fromfile") {
		t.Fatalf("custom test node not served:\n%s", out)
	}

	d.Stop()
	if out, err := virsh(t, d.URI(""), "list"); err == nil {
		t.Fatalf("virsh succeeded against a stopped daemon:\n%s", out)
	}

	start := time.Now()
	d.Restart()
	t.Logf("restart took %v", time.Since(start).Round(time.Millisecond))
	if out := mustVirsh(t, d.URI(""), "list", "--all"); !strings.Contains(out, " test ") {
		t.Fatalf("after restart, no 'test' domain:\n%s", out)
	}
}

func TestSystemQEMULifecycle(t *testing.T) {
	uri := SystemQEMU(t)
	for _, kvm := range []bool{true, false} {
		mode := "tcg"
		if kvm {
			mode = "kvm"
		}
		// Unique per process: parallel test binaries share the daemon.
		name := fmt.Sprintf("libvirttest-%s-%d", mode, os.Getpid())
		t.Run(mode, func(t *testing.T) {
			xmlPath := filepath.Join(t.TempDir(), "dom.xml")
			if err := os.WriteFile(xmlPath, []byte(FirmwareOnlyDomainXML(name, kvm)), 0o644); err != nil {
				t.Fatal(err)
			}
			mustVirsh(t, uri, "define", xmlPath)
			t.Cleanup(func() {
				virsh(t, uri, "destroy", name)
				virsh(t, uri, "undefine", name)
			})
			start := time.Now()
			mustVirsh(t, uri, "start", name)
			if want := "type='" + map[bool]string{true: "kvm", false: "qemu"}[kvm] + "'"; !strings.Contains(mustVirsh(t, uri, "dumpxml", name), want) {
				t.Fatalf("running domain is not %s", want)
			}
			for _, step := range []struct{ cmd, state string }{
				{"suspend", "paused"}, {"resume", "running"},
			} {
				mustVirsh(t, uri, step.cmd, name)
				if got := strings.TrimSpace(mustVirsh(t, uri, "domstate", name)); got != step.state {
					t.Fatalf("after %s: state %q, want %q", step.cmd, got, step.state)
				}
			}
			mustVirsh(t, uri, "destroy", name)
			mustVirsh(t, uri, "undefine", name)
			t.Logf("define..undefine took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}
