package provider

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Device classes and the association that ties them to their VM (DSP1057
// §7.3, CIM_SystemDevice).
const (
	classProcessor    = "VB_Processor"
	classMemory       = "VB_Memory"
	classLogicalDisk  = "VB_LogicalDisk"
	classEthernetPort = "VB_EthernetPort"
	classSystemDevice = "VB_SystemDevice"
)

// device is one logical device of a VM: its class and its DeviceID, which
// is stable across renames and restarts (vCPU number, disk target, MAC).
type device struct {
	class, id string
	fill      func(inst *cim.Instance)
}

// devices lists a VM's logical devices, in a fixed order.
func devices(d *backends.Domain) []device {
	var out []device
	for _, c := range d.VCPUInfo {
		out = append(out, device{classProcessor, "cpu" + strconv.Itoa(c.Number), func(inst *cim.Instance) {
			inst.Set("ElementName", cim.String(fmt.Sprintf("vCPU %d", c.Number)))
		}})
	}
	out = append(out, device{classMemory, "memory", func(inst *cim.Instance) {
		inst.Set("BlockSize", cim.Uint64(1024))
		inst.Set("NumberOfBlocks", cim.Uint64(d.MemoryKiB))
		inst.Set("ConsumableBlocks", cim.Uint64(d.MemoryKiB))
	}})
	for _, k := range d.Disks {
		out = append(out, device{classLogicalDisk, k.Target, func(inst *cim.Instance) {
			inst.Set("ElementName", cim.String(k.Target))
			inst.Set("Name", cim.String(k.Source))
			if k.CapacityB > 0 {
				inst.Set("BlockSize", cim.Uint64(512))
				inst.Set("NumberOfBlocks", cim.Uint64(k.CapacityB/512))
			}
		}})
	}
	for _, n := range d.NICs {
		out = append(out, device{classEthernetPort, n.MAC, func(inst *cim.Instance) {
			inst.Set("ElementName", cim.String(n.MAC))
			inst.Set("PermanentAddress", cim.String(strings.ToUpper(strings.ReplaceAll(n.MAC, ":", ""))))
			inst.Set("NetworkAddresses", cim.Strings(n.MAC))
		}})
	}
	return out
}

// Device makes the instance of one device of d.
func (s Schema) Device(d *backends.Domain, dev device) (*cim.Instance, error) {
	inst, err := s.newInstance(dev.class)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classComputerSystem))
	inst.Set("SystemName", cim.String(d.UUID))
	inst.Set("CreationClassName", cim.String(dev.class))
	inst.Set("DeviceID", cim.String(dev.id))
	st := stateOf(d)
	inst.Set("EnabledState", cim.Uint16(st.enabled))
	inst.Set("HealthState", cim.Uint16(st.health))
	inst.Set("OperationalStatus", uint16s(st.operational))
	dev.fill(inst)
	return s.finish(dev.class, inst)
}
