package main

import (
	"crypto/tls"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"

	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// vsphereSim starts govmomi's ESXi simulator over HTTPS and returns its
// connect URL and certificate thumbprint.
func vsphereSim(t *testing.T) (connect, thumb string) {
	t.Helper()
	model := simulator.ESX()
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.Listen = &url.URL{User: url.UserPassword("agent", "secret")}
	srv := model.Service.NewServer()
	t.Cleanup(func() { srv.Close(); model.Remove() })
	return "vsphere://" + srv.URL.Host, vsphere.ThumbprintSHA256(srv.Certificate())
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInventoryOverVsphere: a vSphere URL in connect picks the vSphere
// backend, configured by the vsphere: section.
func TestInventoryOverVsphere(t *testing.T) {
	connect, thumb := vsphereSim(t)
	creds := writeFile(t, "creds", "username=agent\npassword=secret\n")
	cfg := writeFile(t, "agent.yaml", "connect: "+connect+"\nvsphere:\n  credentials_file: "+creds+"\n  thumbprint: \""+thumb+"\"\n")
	code, out, errOut := runCmd(t, "inventory", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var inv inventoryOut
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if !strings.HasPrefix(inv.Backend, "vsphere ") || inv.Host.HypervisorType != "VMware ESXi" || len(inv.Domains) != 2 {
		t.Errorf("inventory over vSphere: %+v", inv)
	}
	for _, d := range inv.Domains {
		if d.UUID == "" || d.State != "running" || !d.Persistent {
			t.Errorf("domain %+v", d)
		}
	}

	// A wrong password is one clear line.
	bad := writeFile(t, "bad.yaml", "connect: "+connect+"\nvsphere:\n  user: agent\n  password: wrong\n  thumbprint: \""+thumb+"\"\n")
	code, _, errOut = runCmd(t, "inventory", "--config", bad)
	if code != 1 {
		t.Errorf("wrong password: exit %d", code)
	}
	checkOneLine(t, errOut, "access denied")
}

func TestVsphereConfigChecks(t *testing.T) {
	for _, tc := range []struct{ yaml, says string }{
		{"connect: vsphere://vc.example.com\n", "no user is set"},
		{"connect: vsphere://vc.example.com\nvsphere:\n  user: u\n  insecure: true\n  thumbprint: AA\n", "at most one of ca_file"},
		{"vsphere:\n  thumbprint: nothex\n", "thumbprint"},
		{"vsphere:\n  password: p\n  credentials_file: /x\n", "not both"},
		{"vsphere:\n  update_wait: 1500ms\n", "vsphere.update_wait"},
		{"vsphere:\n  reconnect_min: 1m\n  reconnect_max: 1s\n", "vsphere.reconnect_min"},
		{"vsphere:\n  user: u\n  pasword: p\n", `unknown key "pasword"`},
	} {
		_, err := loadConfig(writeFile(t, "c.yaml", tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: %v, want it to say %q", tc.yaml, err, tc.says)
		}
	}
	// A user in the URL is enough; libvirt URIs ignore the section.
	for _, ok := range []string{"connect: vsphere://ops@vc.example.com\n", "connect: https://esx1.example.com/sdk\nvsphere:\n  user: root\n", "connect: qemu:///system\n"} {
		if _, err := loadConfig(writeFile(t, "c.yaml", ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestBackendFlag: --backend vsphere takes the simulator's bare
// HOST:PORT; a backend that contradicts the URL, or an unknown one, is
// one clear line.
func TestBackendFlag(t *testing.T) {
	connect, thumb := vsphereSim(t)
	hostport := strings.TrimPrefix(connect, "vsphere://")
	cfg := writeFile(t, "agent.yaml", "vsphere:\n  user: agent\n  password: secret\n  thumbprint: \""+thumb+"\"\n")
	code, out, errOut := runCmd(t, "inventory", "--config", cfg, "--backend", "vsphere", "--connect", hostport, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var inv inventoryOut
	if err := json.Unmarshal([]byte(out), &inv); err != nil || !strings.HasPrefix(inv.Backend, "vsphere ") || len(inv.Domains) != 2 {
		t.Fatalf("--backend vsphere --connect %s: %v %+v", hostport, err, inv)
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--backend", "libvirt", "--connect", connect}, "backend libvirt with connect"},
		{[]string{"--backend", "vsphere", "--connect", "qemu:///system"}, "backend vsphere with connect"},
		{[]string{"--backend", "xen", "--connect", "test:///default"}, `backend "xen": want libvirt or vsphere`},
	} {
		code, _, errOut := runCmd(t, append([]string{"inventory", "--config", cfg}, tc.args...)...)
		if code == 0 {
			t.Errorf("%v: exit 0", tc.args)
		}
		checkOneLine(t, errOut, tc.says)
	}
}
