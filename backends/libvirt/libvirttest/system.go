package libvirttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	systemURI    = "qemu:///system"
	systemSock   = "/run/libvirt/libvirt-sock"
	connectWait  = 60 * time.Second // the first connect probes QEMU (~8-12 s)
	daemonStop   = 15 * time.Second
	stateDir     = "/run/virtbridge-libvirttest"
	startLock    = stateDir + "/start.lock" // held while checking/starting/stopping
	usersLock    = stateDir + "/users.lock" // shared-locked by every user
	ownedDaemons = stateDir + "/owned"      // "name pid" lines of daemons we started
)

// KVMAvailable reports whether /dev/kvm exists and this process can open it.
func KVMAvailable() (bool, string) {
	fi, err := os.Stat("/dev/kvm")
	if err != nil {
		return false, "no /dev/kvm"
	}
	if fi.Mode()&os.ModeCharDevice == 0 {
		return false, "/dev/kvm is not a character device"
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Sprintf("cannot open /dev/kvm: %v", err)
	}
	f.Close()
	return true, ""
}

// SystemQEMU makes qemu:///system usable for a KVM test and returns its
// URI, or skips the test. A libvirtd already answering is used as is;
// otherwise virtlogd and libvirtd are started and stopped again once the
// last user (in any test process, via flock) is done, so concurrent
// `go test ./...` packages can share them.
func SystemQEMU(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("libvirttest: qemu:///system needs root")
	}
	if ok, why := KVMAvailable(); !ok {
		t.Skip("libvirttest: " + why)
	}
	for _, bin := range []string{"qemu-system-x86_64", "libvirtd", "virtlogd", "virsh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("libvirttest: %s not installed", bin)
		}
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Skipf("libvirttest: %v", err)
	}
	start, err := lockFile(startLock, syscall.LOCK_EX)
	if err != nil {
		t.Skipf("libvirttest: %v", err)
	}
	defer start.Close()
	users, err := lockFile(usersLock, syscall.LOCK_SH)
	if err != nil {
		t.Skipf("libvirttest: %v", err)
	}
	t.Cleanup(func() { releaseSystem(t, users) })

	fixKVMPerms(t) // before libvirtd probes QEMU, or KVM looks unusable
	began := time.Now()
	if ping(systemSock, 2*time.Second) != nil {
		if !alive(pidFromFile("/run/virtlogd.pid"), "virtlogd") {
			startSystemDaemon(t, "virtlogd")
		}
		startSystemDaemon(t, "libvirtd")
	}
	waitConnect(t)
	t.Logf("libvirttest: %s ready in %v", systemURI, time.Since(began).Round(time.Millisecond))
	return systemURI
}

// lockFile returns path opened and flock'ed; closing it unlocks.
func lockFile(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, nil
}

// fixKVMPerms lets the qemu user (in group kvm) open /dev/kvm, as udev
// would on a normal host.
func fixKVMPerms(t testing.TB) {
	g, err := user.LookupGroup("kvm")
	if err != nil {
		t.Logf("libvirttest: no kvm group, leaving /dev/kvm alone: %v", err)
		return
	}
	gid, _ := strconv.Atoi(g.Gid)
	fi, err := os.Stat("/dev/kvm")
	if err != nil {
		return
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Gid) == gid && fi.Mode().Perm()&0o060 == 0o060 {
		return
	}
	t.Logf("libvirttest: chgrp kvm /dev/kvm; chmod 0660 /dev/kvm (was %v)", fi.Mode().Perm())
	if err := os.Chown("/dev/kvm", 0, gid); err != nil {
		t.Logf("libvirttest: %v", err)
	}
	if err := os.Chmod("/dev/kvm", 0o660); err != nil {
		t.Logf("libvirttest: %v", err)
	}
}

func startSystemDaemon(t testing.TB, name string) {
	t.Helper()
	pidFile := "/run/" + name + ".pid"
	cmd := exec.Command(name, "-d")
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("libvirttest: %s -d: %v: %s", name, err, bytes.TrimSpace(out))
	}
	deadline := time.Now().Add(10 * time.Second)
	for !alive(pidFromFile(pidFile), name) {
		if time.Now().After(deadline) {
			t.Skipf("libvirttest: %s -d started but %s has no live pid", name, pidFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := pidFromFile(pidFile)
	f, err := os.OpenFile(ownedDaemons, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		fmt.Fprintf(f, "%s %d\n", name, pid)
		err = f.Close()
	}
	if err != nil {
		t.Errorf("libvirttest: recording %s pid: %v", name, err)
	}
	t.Logf("libvirttest: started %s (pid %d)", name, pid)
}

func waitConnect(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(connectWait)
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		out, err := exec.CommandContext(ctx, "virsh", "-c", systemURI, "version").CombinedOutput()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Skipf("libvirttest: cannot connect to %s within %v: %v: %s", systemURI, connectWait, err, oneLine(out))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// releaseSystem stops the daemons this package started, but only when no
// other user still holds the shared lock.
func releaseSystem(t testing.TB, users *os.File) {
	defer users.Close()
	start, err := lockFile(startLock, syscall.LOCK_EX)
	if err != nil {
		t.Errorf("libvirttest: not stopping daemons: %v", err)
		return
	}
	defer start.Close()
	if syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return // someone else is still using the daemons
	}
	b, err := os.ReadFile(ownedDaemons)
	if err != nil {
		return // nothing started by us
	}
	owned := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if name, pid, ok := strings.Cut(line, " "); ok {
			owned[name], _ = strconv.Atoi(pid)
		}
	}
	// libvirtd first: virtlogd must outlive the domains it logs for.
	for _, name := range []string{"libvirtd", "virtlogd"} {
		pid, ok := owned[name]
		if !ok || pid != pidFromFile("/run/"+name+".pid") || !alive(pid, name) {
			continue
		}
		if name == "libvirtd" {
			destroyLeftovers(t)
		}
		stopPid(t, name, pid)
	}
	os.Remove(ownedDaemons)
}

// destroyLeftovers kills domains still running on a libvirtd we are about
// to stop; libvirtd would otherwise leave their qemu processes behind.
func destroyLeftovers(t testing.TB) {
	out, err := exec.Command("virsh", "-c", systemURI, "list", "--name").Output()
	if err != nil {
		return
	}
	for _, name := range strings.Fields(string(out)) {
		t.Logf("libvirttest: destroying leftover domain %q", name)
		exec.Command("virsh", "-c", systemURI, "destroy", name).Run()
	}
}

func stopPid(t testing.TB, name string, pid int) {
	syscall.Kill(pid, syscall.SIGTERM)
	if waitGone(pid, name, daemonStop) {
		return
	}
	t.Logf("libvirttest: %s (pid %d) ignored SIGTERM for %v, killing it", name, pid, daemonStop)
	syscall.Kill(pid, syscall.SIGKILL)
	if !waitGone(pid, name, 5*time.Second) {
		t.Errorf("libvirttest: %s (pid %d) did not exit", name, pid)
	}
}

func waitGone(pid int, name string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pid, name) {
			return true
		}
	}
	return false
}

func pidFromFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// alive reports whether pid runs the named program. Zombies count as dead:
// daemonized processes are reaped by init, sometimes late.
func alive(pid int, name string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || len(s) < end+3 {
		return false
	}
	return s[open+1:end] == name && s[end+2] != 'Z'
}

func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}
