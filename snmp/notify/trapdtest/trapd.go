// Package trapdtest runs net-snmp's snmptrapd for tests and parses what
// it receives.
package trapdtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hexLine is a continuation line of a wrapped Hex-STRING.
var hexLine = regexp.MustCompile(`^([0-9A-F]{2} )*[0-9A-F]{2} ?$`)

// Guard only stops a broken test from hanging; nothing asserts on time.
const Guard = 60 * time.Second

// Trapd is a net-snmp snmptrapd on a loopback port, whose stdout is parsed
// into one record per notification received.
type Trapd struct {
	Addr string // host:port to send to
	dir  string // persistent dir, kept across restarts
	conf string
	host string
	port int
	cmd  *exec.Cmd
	done chan struct{}

	mu      sync.Mutex
	records []Record
	changed chan struct{} // closed and replaced whenever records grows
	output  strings.Builder
}

// Record is one notification as snmptrapd printed it.
type Record struct {
	Kind     string // TRAP2 or INFORM
	Security string // e.g. "SNMP v2c, community public" or "SNMP v3, user u, context "
	Varbinds []PrintedVarbind
}

type PrintedVarbind struct {
	OID   string // numeric, no leading dot
	Value string // as printed, e.g. `STRING: "x"`, `Gauge32: 7`, or a bare number for TimeTicks (-Ot)
}

// Value returns the printed value of oid, and whether it is there.
func (r Record) Value(oid string) (string, bool) {
	for _, vb := range r.Varbinds {
		if vb.OID == oid {
			return vb.Value, true
		}
	}
	return "", false
}

// Start runs snmptrapd with conf (snmptrapd.conf lines) on an
// ephemeral port of host ("127.0.0.1" or "::1"), and stops it at the end
// of the test.
func Start(t *testing.T, host, conf string) *Trapd {
	t.Helper()
	return StartOn(t, host, 0, conf)
}

