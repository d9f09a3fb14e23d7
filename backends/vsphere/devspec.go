package vsphere

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// targetRE parses a vSphere disk address: "scsi0:1", "sata0:2", "ide1:0".
var targetRE = regexp.MustCompile(`^(scsi|sata|ide|nvme)(\d+):(\d+)$`)

// unitsOf is how many units each bus offers.
var unitsOf = map[string]int32{"scsi": 16, "sata": 30, "ide": 2, "nvme": 15}

// addDisk returns the device changes that attach spec to a VM whose
// devices are l: the drive, and a controller when the bus has none. New
// controllers go into l, so a second disk finds them.
func addDisk(l *object.VirtualDeviceList, spec backends.DiskSpec) ([]types.BaseVirtualDeviceConfigSpec, error) {
	bus, busNum, unit := strings.ToLower(spec.Bus), int32(-1), int32(-1)
	if spec.Target != "" {
		m := targetRE.FindStringSubmatch(spec.Target)
		if m == nil {
			return nil, fmt.Errorf("disk target %q: want BUS N:UNIT like scsi0:1, sata0:0, ide1:0 or nvme0:0", spec.Target)
		}
		if bus != "" && bus != m[1] {
			return nil, fmt.Errorf("disk target %q is not on bus %q", spec.Target, spec.Bus)
		}
		n, _ := strconv.Atoi(m[2])
		u, _ := strconv.Atoi(m[3])
		bus, busNum, unit = m[1], int32(n), int32(u)
	}
	if bus == "" {
		bus = "scsi"
	}
	if _, ok := unitsOf[bus]; !ok {
		return nil, fmt.Errorf("disk bus %q: want scsi, sata, ide or nvme", spec.Bus)
	}
	var changes []types.BaseVirtualDeviceConfigSpec
	ctl := findController(*l, bus, busNum)
	if ctl == nil {
		c, err := newController(*l, bus, busNum)
		if err != nil {
			return nil, err
		}
		*l = append(*l, c)
		changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: c})
		ctl = c.(types.BaseVirtualController)
	}
	dev, err := driveOf(spec)
	if err != nil {
		return nil, err
	}
	if unit < 0 {
		if unit = freeUnit(*l, ctl, bus); unit < 0 {
			return nil, fmt.Errorf("no free unit on %s controller %d", bus, ctl.GetVirtualController().BusNumber)
		}
	} else if unit >= unitsOf[bus] || !unitFree(*l, ctl, unit) {
		return nil, fmt.Errorf("disk target %s is taken or out of range", spec.Target)
	}
	v := dev.GetVirtualDevice()
	v.Key, v.ControllerKey, v.UnitNumber = l.NewKey(), ctl.GetVirtualController().Key, &unit
	*l = append(*l, dev)
	return append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev}), nil
}

// driveOf builds the drive: an existing .vmdk ("[datastore] dir/file.vmdk"),
// an ISO image or an empty CD-ROM drive, a floppy image.
func driveOf(spec backends.DiskSpec) (types.BaseVirtualDevice, error) {
	var p object.DatastorePath
	src := strings.TrimSpace(spec.Source)
	if src != "" && !p.FromString(src) {
		return nil, fmt.Errorf("disk source %q: want a datastore path, \"[datastore] dir/file\"", spec.Source)
	}
	file := types.VirtualDeviceFileBackingInfo{FileName: src}
	switch spec.Device {
	case backends.DiskDeviceDisk, "":
		if src == "" {
			return nil, fmt.Errorf("a disk needs the datastore path of an existing .vmdk as its source")
		}
		if spec.ReadOnly {
			return nil, fmt.Errorf("vSphere has no read-only virtual disks")
		}
		if f := strings.ToLower(spec.Format); f != "" && f != "vmdk" {
			return nil, fmt.Errorf("disk format %q: vSphere disks are vmdk", spec.Format)
		}
		return &types.VirtualDisk{VirtualDevice: types.VirtualDevice{Backing: &types.VirtualDiskFlatVer2BackingInfo{
			VirtualDeviceFileBackingInfo: file, DiskMode: string(types.VirtualDiskModePersistent),
		}}}, nil
	case backends.DiskDeviceCDROM:
		cd := &types.VirtualCdrom{}
		if src == "" {
			cd.Backing = &types.VirtualCdromRemotePassthroughBackingInfo{}
		} else {
			cd.Backing = &types.VirtualCdromIsoBackingInfo{VirtualDeviceFileBackingInfo: file}
		}
		cd.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: src != "", AllowGuestControl: true}
		return cd, nil
	}
	return nil, fmt.Errorf("disk device %q: vSphere attaches disk and cdrom", spec.Device)
}

