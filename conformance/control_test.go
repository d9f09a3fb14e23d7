package conformance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// vmIndexOf finds a VM's vmIndex by walking vmName.
func (a *agent) vmIndexOf(t *testing.T, name string) string {
	t.Helper()
	out := a.snmp(t, "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "VM-MIB::vmName")...)
	vals, _ := parseNumeric(out)
	for oid, v := range vals {
		if v == name {
			return strings.TrimPrefix(oid, vmEntry+".2.")
		}
	}
	t.Fatalf("%s not in vmTable", name)
	return ""
}

// waitValue polls an object until it reads want.
func (a *agent) waitValue(t *testing.T, oid, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := strings.TrimSpace(a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-Oqv", "-Oe", oid)...))
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %q, want %q", oid, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestControlThroughSNMP: snmpset on VIRTBRIDGE-MIB starts, suspends and
// stops VMs; refused requests get the RFC 3416 error and change nothing.
func TestControlThroughSNMP(t *testing.T) {
	a := startAgent(t, 9, "")
	var running, off testbed.Domain
	for _, p := range a.plan {
		switch p.State {
		case testbed.StateRunning:
			running = p
		case testbed.StateShutOff:
			off = p
		}
	}
	ri, oi := a.vmIndexOf(t, running.Name), a.vmIndexOf(t, off.Name)
	req := func(i string) string { return "VIRTBRIDGE-MIB::vbVmControlRequest." + i }
	oper := func(i string) string { return "VM-MIB::vmOperState." + i }

	// Suspend over v2c, resume over v3 authPriv.
	a.snmp(t, "snmpset", append(a.v2c(rwCommunity), req(ri), "i", "suspend")...)
	a.waitValue(t, oper(ri), "8")
	a.waitValue(t, "VIRTBRIDGE-MIB::vbVmControlStatus."+ri, "3")
	a.snmp(t, "snmpset", append(a.v3(), req(ri), "i", "resume")...)
	a.waitValue(t, oper(ri), "4")
	a.snmp(t, "snmpset", append(a.v2c(rwCommunity), req(oi), "i", "start")...)
	a.waitValue(t, oper(oi), "4")
	a.snmp(t, "snmpset", append(a.v2c(rwCommunity), req(oi), "i", "destroy")...)
	a.waitValue(t, oper(oi), "11")

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"resume a running VM", append(a.v2c(rwCommunity), req(ri), "i", "resume"), "inconsistentValue"},
		{"two varbinds, second refused", append(a.v2c(rwCommunity), req(oi), "i", "start", req(ri), "i", "start"), "inconsistentValue"},
		{"read-only community", append(a.v2c(roCommunity), req(ri), "i", "suspend"), "noAccess"},
		{"read-only object", append(a.v2c(rwCommunity), "VM-MIB::vmName."+ri, "s", "x"), "noAccess"},
		{"read-only column in the write view", append(a.v2c(rwCommunity), "VIRTBRIDGE-MIB::vbVmControlStatus."+ri, "i", "1"), "notWritable"},
		{"no such VM", append(a.v2c(rwCommunity), req("99999"), "i", "start"), "noCreation"},
		{"v1 mapping", []string{"-v1", "-c", rwCommunity, a.addr4, req(ri), "i", "resume"}, "badValue"},
	}
	for _, r := range refused {
		out, err := a.try("snmpset", r.args...)
		if err == nil || !strings.Contains(out, r.want) {
			t.Errorf("%s: %v\n%s\nwant %s", r.name, err, out, r.want)
		}
	}
	// A string for an INTEGER column: net-snmp refuses to send that when it
	// knows the MIB, so send it by number.
	out, err := a.tryWith("SNMPv2-MIB", "snmpset", append(a.v2c(rwCommunity), ".1.3.6.1.4.1.32473.1.2.1.1."+ri, "s", "suspend")...)
	if err == nil || !strings.Contains(out, "wrongType") {
		t.Errorf("wrong type: %v\n%s", err, out)
	}
	// Nothing of the refused requests happened.
	time.Sleep(300 * time.Millisecond)
	for i, want := range map[string]string{ri: "4", oi: "11"} {
		if got := strings.TrimSpace(a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-Oqv", "-Oe", oper(i))...)); got != want {
			t.Errorf("vmIndex %s: vmOperState %s after refused requests, want %s", i, got, want)
		}
	}
	// The agent counted the four accepted requests.
	got := strings.TrimSpace(a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-Oqv", "VIRTBRIDGE-MIB::vbAgentControlRequests.0")...))
	if got != fmt.Sprint(4) {
		t.Errorf("vbAgentControlRequests = %s, want 4", got)
	}
}
