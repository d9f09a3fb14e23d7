package conformance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/server"
	ref "github.com/virtbridge/virtbridge/internal/reference"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

// toolTimeout bounds one run of a client tool (virsh, wbemcli), so a hung
// agent or daemon fails the test instead of the run.
const toolTimeout = 2 * time.Minute

// bin is the virtbridge binary built for this run.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vbconf")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "virtbridge")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/virtbridge").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building virtbridge: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// The test users, hashed once: bcrypt at its cost takes seconds under
	// the race detector, and every agent gets a copy.
	for _, u := range [][3]string{{cimOperator, "operator", cimOperatorPass}, {cimViewer, "read-only", cimViewerPass}} {
		if err := server.WriteUser(usersTemplate(), u[0], u[1], u[2]); err != nil {
			fmt.Fprintf(os.Stderr, "writing the CIM users: %v\n", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// usersTemplate is the CIM users file TestMain writes beside the binary.
func usersTemplate() string { return filepath.Join(filepath.Dir(bin), "cim-users") }

// reference finds the shared reference data holding sub (the standard
// MIBs Debian does not ship).
func reference(t testing.TB, sub string) string {
	t.Helper()
	return filepath.Join(ref.Dir(t, sub), sub)
}

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				t.Skipf("%s not installed (apt-get install snmp snmptrapd libvirt-clients)", tool)
			}
		}
	}
}

// agent is a running `virtbridge serve`.
type agent struct {
	addr4, addr6 string // host:port of the SNMP agent
	cimHTTP      string // host:port of CIM-XML over HTTP
	cimHTTPS     string // and over HTTPS
	wsmanHTTP    string // host:port of WS-Management over HTTP
	wsmanHTTPS   string // and over HTTPS
	uri          string // the test bed's libvirt URI
	plan         []testbed.Domain
	mibs         string // -M argument for net-snmp
	stderr       *syncbuf.Buffer
	dir          string // config and state
	kill         func() // SIGKILL, as a crash would
}

// Test users and communities the agent is started with.
const (
	roCommunity = "public"
	rwCommunity = "private"
	v3User      = "admin"
	v3Auth      = "authpass-sha256"
	v3Priv      = "privpass-aes128"
)

// CIM users the agent is started with.
const (
	cimOperator     = "operator"
	cimOperatorPass = "operator-pass-1"
	cimViewer       = "viewer"
	cimViewerPass   = "viewer-pass-1"
)

var (
	listening    = regexp.MustCompile(`msg="snmp agent listening" addrs=(\S+)`)
	cimListening = regexp.MustCompile(`msg="cim server listening" component=(\S+) http=\[([^\]]*)\] https=\[([^\]]*)\]`)
)

// startAgent serves an n-domain test bed; extra is appended to the
// config's snmp: section (indented by two spaces).
func startAgent(t *testing.T, n int, extra string) *agent {
	t.Helper()
	return startAgentOn(t, testbed.Options{Domains: n, Seed: 5}, extra)
}

// startAgentOn serves a test bed made with opts.
func startAgentOn(t *testing.T, opts testbed.Options, extra string) *agent {
	t.Helper()
	need(t, "snmpget", "virsh")
	dir := t.TempDir()
	bed := filepath.Join(dir, "node.xml")
	plan, err := testbed.WriteFile(bed, opts)
	if err != nil {
		t.Fatal(err)
	}
	return runAgent(t, dir, "test://"+bed, plan, extra)
}

