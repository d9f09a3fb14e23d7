package libvirt

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

func goodSpec() backends.DomainSpec {
	return backends.DomainSpec{Name: "web", Title: "Web", VCPUs: 2, MaxVCPUs: 4, MemoryKiB: 512 << 10, MaxMemKiB: 1 << 20,
		Disks: []backends.DiskSpec{
			{Target: "vda", Bus: "virtio", Source: "/img/web.qcow2", Format: "qcow2"},
			{Target: "hdc", Bus: "ide", Device: backends.DiskDeviceCDROM, ReadOnly: true},
		},
		NICs:      []backends.NICSpec{{Network: "default", Model: "virtio"}, {Bridge: "br0", MAC: "52:54:00:AB:CD:EF"}},
		BootOrder: []string{"cdrom", "hd"},
	}
}

// TestCheckSpec: every kind of bad input is refused with a message naming
// the problem; a good spec gets its defaults.
func TestCheckSpec(t *testing.T) {
	got, err := checkSpec(goodSpec())
	if err != nil {
		t.Fatal(err)
	}
	if got.Disks[0].Device != backends.DiskDeviceDisk || got.NICs[1].MAC != "52:54:00:ab:cd:ef" {
		t.Errorf("not normalised: %+v", got)
	}
	least, _ := checkSpec(backends.DomainSpec{Name: "m", VCPUs: 1, MemoryKiB: 1024})
	if least.MaxVCPUs != 1 || least.MaxMemKiB != 1024 {
		t.Errorf("maxima not defaulted: %+v", least)
	}
	for _, c := range []struct {
		name string
		edit func(*backends.DomainSpec)
		want string
	}{
		{"no name", func(s *backends.DomainSpec) { s.Name = "" }, "name is empty"},
		{"slash", func(s *backends.DomainSpec) { s.Name = "a/b" }, "contains '/'"},
		{"newline", func(s *backends.DomainSpec) { s.Name = "a\nb" }, "control character"},
		{"title", func(s *backends.DomainSpec) { s.Title = "a\nb" }, "title contains a line break"},
		{"no vcpus", func(s *backends.DomainSpec) { s.VCPUs = 0 }, "at least 1"},
		{"vcpus above max", func(s *backends.DomainSpec) { s.VCPUs = 5 }, "5 vCPUs is above the maximum of 4"},
		{"huge max vcpus", func(s *backends.DomainSpec) { s.MaxVCPUs = 1 << 20 }, "above libvirt's limit"},
		{"no memory", func(s *backends.DomainSpec) { s.MemoryKiB = 0 }, "memory is 0"},
		{"memory above max", func(s *backends.DomainSpec) { s.MemoryKiB = 2 << 20 }, "above the maximum of 1048576 KiB"},
		{"huge memory", func(s *backends.DomainSpec) { s.MemoryKiB, s.MaxMemKiB = 1<<60, 1<<60 }, "above libvirt's limit"},
		{"bad target", func(s *backends.DomainSpec) { s.Disks[0].Target = "disk0" }, `"disk0" is not a device name`},
		{"dup target", func(s *backends.DomainSpec) { s.Disks[1].Target = "vda" }, "two disks have target vda"},
		{"bad bus", func(s *backends.DomainSpec) { s.Disks[0].Bus = "pci" }, `bus "pci"`},
		{"bad device", func(s *backends.DomainSpec) { s.Disks[0].Device = "tape" }, `device "tape"`},
		{"bad format", func(s *backends.DomainSpec) { s.Disks[0].Format = "zip" }, `format "zip"`},
		{"no source", func(s *backends.DomainSpec) { s.Disks[0].Source = "" }, "vda has no source"},
		{"relative source", func(s *backends.DomainSpec) { s.Disks[0].Source = "web.img" }, "not an absolute path"},
		{"floppy on hd", func(s *backends.DomainSpec) { s.Disks[1].Device = backends.DiskDeviceFloppy }, "needs an fd* target"},
		{"nic without source", func(s *backends.DomainSpec) { s.NICs[0].Network = "" }, "exactly one of a network or a bridge"},
		{"nic with both", func(s *backends.DomainSpec) { s.NICs[0].Bridge = "br0" }, "exactly one of a network or a bridge"},
		{"bad model", func(s *backends.DomainSpec) { s.NICs[0].Model = "<virtio>" }, "not a model name"},
		{"bad bridge", func(s *backends.DomainSpec) { s.NICs[1].Bridge = "a-very-long-bridge-name" }, "not an interface name"},
		{"bad mac", func(s *backends.DomainSpec) { s.NICs[0].MAC = "52:54:00" }, "not an Ethernet MAC"},
		{"multicast mac", func(s *backends.DomainSpec) { s.NICs[0].MAC = "01:00:5e:00:00:01" }, "multicast"},
		{"dup mac", func(s *backends.DomainSpec) { s.NICs[0].MAC = "52:54:00:ab:cd:ef" }, "two NICs have MAC address 52:54:00:ab:cd:ef"},
		{"bad boot", func(s *backends.DomainSpec) { s.BootOrder = []string{"usb"} }, `boot device "usb"`},
		{"dup boot", func(s *backends.DomainSpec) { s.BootOrder = []string{"hd", "hd"} }, "listed twice"},
	} {
		s := goodSpec()
		c.edit(&s)
		if _, err := checkSpec(s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// TestDomainDoc: the spec becomes the domain XML libvirt documents.
func TestDomainDoc(t *testing.T) {
	spec, err := checkSpec(goodSpec())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := domainDoc(spec, guest{"kvm", "x86_64"}, []diskKind{diskFile, diskFile}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var d backends.Domain
	if err := fromXML(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "web" || d.Title != "Web" || d.VCPUs != 2 || d.MaxVCPUs != 4 || d.MemoryKiB != 512<<10 || d.MaxMemKiB != 1<<20 ||
		d.OSType != "hvm" || d.Arch != "x86_64" || len(d.Disks) != 2 || len(d.NICs) != 2 {
		t.Fatalf("read back %+v from\n%s", d, doc)
	}
	for _, want := range []string{`<domain type="kvm">`, `<boot dev="cdrom"></boot>`, `<source file="/img/web.qcow2">`, `<driver type="qcow2">`,
		`<disk device="cdrom">`, `<readonly></readonly>`, `<source network="default">`, `<mac address="52:54:00:ab:cd:ef">`,
		`<model type="virtio">`, `<acpi></acpi>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("no %s in\n%s", want, doc)
		}
	}
	block := diskDoc(backends.DiskSpec{Target: "vdb", Source: "/dev/sdz", Device: "disk"}, diskBlock)
	if s, _ := block.Marshal(); !strings.Contains(s, `type="block"`) || !strings.Contains(s, `dev="/dev/sdz"`) {
		t.Errorf("block disk: %s", s)
	}
}

// TestGuestFor: the accelerated type of the host's architecture wins.
func TestGuestFor(t *testing.T) {
	caps := func(hostArch string, guests ...libvirtxml.CapsGuest) *libvirtxml.Caps {
		return &libvirtxml.Caps{Host: libvirtxml.CapsHost{CPU: &libvirtxml.CapsHostCPU{Arch: hostArch}}, Guests: guests}
	}
	g := func(os, arch string, types ...string) libvirtxml.CapsGuest {
		x := libvirtxml.CapsGuest{OSType: os, Arch: libvirtxml.CapsGuestArch{Name: arch}}
		for _, typ := range types {
			x.Arch.Domains = append(x.Arch.Domains, libvirtxml.CapsGuestDomain{Type: typ})
		}
		return x
	}
	for _, c := range []struct {
		caps *libvirtxml.Caps
		want guest
	}{
		{caps("x86_64", g("hvm", "i686", "qemu", "kvm"), g("hvm", "x86_64", "qemu", "kvm")), guest{"kvm", "x86_64"}},
		{caps("x86_64", g("hvm", "aarch64", "qemu"), g("hvm", "x86_64", "qemu")), guest{"qemu", "x86_64"}},
		{caps("i686", g("xen", "i686", "test"), g("hvm", "i686", "test")), guest{"test", "i686"}},
		{caps("s390x", g("hvm", "x86_64", "qemu")), guest{"qemu", "x86_64"}},
	} {
		if got, err := guestFor(c.caps); err != nil || got != c.want {
			t.Errorf("guestFor = %v, %v; want %v", got, err, c.want)
		}
	}
	if _, err := guestFor(caps("x86_64", g("exe", "x86_64", "lxc"))); err == nil {
		t.Error("no hvm guest: want an error")
	}
}

// TestAffect: scopes resolve against the domain's state.
func TestAffect(t *testing.T) {
	for _, c := range []struct {
		scope              backends.Scope
		active, persistent bool
		want               affect
		kind               error
	}{
		{backends.ScopeCurrent, true, true, affect{live: true}, nil},
		{backends.ScopeCurrent, false, true, affect{config: true}, nil},
		{backends.ScopeCurrent, true, false, affect{live: true}, nil},
		{backends.ScopeLive, false, true, affect{}, backends.ErrInvalidState},
		{backends.ScopeConfig, true, true, affect{config: true}, nil},
		{backends.ScopeConfig, true, false, affect{}, backends.ErrInvalidState},
		{backends.ScopeBoth, true, true, affect{live: true, config: true}, nil},
		{backends.ScopeBoth, false, true, affect{}, backends.ErrInvalidState},
		{backends.Scope(9), true, true, affect{}, backends.ErrInvalidArgument},
	} {
		r := &domainRef{name: "d", active: c.active, persistent: c.persistent}
		a, err := r.affect("op", c.scope)
		if c.kind != nil {
			checkKind(t, err, "op", "d", c.kind)
			continue
		}
		if err != nil || a != c.want {
			t.Errorf("scope %d active %v persistent %v: %+v, %v; want %+v", c.scope, c.active, c.persistent, a, err, c.want)
		}
	}
	if f := (affect{live: true, config: true}).flags(); f != 3 {
		t.Errorf("live+config flags %d, want VIR_DOMAIN_AFFECT_LIVE|CONFIG = 3", f)
	}
}
