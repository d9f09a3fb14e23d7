package conformance

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

const vmEntry = ".1.3.6.1.2.1.236.1.4.1"

// parseNumeric reads `-On -Oq` output (".1.3.6... value") into a map.
func parseNumeric(out string) (map[string]string, []string) {
	vals := map[string]string{}
	var order []string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		oid, v, _ := strings.Cut(line, " ")
		vals[oid] = strings.Trim(v, `"`)
		order = append(order, oid)
	}
	return vals, order
}

// vmOperState labels by virsh state.
var operByVirsh = map[string]string{"running": "4", "paused": "8", "shut off": "11"}

// TestVMTableMatchesVirsh: every VM of a 1,000-domain test bed, read with
// snmpbulkwalk, has virsh's name, UUID, state, vCPUs and memory.
func TestVMTableMatchesVirsh(t *testing.T) {
	a := startAgent(t, 1000, "")
	out := a.snmp(t, "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Oe", "-Cr50", "VM-MIB::vmTable")...)
	vals, order := parseNumeric(out)
	if len(order) != 1000*16 {
		t.Fatalf("vmTable walk returned %d values, want 1000 rows x 16 columns", len(order))
	}
	// Without VM-MIB loaded, so -Ox is not overridden by the DISPLAY-HINT.
	hexOut, err := a.tryWith("SNMPv2-MIB", "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Ox", "-Cr50", vmEntry+".3")...)
	if err != nil {
		t.Fatalf("walking vmUUID: %v\n%s", err, hexOut)
	}
	uuids, _ := parseNumeric(hexOut)
	names := libvirttest.Names(t, a.uri)
	virsh := libvirttest.Dominfo(t, a.uri, names)
	if len(virsh) != 1000 {
		t.Fatalf("virsh knows %d domains", len(virsh))
	}
	seen := 0
	for oid, name := range vals {
		if !strings.HasPrefix(oid, vmEntry+".2.") {
			continue
		}
		idx := strings.TrimPrefix(oid, vmEntry+".2.")
		col := func(c int) string { return vals[fmt.Sprintf("%s.%d.%s", vmEntry, c, idx)] }
		uuid := uuidText(uuids[fmt.Sprintf("%s.3.%s", vmEntry, idx)])
		v, ok := virsh[uuid]
		if !ok {
			t.Errorf("vmIndex %s: UUID %q (%s) unknown to virsh", idx, uuid, col(3))
			continue
		}
		seen++
		got := []string{name, col(6), col(9), col(13), col(15), col(12)}
		want := []string{v.Name, operByVirsh[v.State], strconv.Itoa(v.VCPUs), strconv.FormatUint(v.UsedMemKiB, 10), strconv.FormatUint(v.MaxMemKiB, 10), "1024"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("vmIndex %s: SNMP %v, virsh %v (name, oper, cpus, mem, maxmem, unit)", idx, got, want)
		}
	}
	if seen != 1000 {
		t.Errorf("%d rows matched virsh, want 1000", seen)
	}
	if n := a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-Oqv", "VM-MIB::vmNumber.0")...); strings.TrimSpace(n) != "1000" {
		t.Errorf("vmNumber = %q", n)
	}
}

