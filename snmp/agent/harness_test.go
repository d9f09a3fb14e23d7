package agent

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// The test MIB, VIRTBRIDGE-TEST-MIB in testdata, lives under IANA's
// example enterprise (RFC 5612).
const (
	testRoot    = ".1.3.6.1.4.1.32473.2"
	oidDescr    = testRoot + ".1.1.0"
	oidCount    = testRoot + ".1.2.0"
	oidBig      = testRoot + ".1.3.0"
	oidAddr     = testRoot + ".1.4.0"
	oidTicks    = testRoot + ".1.5.0"
	oidGauge    = testRoot + ".1.6.0"
	oidSecret   = testRoot + ".1.7.0"
	oidTable    = testRoot + ".2"
	oidEntry    = testRoot + ".2.1"
	oidStrTable = testRoot + ".3"

	oidInPkts           = ".1.3.6.1.2.1.11.1.0"
	oidInBadCommunities = ".1.3.6.1.2.1.11.4.0"
	oidInBadUses        = ".1.3.6.1.2.1.11.5.0"
	oidInASNParseErrs   = ".1.3.6.1.2.1.11.6.0"
	oidEnableAuthTraps  = ".1.3.6.1.2.1.11.30.0"
	oidEngineID         = ".1.3.6.1.6.3.10.2.1.1.0"
	oidEngineBoots      = ".1.3.6.1.6.3.10.2.1.2.0"
	oidEngineMaxSize    = ".1.3.6.1.6.3.10.2.1.4.0"
	oidUsmNotInTime     = ".1.3.6.1.6.3.15.1.1.2.0"
	oidUsmUnknownUsers  = ".1.3.6.1.6.3.15.1.1.3.0"
	oidUsmUnknownEngine = ".1.3.6.1.6.3.15.1.1.4.0"
	oidUsmWrongDigests  = ".1.3.6.1.6.3.15.1.1.5.0"
	oidUsmDecryptErrs   = ".1.3.6.1.6.3.15.1.1.6.0"
	oidUnknownContexts  = ".1.3.6.1.6.3.12.1.5.0"

	tableRows = 1000
)

// strKeys index the string-indexed table. By OID (length first) they sort
// Z, a, b, zz, beta, alpha.
var strKeys = []string{"alpha", "b", "beta", "zz", "a", "Z"}

type testRow struct {
	index int
	name  string
	state int
}

// testMIB is scalars, a 1,000-row integer-indexed table with a writable
// column, and a string-indexed table. It records every Commit.
type testMIB struct {
	mu      sync.Mutex
	count   int
	commits []string
	tree    *mib.Tree
}

func newTestMIB(t testing.TB) *testMIB {
	tm := &testMIB{count: 42}
	root := mib.MustParse(testRoot)
	sc := root.Append(1)
	scalars := mib.NewScalars(sc,
		mib.Scalar{OID: sc.Append(1), Type: gosnmp.OctetString, Get: func() any { return "virtbridge test agent" }},
		mib.Scalar{OID: sc.Append(2), Type: gosnmp.Integer,
			Get: func() any { tm.mu.Lock(); defer tm.mu.Unlock(); return tm.count },
			Test: func(vb mib.Varbind) gosnmp.SNMPError {
				if v := vb.Value.(int); v < 0 || v > 1000 {
					return gosnmp.WrongValue
				}
				return gosnmp.NoError
			},
			Commit: func(_ context.Context, vb mib.Varbind) error {
				tm.mu.Lock()
				defer tm.mu.Unlock()
				tm.count = vb.Value.(int)
				tm.commits = append(tm.commits, fmt.Sprintf("count=%d", tm.count))
				return nil
			}},
		mib.Scalar{OID: sc.Append(3), Type: gosnmp.Counter64, Get: func() any { return uint64(1)<<40 + 5 }},
		mib.Scalar{OID: sc.Append(4), Type: gosnmp.IPAddress, Get: func() any { return "192.0.2.1" }},
		mib.Scalar{OID: sc.Append(5), Type: gosnmp.TimeTicks, Get: func() any { return uint32(123456) }},
		mib.Scalar{OID: sc.Append(6), Type: gosnmp.Gauge32, Get: func() any { return uint32(4000000000) }},
		mib.Scalar{OID: sc.Append(7), Type: gosnmp.Integer, Get: func() any { return 7 }},
	)
	rows := make([]*testRow, tableRows)
	for i := range rows {
		rows[i] = &testRow{index: i + 1, name: fmt.Sprintf("vm-%04d", i+1), state: 1 + (i+1)%3}
	}
	table := mib.NewTable(root.Append(2, 1), []mib.Column[*testRow]{
		{ID: 1, Type: gosnmp.Integer},
		{ID: 2, Type: gosnmp.OctetString, Get: func(r *testRow) any { return r.name }},
		{ID: 3, Type: gosnmp.Integer,
			Get: func(r *testRow) any { tm.mu.Lock(); defer tm.mu.Unlock(); return r.state },
			Test: func(_ *testRow, vb mib.Varbind) gosnmp.SNMPError {
				if v := vb.Value.(int); v < 1 || v > 3 {
					return gosnmp.WrongValue
				}
				return gosnmp.NoError
			},
			Commit: func(_ context.Context, r *testRow, vb mib.Varbind) error {
				tm.mu.Lock()
				defer tm.mu.Unlock()
				r.state = vb.Value.(int)
				tm.commits = append(tm.commits, fmt.Sprintf("state.%d=%d", r.index, r.state))
				return nil
			}},
		{ID: 4, Type: gosnmp.Counter32, Get: func(r *testRow) any { return uint32(r.index * 10) }},
	}, rows, func(r *testRow) mib.OID { return mib.OID{uint32(r.index)} })
	strTable := mib.NewTable(root.Append(3, 1), []mib.Column[string]{
		{ID: 1, Type: gosnmp.OctetString},
		{ID: 2, Type: gosnmp.OctetString, Get: func(k string) any { return strings.ToUpper(k) }},
		{ID: 3, Type: gosnmp.Integer, Get: func(k string) any { return len(k) }},
	}, strKeys, mib.IndexString)
	tree, err := mib.NewTree(scalars, table, strTable)
	if err != nil {
		t.Fatal(err)
	}
	tm.tree = tree
	return tm
}

