package vsphere

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// controllerBus names a disk controller's bus as the model does.
func controllerBus(c types.BaseVirtualDevice) string {
	switch c.(type) {
	case types.BaseVirtualSCSIController:
		return "scsi"
	case *types.VirtualIDEController:
		return "ide"
	case types.BaseVirtualSATAController:
		return "sata"
	case *types.VirtualNVMEController:
		return "nvme"
	}
	return ""
}

// diskTarget is a disk's guest-facing address the way vSphere writes it
// in the .vmx file: bus, controller bus number, unit ("scsi0:1"); floppy
// drives are "floppy0". Falls back to the device label.
func diskTarget(l object.VirtualDeviceList, d types.BaseVirtualDevice) (target, bus string) {
	v := d.GetVirtualDevice()
	unit := int32(0)
	if v.UnitNumber != nil {
		unit = *v.UnitNumber
	}
	if _, ok := d.(*types.VirtualFloppy); ok {
		return fmt.Sprintf("floppy%d", unit), "fdc"
	}
	if c := l.FindByKey(v.ControllerKey); c != nil && v.UnitNumber != nil {
		if bus = controllerBus(c); bus != "" {
			return fmt.Sprintf("%s%d:%d", bus, c.(types.BaseVirtualController).GetVirtualController().BusNumber, unit), bus
		}
	}
	if v.DeviceInfo != nil {
		return v.DeviceInfo.GetDescription().Label, ""
	}
	return fmt.Sprintf("device-%d", v.Key), ""
}

// diskOf maps a disk, CD-ROM or floppy drive; ok is false for any other
// device.
func diskOf(l object.VirtualDeviceList, d types.BaseVirtualDevice) (backends.Disk, bool) {
	var k backends.Disk
	switch x := d.(type) {
	case *types.VirtualDisk:
		k.Device, k.Format = backends.DiskDeviceDisk, "vmdk"
		k.CapacityB = uint64(max(x.CapacityInBytes, x.CapacityInKB*1024, 0))
		if _, raw := x.Backing.(*types.VirtualDiskRawDiskMappingVer1BackingInfo); raw {
			k.Format = "rdm"
		}
	case *types.VirtualCdrom:
		k.Device, k.ReadOnly = backends.DiskDeviceCDROM, true
	case *types.VirtualFloppy:
		k.Device = backends.DiskDeviceFloppy
	default:
		return k, false
	}
	k.Target, k.Bus = diskTarget(l, d)
	switch b := d.GetVirtualDevice().Backing.(type) {
	case types.BaseVirtualDeviceFileBackingInfo:
		k.Source = b.GetVirtualDeviceFileBackingInfo().FileName
		var p object.DatastorePath
		if p.FromString(k.Source) {
			k.Pool, k.Volume = p.Datastore, p.Path
		}
		if k.Format == "" && strings.HasSuffix(strings.ToLower(k.Source), ".iso") {
			k.Format = "iso"
		}
	case types.BaseVirtualDeviceDeviceBackingInfo:
		k.Source = b.GetVirtualDeviceDeviceBackingInfo().DeviceName
	}
	return k, true
}

// drive is a disk, CD-ROM or floppy drive of a VM, as device and model.
type drive struct {
	dev  types.BaseVirtualDevice
	disk backends.Disk
}

// drives maps a VM's drives. Their targets are unique, as the model
// needs: a target taken already (two drives on one unit, which vSphere
// refuses but its simulator builds) gets the device key appended.
func drives(l object.VirtualDeviceList) []drive {
	var out []drive
	seen := map[string]bool{}
	for _, d := range l {
		k, ok := diskOf(l, d)
		if !ok {
			continue
		}
		if seen[k.Target] {
			k.Target = fmt.Sprintf("%s-%d", k.Target, d.GetVirtualDevice().Key)
		}
		seen[k.Target] = true
		out = append(out, drive{d, k})
	}
	return out
}

// nicModels names the virtual NIC types.
func nicModel(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.VirtualVmxnet3:
		return "vmxnet3"
	case *types.VirtualVmxnet3Vrdma:
		return "vmxnet3vrdma"
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualVmxnet:
		return "vmxnet"
	case *types.VirtualPCNet32:
		return "pcnet32"
	case *types.VirtualSriovEthernetCard:
		return "sriov"
	}
	return "ethernet"
}

// nicOf maps a virtual NIC; ok is false for any other device.
func nicOf(d types.BaseVirtualDevice, nets *netIndex) (backends.NIC, bool) {
	card, ok := d.(types.BaseVirtualEthernetCard)
	if !ok {
		return backends.NIC{}, false
	}
	c := card.GetVirtualEthernetCard()
	n := backends.NIC{MAC: strings.ToLower(c.MacAddress), Model: nicModel(d)}
	n.LinkUp = c.Connectable != nil && c.Connectable.Connected
	switch b := c.Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		n.Network = b.DeviceName
		n.Bridge = nets.bridge(b.DeviceName)
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		n.Network = nets.nameOf(b.Port.PortgroupKey)
		n.Bridge = nets.bridge(n.Network)
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		n.Network = nets.nameOf(b.OpaqueNetworkId)
		n.Bridge = nets.bridge(n.Network)
	}
	return n, true
}

// modelDevices keys the devices the model shows: disks by target, NICs by
// MAC. Device events name them so.
func modelDevices(list []types.BaseVirtualDevice) map[string]bool {
	out := map[string]bool{}
	for _, d := range drives(list) {
		out[d.disk.Target] = true
	}
	for _, d := range list {
		if c, ok := d.(types.BaseVirtualEthernetCard); ok {
			mac := strings.ToLower(c.GetVirtualEthernetCard().MacAddress)
			if mac == "" {
				mac = fmt.Sprintf("nic-%d", d.GetVirtualDevice().Key)
			}
			out[mac] = true
		}
	}
	return out
}
