package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/snmp/mib"
)

// These tests drive the agent with net-snmp's command-line tools.

// scalarValues are the test MIB's scalars as net-snmp prints them.
var scalarValues = map[string]string{
	oidDescr: `STRING: "virtbridge test agent"`,
	oidCount: `INTEGER: 42`,
	oidBig:   `Counter64: 1099511627781`,
	oidAddr:  `IpAddress: 192.0.2.1`,
	oidTicks: `Timeticks: (123456) 0:20:34.56`,
	oidGauge: `Gauge32: 4000000000`,
}

func checkValues(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	for oid, w := range want {
		if got[oid] != w {
			t.Errorf("%s: %s = %q, want %q", what, oid, got[oid], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d varbinds, want %d: %v", what, len(got), len(want), got)
	}
}

func scalarOIDs() []string {
	return []string{oidDescr, oidCount, oidBig, oidAddr, oidTicks, oidGauge}
}

func TestGetV1V2c(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	for _, target := range []string{ta.ip4, ta.ip6} {
		_, got := varbinds(t, n.mustRun("snmpget", append([]string{"-v2c", "-c", "public", target}, scalarOIDs()...)...))
		checkValues(t, "v2c "+target, got, scalarValues)

		// SNMPv1 has no Counter64 (RFC 3584 §4.2.1).
		v1 := maps(scalarValues)
		delete(v1, oidBig)
		oids := slices.DeleteFunc(scalarOIDs(), func(o string) bool { return o == oidBig })
		_, got = varbinds(t, n.mustRun("snmpget", append([]string{"-v1", "-c", "public", target}, oids...)...))
		checkValues(t, "v1 "+target, got, v1)
		_, err := n.run("snmpget", "-v1", "-c", "public", target, oidDescr, oidBig)
		wantErr(t, err, "(noSuchName)", "Failed object: "+oidBig)
	}

	// Exceptions (RFC 3416 §4.2.1) and, in v1, noSuchName on the first.
	_, got := varbinds(t, n.mustRun("snmpget", "-v2c", "-c", "public", ta.ip4,
		oidDescr+".1", testRoot+".1.9.0", oidEntry+".2.1001", oidEntry+".1.1", ".1.3.6.1.4.1.32473.2"))
	checkValues(t, "exceptions", got, map[string]string{
		oidDescr + ".1":        "No Such Instance currently exists at this OID",
		testRoot + ".1.9.0":    "No Such Object available on this agent at this OID",
		oidEntry + ".2.1001":   "No Such Instance currently exists at this OID",
		oidEntry + ".1.1":      "No Such Object available on this agent at this OID", // not-accessible index
		".1.3.6.1.4.1.32473.2": "No Such Object available on this agent at this OID",
	})
	_, err := n.run("snmpget", "-v1", "-c", "public", ta.ip4, oidDescr, oidEntry+".2.1001")
	wantErr(t, err, "(noSuchName)", "Failed object: "+oidEntry+".2.1001")

	// The restricted view hides vbTestSecret: noSuchObject, not its value.
	_, got = varbinds(t, n.mustRun("snmpget", "-v2c", "-c", "restricted", ta.ip4, oidSecret, oidDescr))
	checkValues(t, "restricted", got, map[string]string{
		oidSecret: "No Such Object available on this agent at this OID",
		oidDescr:  scalarValues[oidDescr],
	})

	// GETNEXT, both versions; v1 skips the Counter64.
	_, got = varbinds(t, n.mustRun("snmpgetnext", "-v2c", "-c", "public", ta.ip4, oidCount, oidEntry+".2.999", oidStrTable, ".1.3.6.1.2.1.11.32.0", ".1.4"))
	checkValues(t, "getnext", got, map[string]string{
		oidBig:                    scalarValues[oidBig],
		oidEntry + ".2.1000":      `STRING: "vm-1000"`,
		oidStrTable + ".1.2.1.90": `STRING: "Z"`,
		".1.4":                    "No more variables left in this MIB View (It is past the end of the MIB tree)",
		oidDescr:                  scalarValues[oidDescr], // after snmpProxyDrops, the enterprise tree
	})
	_, got = varbinds(t, n.mustRun("snmpgetnext", "-v1", "-c", "public", ta.ip4, oidCount))
	checkValues(t, "v1 getnext", got, map[string]string{oidAddr: scalarValues[oidAddr]})
	_, err = n.run("snmpgetnext", "-v1", "-c", "public", ta.ip4, oidDescr, ".1.4")
	wantErr(t, err, "(noSuchName)", "Failed object: .1.4")
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want one with %q", parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

// TestV3Protocols reads through every user, which covers every security
// level and every authentication and privacy protocol net-snmp has.
func TestV3Protocols(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	for _, u := range testUsers() {
		t.Run(u.Name, func(t *testing.T) {
			for _, target := range []string{ta.ip4, ta.ip6} {
				args := append(v3Args(u), target)
				_, got := varbinds(t, n.mustRun("snmpget", append(args, scalarOIDs()...)...))
				checkValues(t, target, got, scalarValues)
			}
			oids, got := varbinds(t, n.mustRun("snmpbulkwalk", append(v3Args(u), ta.ip4, oidStrTable)...))
			if want := strTableOIDs(); !slices.Equal(oids, want) {
				t.Errorf("bulkwalk: %v, want %v", oids, want)
			}
			if got[oidStrTable+".1.2.5.97.108.112.104.97"] != `STRING: "ALPHA"` {
				t.Errorf("bulkwalk: %v", got)
			}
		})
	}
}

// strTableOIDs is the string-indexed table in walk order.
func strTableOIDs() []string {
	keys := slices.Clone(strKeys)
	slices.SortFunc(keys, func(a, b string) int { return mib.IndexString(a).Compare(mib.IndexString(b)) })
	var out []string
	for _, col := range []int{2, 3} {
		for _, k := range keys {
			out = append(out, fmt.Sprintf("%s.1.%d.%s", oidStrTable, col, mib.IndexString(k)))
		}
	}
	return out
}

// increasing fails unless each OID is after the one before it.
func increasing(t *testing.T, what string, oids []string) {
	t.Helper()
	for i := 1; i < len(oids); i++ {
		if mib.MustParse(oids[i-1]).Compare(mib.MustParse(oids[i])) >= 0 {
			t.Fatalf("%s: %s after %s", what, oids[i], oids[i-1])
		}
	}
}

func TestWalks(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	sha := v3Args(userNamed(t, "sha512aes256"))
	// 6 scalars and the secret, 3 columns of 1,000 rows, 2 columns of 6.
	const all = 7 + 3*tableRows + 2*6
	cases := []struct {
		name string
		tool string
		args []string
		want int
	}{
		{"v1 walk", "snmpwalk", []string{"-v1", "-c", "public", ta.ip4}, all - 1}, // no Counter64
		{"v2c walk", "snmpwalk", []string{"-v2c", "-c", "public", ta.ip4}, all},
		{"v2c walk IPv6", "snmpwalk", []string{"-v2c", "-c", "public", ta.ip6}, all},
		{"v2c bulkwalk", "snmpbulkwalk", []string{"-v2c", "-c", "public", ta.ip4}, all},
		{"v2c bulkwalk -Cr100", "snmpbulkwalk", []string{"-v2c", "-c", "public", "-Cr100", ta.ip6}, all},
		{"v3 walk", "snmpwalk", append(slices.Clone(sha), ta.ip4), all},
		{"v3 bulkwalk", "snmpbulkwalk", append(slices.Clone(sha), ta.ip6), all},
		// Without vbTestSecret and 1,000 vbTestName instances.
		{"restricted walk", "snmpwalk", []string{"-v2c", "-c", "restricted", ta.ip4}, all - 1 - tableRows},
		{"restricted bulkwalk", "snmpbulkwalk", []string{"-v2c", "-c", "restricted", ta.ip4}, all - 1 - tableRows},
		{"restricted v1 walk", "snmpwalk", []string{"-v1", "-c", "restricted", ta.ip4}, all - 2 - tableRows},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// net-snmp itself fails a walk that goes backwards.
			oids, got := walked(t, n.mustRun(c.tool, append(c.args, testRoot)...))
			if len(oids) != c.want {
				t.Fatalf("%d varbinds, want %d", len(oids), c.want)
			}
			increasing(t, c.name, oids)
			if got[oidEntry+".2.1000"] != `STRING: "vm-1000"` && !strings.HasPrefix(c.name, "restricted") {
				t.Errorf("vm-1000: %q", got[oidEntry+".2.1000"])
			}
			if got[oidEntry+".4.7"] != "Counter32: 70" || got[oidEntry+".3.1"] != "INTEGER: 2" {
				t.Errorf("row values: %q %q", got[oidEntry+".4.7"], got[oidEntry+".3.1"])
			}
			if _, ok := got[oidSecret]; ok == strings.HasPrefix(c.name, "restricted") {
				t.Errorf("vbTestSecret shown: %v", ok)
			}
			var str []string
			for _, o := range oids {
				if strings.HasPrefix(o, oidStrTable+".") {
					str = append(str, o)
				}
			}
			if !slices.Equal(str, strTableOIDs()) {
				t.Errorf("string table %v, want %v", str, strTableOIDs())
			}
		})
	}

	// The whole MIB, the agent's own objects included, in order.
	oids, got := walked(t, n.mustRun("snmpbulkwalk", "-v2c", "-c", "public", ta.ip4, ".1"))
	increasing(t, "whole MIB", oids)
	if len(oids) != all+23 {
		t.Errorf("whole MIB: %d varbinds, want %d", len(oids), all+23)
	}
	if got[oidEngineID] != "Hex-STRING: "+spaced(ta.engineHex) || got[oidEngineMaxSize] != "INTEGER: 65507" || got[oidEnableAuthTraps] != "INTEGER: 2" {
		t.Errorf("engine objects: %q %q %q", got[oidEngineID], got[oidEngineMaxSize], got[oidEnableAuthTraps])
	}
}

// spaced formats hex the way net-snmp prints a Hex-STRING.
func spaced(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToUpper(h[i : i+2]))
	}
	return b.String() + " "
}