func (tm *testMIB) commitLog() []string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return append([]string(nil), tm.commits...)
}

// Passphrases are the user's name twice, long enough for USM's minimum.
func pass(name string) string { return name + "-" + name + "-secret" }

// testUsers covers every protocol combination the tests use.
func testUsers() []User {
	u := func(name, auth, priv string) User {
		x := User{Name: name, AuthProto: auth, PrivProto: priv, ReadView: "all"}
		if auth != "" {
			x.AuthPass = pass(name)
		}
		if priv != "" {
			x.PrivPass = pass(name) + "-priv"
		}
		return x
	}
	users := []User{
		u("noauth", "", ""),
		u("md5", "MD5", ""),
		u("sha", "SHA", ""),
		u("sha224", "SHA224", ""),
		u("sha256", "SHA256", ""),
		u("sha384", "SHA384", ""),
		u("sha512", "SHA512", ""),
		u("md5des", "MD5", "DES"),
		u("shades", "SHA", "DES"),
		u("shaaes", "SHA", "AES"),
		u("sha256aes", "SHA256", "AES"),
		u("shaaes192", "SHA", "AES192"),
		u("shaaes256", "SHA", "AES256"),
		u("md5aes256", "MD5", "AES256"),
		u("sha512aes256", "SHA512", "AES256"),
		u("sha384aes192", "SHA384", "AES192"),
		u("writer", "SHA256", "AES"),
	}
	users[len(users)-1].WriteView = "all"
	return users
}

func testConfig(t testing.TB) Config {
	return Config{
		Listen:   []string{"127.0.0.1:0", "[::1]:0"},
		StateDir: t.TempDir(),
		Communities: []Community{
			{Name: "public", Access: ReadOnly, ReadView: "all"},
			{Name: "private", Access: ReadWrite, ReadView: "all", WriteView: "all"},
			{Name: "restricted", Access: ReadOnly, ReadView: "restricted"},
		},
		Users: testUsers(),
		Views: map[string]View{
			"all": {Included: []mib.OID{{1, 3, 6, 1}}},
			// The test MIB without vbTestSecret and the vbTestName
			// column, and the snmp group.
			"restricted": {
				Included: []mib.OID{mib.MustParse(testRoot), {1, 3, 6, 1, 2, 1, 11}},
				Excluded: []mib.OID{mib.MustParse(testRoot + ".1.7"), mib.MustParse(oidEntry + ".2")},
			},
		},
	}
}

// testAgent is a running agent and what it serves.
type testAgent struct {
	*Agent
	mib        *testMIB
	ip4, ip6   string // "udp:127.0.0.1:port", "udp6:[::1]:port"
	engineHex  string
	cancel     func()
	done       chan error
	stopOnce   sync.Once
	stopResult error
}

