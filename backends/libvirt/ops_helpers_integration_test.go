package libvirt_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// opsBed is a six-domain test bed with the "default" network, a rig over
// it, and its plan; domain i has i%(snapshots+1) snapshots.
func opsBed(t *testing.T, snapshots int) (*rig, testbed.Node) {
	t.Helper()
	uri, node := writeNode(t, testbed.Options{Domains: 6, Seed: 3, Networks: 1, Snapshots: snapshots})
	return startRig(t, uri, eventsOnly, libvirt.Options{}), node
}

// planned returns the first planned domain in state st with n snapshots.
func planned(t *testing.T, node testbed.Node, st string, n int) testbed.Domain {
	t.Helper()
	i := slices.IndexFunc(node.Domains, func(d testbed.Domain) bool { return d.State == st && len(d.Snapshots) == n })
	if i < 0 {
		t.Fatalf("the test bed has no %s domain with %d snapshots", st, n)
	}
	return node.Domains[i]
}

// definition reads a domain's live or stored XML on the backend's own
// connection: the test driver keeps state per connection, so virsh, in
// another process, never sees what the backend changed.
func definition(t *testing.T, r *rig, uuid string, inactive bool) *libvirtxml.Domain {
	t.Helper()
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.LookupDomainByUUIDString(uuid)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free()
	var flags lv.DomainXMLFlags
	if inactive {
		flags = lv.DOMAIN_XML_INACTIVE
	}
	doc, err := d.GetXMLDesc(flags)
	if err != nil {
		t.Fatal(err)
	}
	x := &libvirtxml.Domain{}
	if err := x.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	return x
}

// domainCount counts the domains on the backend's connection.
func domainCount(t *testing.T, r *rig) int {
	t.Helper()
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.NumOfDomains()
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.NumOfDefinedDomains()
	if err != nil {
		t.Fatal(err)
	}
	return n + m
}

// wantKind asserts err is a backend error of the given kind.
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	var be *backends.Error
	switch {
	case !errors.As(err, &be):
		t.Errorf("%s: %v (%T), want a *backends.Error of kind %v", what, err, err, kind)
	case !errors.Is(err, kind):
		t.Errorf("%s: %v, want kind %v", what, err, kind)
	default:
		t.Logf("%s: %v", what, err)
	}
}

// diskFiles makes n empty files to use as disk sources.
func diskFiles(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	out := make([]string, n)
	for i := range out {
		out[i] = filepath.Join(dir, "disk"+string(rune('a'+i))+".img")
		if err := os.WriteFile(out[i], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// until waits for a change to the domain that satisfies ok.
func (r *rig) until(t *testing.T, what, uuid string, ok func(*backends.Domain) bool) *backends.Domain {
	t.Helper()
	c := r.waitFor(t, what, func(c inventory.Change) bool {
		return c.After != nil && c.After.UUID == uuid && ok(c.After)
	})
	return c.After
}

// targets lists a domain's disk targets.
func targets(d *backends.Domain) []string {
	var out []string
	for _, k := range d.Disks {
		out = append(out, k.Target)
	}
	return out
}

// macs lists a domain's NIC addresses.
func macs(d *backends.Domain) []string {
	var out []string
	for _, n := range d.NICs {
		out = append(out, n.MAC)
	}
	return out
}
