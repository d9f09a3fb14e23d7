// Package backends holds the hypervisor-neutral model of a host and its
// virtual machines, the Backend interface every hypervisor adapter
// implements, and the typed errors front ends map onto their protocols.
package backends

import "time"

// Host is the hypervisor host as the agent sees it.
type Host struct {
	Hostname          string    `json:"hostname"`
	UUID              string    `json:"uuid"`
	HypervisorType    string    `json:"hypervisorType"`    // e.g. "QEMU", "Xen", "TEST", "VMware ESX"
	HypervisorVersion string    `json:"hypervisorVersion"` // dotted, e.g. "7.2.0"
	LibraryVersion    string    `json:"libraryVersion"`    // management library or API version (libvirt, vSphere API), dotted
	CPUModel          string    `json:"cpuModel"`
	CPUSockets        int       `json:"cpuSockets"` // in all NUMA nodes
	CPUCores          int       `json:"cpuCores"`   // per socket
	CPUThreads        int       `json:"cpuThreads"` // per core
	CPUMHz            int       `json:"cpuMHz"`
	CPUs              int       `json:"cpus"` // logical CPUs
	MemoryTotalKiB    uint64    `json:"memoryTotalKiB"`
	MemoryFreeKiB     uint64    `json:"memoryFreeKiB"`
	BootTime          time.Time `json:"bootTime,omitzero"` // zero when the backend cannot know it
	// ManualMACs is the range a NIC's MAC is picked from when a client
	// adds one without: the addresses the hypervisor takes as manually
	// assigned. Zero means QEMU's 52:54:00 block.
	ManualMACs MACRange `json:"manualMACs,omitzero"`
	// StoragePools and Networks are sorted by name.
	StoragePools []StoragePool `json:"storagePools"`
	Networks     []Network     `json:"networks"`
}

// MACRange is an inclusive range of MAC addresses, lower-case colon form.
type MACRange struct {
	First string `json:"first"`
	Last  string `json:"last"`
}

// StoragePool is a host storage pool (a libvirt storage pool, a vSphere
// datastore): where virtual disks are allocated from.
type StoragePool struct {
	Name        string `json:"name"`
	UUID        string `json:"uuid"`
	Type        string `json:"type"` // backend's pool type, e.g. "dir", "logical", "netfs"
	Path        string `json:"path"` // target path; "" when the pool has none
	Active      bool   `json:"active"`
	Autostart   bool   `json:"autostart"`
	CapacityB   uint64 `json:"capacityBytes"`
	AllocationB uint64 `json:"allocationBytes"`
	AvailableB  uint64 `json:"availableBytes"`
}

// Network is a host virtual network (a libvirt network, a vSphere port
// group): what virtual NICs connect to.
type Network struct {
	Name      string `json:"name"`
	UUID      string `json:"uuid"`
	Bridge    string `json:"bridge"`
	Forward   string `json:"forward"` // "nat", "route", "bridge", ...; "" when isolated
	Active    bool   `json:"active"`
	Autostart bool   `json:"autostart"`
}

// Domain is one virtual machine. Slices are owned by the snapshot that holds
// the Domain and must not be modified by readers.
//
// BIOSUUID is the UUID the guest's SMBIOS shows: the domain UUID under
// libvirt unless <sysinfo> says otherwise, vSphere's config.uuid (which a
// clone may share). GuestOS is the guest operating system the hypervisor
// is configured for, not what the guest reports: vSphere's guest OS name,
// libvirt's libosinfo OS identifier. Unsupported are the power operations
// the backend cannot carry out on the domain in any state, which front
// ends neither offer nor attempt; the zero value supports them all.
type Domain struct {
	UUID        string        `json:"uuid"`     // lower-case RFC 4122 text form; the join key everywhere
	BIOSUUID    string        `json:"biosUuid"` // lower case; "" when unknown
	Name        string        `json:"name"`
	Title       string        `json:"title"`
	Description string        `json:"description"` // free-form notes
	State       State         `json:"state"`
	StateReason string        `json:"stateReason"` // backend's reason for the state, e.g. "booted", "user"
	Persistent  bool          `json:"persistent"`
	Autostart   bool          `json:"autostart"`
	ManagedSave bool          `json:"managedSave"`
	OSType      string        `json:"osType"`  // e.g. "hvm", "linux", "exe"
	GuestOS     string        `json:"guestOS"` // "" when the configuration does not say
	Arch        string        `json:"arch"`
	VCPUs       int           `json:"vcpus"` // current
	MaxVCPUs    int           `json:"maxVcpus"`
	VCPUInfo    []VCPU        `json:"vcpuInfo"`
	MemoryKiB   uint64        `json:"memoryKiB"` // current (balloon)
	MaxMemKiB   uint64        `json:"maxMemoryKiB"`
	CPUTime     time.Duration `json:"cpuTimeNs"`          // total guest CPU time
	StartTime   time.Time     `json:"startTime,omitzero"` // zero when not running or unknown
	Disks       []Disk        `json:"disks"`
	NICs        []NIC         `json:"nics"`
	Snapshots   []Snapshot    `json:"snapshots"` // oldest first
	Unsupported PowerOps      `json:"unsupportedOps"`
}

