package provider

import (
	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
	"strings"
)

// Setting classes and their associations (DSP1057 §7.2, DSP1041).
const (
	classVSSD            = "VB_VirtualSystemSettingData"
	classProcRASD        = "VB_ProcessorAllocationSettingData"
	classMemRASD         = "VB_MemoryAllocationSettingData"
	classStorageRASD     = "VB_StorageAllocationSettingData"
	classEthernetRASD    = "VB_EthernetPortAllocationSettingData"
	classVSSDComponent   = "VB_VirtualSystemSettingDataComponent"
	classSettingsDefines = "VB_SettingsDefineState"
	classElementSetting  = "VB_ElementSettingData"
)

// resourceTypes is CIM_ResourceAllocationSettingData.ResourceType
// (DSP1041 §7.2, the CIM schema's ValueMap) for what the model has. A
// disk is a Logical Disk (31), as the VB_LogicalDisk it configures and the
// storage pools it comes from (DSP1047); CD and floppy are drives.
var resourceTypes = map[string]uint16{
	"processor": 3, "memory": 4, "ethernet": 10, "dvd": 16, "floppy": 14, "disk": 31,
}

// AutomaticStartupAction values (CIM_VirtualSystemSettingData).
const (
	startupNone   = 2
	startupAlways = 4
)

// settingID is the stable InstanceID of a VM's settings: the UUID and the
// device's own identity, never its name.
func settingID(uuid, part string) string {
	if part == "" {
		return "VB:" + uuid
	}
	return "VB:" + uuid + "/" + part
}

// setting is one RASD of a VM, tied to the device it configures.
type setting struct {
	class, part string
	dev         device // the device whose state this setting defines
	pool        string // InstanceID of the pool it is allocated from, or ""
	fill        func(inst *cim.Instance)
}

// settings lists a VM's RASDs in the order of devices(), each with the
// pool of its device.
func settings(h *backends.Host, d *backends.Domain) []setting {
	out := vmSettings(d)
	for i := range out {
		out[i].pool = devicePool(h, d, out[i].dev)
	}
	return out
}

func vmSettings(d *backends.Domain) []setting {
	devs := devices(d)
	byClass := func(class string) []device {
		var out []device
		for _, x := range devs {
			if x.class == class {
				out = append(out, x)
			}
		}
		return out
	}
	var out []setting
	// One processor RASD for all vCPUs, tied to the first (DSP1044).
	if cpus := byClass(classProcessor); len(cpus) > 0 {
		out = append(out, setting{classProcRASD, "processor", cpus[0], "", func(inst *cim.Instance) {
			inst.Set("ResourceType", cim.Uint16(resourceTypes["processor"]))
			inst.Set("AllocationUnits", cim.String("count"))
			inst.Set("VirtualQuantity", cim.Uint64(uint64(d.VCPUs)))
			inst.Set("Limit", cim.Uint64(uint64(d.MaxVCPUs)))
		}})
	}
	out = append(out, setting{classMemRASD, "memory", byClass(classMemory)[0], "", func(inst *cim.Instance) {
		inst.Set("ResourceType", cim.Uint16(resourceTypes["memory"]))
		inst.Set("AllocationUnits", cim.String("byte*2^10"))
		inst.Set("VirtualQuantityUnits", cim.String("byte*2^10"))
		inst.Set("VirtualQuantity", cim.Uint64(d.MemoryKiB))
		inst.Set("Limit", cim.Uint64(d.MaxMemKiB))
	}})
	for i, dev := range byClass(classLogicalDisk) {
		k := d.Disks[i]
		kind := "disk"
		switch k.Device {
		case backends.DiskDeviceCDROM:
			kind = "dvd"
		case backends.DiskDeviceFloppy:
			kind = "floppy"
		}
		out = append(out, setting{classStorageRASD, "disk/" + k.Target, dev, "", func(inst *cim.Instance) {
			inst.Set("ResourceType", cim.Uint16(resourceTypes[kind]))
			inst.Set("ElementName", cim.String(k.Target))
			inst.Set("Address", cim.String(k.Target))
			if k.Source != "" {
				inst.Set("HostResource", cim.Strings(k.Source))
			}
			inst.Set("AllocationUnits", cim.String("byte"))
			inst.Set("VirtualQuantityUnits", cim.String("byte"))
			if k.CapacityB > 0 {
				inst.Set("VirtualQuantity", cim.Uint64(k.CapacityB))
			}
		}})
	}
	for i, dev := range byClass(classEthernetPort) {
		n := d.NICs[i]
		out = append(out, setting{classEthernetRASD, "nic/" + n.MAC, dev, "", func(inst *cim.Instance) {
			inst.Set("ResourceType", cim.Uint16(resourceTypes["ethernet"]))
			inst.Set("ElementName", cim.String(n.MAC))
			inst.Set("Address", cim.String(n.MAC))
		}})
	}
	return out
}

// SystemSettings is the VM's state VSSD (DSP1057: the settings that reflect
// its current configuration).
func (s Schema) SystemSettings(d *backends.Domain) (*cim.Instance, error) {
	inst, err := s.vssd(d, "", d.Name)
	if err != nil {
		return nil, err
	}
	action := uint16(startupNone)
	if d.Autostart {
		action = startupAlways
	}
	inst.Set("AutomaticStartupAction", cim.Uint16(action))
	if d.Description != "" {
		inst.Set("Notes", cim.Strings(strings.Split(d.Description, "\n")...)) // a line each
	}
	if d.GuestOS != "" {
		// Our own property: the DMTF subset has no guest OS in a VSSD
		// (CIM_OperatingSystem.OSType's value map would lose the name).
		inst.Set("GuestOS", cim.String(d.GuestOS))
	}
	return s.finish(classVSSD, inst)
}

// vssd is what every VSSD of d says, the state VSSD (part "") and its
// snapshots alike: which VM, and what type of virtual system.
func (s Schema) vssd(d *backends.Domain, part, name string) (*cim.Instance, error) {
	inst, err := s.newInstance(classVSSD)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(settingID(d.UUID, part)))
	inst.Set("ElementName", cim.String(name))
	inst.Set("VirtualSystemIdentifier", cim.String(d.UUID))
	inst.Set("VirtualSystemType", cim.String(virtualSystemPrefix+d.OSType))
	return inst, nil
}

// ResourceSettings makes the instance of one RASD of d.
func (s Schema) ResourceSettings(d *backends.Domain, st setting) (*cim.Instance, error) {
	inst, err := s.newInstance(st.class)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(settingID(d.UUID, st.part)))
	if st.pool != "" {
		inst.Set("PoolID", cim.String(st.pool))
	}
	st.fill(inst)
	return s.finish(st.class, inst)
}

// association makes a two-reference association instance.
func (s Schema) association(class, a string, pa cim.ObjectPath, b string, pb cim.ObjectPath) (*cim.Instance, error) {
	inst, err := s.newInstance(class)
	if err != nil {
		return nil, err
	}
	inst.Set(a, cim.Ref(pa))
	inst.Set(b, cim.Ref(pb))
	return s.finish(class, inst)
}
