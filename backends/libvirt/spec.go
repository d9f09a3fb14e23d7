package libvirt

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
)

// Checks on backend-neutral specs, made before anything is asked of
// libvirt so that bad input never leaves a domain half-changed. They return
// plain errors; the operations wrap them as ErrInvalidArgument.

// maxMemKiB is the largest memory size libvirt takes
// (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, 2^53-1 KiB).
const maxMemKiB = 1<<53 - 1

// checkName accepts a domain or snapshot name libvirt stores safely: not
// empty, no path separator, no control characters.
func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s name is empty", what)
	case len(name) > 1024:
		return fmt.Errorf("the %s name is %d bytes long; at most 1024", what, len(name))
	case strings.Contains(name, "/"):
		return fmt.Errorf("%s name %q contains '/'", what, name)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("%s name %q contains a control character", what, name)
	}
	return nil
}

// checkSpec validates a domain spec and returns it with defaults filled in:
// MaxVCPUs and MaxMemKiB default to the current figures, and disks and NICs
// are normalised as checkDisk and checkNIC do.
func checkSpec(spec backends.DomainSpec) (backends.DomainSpec, error) {
	if err := checkName("domain", spec.Name); err != nil {
		return spec, err
	}
	if strings.ContainsAny(spec.Title, "\r\n") {
		return spec, errors.New("the title contains a line break")
	}
	if spec.MaxVCPUs == 0 {
		spec.MaxVCPUs = spec.VCPUs
	}
	switch {
	case spec.VCPUs < 1:
		return spec, fmt.Errorf("%d vCPUs: at least 1 is needed", spec.VCPUs)
	case spec.VCPUs > spec.MaxVCPUs:
		return spec, fmt.Errorf("%d vCPUs is above the maximum of %d", spec.VCPUs, spec.MaxVCPUs)
	case spec.MaxVCPUs > maxVCPUs:
		return spec, fmt.Errorf("a maximum of %d vCPUs is above libvirt's limit of %d", spec.MaxVCPUs, maxVCPUs)
	}
	if spec.MaxMemKiB == 0 {
		spec.MaxMemKiB = spec.MemoryKiB
	}
	switch {
	case spec.MemoryKiB == 0:
		return spec, errors.New("memory is 0 KiB")
	case spec.MemoryKiB > spec.MaxMemKiB:
		return spec, fmt.Errorf("memory of %d KiB is above the maximum of %d KiB", spec.MemoryKiB, spec.MaxMemKiB)
	case spec.MaxMemKiB > maxMemKiB:
		return spec, fmt.Errorf("a maximum memory of %d KiB is above libvirt's limit of %d KiB", spec.MaxMemKiB, uint64(maxMemKiB))
	}
	disks := make([]backends.DiskSpec, len(spec.Disks))
	for i, d := range spec.Disks {
		var err error
		if disks[i], err = checkDisk(d); err != nil {
			return spec, err
		}
		if slices.ContainsFunc(disks[:i], func(o backends.DiskSpec) bool { return o.Target == disks[i].Target }) {
			return spec, fmt.Errorf("two disks have target %s", d.Target)
		}
	}
	nics := make([]backends.NICSpec, len(spec.NICs))
	for i, n := range spec.NICs {
		var err error
		if nics[i], err = checkNIC(n); err != nil {
			return spec, err
		}
		if nics[i].MAC != "" && slices.ContainsFunc(nics[:i], func(o backends.NICSpec) bool { return o.MAC == nics[i].MAC }) {
			return spec, fmt.Errorf("two NICs have MAC address %s", nics[i].MAC)
		}
	}
	spec.Disks, spec.NICs = disks, nics
	for i, dev := range spec.BootOrder {
		if !slices.Contains(bootDevices, dev) {
			return spec, fmt.Errorf("boot device %q is not one of %s", dev, strings.Join(bootDevices, ", "))
		}
		if slices.Contains(spec.BootOrder[:i], dev) {
			return spec, fmt.Errorf("boot device %q is listed twice", dev)
		}
	}
	return spec, nil
}