// Snapshot is a saved point of a domain.
type Snapshot struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Created     time.Time `json:"created"`
	Parent      string    `json:"parent"`   // "" for a root snapshot
	State       State     `json:"state"`    // the domain's state when taken
	DiskOnly    bool      `json:"diskOnly"` // disks only, no memory
	Current     bool      `json:"current"`  // the one last created or reverted to
}

// VCPU is one virtual CPU of a domain.
type VCPU struct {
	Number int           `json:"number"`
	Time   time.Duration `json:"timeNs"`
	// Pinning lists the host CPUs this vCPU may run on; empty means any.
	Pinning []int `json:"pinning"`
}

// DiskDevice is the kind of a disk as the guest sees it.
type DiskDevice string

// Disk device kinds.
const (
	DiskDeviceDisk   DiskDevice = "disk"
	DiskDeviceCDROM  DiskDevice = "cdrom"
	DiskDeviceFloppy DiskDevice = "floppy"
	DiskDeviceLUN    DiskDevice = "lun"
)

// Disk is a virtual block device.
type Disk struct {
	Target       string     `json:"target"` // guest-visible name, e.g. "vda"
	Bus          string     `json:"bus"`    // e.g. "virtio", "sata", "scsi"
	Device       DiskDevice `json:"device"`
	Source       string     `json:"source"` // file or block path, or pool/volume, or network name
	Pool         string     `json:"pool"`   // storage pool when the source is a volume
	Volume       string     `json:"volume"`
	Format       string     `json:"format"`          // e.g. "qcow2", "raw"
	CapacityB    uint64     `json:"capacityBytes"`   // 0 when unknown
	AllocationB  uint64     `json:"allocationBytes"` // 0 when unknown
	ReadOnly     bool       `json:"readOnly"`
	ReadBytes    uint64     `json:"readBytes"`
	WriteBytes   uint64     `json:"writeBytes"`
	ReadRequests uint64     `json:"readRequests"`
	WriteReqs    uint64     `json:"writeReqs"`
}

// NIC is a virtual network interface.
type NIC struct {
	MAC       string `json:"mac"`           // lower-case colon form
	Model     string `json:"model"`         // e.g. "virtio", "e1000"
	Network   string `json:"network"`       // virtual network name, when attached to one
	Bridge    string `json:"bridge"`        // host bridge, when attached to one
	HostIface string `json:"hostInterface"` // host-side interface, e.g. "vnet3"
	LinkUp    bool   `json:"linkUp"`
	RxBytes   uint64 `json:"rxBytes"`
	RxPackets uint64 `json:"rxPackets"`
	TxBytes   uint64 `json:"txBytes"`
	TxPackets uint64 `json:"txPackets"`
}

// Counters are the fast-moving figures refreshed in bulk on an interval.
type Counters struct {
	CPUTime   time.Duration
	VCPUTimes []time.Duration
	Disks     map[string]DiskCounters // by target
	NICs      map[string]NICCounters  // by host interface name, or MAC when none
}

// DiskCounters are per-disk figures from the bulk statistics call.
type DiskCounters struct {
	CapacityB, AllocationB                         uint64
	ReadBytes, WriteBytes, ReadRequests, WriteReqs uint64
}

// NICCounters are per-interface traffic counters.
type NICCounters struct {
	RxBytes, RxPackets, TxBytes, TxPackets uint64
}