// referenceMIBs is where the IETF modules the test MIB imports live.
func referenceMIBs(t *testing.T) string {
	dir, err := filepath.Abs("../../../shared/reference/snmp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "SNMPv2-SMI.txt")); err != nil {
		t.Skipf("the IETF MIB modules are not in %s", dir)
	}
	return dir
}

func TestSnmptable(t *testing.T) {
	n := newNetSNMP(t)
	ref := referenceMIBs(t)
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	ta := startAgent(t, testConfig(t))
	mibArgs := []string{"-M", testdata + ":" + ref, "-m", "VIRTBRIDGE-TEST-MIB", "-Oe", "-Cf", "|"}
	for _, c := range []struct{ name, version string }{
		{"v2c", "-v2c"}, // GETBULK
		{"v1", "-v1"},   // GETNEXT
	} {
		t.Run(c.name, func(t *testing.T) {
			out := n.mustRun("snmptable", append(mibArgs, c.version, "-c", "public", "-Cr", "50", "-Ci", ta.ip4, "VIRTBRIDGE-TEST-MIB::vbTestTable")...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			// A title, a blank line, the header, then the rows.
			if len(lines) != 3+tableRows {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			if lines[2] != "index|vbTestName|vbTestState|vbTestBytes" {
				t.Errorf("header %q", lines[2])
			}
			if lines[3] != "1|vm-0001|2|10" || lines[len(lines)-1] != "1000|vm-1000|2|10000" {
				t.Errorf("rows %q ... %q", lines[3], lines[len(lines)-1])
			}
			out = n.mustRun("snmptable", append(mibArgs, c.version, "-c", "public", "-Ci", ta.ip6, "VIRTBRIDGE-TEST-MIB::vbStrTable")...)
			want := `SNMP table: VIRTBRIDGE-TEST-MIB::vbStrTable

index|vbStrValue|vbStrLen
"Z"|Z|1
"a"|A|1
"b"|B|1
"zz"|ZZ|2
"beta"|BETA|4
"alpha"|ALPHA|5
`
			if out != want {
				t.Errorf("string table:\n%s\nwant\n%s", out, want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	state := func(i int) string { return fmt.Sprintf("%s.3.%d", oidEntry, i) }
	set := func(args ...string) error {
		_, err := n.run("snmpset", args...)
		return err
	}
	commits := func(want ...string) {
		t.Helper()
		if got := ta.mib.commitLog(); !slices.Equal(got, want) {
			t.Errorf("commits %q, want %q", got, want)
		}
	}

	// Success: the response echoes the request and the values stick.
	out := n.mustRun("snmpset", "-v2c", "-c", "private", ta.ip4, oidCount, "i", "100", state(1), "i", "3")
	if _, got := varbinds(t, out); got[oidCount] != "INTEGER: 100" || got[state(1)] != "INTEGER: 3" {
		t.Errorf("set response %v", got)
	}
	commits("count=100", "state.1=3")
	if got := n.get(ta, oidCount); got != "INTEGER: 100" {
		t.Errorf("after set: %s", got)
	}

	// Two-phase: the second varbind fails its Test, so nothing is applied.
	wantErr(t, set("-v2c", "-c", "private", ta.ip6, state(2), "i", "1", state(3), "i", "9"),
		"Reason: wrongValue", "Failed object: "+state(3))
	commits("count=100", "state.1=3")
	if got := n.get(ta, state(2)); got != "INTEGER: 3" {
		t.Errorf("state.2 after a failed set: %s", got)
	}

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"wrongType", []string{"-v2c", "-c", "private", ta.ip4, oidCount, "s", "x"}, []string{"Reason: wrongType", "Failed object: " + oidCount}},
		{"notWritable", []string{"-v2c", "-c", "private", ta.ip4, oidDescr, "s", "x"}, []string{"Reason: notWritable", "Failed object: " + oidDescr}},
		{"noCreation", []string{"-v2c", "-c", "private", ta.ip4, state(1), "i", "1", state(5000), "i", "1"}, []string{"Reason: noCreation", "Failed object: " + state(5000)}},
		{"noCreation outside", []string{"-v2c", "-c", "private", ta.ip4, ".1.3.6.1.4.1.32473.9.0", "i", "1"}, []string{"Reason: noCreation"}},
		{"noAccess read-only community", []string{"-v2c", "-c", "public", ta.ip4, oidCount, "i", "1"}, []string{"Reason: noAccess", "Failed object: " + oidCount}},
		{"noAccess read-only user", append(v3Args(userNamed(t, "sha256aes")), ta.ip4, oidCount, "i", "1"), []string{"Reason: noAccess", "Failed object: " + oidCount}},
		{"wrongValue", []string{"-v2c", "-c", "private", ta.ip4, oidEnableAuthTraps, "i", "3"}, []string{"Reason: wrongValue"}},
		// SNMPv1 (RFC 3584 §4.4).
		{"v1 badValue", []string{"-v1", "-c", "private", ta.ip4, state(1), "i", "1", oidCount, "i", "5000"}, []string{"(badValue)", "Failed object: " + oidCount}},
		{"v1 wrongType", []string{"-v1", "-c", "private", ta.ip4, oidCount, "s", "x"}, []string{"(badValue)", "Failed object: " + oidCount}},
		{"v1 notWritable", []string{"-v1", "-c", "private", ta.ip4, oidDescr, "s", "x"}, []string{"(noSuchName)", "Failed object: " + oidDescr}},
		{"v1 noCreation", []string{"-v1", "-c", "private", ta.ip4, state(5000), "i", "1"}, []string{"(noSuchName)", "Failed object: " + state(5000)}},
		{"v1 read-only community", []string{"-v1", "-c", "public", ta.ip4, oidCount, "i", "1"}, []string{"(noSuchName)", "Failed object: " + oidCount}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, set(c.args...), c.want...)
		})
	}
	commits("count=100", "state.1=3")
	// Two SETs came through a read-only community.
	if got := n.get(ta, oidInBadUses); got != "Counter32: 2" {
		t.Errorf("snmpInBadCommunityUses = %s", got)
	}

	// A v3 user with a write view, and snmpEnableAuthenTraps.
	n.mustRun("snmpset", append(v3Args(userNamed(t, "writer")), ta.ip6, oidCount, "i", "7", oidEnableAuthTraps, "i", "1")...)
	commits("count=100", "state.1=3", "count=7")
	if !ta.AuthenTrapsEnabled() || n.get(ta, oidEnableAuthTraps) != "INTEGER: 1" {
		t.Error("snmpEnableAuthenTraps not set")
	}
	n.mustRun("snmpset", "-v1", "-c", "private", ta.ip4, state(1000), "i", "1")
	commits("count=100", "state.1=3", "count=7", "state.1000=1")
}

func TestV3Failures(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	good := append(v3Args(userNamed(t, "sha256")), ta.ip4)
	counter := func(oid string) string {
		t.Helper()
		_, got := varbinds(t, n.mustRun("snmpget", append(good, oid)...))
		return got[oid]
	}
	with := func(u User, f func(*User)) []string {
		f(&u)
		return append(v3Args(u), ta.ip4, oidDescr)
	}

	_, err := n.run("snmpget", with(userNamed(t, "sha"), func(u *User) { u.AuthPass = "not-the-password" })...)
	wantErr(t, err, "Authentication failure (incorrect password, community or key)")
	if got := counter(oidUsmWrongDigests); got != "Counter32: 1" {
		t.Errorf("usmStatsWrongDigests = %s", got)
	}

	_, err = n.run("snmpget", with(userNamed(t, "sha"), func(u *User) { u.Name = "nobody" })...)
	wantErr(t, err, "Unknown user name")
	if got := counter(oidUsmUnknownUsers); got != "Counter32: 1" {
		t.Errorf("usmStatsUnknownUserNames = %s", got)
	}

	for i, name := range []string{"shades", "shaaes", "sha512aes256"} {
		_, err = n.run("snmpget", with(userNamed(t, name), func(u *User) { u.PrivPass = "not-the-password" })...)
		wantErr(t, err, "Decryption error")
		if got, want := counter(oidUsmDecryptErrs), fmt.Sprintf("Counter32: %d", i+1); got != want {
			t.Errorf("%s: usmStatsDecryptionErrors = %s, want %s", name, got, want)
		}
	}

	// Above the user's level: a report; below it: authorizationError.
	_, err = n.run("snmpget", with(userNamed(t, "sha"), func(u *User) { u.PrivProto, u.PrivPass = "AES", "some-priv-pass" })...)
	wantErr(t, err, "Unsupported security level")
	_, err = n.run("snmpget", with(userNamed(t, "shaaes"), func(u *User) { u.PrivProto, u.PrivPass = "", "" })...)
	wantErr(t, err, "authorizationError")
	_, err = n.run("snmpget", with(userNamed(t, "sha"), func(u *User) { u.AuthProto, u.AuthPass = "", "" })...)
	wantErr(t, err, "authorizationError")

	// Wrong boots: net-snmp takes the authenticated report's boots and
	// time and succeeds on its second try.
	_, got := varbinds(t, n.mustRun("snmpget", append(v3Args(userNamed(t, "md5des")), "-e", ta.engineHex, "-Z", "7,0", ta.ip4, oidDescr)...))
	if got[oidDescr] != scalarValues[oidDescr] {
		t.Errorf("after resynchronizing: %v", got)
	}
	if got := counter(oidUsmNotInTime); got != "Counter32: 1" {
		t.Errorf("usmStatsNotInTimeWindows = %s", got)
	}

	// Only the default context; only our contextEngineID.
	_, err = n.run("snmpget", append(v3Args(userNamed(t, "sha")), "-n", "vm1", ta.ip4, oidDescr)...)
	wantErr(t, err, "Bad context specified")
	if got := counter(oidUnknownContexts); got != "Counter32: 1" {
		t.Errorf("snmpUnknownContexts = %s", got)
	}
	_, err = n.run("snmpget", append(v3Args(userNamed(t, "sha")), "-E", "8000000001020304", ta.ip4, oidDescr)...)
	wantErr(t, err, "Bad version specified") // net-snmp's words for snmpUnknownPDUHandlers
	if got := counter(".1.3.6.1.6.3.11.2.1.3.0"); got != "Counter32: 1" {
		t.Errorf("snmpUnknownPDUHandlers = %s", got)
	}

	// Every net-snmp request above started with discovery.
	if got := counter(oidUsmUnknownEngine); got == "Counter32: 0" {
		t.Errorf("usmStatsUnknownEngineIDs = %s", got)
	}
}

func TestEngineBootsPersist(t *testing.T) {
	n := newNetSNMP(t)
	cfg := testConfig(t)
	var ids []string
	for boots := 1; boots <= 3; boots++ {
		ta := startAgent(t, cfg)
		_, got := varbinds(t, n.mustRun("snmpget", append(v3Args(userNamed(t, "sha")), ta.ip4, oidEngineID, oidEngineBoots)...))
		if want := fmt.Sprintf("INTEGER: %d", boots); got[oidEngineBoots] != want {
			t.Errorf("start %d: snmpEngineBoots = %s", boots, got[oidEngineBoots])
		}
		ids = append(ids, got[oidEngineID])
		if got[oidEngineID] != "Hex-STRING: "+spaced(ta.engineHex) {
			t.Errorf("snmpEngineID %s, Engine() says %s", got[oidEngineID], ta.engineHex)
		}
		if _, b, _ := ta.Engine(); b != uint32(boots) {
			t.Errorf("Engine() boots %d", b)
		}
		if err := ta.stop(); err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("engine ID changed across starts: %v", ids)
	}
	b, err := os.ReadFile(filepath.Join(cfg.StateDir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if id, boots, err := parseState(b); err != nil || boots != 3 || "Hex-STRING: "+spaced(fmt.Sprintf("%x", id)) != ids[0] {
		t.Errorf("state file %s: %x %d %v", b, id, boots, err)
	}

	// A configured engine ID that differs starts a new engine.
	cfg.EngineID = []byte{0x80, 0, 0x7e, 0xd9, 4, 't', 'e', 's', 't'}
	ta := startAgent(t, cfg)
	_, got := varbinds(t, n.mustRun("snmpget", append(v3Args(userNamed(t, "shaaes")), ta.ip4, oidEngineID, oidEngineBoots)...))
	if got[oidEngineID] != `STRING: "...~..test"` && got[oidEngineID] != "Hex-STRING: 80 00 7E D9 04 74 65 73 74 " || got[oidEngineBoots] != "INTEGER: 1" {
		t.Errorf("configured engine ID: %v", got)
	}
}

func TestUnknownCommunity(t *testing.T) {
	n := newNetSNMP(t)
	ta := startAgent(t, testConfig(t))
	for _, target := range []string{ta.ip4, ta.ip6} {
		for _, v := range []string{"-v1", "-v2c"} {
			_, err := n.run("snmpget", v, "-c", "nobody", "-t", "0.3", "-r", "0", target, oidDescr)
			wantErr(t, err, "Timeout: No Response")
		}
	}
	if got := n.get(ta, oidInBadCommunities); got != "Counter32: 4" {
		t.Errorf("snmpInBadCommunityNames = %s", got)
	}
	// 4 unanswered, the get above and this one.
	if got := n.get(ta, oidInPkts); got != "Counter32: 6" {
		t.Errorf("snmpInPkts = %s", got)
	}
}

// TestBulkShortened: a GETBULK asking for more than fits gets fewer
// varbinds, never tooBig (RFC 3416 §4.2.3).
func TestBulkShortened(t *testing.T) {
	n := newNetSNMP(t)
	cfg := testConfig(t)
	cfg.MaxMessageSize = 484
	ta := startAgent(t, cfg)
	for _, args := range [][]string{
		{"-v2c", "-c", "public"},
		v3Args(userNamed(t, "shades")),
		v3Args(userNamed(t, "sha512aes256")),
	} {
		oids, got := varbinds(t, n.mustRun("snmpbulkget", append(args, "-Cr1000", ta.ip4, oidEntry+".2")...))
		if len(oids) < 10 || len(oids) > 30 {
			t.Errorf("%v: %d varbinds in 484 octets", args, len(oids))
		}
		for i, o := range oids {
			if want := fmt.Sprintf("%s.2.%d", oidEntry, i+1); o != want || got[o] != fmt.Sprintf(`STRING: "vm-%04d"`, i+1) {
				t.Fatalf("varbind %d: %s = %s", i, o, got[o])
			}
		}
		// And a walk still gets everything, a few rows at a time.
		oids, _ = walked(t, n.mustRun("snmpbulkwalk", append(args, "-Cr1000", ta.ip6, oidTable)...))
		if len(oids) != 3*tableRows {
			t.Errorf("%v: bulkwalk got %d varbinds", args, len(oids))
		}
	}
}

// TestTestMIBLints keeps testdata's MIB module valid SMIv2.
func TestTestMIBLints(t *testing.T) {
	if _, err := exec.LookPath("smilint"); err != nil {
		t.Skip("smilint is not installed (Debian: apt-get install smitools)")
	}
	ref := referenceMIBs(t)
	cmd := exec.Command("smilint", "-l", "4", "testdata/VIRTBRIDGE-TEST-MIB.txt")
	cmd.Env = append(os.Environ(), "SMIPATH="+ref)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("smilint: %v\n%s", err, out)
	}
}
