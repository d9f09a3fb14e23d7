package backends

import "context"

// Backend is one hypervisor connection. Reads are for the inventory's sync
// loop only: front ends read the inventory snapshot, never a Backend.
type Backend interface {
	Reader
	Operations
	// Name identifies the backend and its target for logs, e.g.
	// "libvirt test:///default".
	Name() string
	// Events delivers hypervisor events in the order they happened. It is
	// closed by Close.
	Events() <-chan Event
	// Close releases the connection and stops event delivery.
	Close() error
}

// Reader lists what the hypervisor has. Every call is bounded by ctx.
type Reader interface {
	// Host describes the hypervisor host.
	Host(ctx context.Context) (Host, error)
	// Domains lists every domain with its configuration and counters, using
	// bulk calls where the hypervisor has them.
	Domains(ctx context.Context) ([]Domain, error)
	// Domain reads one domain; the error wraps ErrNotFound when it is gone.
	Domain(ctx context.Context, uuid string) (Domain, error)
	// Counters reads the fast-moving figures of all domains in bulk, by UUID.
	Counters(ctx context.Context) (map[string]Counters, error)
}

// Scope says whether a change applies to the running guest, to the stored
// configuration, or both.
type Scope uint8

// Scopes of a change.
const (
	ScopeCurrent Scope = iota // live if running, else config
	ScopeLive
	ScopeConfig
	ScopeBoth
)

// DomainSpec is what a new domain is made of.
type DomainSpec struct {
	Name      string
	Title     string
	VCPUs     int
	MaxVCPUs  int
	MemoryKiB uint64
	MaxMemKiB uint64
	Disks     []DiskSpec
	NICs      []NICSpec
	BootOrder []string // device kinds in order: "hd", "cdrom", "network"
}

// DiskSpec describes a disk to attach.
type DiskSpec struct {
	Target   string
	Bus      string
	Device   DiskDevice
	Source   string
	Format   string
	ReadOnly bool
}

// NICSpec describes a network interface to attach.
type NICSpec struct {
	MAC     string // empty: the hypervisor assigns one
	Model   string
	Network string
	Bridge  string
}

// SnapshotSpec describes a snapshot to take.
type SnapshotSpec struct {
	Name        string
	Description string
}

// UndefineOptions say what else goes with a domain's configuration.
type UndefineOptions struct {
	ManagedSave bool // remove a managed save image
	Snapshots   bool // remove snapshot metadata
}

// MigrateOptions tune a migration.
type MigrateOptions struct {
	Live       bool
	Persistent bool
	Undefine   bool // undefine the source once migrated
}

// Operations change the hypervisor. The result reaches the inventory as an
// event, never by the caller patching it. Errors wrap one of the sentinels.
type Operations interface {
	Start(ctx context.Context, uuid string) error
	Shutdown(ctx context.Context, uuid string) error // ask the guest (ACPI)
	Destroy(ctx context.Context, uuid string) error  // power off
	Reboot(ctx context.Context, uuid string) error   // ask the guest
	Reset(ctx context.Context, uuid string) error    // hard reset
	Suspend(ctx context.Context, uuid string) error
	Resume(ctx context.Context, uuid string) error
	ManagedSave(ctx context.Context, uuid string) error
	// Rename gives a defined, inactive domain a new name.
	Rename(ctx context.Context, uuid string, name string) error
	// SetAutostart says whether the domain starts with the host.
	SetAutostart(ctx context.Context, uuid string, on bool) error
	// SetDescription sets the domain's free-form notes.
	SetDescription(ctx context.Context, uuid string, text string) error

	Define(ctx context.Context, spec DomainSpec) (uuid string, err error)
	Undefine(ctx context.Context, uuid string, opts UndefineOptions) error
	SetVCPUs(ctx context.Context, uuid string, n int, scope Scope) error
	SetMemory(ctx context.Context, uuid string, kib uint64, scope Scope) error
	AttachDisk(ctx context.Context, uuid string, disk DiskSpec, scope Scope) error
	DetachDisk(ctx context.Context, uuid string, target string, scope Scope) error
	AttachNIC(ctx context.Context, uuid string, nic NICSpec, scope Scope) error
	DetachNIC(ctx context.Context, uuid string, mac string, scope Scope) error
	CreateSnapshot(ctx context.Context, uuid string, spec SnapshotSpec) (name string, err error)
	RevertSnapshot(ctx context.Context, uuid string, name string) error
	DeleteSnapshot(ctx context.Context, uuid string, name string) error
	Migrate(ctx context.Context, uuid string, destURI string, opts MigrateOptions) error
}
