package virt_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"os/exec"
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

// namedInstances decodes an EnumerateInstances response: class and
// properties (scalar values only) of each VALUE.NAMEDINSTANCE.
func namedInstances(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	type property struct {
		Name  string `xml:"NAME,attr"`
		Value string `xml:"VALUE"`
	}
	type named struct {
		Instance struct {
			Class string     `xml:"CLASSNAME,attr"`
			Props []property `xml:"PROPERTY"`
		} `xml:"INSTANCE"`
	}
	var out []map[string]string
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("decoding the response: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "ERROR" {
				t.Fatalf("CIM error in the response: %s", body)
			}
			if se.Name.Local != "VALUE.NAMEDINSTANCE" {
				continue
			}
			var ni named
			if err := dec.DecodeElement(&ni, &se); err != nil {
				t.Fatal(err)
			}
			m := map[string]string{"": ni.Instance.Class}
			for _, p := range ni.Instance.Props {
				m[p.Name] = p.Value
			}
			out = append(out, m)
		}
	}
}

// TestNoHypervisorOnRequestPath: once the inventory has synced, the
// libvirt connection is closed (every call to it fails) and the inventory
// is not running (no resync, no events). EnumerateInstances of
// CIM_ComputerSystem still answers with the host and every VM virsh
// lists, the RASD enumeration and a VM's SystemDevice associators are
// complete, and no read reached the backend while they were served.
func TestNoHypervisorOnRequestPath(t *testing.T) {
	const n = 1000
	a := newAgent(t, n)
	if _, err := a.lv.Domains(t.Context()); err == nil {
		t.Fatal("the libvirt connection still answers after Close")
	}
	names := make([]string, 0, n)
	if _, err := exec.LookPath("virsh"); err == nil {
		names = libvirttest.Names(t, a.uri)
	} else {
		t.Log("virsh not installed: comparing with the test bed's plan only")
		for _, d := range a.plan {
			names = append(names, d.Name)
		}
	}
	if len(names) != n {
		t.Fatalf("virsh lists %d domains, the test bed has %d", len(names), n)
	}

	resp := a.post(t, enumerateInstances("CIM_ComputerSystem"))
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var gotNames, gotUUIDs []string
	hosts := 0
	for _, inst := range namedInstances(t, body) {
		// The host is a VB_ComputerSystem too, named after itself.
		if inst["Name"] == a.snap.Host.Hostname {
			hosts++
			continue
		}
		gotNames = append(gotNames, inst["ElementName"])
		gotUUIDs = append(gotUUIDs, inst["Name"])
	}
	wantUUIDs := make([]string, 0, n)
	for _, d := range a.plan {
		wantUUIDs = append(wantUUIDs, d.UUID)
	}
	slices.Sort(names)
	slices.Sort(gotNames)
	slices.Sort(wantUUIDs)
	slices.Sort(gotUUIDs)
	if hosts != 1 || !slices.Equal(gotNames, names) || !slices.Equal(gotUUIDs, wantUUIDs) {
		t.Fatalf("CIM_ComputerSystem: %d host instances (want 1) and %d VMs; the VMs' names and UUIDs match virsh's: %v, %v",
			hosts, len(gotNames), slices.Equal(gotNames, names), slices.Equal(gotUUIDs, wantUUIDs))
	}

	buf := make([]byte, 64<<10)
	if got, want := mustCount(t, a, enumerateInstances("CIM_ResourceAllocationSettingData"), buf), expectedRASDs(a.snap); got != want {
		t.Errorf("CIM_ResourceAllocationSettingData: %d instances, want %d", got, want)
	}
	d, _ := a.snap.Domain(a.plan[n/2].UUID)
	if got, want := mustCount(t, a, systemDevices(d.UUID), buf), systemDeviceCount(d); got != want {
		t.Errorf("Associators of %s through CIM_SystemDevice: %d instances, want %d", d.Name, got, want)
	}
	if calls := a.backend.reads.Load(); calls != 0 {
		t.Errorf("%d reads of the hypervisor while serving requests, want none", calls)
	}
	// The control: a read that does go through the counter is seen, and
	// fails, libvirt being gone.
	if err := a.inv.Sync(t.Context()); err == nil || a.backend.reads.Load() == 0 {
		t.Errorf("a resync after the connection closed: %v, %d reads counted", err, a.backend.reads.Load())
	}
}

func mustCount(t *testing.T, a *agent, req request, buf []byte) int {
	t.Helper()
	got, _ := a.do(t, req, buf)
	return got
}
