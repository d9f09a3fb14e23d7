package vmmib

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// fakeSysfs writes the files of /sys/class/net/<name> the agent reads.
func fakeSysfs(t *testing.T, dir, name string, files map[string]string) {
	t.Helper()
	for f, v := range files {
		p := filepath.Join(dir, name, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIfRowsForVMInterfaces: vmNetworkIfIndex and vmNetworkParent point at
// ifTable rows for the VM's tap and its bridge, read from sysfs; an
// interface the host does not have is 0.
func TestIfRowsForVMInterfaces(t *testing.T) {
	dir := t.TempDir()
	fakeSysfs(t, dir, "vnet7", map[string]string{"ifindex": "17", "mtu": "1500", "address": "fe:54:00:aa:bb:cc",
		"operstate": "up", "flags": "0x1003", "type": "1", "tun_flags": "0x1002", "speed": "10",
		"statistics/rx_bytes": "5000000000", "statistics/rx_packets": "42", "statistics/tx_bytes": "7", "statistics/tx_packets": "1"})
	fakeSysfs(t, dir, "br0", map[string]string{"ifindex": "3", "mtu": "1500", "address": "52:54:00:00:00:01",
		"operstate": "down", "flags": "0x1002", "type": "1", "bridge/stp_state": "0"})
	fakeSysfs(t, dir, "eth9", map[string]string{"ifindex": "2"}) // counted, not served
	vms := []*vmRow{{index: 5, d: &backends.Domain{UUID: "u", NICs: []backends.NIC{
		{MAC: "52:54:00:aa:bb:cc", Model: "virtio", HostIface: "vnet7", Bridge: "br0"},
		{MAC: "52:54:00:aa:bb:cd", Model: "e1000", HostIface: "vnet99"},
	}}}}
	host := hostIfaces(dir, vms)
	tree, err := mib.NewTree(append(host.subtrees(), vmNetworkTable(vms, host))...)
	if err != nil {
		t.Fatal(err)
	}
	get := func(oid string) any { return tree.Get(mib.MustParse(oid)).Value }
	checks := []struct {
		oid  string
		want any
	}{
		{"1.3.6.1.2.1.236.1.8.1.2.5.1", 17}, // vmNetworkIfIndex
		{"1.3.6.1.2.1.236.1.8.1.3.5.1", 3},  // vmNetworkParent
		{"1.3.6.1.2.1.236.1.8.1.2.5.2", 0},  // no such host interface
		{"1.3.6.1.2.1.236.1.8.1.4.5.2", "e1000"},
		{"1.3.6.1.2.1.2.1.0", 3},                      // ifNumber: all host interfaces
		{"1.3.6.1.2.1.2.2.1.2.17", "vnet7"},           // ifDescr
		{"1.3.6.1.2.1.2.2.1.3.17", ifTypePropVirtual}, // a tap
		{"1.3.6.1.2.1.2.2.1.3.3", ifTypeBridge},
		{"1.3.6.1.2.1.2.2.1.7.17", 1}, // ifAdminStatus up
		{"1.3.6.1.2.1.2.2.1.8.3", 2},  // ifOperStatus down
		{"1.3.6.1.2.1.2.2.1.5.17", uint32(10_000_000)},
		{"1.3.6.1.2.1.2.2.1.10.17", uint32(5000000000 % (1 << 32))}, // Counter32 wraps
		{"1.3.6.1.2.1.31.1.1.1.6.17", uint64(5000000000)},           // ifHCInOctets does not
		{"1.3.6.1.2.1.31.1.1.1.1.3", "br0"},
	}
	for _, c := range checks {
		if got := get(c.oid); got != c.want {
			t.Errorf("%s = %v (%T), want %v (%T)", c.oid, got, got, c.want, c.want)
		}
	}
	if vb := tree.Get(mib.MustParse("1.3.6.1.2.1.2.2.1.2.2")); vb.Type != gosnmp.NoSuchInstance {
		t.Errorf("eth9, which no VM uses, is served: %v", vb)
	}
	if mac := get("1.3.6.1.2.1.236.1.8.1.5.5.1").([]byte); len(mac) != 6 || mac[5] != 0xcc {
		t.Errorf("vmNetworkPhysAddress %x", mac)
	}
}
