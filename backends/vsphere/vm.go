package vsphere

import (
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// vmProps are what a VM read asks for.
var vmProps = []string{
	"name", "config.instanceUuid", "config.uuid", "config.template", "config.guestId", "config.guestFullName", "config.annotation",
	"config.hardware", "config.cpuAffinity", "runtime.powerState", "runtime.host", "runtime.bootTime", "snapshot",
}

// powerStates maps vSphere's power states. A suspended VM has its memory
// saved to disk and no process: shut off with a managed save, which CIM
// shows as "Enabled but Offline" and SNMP as saved, like libvirt's.
var powerStates = map[types.VirtualMachinePowerState]backends.State{
	types.VirtualMachinePowerStatePoweredOn:  backends.StateRunning,
	types.VirtualMachinePowerStatePoweredOff: backends.StateShutOff,
	types.VirtualMachinePowerStateSuspended:  backends.StateShutOff,
}

// powerState maps a power state; saved is true when suspended.
func powerState(p types.VirtualMachinePowerState) (s backends.State, saved bool) {
	return powerStates[p], p == types.VirtualMachinePowerStateSuspended
}

// hostCtx is what mapping a VM needs of its host.
type hostCtx struct {
	autostart map[string]bool // by VM managed object ID
	nets      *netIndex
	// cpus and memKiB are the host's logical CPUs and memory: what a
	// VM may be given (vSphere keeps no per-VM maximum).
	cpus   int
	memKiB uint64
}

// unsupportedOps are the model's power operations vSphere lacks: it
// cannot pause a VM's vCPUs (its suspend saves the VM to disk, which is
// the model's managed save).
const unsupportedOps = backends.PowerOps(1<<backends.OpSuspend | 1<<backends.OpResume)

// domainOf maps a VM. The UUID is the instance UUID (vCenter's identity
// of the VM, unique across it); BIOSUUID is config.uuid, what the guest's
// SMBIOS shows and what a clone may duplicate.
func domainOf(vm *mo.VirtualMachine, hc hostCtx) backends.Domain {
	d := backends.Domain{Name: unescapeName(vm.Name), Persistent: true, OSType: "hvm", Unsupported: unsupportedOps,
		Disks: []backends.Disk{}, NICs: []backends.NIC{}, Snapshots: []backends.Snapshot{}}
	d.State, d.ManagedSave = powerState(vm.Runtime.PowerState)
	d.StateReason = string(vm.Runtime.PowerState)
	d.Autostart = hc.autostart[vm.Self.Value]
	if d.State.Active() && vm.Runtime.BootTime != nil {
		d.StartTime = *vm.Runtime.BootTime
	}
	c := vm.Config
	if c == nil {
		return d // still being created, or inaccessible
	}
	d.UUID = strings.ToLower(c.InstanceUuid)
	d.BIOSUUID = strings.ToLower(c.Uuid)
	d.Description = c.Annotation
	d.GuestOS = guestOS(c.GuestFullName, c.GuestId)
	d.Arch = guestArch(c.GuestId)
	d.VCPUs = int(c.Hardware.NumCPU)
	d.MaxVCPUs = max(d.VCPUs, hc.cpus)
	d.MemoryKiB = uint64(max(c.Hardware.MemoryMB, 0)) * 1024
	d.MaxMemKiB = max(d.MemoryKiB, hc.memKiB)
	var pins []int
	if c.CpuAffinity != nil {
		for _, n := range c.CpuAffinity.AffinitySet {
			pins = append(pins, int(n))
		}
	}
	d.VCPUInfo = make([]backends.VCPU, d.VCPUs)
	for i := range d.VCPUInfo {
		d.VCPUInfo[i] = backends.VCPU{Number: i, Pinning: pins}
	}
	for _, k := range drives(c.Hardware.Device) {
		d.Disks = append(d.Disks, k.disk)
	}
	for _, dev := range c.Hardware.Device {
		if n, ok := nicOf(dev, hc.nets); ok {
			d.NICs = append(d.NICs, n)
		}
	}
	d.Snapshots = snapshotsOf(vm.Snapshot)
	return d
}

// guestOS is the guest OS the VM is configured for: its full name
// ("Ubuntu Linux (64-bit)"), else its identifier ("ubuntu64Guest"). What
// VMware Tools report running (guest.guestFullName) is left out on
// purpose: RFC 7666's vmOSType is the OS the hypervisor assumes, and the
// reported one comes and goes with the Tools.
func guestOS(fullName, id string) string {
	if fullName != "" {
		return fullName
	}
	return id
}

// guestArch guesses the guest's architecture from its configured guest
// OS identifier ("ubuntu64Guest", "windows2019srv_64Guest", "arm...").
func guestArch(id string) string {
	switch {
	case id == "":
		return ""
	case strings.HasPrefix(id, "arm") || strings.Contains(id, "Arm"):
		return "aarch64"
	case strings.Contains(id, "64"):
		return "x86_64"
	}
	return "i686"
}

// snapshotsOf flattens the snapshot tree, oldest first.
func snapshotsOf(info *types.VirtualMachineSnapshotInfo) []backends.Snapshot {
	out := []backends.Snapshot{}
	if info == nil {
		return out
	}
	var walk func(list []types.VirtualMachineSnapshotTree, parent string)
	walk = func(list []types.VirtualMachineSnapshotTree, parent string) {
		for _, t := range list {
			st, _ := powerState(t.State)
			out = append(out, backends.Snapshot{
				// The tree cannot tell a memoryless snapshot of a running VM
				// from one of a stopped VM: both revert to powered off.
				Name: t.Name, Description: t.Description, Created: t.CreateTime, Parent: parent, State: st,
				Current: info.CurrentSnapshot != nil && *info.CurrentSnapshot == t.Snapshot,
			})
			walk(t.ChildSnapshotList, t.Name)
		}
	}
	walk(info.RootSnapshotList, "")
	sortByCreated(out)
	return out
}

// unescapeName undoes vSphere's escaping of '%', '/' and '\' in inventory
// names.
func unescapeName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return strings.NewReplacer("%2f", "/", "%2F", "/", "%5c", `\`, "%5C", `\`, "%25", "%").Replace(s)
}
