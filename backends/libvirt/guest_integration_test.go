package libvirt_test

import (
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// TestGuestIdentity reads, through libvirt, a test bed whose even domains
// carry an SMBIOS <sysinfo> and libosinfo metadata: those show their
// libosinfo OS, the others none. The BIOS UUID is the domain UUID either
// way: libvirt refuses a sysinfo uuid that differs (and normalises the
// upper-case one written), so only the XML tests can tell the sources
// apart. Every power operation is libvirt's to try.
func TestGuestIdentity(t *testing.T) {
	uri, node := writeNode(t, testbed.Options{Domains: 6, Seed: 8, GuestIdentity: true})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	snap := r.inv.Snapshot()
	withOS := 0
	for _, p := range node.Domains {
		d, ok := snap.Domain(p.UUID)
		if !ok {
			t.Fatalf("%s missing", p.Name)
		}
		if d.BIOSUUID != strings.ToLower(p.UUID) || d.GuestOS != p.GuestOS || d.Unsupported != 0 {
			t.Errorf("%s: BIOS UUID %q, guest OS %q, unsupported %v; planned %q, %q, none", p.Name, d.BIOSUUID, d.GuestOS, d.Unsupported.List(), p.UUID, p.GuestOS)
		}
		if p.GuestOS != "" {
			withOS++
		}
		// libvirt kept the sysinfo the bed wrote, so the UUID above came
		// through it for these domains.
		x := definition(t, r, p.UUID, false)
		has := len(x.SysInfo) == 1 && x.SysInfo[0].SMBIOS != nil && x.SysInfo[0].SMBIOS.System != nil &&
			len(x.SysInfo[0].SMBIOS.System.Entry) == 2 && x.SysInfo[0].SMBIOS.System.Entry[1].Value == strings.ToLower(p.UUID)
		if has != p.Sysinfo {
			t.Errorf("%s: SMBIOS system uuid in the live XML %v, planned %v: %+v", p.Name, has, p.Sysinfo, x.SysInfo)
		}
	}
	if withOS != 3 {
		t.Errorf("%d domains with a guest OS, want 3 of 6", withOS)
	}
}