// findController returns a controller of the bus kind, the one with
// busNum when it is not -1, else the first with a free unit.
func findController(l object.VirtualDeviceList, bus string, busNum int32) types.BaseVirtualController {
	for _, d := range l {
		c, ok := d.(types.BaseVirtualController)
		if !ok || controllerBus(d) != bus {
			continue
		}
		if busNum >= 0 && c.GetVirtualController().BusNumber == busNum {
			return c
		}
		if busNum < 0 && freeUnit(l, c, bus) >= 0 {
			return c
		}
	}
	return nil
}

// newController makes a controller for the bus: paravirtual SCSI, AHCI
// SATA or NVMe. IDE controllers are fixed, two per VM.
func newController(l object.VirtualDeviceList, bus string, busNum int32) (types.BaseVirtualDevice, error) {
	var c types.BaseVirtualDevice
	var err error
	switch bus {
	case "scsi":
		c, err = l.CreateSCSIController("pvscsi")
	case "sata":
		c, err = l.CreateSATAController()
	case "nvme":
		c, err = l.CreateNVMEController()
	default:
		return nil, fmt.Errorf("the VM has no free IDE controller (IDE controllers cannot be added); use sata or scsi")
	}
	if err != nil {
		return nil, err
	}
	vc := c.(types.BaseVirtualController).GetVirtualController()
	vc.Key = l.NewKey() - 100 // clear of the drive's key
	if busNum >= 0 {
		vc.BusNumber = busNum
	}
	return c, nil
}

// freeUnit is the lowest free unit of c, -1 when it is full.
func freeUnit(l object.VirtualDeviceList, c types.BaseVirtualController, bus string) int32 {
	for u := range unitsOf[bus] {
		if unitFree(l, c, u) {
			return u
		}
	}
	return -1
}

func unitFree(l object.VirtualDeviceList, c types.BaseVirtualController, unit int32) bool {
	if s, ok := c.(types.BaseVirtualSCSIController); ok && s.GetVirtualSCSIController().ScsiCtlrUnitNumber == unit {
		return false // the SCSI controller's own unit
	}
	if _, ok := c.(types.BaseVirtualSCSIController); ok && unit == 7 {
		return false
	}
	key := c.GetVirtualController().Key
	for _, d := range l {
		if v := d.GetVirtualDevice(); v.ControllerKey == key && v.UnitNumber != nil && *v.UnitNumber == unit {
			return false
		}
	}
	return true
}

// addNIC returns the device change that adds a NIC on the named port
// group.
func addNIC(ctx context.Context, s *session, nets *netIndex, spec backends.NICSpec) (types.BaseVirtualDeviceConfigSpec, error) {
	bad := func(err error) error {
		return &backends.Error{Op: "attach nic", Target: spec.Network, Kind: backends.ErrInvalidArgument, Err: err}
	}
	if spec.Network == "" {
		return nil, bad(fmt.Errorf("name the port group the NIC connects to as its network (bridges are not addressable in vSphere)"))
	}
	ref, ok := nets.refs[spec.Network]
	if !ok {
		return nil, &backends.Error{Op: "attach nic", Target: spec.Network, Kind: backends.ErrNotFound, Err: fmt.Errorf("no port group %q on host %s", spec.Network, s.hostName)}
	}
	backing, err := networkOf(s, ref).EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, err
	}
	model := strings.ToLower(spec.Model)
	if model == "" || model == "virtio" {
		model = "vmxnet3" // the paravirtual NIC, as virtio is on KVM
	}
	dev, err := object.VirtualDeviceList{}.CreateEthernetCard(model, backing)
	if err != nil {
		return nil, bad(err)
	}
	card := dev.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	card.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
	if spec.MAC != "" {
		if _, err := net.ParseMAC(spec.MAC); err != nil {
			return nil, bad(err)
		}
		card.AddressType, card.MacAddress = string(types.VirtualEthernetCardMacTypeManual), strings.ToLower(spec.MAC)
	}
	card.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true, Connected: true}
	return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev}, nil
}

// networkOf makes the object for a network reference.
func networkOf(s *session, ref types.ManagedObjectReference) object.NetworkReference {
	switch ref.Type {
	case "DistributedVirtualPortgroup":
		return object.NewDistributedVirtualPortgroup(s.vc, ref)
	case "OpaqueNetwork":
		return object.NewOpaqueNetwork(s.vc, ref)
	}
	return object.NewNetwork(s.vc, ref)
}
