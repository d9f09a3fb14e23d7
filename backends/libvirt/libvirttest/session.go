// Package libvirttest starts and stops real libvirt daemons for tests of
// other packages. It shells out to the libvirt binaries and uses no cgo.
package libvirttest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	daemonUser  = "nobody"
	stopTimeout = 10 * time.Second
	readyWait   = 30 * time.Second
)

// Daemon is a private, unprivileged session libvirtd serving the test driver.
type Daemon struct {
	t        testing.TB
	base     string // HOME of the daemon, under /tmp to keep socket paths short
	sock     string
	uid, gid uint32

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// SessionDaemon starts a session libvirtd as user nobody in a fresh
// directory and stops it when the test ends. Connect to it with URI.
// Session mode avoids clashing with any system libvirtd; root clients may
// still connect because libvirtd lets uid 0 in.
func SessionDaemon(t testing.TB) *Daemon {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("libvirttest: session daemon needs root to setuid to " + daemonUser)
	}
	bin, err := exec.LookPath("libvirtd")
	if err != nil {
		t.Skip("libvirttest: libvirtd not installed")
	}
	u, err := user.Lookup(daemonUser)
	if err != nil {
		t.Skipf("libvirttest: no %q user: %v", daemonUser, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)

	// Not t.TempDir: its parents are 0700 root and often too long for
	// sun_path (108 bytes); /tmp is short and world-traversable.
	base, err := os.MkdirTemp("/tmp", "libvirttest-")
	if err != nil {
		t.Fatalf("libvirttest: %v", err)
	}
	d := &Daemon{t: t, base: base, uid: uint32(uid), gid: uint32(gid),
		sock: filepath.Join(base, "run", "libvirt", "libvirt-sock")}
	t.Cleanup(func() {
		d.Stop()
		os.RemoveAll(base)
	})
	for _, dir := range []string{base, d.Dir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("libvirttest: %v", err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatalf("libvirttest: %v", err)
		}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			t.Fatalf("libvirttest: %v", err)
		}
	}
	start := time.Now()
	d.start(bin)
	t.Logf("libvirttest: session libvirtd up on %s in %v", d.sock, time.Since(start).Round(time.Millisecond))
	return d
}

// Dir is a directory the daemon user can read, for test driver XML files.
// Files written there must be world-readable (0644), not 0600.
func (d *Daemon) Dir() string { return filepath.Join(d.base, "files") }

// Socket is the path of the daemon's read-write unix socket.
func (d *Daemon) Socket() string { return d.sock }

// URI returns the test driver URI for an absolute XML path served through
// this daemon, or for the built-in /default node when path is "".
func (d *Daemon) URI(path string) string {
	if path == "" {
		path = "/default"
	}
	return "test+unix://" + path + "?socket=" + d.sock
}

func (d *Daemon) start(bin string) {
	d.t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.base, "libvirtd.log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatalf("libvirttest: %v", err)
	}
	defer logf.Close()
	// No --timeout: without it libvirtd never shuts itself down when idle.
	cmd := exec.Command(bin)
	cmd.Dir = d.base
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + d.base,
		"XDG_RUNTIME_DIR=" + filepath.Join(d.base, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(d.base, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(d.base, "cache"),
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: d.uid, Gid: d.gid},
		Setpgid:    true,
		// Kills the daemon if the test binary dies without cleanups
		// (e.g. go test -timeout).
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("libvirttest: start libvirtd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()

	deadline := time.Now().Add(readyWait)
	for {
		err := ping(d.sock, 2*time.Second)
		if err == nil {
			return
		}
		select {
		case <-done:
			d.t.Fatalf("libvirttest: libvirtd exited early: %s\n%s", cmd.ProcessState, d.logTail())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("libvirttest: libvirtd not answering on %s: %v\n%s", d.sock, err, d.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop terminates the daemon (SIGTERM, then SIGKILL after a timeout) and
// returns once the socket is gone, so clients see it down. Idempotent.
func (d *Daemon) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(stopTimeout):
		d.t.Logf("libvirttest: libvirtd ignored SIGTERM for %v, killing it", stopTimeout)
		d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd = nil
	// libvirtd unlinks it on a clean exit; a killed one leaves it behind.
	if err := os.Remove(d.sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.t.Errorf("libvirttest: %v", err)
	}
}

// Restart stops the daemon and starts it again on the same socket path,
// returning once it answers.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	bin, err := exec.LookPath("libvirtd")
	if err != nil {
		d.t.Fatalf("libvirttest: %v", err)
	}
	d.start(bin)
}

func (d *Daemon) logTail() string {
	b, _ := os.ReadFile(filepath.Join(d.base, "libvirtd.log"))
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return fmt.Sprintf("--- libvirtd.log ---\n%s", b)
}