// runAgent serves the hypervisor at uri (plan: what a test bed holds, nil
// for a real hypervisor), with its config and state in dir.
func runAgent(t *testing.T, dir, uri string, plan []testbed.Domain, extra string) *agent {
	t.Helper()
	users := filepath.Join(dir, "cim-users")
	b, err := os.ReadFile(usersTemplate())
	if err == nil {
		err = os.WriteFile(users, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`connect: %q
log: {level: info}
cim:
  http: ["127.0.0.1:0"]
  https: ["127.0.0.1:0"]
  users_file: %q
  state_dir: %q
wsman:
  http: ["127.0.0.1:0"]
  https: ["127.0.0.1:0"]
snmp:
  listen: ["127.0.0.1:0", "[::1]:0"]
  state_dir: %q
  communities:
    - {name: %s, access: read-only, read_view: all}
    - {name: %s, access: read-write, read_view: all, write_view: control}
  users:
    - {name: %s, auth_protocol: SHA-256, auth_password: %s, priv_protocol: AES, priv_password: %s, read_view: all, write_view: control}
  views:
    all: {included: ["1.3.6.1"]}
    control: {included: ["1.3.6.1.4.1.32473.1.2", "1.3.6.1.2.1.236.1.9", "1.3.6.1.2.1.236.1.10"]}
%s`, uri, users, filepath.Join(dir, "state"), filepath.Join(dir, "state"), roCommunity, rwCommunity, v3User, v3Auth, v3Priv, extra)
	cfgPath := filepath.Join(dir, "virtbridge.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfgPath)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	// If the test binary dies before its cleanups run, the agent goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	pr, pw := io.Pipe()
	buf := &syncbuf.Buffer{}
	cmd.Stderr = io.MultiWriter(pw, buf)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var killed atomic.Bool
	t.Cleanup(func() {
		cancel()
		if err := cmd.Wait(); err != nil && cmd.ProcessState.ExitCode() != 0 && !killed.Load() {
			t.Errorf("virtbridge serve: %v\n%s", err, buf.String())
		}
	})
	found := make(chan [5]string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		var snmpAddrs string
		servers := map[string][]string{}
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				snmpAddrs = m[1]
			}
			if m := cimListening.FindStringSubmatch(sc.Text()); m != nil {
				servers[m[1]] = m[2:]
			}
			c, w := servers["cim-server"], servers["wsman-server"]
			if snmpAddrs != "" && c != nil && w != nil {
				found <- [5]string{snmpAddrs, c[0], c[1], w[0], w[1]}
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case got := <-found:
		a := &agent{uri: uri, plan: plan, stderr: buf, dir: dir, cimHTTP: got[1], cimHTTPS: got[2],
			kill:      func() { killed.Store(true); _ = cmd.Process.Kill() },
			wsmanHTTP: got[3], wsmanHTTPS: got[4], mibs: reference(t, "snmp") + ":" + mibsDir()}
		for _, x := range strings.Split(got[0], ",") {
			if strings.HasPrefix(x, "[") {
				a.addr6 = x
			} else {
				a.addr4 = x
			}
		}
		return a
	case <-time.After(60 * time.Second):
		t.Fatalf("virtbridge did not start serving SNMP, CIM-XML and WS-Man:\n%s", buf.String())
	}
	return nil
}

func mibsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(filepath.Dir(file)), "mibs")
}

// snmp runs a net-snmp command with the reference and project MIBs loaded
// and returns its standard output; a failure fails the test.
func (a *agent) snmp(t testing.TB, tool string, args ...string) string {
	t.Helper()
	out, err := a.try(tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out
}

func (a *agent) try(tool string, args ...string) (string, error) {
	return a.tryWith("SNMPv2-MIB:IF-MIB:VM-MIB:VIRTBRIDGE-MIB", tool, args...)
}

// tryWith loads only the modules named (":"-separated).
func (a *agent) tryWith(modules, tool string, args ...string) (string, error) {
	all := append([]string{"-M", a.mibs, "-m", modules, "-t", "5", "-r", "1"}, args...)
	cmd := exec.Command(tool, all...)
	cmd.Env = append(os.Environ(), "SNMPCONFPATH=/nonexistent", "SNMP_PERSISTENT_DIR="+os.TempDir()+"/vbconf-snmp")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// v2c and v3 are the common leading arguments.
func (a *agent) v2c(community string) []string { return []string{"-v2c", "-c", community, a.addr4} }

func (a *agent) v3() []string {
	return []string{"-v3", "-l", "authPriv", "-u", v3User, "-a", "SHA-256", "-A", v3Auth, "-x", "AES", "-X", v3Priv, a.addr4}
}
