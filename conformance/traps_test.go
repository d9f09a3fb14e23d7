package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/snmp/notify/trapdtest"
)

const (
	vmPaused       = "1.3.6.1.2.1.236.0.4"
	vmBulkPaused   = "1.3.6.1.2.1.236.0.14"
	snmpTrapOID    = "1.3.6.1.6.3.1.1.4.1.0"
	vmNameColumn   = "1.3.6.1.2.1.236.1.4.1.2."
	vmOperColumn   = "1.3.6.1.2.1.236.1.4.1.6."
	vmAffectedVMs0 = "1.3.6.1.2.1.236.1.11.0"
)

// TestTrapsAndInforms: a VM paused through snmpset reaches snmptrapd as
// vmPaused over v2c trap, v2c inform, v3 trap and v3 inform (SHA-256 +
// AES-128), with the RFC's varbinds.
func TestTrapsAndInforms(t *testing.T) {
	port := trapdtest.FreeUDPPort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	user := fmt.Sprintf("{name: %s, auth_protocol: SHA-256, auth_password: %s, priv_protocol: AES, priv_password: %s}", v3User, v3Auth, v3Priv)
	a := startAgent(t, 6, fmt.Sprintf(`  notifications:
    destinations:
      - {name: v2trap, address: %q, version: "2c", community: public}
      - {name: v2inform, address: %q, version: "2c", community: public, inform: true}
      - {name: v3trap, address: %q, version: "3", user: %s}
      - {name: v3inform, address: %q, version: "3", inform: true, user: %s}
`, addr, addr, addr, user, addr, user))
	// v3 traps are authenticated with the agent's engine: the receiver needs
	// its engine ID (RFC 3414 §3.1.1); v3 informs with the receiver's own.
	id, err := a.tryWith("SNMPv2-MIB", "snmpget", append(a.v2c(roCommunity), "-Oqv", "-Ox", ".1.3.6.1.6.3.10.2.1.1.0")...)
	if err != nil {
		t.Fatalf("reading snmpEngineID: %v\n%s", err, id)
	}
	engine := "0x" + strings.Join(strings.Fields(strings.Trim(id, "\"\n ")), "")
	td := trapdtest.StartOn(t, "127.0.0.1", port, fmt.Sprintf(`authCommunity log public
createUser -e %s %s SHA-256 %s AES %s
createUser %s SHA-256 %s AES %s
authUser log %s
`, engine, v3User, v3Auth, v3Priv, v3User, v3Auth, v3Priv, v3User))

	var vm testbed.Domain
	for _, p := range a.plan {
		if p.State == testbed.StateRunning {
			vm = p
			break
		}
	}
	i := a.vmIndexOf(t, vm.Name)
	a.snmp(t, "snmpset", append(a.v2c(rwCommunity), "VIRTBRIDGE-MIB::vbVmControlRequest."+i, "i", "suspend")...)
	recs := td.WaitFor(t, "vmPaused four ways", func(rs []trapdtest.Record) bool { return len(paused(rs)) >= 4 })
	got := map[string]bool{}
	for _, r := range paused(recs) {
		name, _ := r.Value(vmNameColumn + i)
		oper, _ := r.Value(vmOperColumn + i)
		if name != fmt.Sprintf("STRING: %q", vm.Name) || oper != "INTEGER: 4" {
			t.Errorf("%s %s: vmName %s, prior vmOperState %s; want %q and running(4)", r.Kind, r.Security, name, oper, vm.Name)
		}
		v := "v2c"
		if strings.Contains(r.Security, "v3") {
			v = "v3"
		}
		got[r.Kind+" "+v] = true
	}
	for _, want := range []string{"TRAP2 v2c", "INFORM v2c", "TRAP2 v3", "INFORM v3"} {
		if !got[want] {
			t.Errorf("no %s vmPaused received; got %v\n%s", want, got, td.Output())
		}
	}
}

func paused(rs []trapdtest.Record) []trapdtest.Record {
	var out []trapdtest.Record
	for _, r := range rs {
		if v, _ := r.Value(snmpTrapOID); v == "OID: ."+vmPaused {
			out = append(out, r)
		}
	}
	return out
}

// TestBurstIsNotLost: 1,000 running VMs suspended in a burst (20 SETs of
// 50 requests each) are all accounted for in the notifications snmptrapd
// receives: per-VM ones first, then bulk ones listing the rest in
// vmAffectedVMs.
func TestBurstIsNotLost(t *testing.T) {
	port := trapdtest.FreeUDPPort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	a := startAgent(t, 3000, fmt.Sprintf(`  notifications:
    bulk_window: 2s
    bulk_threshold: 20
    destinations:
      - {name: v2inform, address: %q, version: "2c", community: public, inform: true}
`, addr))
	td := trapdtest.StartOn(t, "127.0.0.1", port, "authCommunity log public\n")
	var idx []string
	var args []string
	for _, p := range a.plan {
		if p.State == testbed.StateRunning {
			idx = append(idx, p.Name)
		}
	}
	byName := map[string]string{}
	vals, _ := parseNumeric(a.snmp(t, "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "VM-MIB::vmName")...))
	for oid, v := range vals {
		byName[v] = strings.TrimPrefix(oid, vmEntry+".2.")
	}
	// One snmpset per 50 VMs: a burst of SETs, each starting many suspends.
	want := map[string]bool{}
	for k, name := range idx {
		args = append(args, "VIRTBRIDGE-MIB::vbVmControlRequest."+byName[name], "i", "suspend")
		want[byName[name]] = true
		if len(args) == 150 || k == len(idx)-1 {
			a.snmp(t, "snmpset", append(a.v2c(rwCommunity), args...)...)
			args = nil
		}
	}
	covered := map[string]bool{}
	td.WaitFor(t, fmt.Sprintf("%d paused VMs in notifications", len(want)), func(rs []trapdtest.Record) bool {
		clear(covered)
		for _, r := range rs {
			trap, _ := r.Value(snmpTrapOID)
			switch trap {
			case "OID: ." + vmPaused:
				for _, vb := range r.Varbinds {
					if strings.HasPrefix(vb.OID, vmNameColumn) {
						covered[strings.TrimPrefix(vb.OID, vmNameColumn)] = true
					}
				}
			case "OID: ." + vmBulkPaused:
				list, _ := r.Value(vmAffectedVMs0)
				for _, i := range vmList(list) {
					covered[fmt.Sprint(i)] = true
				}
			}
		}
		return len(covered) >= len(want)
	})
	for i := range want {
		if !covered[i] {
			t.Errorf("vmIndex %s paused but in no notification", i)
		}
	}
	if len(want) != 1000 {
		t.Errorf("the burst was %d changes, want 1,000", len(want))
	}
	t.Logf("%d VMs paused, all %d accounted for in notifications", len(want), len(covered))
}

// vmList decodes a printed VirtualMachineList ("Hex-STRING: 80 01 ...").
func vmList(printed string) []int {
	var out []int
	f := strings.Fields(strings.TrimPrefix(printed, "Hex-STRING:"))
	for k, h := range f {
		var b int
		fmt.Sscanf(h, "%x", &b)
		for bit := range 8 {
			if b&(0x80>>bit) != 0 {
				out = append(out, k*8+bit+1)
			}
		}
	}
	return out
}