func startAgent(t testing.TB, cfg Config) *testAgent {
	t.Helper()
	tm := newTestMIB(t)
	a, err := New(cfg, func() *mib.Tree { return tm.tree })
	if err != nil {
		t.Fatal(err)
	}
	ta := &testAgent{Agent: a, mib: tm, done: make(chan error, 1)}
	for _, ad := range a.Addrs() {
		ua := ad.(*net.UDPAddr)
		if ua.IP.To4() != nil {
			ta.ip4 = fmt.Sprintf("udp:127.0.0.1:%d", ua.Port)
		} else {
			ta.ip6 = fmt.Sprintf("udp6:[::1]:%d", ua.Port)
		}
	}
	id, _, _ := a.Engine()
	ta.engineHex = fmt.Sprintf("%x", id)
	ctx, cancel := context.WithCancel(context.Background())
	ta.cancel = cancel
	go func() { ta.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		if err := ta.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return ta
}

func (ta *testAgent) stop() error {
	ta.stopOnce.Do(func() {
		ta.cancel()
		ta.stopResult = <-ta.done
	})
	return ta.stopResult
}

// netSNMP runs net-snmp's command-line tools with a configuration of
// their own: no MIBs unless asked for, nothing from ~/.snmp.
type netSNMP struct {
	t   testing.TB
	env []string
}

func newNetSNMP(t testing.TB) *netSNMP {
	t.Helper()
	if _, err := exec.LookPath("snmpget"); err != nil {
		t.Skip("net-snmp's tools are not installed (Debian: apt-get install snmp)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "snmp.conf"), []byte("mibs :\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "cert_indexes"), 0o700); err != nil {
		t.Fatal(err) // else the tools say they made it, on stderr
	}
	return &netSNMP{t: t, env: append(os.Environ(),
		"SNMPCONFPATH="+dir, "SNMP_PERSISTENT_DIR="+dir, "HOME="+dir, "MIBS=", "MIBDIRS=")}
}

// run returns the tool's output; err carries stderr.
func (n *netSNMP) run(tool string, args ...string) (string, error) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if tool != "snmptable" { // which needs names
		args = append([]string{"-On", "-Oe"}, args...)
	}
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = n.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s%s", tool, strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

func (n *netSNMP) mustRun(tool string, args ...string) string {
	n.t.Helper()
	out, err := n.run(tool, args...)
	if err != nil {
		n.t.Fatal(err)
	}
	return out
}

// varbinds parses "OID = TYPE: value" lines, keeping their order.
func varbinds(t testing.TB, out string) (oids []string, values map[string]string) {
	t.Helper()
	values = map[string]string{}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if line == "" || line == "End of MIB" { // snmpwalk -v1's last line at the end
			continue
		}
		oid, val, ok := strings.Cut(line, " = ")
		if !ok {
			t.Fatalf("unexpected output line %q", line)
		}
		oids = append(oids, oid)
		values[oid] = val
	}
	return oids, values
}

// walked is varbinds without the endOfMibView net-snmp prints when a walk
// reaches the end of the MIB inside the subtree it walks: the last line,
// naming the last OID walked.
func walked(t testing.TB, out string) ([]string, map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if n := len(lines); n > 1 && strings.Contains(lines[n-1], " = No more variables left") {
		last, _, _ := strings.Cut(lines[n-1], " = ")
		if prev, _, _ := strings.Cut(lines[n-2], " = "); prev != last {
			t.Fatalf("endOfMibView for %s after %s", last, prev)
		}
		out = strings.Join(lines[:n-1], "\n")
	}
	return varbinds(t, out)
}

// v3Args are the security options for one of testUsers.
func v3Args(u User) []string {
	args := []string{"-v3", "-u", u.Name}
	netsnmp := func(p string) string {
		return strings.NewReplacer("SHA224", "SHA-224", "SHA256", "SHA-256", "SHA384", "SHA-384", "SHA512", "SHA-512",
			"AES192", "AES-192", "AES256", "AES-256").Replace(p)
	}
	switch {
	case u.PrivProto != "":
		args = append(args, "-l", "authPriv", "-a", netsnmp(u.AuthProto), "-A", u.AuthPass, "-x", netsnmp(u.PrivProto), "-X", u.PrivPass)
	case u.AuthProto != "":
		args = append(args, "-l", "authNoPriv", "-a", netsnmp(u.AuthProto), "-A", u.AuthPass)
	default:
		args = append(args, "-l", "noAuthNoPriv")
	}
	return args
}

func userNamed(t testing.TB, name string) User {
	for _, u := range testUsers() {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no user %q", name)
	return User{}
}

// get reads one counter or scalar through the "public" community.
func (n *netSNMP) get(ta *testAgent, oid string) string {
	n.t.Helper()
	_, vals := varbinds(n.t, n.mustRun("snmpget", "-v2c", "-c", "public", ta.ip4, oid))
	return vals[oid]
}