// StartOn is Start on a given port (0: any free one), for a sender that
// must be configured before the receiver can be started.
func StartOn(t *testing.T, host string, port int, conf string) *Trapd {
	t.Helper()
	if _, err := exec.LookPath("snmptrapd"); err != nil {
		if _, err := os.Stat("/usr/sbin/snmptrapd"); err != nil {
			t.Skip("snmptrapd not installed (apt-get install snmptrapd)")
		}
	}
	dir := t.TempDir()
	// Not in the persistent directory: snmptrapd rewrites its own
	// snmptrapd.conf there.
	td := &Trapd{dir: filepath.Join(dir, "persist"), conf: filepath.Join(dir, "trapd.conf"), host: host, changed: make(chan struct{})}
	if err := os.WriteFile(td.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if port != 0 {
		td.port = port
		if err := td.start(t); err != nil {
			t.Fatalf("starting snmptrapd on port %d: %v", port, err)
		}
		t.Cleanup(func() { td.stop(t) })
		return td
	}
	// The port is free when probed; if snmptrapd loses it to someone else
	// in between, try another.
	var err error
	for range 5 {
		td.port = FreeUDPPort(t, host)
		if err = td.start(t); err == nil {
			t.Cleanup(func() { td.stop(t) })
			return td
		}
	}
	t.Fatalf("starting snmptrapd: %v", err)
	return nil
}

func FreeUDPPort(t *testing.T, host string) int {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (td *Trapd) start(t *testing.T) error {
	t.Helper()
	bin := "snmptrapd"
	if _, err := exec.LookPath(bin); err != nil {
		bin = "/usr/sbin/snmptrapd"
	}
	listen := fmt.Sprintf("udp:%s:%d", td.host, td.port)
	if strings.Contains(td.host, ":") {
		listen = fmt.Sprintf("udp6:[%s]:%d", td.host, td.port)
	}
	td.Addr = net.JoinHostPort(td.host, fmt.Sprint(td.port))
	cmd := exec.Command(bin, "-f", "-Lo", "-C", "-c", td.conf,
		"-M", filepath.Dir(td.conf), "-m", "", // no MIBs: numeric OIDs only
		"-On", "-Ot", "-Oe", // numeric OIDs, raw timeticks, numeric enums
		"-F", `NOTIFY %P\t%V\t%v\n`,
		listen)
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+td.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	// If the test binary dies without cleaning up, snmptrapd goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	td.cmd = cmd
	td.done = make(chan struct{})
	ready := make(chan struct{})
	go td.read(out, ready)
	select {
	case <-ready:
		return nil
	case <-td.done:
		return fmt.Errorf("snmptrapd exited: %s", td.Output())
	case <-time.After(Guard):
		td.stop(t)
		return fmt.Errorf("snmptrapd did not start: %s", td.Output())
	}
}

// read parses snmptrapd's output until it exits. It prints its version
// once its transports are open: that is when it is ready.
func (td *Trapd) read(out interface{ Read([]byte) (int, error) }, ready chan struct{}) {
	defer func() {
		td.cmd.Wait()
		close(td.done)
	}()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	isReady := false
	for sc.Scan() {
		line := sc.Text()
		td.mu.Lock()
		if !strings.HasPrefix(line, "NOTIFY ") {
			td.output.WriteString(line + "\n")
			// net-snmp wraps long Hex-STRINGs at 16 octets: the rest of
			// the last record's last value.
			if n := len(td.records); n > 0 && hexLine.MatchString(line) {
				rec := td.records[n-1]
				if k := len(rec.Varbinds); k > 0 && strings.HasPrefix(rec.Varbinds[k-1].Value, "Hex-STRING:") {
					// Copy on write: callers may hold the earlier record.
					rec.Varbinds = slices.Clone(rec.Varbinds)
					rec.Varbinds[k-1].Value = strings.TrimSpace(rec.Varbinds[k-1].Value) + " " + strings.TrimSpace(line)
					td.records[n-1] = rec
					close(td.changed)
					td.changed = make(chan struct{})
				}
			}
		}
		td.mu.Unlock()
		if !isReady && strings.Contains(line, "NET-SNMP version") {
			isReady = true
			close(ready)
		}
		if rec, ok := parseRecord(line); ok {
			td.mu.Lock()
			td.records = append(td.records, rec)
			close(td.changed)
			td.changed = make(chan struct{})
			td.mu.Unlock()
		}
	}
}

// parseRecord reads a line printed with -F 'NOTIFY %P\t%V\t%v\n'.
func parseRecord(line string) (Record, bool) {
	rest, ok := strings.CutPrefix(line, "NOTIFY ")
	if !ok {
		return Record{}, false
	}
	fields := strings.Split(rest, "\t")
	var r Record
	// %P is "TRAP2, SNMP v2c, community public" or "INFORM, SNMP v3, user u, context ".
	kind, sec, _ := strings.Cut(fields[0], ", ")
	r.Kind, r.Security = kind, sec
	for _, f := range fields[1:] {
		oid, val, ok := strings.Cut(f, " = ")
		if !ok {
			continue
		}
		r.Varbinds = append(r.Varbinds, PrintedVarbind{OID: strings.TrimPrefix(oid, "."), Value: val})
	}
	return r, true
}

// Output is what snmptrapd printed other than notifications.
func (td *Trapd) Output() string {
	td.mu.Lock()
	defer td.mu.Unlock()
	return td.output.String()
}

// Records returns the notifications received so far.
func (td *Trapd) Records() []Record {
	td.mu.Lock()
	defer td.mu.Unlock()
	return append([]Record(nil), td.records...)
}

// WaitFor waits until done(records) holds, failing the test after Guard.
func (td *Trapd) WaitFor(t *testing.T, what string, done func([]Record) bool) []Record {
	t.Helper()
	deadline := time.After(Guard)
	for {
		td.mu.Lock()
		recs := append([]Record(nil), td.records...)
		ch := td.changed
		td.mu.Unlock()
		if done(recs) {
			return recs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("snmptrapd: still waiting for %s; got %d notifications; output:\n%s", what, len(recs), td.Output())
		}
	}
}

// Restart stops snmptrapd and starts it again on the same port with the
// same persistent directory: its engine ID stays, its boots count grows.
func (td *Trapd) Restart(t *testing.T) {
	t.Helper()
	td.stop(t)
	if err := td.start(t); err != nil {
		t.Fatalf("restarting snmptrapd: %v", err)
	}
}

func (td *Trapd) stop(t *testing.T) {
	t.Helper()
	if td.cmd == nil || td.cmd.Process == nil {
		return
	}
	select {
	case <-td.done:
		return
	default:
	}
	td.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-td.done:
	case <-time.After(Guard):
		td.cmd.Process.Kill()
		<-td.done
	}
}