// uuidText turns a hex rendering ("68 14 FF ...", from -Ox) of UUIDorZero
// into the text form. (net-snmp renders UUID-TC-MIB's DISPLAY-HINT
// "4x-2x-2x-2x-6x" octet by octet without zero padding, which loses
// information, so the tests read UUIDs in hex.)
func uuidText(s string) string {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil || len(b) != 16 {
		return s
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TestSNMPTable: snmptable (GETBULK) on the 1,000-row vmTable, where
// libvirt-snmp fails with "OID not increasing".
func TestSNMPTable(t *testing.T) {
	a := startAgent(t, 1000, "")
	out := a.snmp(t, "snmptable", append(a.v2c(roCommunity), "-Cf", "|", "-CH", "-Cr", "100", "VM-MIB::vmTable")...)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 1000 {
		t.Fatalf("snmptable printed %d rows, want 1000:\n%.500s", len(rows), out)
	}
	names := map[string]bool{}
	for _, p := range a.plan {
		names[p.Name] = true
	}
	for _, r := range rows {
		f := strings.Split(r, "|")
		if len(f) != 16 || !names[f[0]] {
			t.Fatalf("row %q: want 16 columns starting with a test-bed name", r)
		}
	}
	// Every table of VM-MIB works too.
	for _, table := range []string{"vmCpuTable", "vmStorageTable", "vmNetworkTable"} {
		a.snmp(t, "snmptable", append(a.v2c(roCommunity), "-Cf", "|", "-CH", "VM-MIB::"+table)...)
	}
}

// TestWalkEqualsBulkWalk: GETNEXT and GETBULK walks of the whole agent
// agree value for value, over IPv4 and IPv6, and never go backwards.
func TestWalkEqualsBulkWalk(t *testing.T) {
	a := startAgent(t, 200, "")
	walk := a.snmp(t, "snmpwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Cc", ".1")...)
	bulk := a.snmp(t, "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Cr25", ".1")...)
	six := a.snmp(t, "snmpbulkwalk", "-v2c", "-c", roCommunity, "udp6:"+a.addr6, "-On", "-Oq", "-Cr25", ".1")
	vals, order := parseNumeric(walk)
	_, bulkOrder := parseNumeric(bulk)
	_, sixOrder := parseNumeric(six)
	if strings.Join(order, " ") != strings.Join(bulkOrder, " ") || strings.Join(order, " ") != strings.Join(sixOrder, " ") {
		t.Fatalf("walks differ: getnext %d objects, getbulk %d, ipv6 %d", len(order), len(bulkOrder), len(sixOrder))
	}
	// Values too, but for the clocks and counters that move between walks.
	bulkVals, _ := parseNumeric(bulk)
	for oid, v := range vals {
		if strings.HasPrefix(oid, vmEntry) && bulkVals[oid] != v && !strings.HasPrefix(oid, vmEntry+".16.") {
			t.Errorf("%s: getnext %q, getbulk %q", oid, v, bulkVals[oid])
		}
	}
	if len(order) < 200*16 {
		t.Fatalf("walk returned %d values", len(order))
	}
	for _, must := range []string{".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.2.0", ".1.3.6.1.2.1.236.1.2.0",
		".1.3.6.1.6.3.10.2.1.1.0", ".1.3.6.1.6.3.15.1.1.3.0", ".1.3.6.1.4.1.32473.1.1.1.0"} {
		if _, ok := vals[must]; !ok {
			t.Errorf("walk misses %s", must)
		}
	}
	if vals[".1.3.6.1.2.1.1.2.0"] != ".1.3.6.1.4.1.32473.3.1" {
		t.Errorf("sysObjectID = %s", vals[".1.3.6.1.2.1.1.2.0"])
	}
}

// TestV3AuthPriv: SHA-256 + AES-128 reads, and a wrong key gets nothing.
func TestV3AuthPriv(t *testing.T) {
	a := startAgent(t, 10, "")
	if n := a.snmp(t, "snmpget", append(a.v3(), "-Oqv", "VM-MIB::vmNumber.0")...); strings.TrimSpace(n) != "10" {
		t.Fatalf("v3 vmNumber = %q", n)
	}
	bad := []string{"-v3", "-l", "authPriv", "-u", v3User, "-a", "SHA-256", "-A", "wrong-password", "-x", "AES", "-X", v3Priv, a.addr4}
	out, err := a.try("snmpget", append(bad, "VM-MIB::vmNumber.0")...)
	if err == nil || strings.Contains(out, "INTEGER") {
		t.Fatalf("wrong auth key answered: %s", out)
	}
	wrong := a.snmp(t, "snmpget", append(a.v3(), "-Oqv", ".1.3.6.1.6.3.15.1.1.5.0")...)
	if n, _ := strconv.Atoi(strings.TrimSpace(wrong)); n < 1 {
		t.Errorf("usmStatsWrongDigests = %q after a wrong key", wrong)
	}
}
