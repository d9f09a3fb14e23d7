package libvirt

import (
	"errors"
	"slices"

	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// guest is what a new domain is typed as on a connection: the domain type
// and architecture of a full-virtualisation (hvm) guest.
type guest struct{ domType, arch string }

// guestFor picks from the hypervisor's capabilities the hvm guest of the
// host's architecture (else the first hvm guest), and its accelerated
// domain type when libvirt offers one: "kvm" when libvirtd can use
// /dev/kvm, else "qemu" on QEMU; "test" on the test driver; "xen" on Xen.
// libvirtd judges /dev/kvm itself, which is what matters when the
// connection is remote.
func guestFor(caps *libvirtxml.Caps) (guest, error) {
	hostArch := ""
	if caps.Host.CPU != nil {
		hostArch = caps.Host.CPU.Arch
	}
	var pick *libvirtxml.CapsGuestArch
	for i := range caps.Guests {
		g := &caps.Guests[i]
		if g.OSType != "hvm" || len(g.Arch.Domains) == 0 {
			continue
		}
		if pick == nil || g.Arch.Name == hostArch && pick.Name != hostArch {
			pick = &g.Arch
		}
	}
	if pick == nil {
		return guest{}, errors.New("the hypervisor offers no hvm guest")
	}
	g := guest{domType: pick.Domains[0].Type, arch: pick.Name}
	if slices.ContainsFunc(pick.Domains, func(d libvirtxml.CapsGuestDomain) bool { return d.Type == "kvm" }) {
		g.domType = "kvm"
	}
	return g, nil
}

// diskKind says how a disk's source is given.
type diskKind string

const (
	diskFile  diskKind = "file"
	diskBlock diskKind = "block"
)

// domainDoc builds the domain XML for a checked spec; kinds has each
// disk's source kind, in order.
func domainDoc(spec backends.DomainSpec, g guest, kinds []diskKind) *libvirtxml.Domain {
	x := &libvirtxml.Domain{
		Type:          g.domType,
		Name:          spec.Name,
		Title:         spec.Title,
		Memory:        &libvirtxml.DomainMemory{Value: uint(spec.MaxMemKiB), Unit: "KiB"},
		CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: uint(spec.MemoryKiB), Unit: "KiB"},
		VCPU:          &libvirtxml.DomainVCPU{Placement: "static", Value: uint(spec.MaxVCPUs)},
		OS:            &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Type: "hvm", Arch: g.arch}},
		OnPoweroff:    "destroy",
		OnReboot:      "restart",
		OnCrash:       "destroy",
		Devices:       &libvirtxml.DomainDeviceList{},
	}
	if spec.VCPUs != spec.MaxVCPUs {
		x.VCPU.Current = uint(spec.VCPUs)
	}
	switch g.arch {
	case "x86_64", "i686":
		// ACPI lets Shutdown and Reboot reach the guest.
		x.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}}
	}
	for _, dev := range spec.BootOrder {
		x.OS.BootDevices = append(x.OS.BootDevices, libvirtxml.DomainBootDevice{Dev: dev})
	}
	for i, d := range spec.Disks {
		x.Devices.Disks = append(x.Devices.Disks, diskDoc(d, kinds[i]))
	}
	for _, n := range spec.NICs {
		x.Devices.Interfaces = append(x.Devices.Interfaces, nicDoc(n))
	}
	return x
}

// diskDoc builds a <disk> for a checked disk spec.
func diskDoc(d backends.DiskSpec, kind diskKind) libvirtxml.DomainDisk {
	x := libvirtxml.DomainDisk{Device: string(d.Device), Target: &libvirtxml.DomainDiskTarget{Dev: d.Target, Bus: d.Bus}}
	switch {
	case d.Source == "":
		// An empty CD-ROM or floppy drive: no <source>.
	case kind == diskBlock:
		x.Source = &libvirtxml.DomainDiskSource{Block: &libvirtxml.DomainDiskSourceBlock{Dev: d.Source}}
	default:
		x.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: d.Source}}
	}
	if d.Format != "" {
		x.Driver = &libvirtxml.DomainDiskDriver{Type: d.Format}
	}
	if d.ReadOnly {
		x.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	}
	return x
}

// nicDoc builds an <interface> for a checked NIC spec.
func nicDoc(n backends.NICSpec) libvirtxml.DomainInterface {
	var x libvirtxml.DomainInterface
	if n.Network != "" {
		x.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: n.Network}}
	} else {
		x.Source = &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: n.Bridge}}
	}
	if n.MAC != "" {
		x.MAC = &libvirtxml.DomainInterfaceMAC{Address: n.MAC}
	}
	if n.Model != "" {
		x.Model = &libvirtxml.DomainInterfaceModel{Type: n.Model}
	}
	return x
}