// bootDevices are the device kinds libvirt boots from (<os><boot dev>).
var bootDevices = []string{"hd", "cdrom", "network", "fd"}

// targetRE is a disk target libvirt can number (virDiskNameToIndex).
var targetRE = regexp.MustCompile(`^(hd|sd|vd|xvd|fd|ubd)[a-z]{1,3}$`)

var (
	diskBuses   = []string{"ide", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd", "fdc"}
	diskDevices = []backends.DiskDevice{backends.DiskDeviceDisk, backends.DiskDeviceCDROM, backends.DiskDeviceFloppy, backends.DiskDeviceLUN}
	// diskFormats are libvirt's storage file formats (virStorageFileFormat).
	diskFormats = []string{"raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vpc", "vhdx", "iso", "dmg", "cloop", "bochs", "ploop", "luks", "fat"}
)

// checkDisk validates a disk spec; an empty device means a disk.
func checkDisk(d backends.DiskSpec) (backends.DiskSpec, error) {
	if d.Device == "" {
		d.Device = backends.DiskDeviceDisk
	}
	switch {
	case !targetRE.MatchString(d.Target):
		return d, fmt.Errorf("disk target %q is not a device name such as vda, sdb or hdc", d.Target)
	case d.Bus != "" && !slices.Contains(diskBuses, d.Bus):
		return d, fmt.Errorf("disk %s: bus %q is not one of %s", d.Target, d.Bus, strings.Join(diskBuses, ", "))
	case !slices.Contains(diskDevices, d.Device):
		return d, fmt.Errorf("disk %s: device %q is not one of disk, cdrom, floppy, lun", d.Target, d.Device)
	case d.Format != "" && !slices.Contains(diskFormats, d.Format):
		return d, fmt.Errorf("disk %s: format %q is not one of %s", d.Target, d.Format, strings.Join(diskFormats, ", "))
	case d.Device == backends.DiskDeviceFloppy && (!strings.HasPrefix(d.Target, "fd") || d.Bus != "" && d.Bus != "fdc"):
		return d, fmt.Errorf("floppy %s: needs an fd* target on the fdc bus", d.Target)
	case d.Source == "" && (d.Device == backends.DiskDeviceDisk || d.Device == backends.DiskDeviceLUN):
		return d, fmt.Errorf("disk %s has no source", d.Target)
	case d.Source != "" && !filepath.IsAbs(d.Source):
		return d, fmt.Errorf("disk %s: source %q is not an absolute path", d.Target, d.Source)
	case strings.ContainsFunc(d.Source, func(r rune) bool { return r < ' ' }):
		return d, fmt.Errorf("disk %s: source %q contains a control character", d.Target, d.Source)
	}
	return d, nil
}

var (
	modelRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	bridgeRE = regexp.MustCompile(`^[^/\s:]{1,15}$`) // a Linux interface name
)

// checkNIC validates a NIC spec and writes its MAC in libvirt's form.
func checkNIC(n backends.NICSpec) (backends.NICSpec, error) {
	switch {
	case (n.Network == "") == (n.Bridge == ""):
		return n, fmt.Errorf("a NIC needs exactly one of a network or a bridge (network %q, bridge %q)", n.Network, n.Bridge)
	case n.Model != "" && !modelRE.MatchString(n.Model):
		return n, fmt.Errorf("NIC model %q is not a model name such as virtio or e1000", n.Model)
	case n.Bridge != "" && !bridgeRE.MatchString(n.Bridge):
		return n, fmt.Errorf("bridge %q is not an interface name", n.Bridge)
	}
	if n.Network != "" {
		if err := checkName("network", n.Network); err != nil {
			return n, err
		}
	}
	if n.MAC != "" {
		mac, err := normalMAC(n.MAC)
		if err != nil {
			return n, err
		}
		n.MAC = mac
	}
	return n, nil
}

// normalMAC reads a unicast Ethernet address into lower-case colon form.
func normalMAC(s string) (string, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", fmt.Errorf("%q is not an Ethernet MAC address", s)
	}
	if hw[0]&1 != 0 {
		return "", fmt.Errorf("MAC address %s is a multicast address", hw)
	}
	return hw.String(), nil
}
