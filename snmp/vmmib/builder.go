package vmmib

import (
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// Config describes the agent to the MIB.
type Config struct {
	SysDescr, SysContact, SysName, SysLocation string
	Enterprise                                 mib.OID // VIRTBRIDGE-MIB root; default 1.3.6.1.4.1.32473
	BackendName                                string  // e.g. "libvirt"
	BackendURI                                 string
	NetDir                                     string    // the host's interfaces; default /sys/class/net
	Started                                    time.Time // when the agent started: sysUpTime's origin; default now
	Logger                                     *slog.Logger
}

// DefaultEnterprise is the RFC 5612 documentation arc, used until a
// private enterprise number is registered.
var DefaultEnterprise = mib.MustParse("1.3.6.1.4.1.32473")

// Builder turns inventory snapshots into MIB trees, once per snapshot.
type Builder struct {
	cfg     Config
	inv     *inventory.Inventory
	idx     *Indexes
	started time.Time
	log     *slog.Logger

	// Switches holds the VM-MIB notification switches (read-write, not
	// persistent: RFC 7666 vmPerVMNotificationsEnabled).
	Switches Switches
	// Control is the VIRTBRIDGE-MIB control table's state.
	Control *Control
	// NotificationsSent counts notifications generated;
	// NotificationsLost, when set, counts deliveries given up, summed over
	// destinations (dropped from a full queue, expired or failed).
	NotificationsSent atomic.Uint64
	NotificationsLost func() uint64

	mu      sync.Mutex // serialises builds
	cache   atomic.Pointer[built]
	members map[string]bool // vmTable rows of the last build, for vmTableLastChange
	lastChg uint32
}

// Switches are the VM-MIB notification switches; both start enabled.
type Switches struct{ PerVMOff, BulkOff atomic.Bool }

type built struct {
	generation uint64
	tree       *mib.Tree
	index      map[string]int32 // vmIndex by UUID, for notifications
}

// New makes a builder over inv; ops carries out control requests.
func New(cfg Config, inv *inventory.Inventory, ops backends.Operations, idx *Indexes) *Builder {
	if cfg.Enterprise == nil {
		cfg.Enterprise = DefaultEnterprise
	}
	// The URI is served to anyone with read access: no password in it.
	if u, err := url.Parse(cfg.BackendURI); err == nil {
		cfg.BackendURI = u.Redacted()
	}
	if cfg.NetDir == "" {
		cfg.NetDir = "/sys/class/net"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Started.IsZero() {
		cfg.Started = time.Now()
	}
	b := &Builder{cfg: cfg, inv: inv, idx: idx, started: cfg.Started, log: log}
	b.Control = newControl(ops, b.uptime, log)
	return b
}

// uptime is sysUpTime: centiseconds since the agent started.
func (b *Builder) uptime() uint32 { return centis(time.Since(b.started)) }

// Uptime is sysUpTime, for the notification sender.
func (b *Builder) Uptime() uint32 { return b.uptime() }

func centis(d time.Duration) uint32 {
	if d < 0 {
		return 0
	}
	return uint32(d / (10 * time.Millisecond))
}

// Tree returns the MIB for the current snapshot, building it at most once
// per snapshot. It never calls the hypervisor.
func (b *Builder) Tree() *mib.Tree {
	snap := b.inv.Snapshot()
	if c := b.cache.Load(); c != nil && c.generation == snap.Generation {
		return c.tree
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.cache.Load(); c != nil && c.generation == snap.Generation {
		return c.tree
	}
	c := b.build(snap)
	b.cache.Store(c)
	return c.tree
}

// VMIndex returns the vmIndex of a UUID as of the current tree.
func (b *Builder) VMIndex(uuid string) (int32, bool) {
	b.Tree()
	n, ok := b.cache.Load().index[uuid]
	return n, ok
}

func (b *Builder) build(snap *inventory.Snapshot) *built {
	doms := snap.Domains()
	uuids := make([]string, len(doms))
	for i, d := range doms {
		uuids[i] = d.UUID
	}
	nums, err := b.idx.Assign(uuids)
	if err != nil {
		b.log.Warn("vmIndex map not saved; indexes stay stable until restart", "error", err)
	}
	vms := make([]*vmRow, len(doms))
	index := make(map[string]int32, len(doms))
	members := make(map[string]bool, len(doms))
	for i, d := range doms {
		vms[i] = &vmRow{index: nums[i], d: d}
		index[d.UUID] = nums[i]
		members[d.UUID] = true
	}
	hvUp := hvUptime(snap.Host)
	if !sameMembers(b.members, members) {
		b.lastChg = hvUp
		b.members = members
	}
	host := hostIfaces(b.cfg.NetDir, vms)
	subs := b.system()
	subs = append(subs, vmScalars(snap, hvUp, b.lastChg, b.cfg.Enterprise, &b.Switches)...)
	subs = append(subs, vmTable(vms), vmCPUTable(vms), newAffinityTable(vms, snap.Host.CPUs),
		vmStorageTable(vms), vmNetworkTable(vms, host))
	subs = append(subs, host.subtrees()...)
	subs = append(subs, b.agentGroup(snap)...)
	subs = append(subs, b.Control.table(b.cfg.Enterprise.Append(arcObjects, arcControl, 1), vms))
	tree, err := mib.NewTree(subs...)
	if err != nil {
		panic(err) // the subtrees are fixed in code: a programming error
	}
	return &built{generation: snap.Generation, tree: tree, index: index}
}

func sameMembers(a, b map[string]bool) bool {
	if a == nil || len(a) != len(b) {
		return false
	}
	for k := range b {
		if !a[k] {
			return false
		}
	}
	return true
}

// hvUptime is vmHvUpTime: since the host booted, when known.
func hvUptime(h backends.Host) uint32 {
	if h.BootTime.IsZero() {
		return 0
	}
	return centis(time.Since(h.BootTime))
}
