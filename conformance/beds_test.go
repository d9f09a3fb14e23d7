package conformance

// Hypervisor beds for the per-backend suites (backends_test.go): an agent
// serving a live hypervisor, and that hypervisor's own account of itself,
// the truth the agent's answers are checked against. libvirt's is a
// session libvirtd's test driver read with virsh; vSphere's is govmomi's
// simulator, in this process, read with govmomi's own client. Both see
// what the agent does and take changes made behind its back.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/backends/vsphere/vspheretest"
)

// VM states as the truth names them; "saved" is shut off with the memory
// kept on disk (libvirt's managed save, vSphere's suspended).
const (
	stRunning = "running"
	stPaused  = "paused"
	stOff     = "shut off"
	stSaved   = "saved"
)

// Each state as the front ends show it.
var (
	enabledOf = map[string]string{stRunning: "2", stPaused: "9", stOff: "3", stSaved: "6"}  // DSP1057 EnabledState
	operOf    = map[string]string{stRunning: "4", stPaused: "8", stOff: "11", stSaved: "6"} // VM-MIB vmOperState
	adminOf   = map[string]string{stRunning: "1", stPaused: "3", stOff: "4", stSaved: "2"}  // VM-MIB vmAdminState
)

// truthVM is one VM as the hypervisor itself reports it.
type truthVM struct {
	name, uuid        string
	state             string // stRunning, stPaused, stOff, stSaved
	vcpus             int
	memKiB, maxMemKiB uint64
	sources           []string // each drive's source ("" for an empty drive)
	macs              []string // lower case
	networks          []string // each NIC's network or port group, in the order of macs
}

// truthHost is the host as the hypervisor reports it.
type truthHost struct {
	name              string
	software, version string   // the hypervisor's product and version
	pools, networks   []string // storage pools / datastores and networks / port groups, sorted
}

// quirks are where a hypervisor genuinely differs; the suites assert the
// difference instead of skipping the step.
type quirks struct {
	pause     bool // pauses a VM's vCPUs (vSphere cannot: its suspend is to disk)
	liveVCPUs bool // lowers the vCPUs of a running VM (vSphere only with CPU hot remove, off by default)
	// guestTools: guest shutdown and reboot need VMware Tools in the guest,
	// which the simulator's VMs lack until setTools says they run.
	guestTools bool
	// manualMAC matches the addresses the hypervisor takes as manually
	// assigned, where the agent picks one for a NIC added without.
	manualMAC *regexp.Regexp
	// unregister: undefining a VM takes it out of the inventory and
	// leaves its configuration file (.vmx) on the datastore (vSphere's
	// UnregisterVM); libvirt's undefine deletes the definition itself.
	unregister bool
}

// bed is a hypervisor an agent serves.
type bed interface {
	name() string
	agent() *agent
	quirks() quirks
	// truth reads every VM, by UUID; vm reads one.
	truth(t *testing.T) map[string]truthVM
	vm(t *testing.T, uuid string) truthVM
	host(t *testing.T) truthHost
	// snapshots reads a VM's snapshot names, sorted, and the current one
	// ("" with none).
	snapshots(t *testing.T, uuid string) (names []string, current string)
	// change puts a VM in state behind the agent's back.
	change(t *testing.T, uuid, state string)
	// crash kills the agent (SIGKILL) and starts it again on the same
	// configuration and state directory, waiting until it has caught up.
	crash(t *testing.T)
}

// bedKind starts one kind of bed; extra goes to the agent's config as
// runAgent's does (its snmp-section lines first, then top-level ones).
type bedKind struct {
	name  string
	start func(t *testing.T, extra string) bed
}

var bedKinds = []bedKind{
	{"libvirt", startLibvirtBed},
	{"vsphere-esx", func(t *testing.T, extra string) bed { return startVsphereBed(t, vspheretest.ModelESX, extra) }},
	{"vsphere-vpx", func(t *testing.T, extra string) bed { return startVsphereBed(t, vspheretest.ModelVPX, extra) }},
}

// bedVMs is how many VMs each bed's agent serves (libvirt's default node
// brings one more, "test").
const bedVMs = 8

// waitAgrees waits until the agent's vmTable lists exactly the truth's
// VMs in their states: the agent has caught up with the bed.
func waitAgrees(t *testing.T, b bed) {
	t.Helper()
	a := b.agent()
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		truth := b.truth(t)
		want := map[string]string{}
		for _, v := range truth {
			want[v.name] = operOf[v.state]
		}
		got := map[string]string{}
		names, _ := a.try("snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", vmEntry+".2")...)
		opers, _ := a.try("snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Oe", vmEntry+".6")...)
		nv, _ := parseNumeric(names)
		ov, _ := parseNumeric(opers)
		for oid, name := range nv {
			if idx, ok := strings.CutPrefix(oid, vmEntry+".2."); ok {
				got[name] = ov[vmEntry+".6."+idx]
			}
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		last = fmt.Sprintf("agent %v\ntruth %v", got, want)
		if time.Now().After(deadline) {
			t.Fatalf("%s: the agent's vmTable never matched the hypervisor:\n%s", b.name(), last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitTruth waits until the truth shows a VM in state.
func waitTruth(t *testing.T, b bed, uuid, state string) {
	t.Helper()
	var got string
	waitUntil(t, fmt.Sprintf("%s: %s %s", b.name(), uuid, state), func() bool {
		got = b.vm(t, uuid).state
		return got == state
	})
}

// pickVM is the first VM by name in state, "" with none; skip names one
// to leave out.
func pickVM(truth map[string]truthVM, state string, skip ...string) string {
	var uuids []string
	for u, v := range truth {
		if v.state == state && !slices.Contains(skip, u) {
			uuids = append(uuids, u)
		}
	}
	slices.SortFunc(uuids, func(x, y string) int { return strings.Compare(truth[x].name, truth[y].name) })
	if len(uuids) == 0 {
		return ""
	}
	return uuids[0]
}

// ---- libvirt

// libvirtBed is a session libvirtd serving the test driver's default
// node, shared by every client while one holds it open (the agent), with
// a test bed's domains defined into it and given their planned states,
// and one of the shut-off ones managed-saved.
type libvirtBed struct {
	a          *agent
	uri        string
	dir, extra string
}

func startLibvirtBed(t *testing.T, extra string) bed {
	t.Helper()
	need(t, "virsh", "snmpget", "wbemcli")
	d := libvirttest.SessionDaemon(t)
	dir := t.TempDir()
	b := &libvirtBed{uri: d.URI(""), dir: dir, extra: extra}
	node := filepath.Join(dir, "node.xml")
	plan, err := testbed.WriteFile(node, testbed.Options{Domains: bedVMs, Seed: 5, NamePrefix: "bed"})
	if err != nil {
		t.Fatal(err)
	}
	b.a = runAgent(t, dir, b.uri, nil, extra)

	// The plan's domains as virsh renders them from the node file, defined
	// into the default node while the agent holds it.
	var dumps, cmds []string
	for _, p := range plan {
		dumps = append(dumps, "dumpxml --inactive "+p.Name)
	}
	xmls := splitDomains(virshOn(t, "test://"+node, strings.Join(dumps, " ; ")))
	if len(xmls) != len(plan) {
		t.Fatalf("virsh dumped %d domains of the %d planned", len(xmls), len(plan))
	}
	saved := false
	for i, p := range plan {
		f := filepath.Join(dir, p.Name+".xml")
		if err := os.WriteFile(f, []byte(xmls[i]), 0o644); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, "define "+f)
		switch {
		case p.State == testbed.StateRunning:
			cmds = append(cmds, "start "+p.Name)
		case p.State == testbed.StatePaused:
			cmds = append(cmds, "start "+p.Name, "suspend "+p.Name)
		case !saved:
			cmds = append(cmds, "start "+p.Name, "managedsave "+p.Name)
			saved = true
		}
	}
	virshOn(t, b.uri, strings.Join(cmds, " ; "))
	// The default node lives while a client holds it: this one keeps it
	// (and the domains) through an agent's crash.
	holder, err := libvirt.NewConnect(b.uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = holder.Close() })
	waitAgrees(t, b)
	return b
}

func (b *libvirtBed) crash(t *testing.T) {
	t.Helper()
	b.a.kill()
	b.a = runAgent(t, b.dir, b.uri, nil, b.extra)
	waitAgrees(t, b)
}

// splitDomains cuts virsh's concatenated dumpxml output into documents.
func splitDomains(out string) []string {
	var docs []string
	for _, part := range strings.SplitAfter(out, "</domain>") {
		if part = strings.TrimSpace(part); strings.HasPrefix(part, "<domain") {
			docs = append(docs, part)
		}
	}
	return docs
}

func (b *libvirtBed) name() string  { return "libvirt" }
func (b *libvirtBed) agent() *agent { return b.a }
func (b *libvirtBed) quirks() quirks {
	return quirks{pause: true, liveVCPUs: true, manualMAC: regexp.MustCompile(`^52:54:00(:[0-9a-f]{2}){3}$`)}
}

// truth is virsh's list (with managed saves shown as "saved") and each
// domain's live XML, read in two virsh runs.
func (b *libvirtBed) truth(t *testing.T) map[string]truthVM {
	t.Helper()
	states := map[string]string{}
	var names []string
	for _, l := range strings.Split(virshOn(t, b.uri, "list", "--all", "--managed-save"), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		names = append(names, f[1])
		states[f[1]] = strings.Join(f[2:], " ")
	}
	var cmds []string
	for _, n := range names {
		cmds = append(cmds, "dumpxml "+n)
	}
	out := map[string]truthVM{}
	if len(cmds) == 0 {
		return out
	}
	for _, doc := range splitDomains(virshOn(t, b.uri, strings.Join(cmds, " ; "))) {
		var d libvirtxml.Domain
		if err := d.Unmarshal(doc); err != nil {
			t.Fatalf("virsh dumpxml: %v\n%s", err, doc)
		}
		v := truthVM{name: d.Name, uuid: strings.ToLower(d.UUID), state: states[d.Name]}
		if d.VCPU != nil {
			v.vcpus = int(d.VCPU.Value)
			if d.VCPU.Current != 0 {
				v.vcpus = int(d.VCPU.Current)
			}
		}
		if d.Memory != nil {
			v.maxMemKiB = kib(t, uint64(d.Memory.Value), d.Memory.Unit)
			v.memKiB = v.maxMemKiB
		}
		if d.CurrentMemory != nil {
			v.memKiB = kib(t, uint64(d.CurrentMemory.Value), d.CurrentMemory.Unit)
		}
		if d.Devices != nil {
			for _, disk := range d.Devices.Disks {
				src := ""
				if s := disk.Source; s != nil && s.File != nil {
					src = s.File.File
				} else if s != nil && s.Block != nil {
					src = s.Block.Dev
				}
				v.sources = append(v.sources, src)
			}
			for _, nic := range d.Devices.Interfaces {
				if nic.MAC == nil {
					continue
				}
				nw := ""
				if s := nic.Source; s != nil && s.Network != nil {
					nw = s.Network.Network
				} else if s != nil && s.Bridge != nil {
					nw = s.Bridge.Bridge
				}
				v.macs = append(v.macs, strings.ToLower(nic.MAC.Address))
				v.networks = append(v.networks, nw)
			}
		}
		out[v.uuid] = v
	}
	if len(out) != len(names) {
		t.Fatalf("virsh lists %d domains, dumped %d", len(names), len(out))
	}
	return out
}

func kib(t *testing.T, v uint64, unit string) uint64 {
	switch unit {
	case "", "KiB", "k", "K":
		return v
	case "MiB", "M":
		return v << 10
	case "GiB", "G":
		return v << 20
	}
	t.Fatalf("memory unit %q", unit)
	return 0
}

func (b *libvirtBed) vm(t *testing.T, uuid string) truthVM { return b.truth(t)[uuid] }

// snapshots is virsh snapshot-list and snapshot-current (which fails
// when the domain has no current snapshot).
func (b *libvirtBed) snapshots(t *testing.T, uuid string) ([]string, string) {
	t.Helper()
	names := strings.Fields(virshOn(t, b.uri, "snapshot-list", "--name", uuid))
	slices.Sort(names)
	current, ok := virshTry(b.uri, "snapshot-current", "--name", uuid)
	if !ok {
		current = ""
	}
	return names, current
}

func (b *libvirtBed) host(t *testing.T) truthHost {
	t.Helper()
	h := truthHost{name: virshOn(t, b.uri, "hostname")}
	for _, l := range strings.Split(virshOn(t, b.uri, "version"), "\n") {
		if v, ok := strings.CutPrefix(l, "Running hypervisor:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 {
				h.software, h.version = f[0], f[1]
			}
		}
	}
	h.pools = strings.Fields(virshOn(t, b.uri, "pool-list", "--all", "--name"))
	h.networks = strings.Fields(virshOn(t, b.uri, "net-list", "--all", "--name"))
	slices.Sort(h.pools)
	slices.Sort(h.networks)
	return h
}

// change runs the virsh command that takes the domain from its state to
// state.
func (b *libvirtBed) change(t *testing.T, uuid, state string) {
	t.Helper()
	from := b.truth(t)[uuid].state
	cmds := map[[2]string][]string{
		{stRunning, stOff}: {"destroy"}, {stPaused, stOff}: {"destroy"}, {stSaved, stOff}: {"managedsave-remove"},
		{stOff, stRunning}: {"start"}, {stSaved, stRunning}: {"start"}, {stPaused, stRunning}: {"resume"},
		{stRunning, stPaused}: {"suspend"}, {stRunning, stSaved}: {"managedsave"},
	}[[2]string{from, state}]
	if cmds == nil {
		t.Fatalf("libvirt: no virsh command takes a domain from %s to %s", from, state)
	}
	virshOn(t, b.uri, append(cmds, uuid)...)
}

// ---- vSphere

// vsphereBed is govmomi's simulator with bedVMs VMs of mixed states and
// sizes on the managed host, the agent logging in over HTTPS with the
// certificate pinned.
type vsphereBed struct {
	a          *agent
	sim        *vspheretest.Sim
	model      string
	dir, extra string
	// hostMem holds the host's memory, read once at the start: a VM's
	// maximum is the host's memory, which does not change, and reading
	// the host with every VM doubled the cost of the waits that poll one.
	hostMem vspheretest.HostInfo
}

func startVsphereBed(t *testing.T, model, extra string) bed {
	t.Helper()
	need(t, "snmpget", "wbemcli")
	b := &vsphereBed{sim: vspheretest.New(t, vspheretest.Options{Model: model, VMs: bedVMs, Mixed: true}), model: model}
	h, err := b.sim.HostInfo(b.ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	b.hostMem = vspheretest.HostInfo{MemoryBytes: h.MemoryBytes}
	cfg := b.sim.ConfigYAML()
	// runAgent writes connect itself; the vsphere section follows extra
	// (it is top level, extra starts inside snmp:).
	_, section, _ := strings.Cut(cfg, "\nvsphere:")
	// A short update wait: the simulator holds a killed agent's long poll
	// open until it ends, and its Close waits for it.
	// The backend said outright, with the simulator's bare HOST:PORT as
	// connect: what `virtbridge serve --backend vsphere` does.
	b.dir, b.extra = t.TempDir(), extra+"backend: vsphere\nvsphere:"+strings.TrimRight(section, "\n")+"\n  update_wait: 1s\n"
	b.a = runAgent(t, b.dir, b.sim.Addr, nil, b.extra)
	waitAgrees(t, b)
	return b
}

func (b *vsphereBed) crash(t *testing.T) {
	t.Helper()
	b.a.kill()
	b.a = runAgent(t, b.dir, b.sim.Addr, nil, b.extra)
	waitAgrees(t, b)
}

func (b *vsphereBed) name() string  { return "vsphere-" + b.model }
func (b *vsphereBed) agent() *agent { return b.a }
func (b *vsphereBed) quirks() quirks {
	return quirks{pause: false, liveVCPUs: false, guestTools: true, unregister: true,
		manualMAC: regexp.MustCompile(`^00:50:56:[0-3][0-9a-f](:[0-9a-f]{2}){2}$`)}
}

func (b *vsphereBed) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var stateOfPower = map[types.VirtualMachinePowerState]string{"poweredOn": stRunning, "poweredOff": stOff, "suspended": stSaved}

func (b *vsphereBed) truth(t *testing.T) map[string]truthVM {
	t.Helper()
	vms, err := b.sim.VMs(b.ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]truthVM{}
	for _, vm := range vms {
		out[vm.UUID] = truthOfVM(vm, b.hostMem)
	}
	return out
}

func (b *vsphereBed) vm(t *testing.T, uuid string) truthVM {
	t.Helper()
	vm, err := b.sim.VM(b.ctx(t), uuid)
	if err != nil {
		t.Fatal(err)
	}
	return truthOfVM(vm, b.hostMem)
}

// truthOfVM is what the agent should show of vm: vSphere keeps no
// per-VM maximum, so a VM may grow to its host's memory.
func truthOfVM(vm vspheretest.VM, h vspheretest.HostInfo) truthVM {
	mem := uint64(vm.MemoryMB) << 10
	v := truthVM{name: vm.Name, uuid: vm.UUID, state: stateOfPower[vm.PowerState], vcpus: vm.NumCPU,
		memKiB: mem, maxMemKiB: max(mem, uint64(h.MemoryBytes)>>10)}
	for _, d := range vm.Drives {
		v.sources = append(v.sources, d.Source)
	}
	for _, n := range vm.NICs {
		v.macs = append(v.macs, n.MAC)
		v.networks = append(v.networks, n.Network)
	}
	return v
}

// snapshots is govmomi's snapshot tree of the VM and its current snapshot.
func (b *vsphereBed) snapshots(t *testing.T, uuid string) ([]string, string) {
	t.Helper()
	vm, err := b.sim.VM(b.ctx(t), uuid)
	if err != nil {
		t.Fatal(err)
	}
	return sorted(vm.Snapshots), vm.CurrentSnapshot
}

// vmx is the datastore path of a VM's configuration file.
func (b *vsphereBed) vmx(t *testing.T, uuid string) string {
	t.Helper()
	vm, err := b.sim.VM(b.ctx(t), uuid)
	if err != nil {
		t.Fatal(err)
	}
	return vm.VMX
}

// fileExists says whether the datastore path names a file, as the
// host's datastore browser sees it.
func (b *vsphereBed) fileExists(t *testing.T, file string) bool {
	t.Helper()
	ok, err := b.sim.FileExists(b.ctx(t), file)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (b *vsphereBed) host(t *testing.T) truthHost {
	t.Helper()
	h, err := b.sim.HostInfo(b.ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return truthHost{name: h.Name, software: h.Product, version: h.Version, pools: h.Datastores, networks: h.Networks}
}

// change powers the VM on or off or suspends it through govmomi; vSphere
// cannot pause one.
func (b *vsphereBed) change(t *testing.T, uuid, state string) {
	t.Helper()
	ctx := b.ctx(t)
	var err error
	switch state {
	case stRunning:
		err = b.sim.PowerOn(ctx, uuid)
	case stOff:
		err = b.sim.PowerOff(ctx, uuid)
	case stSaved:
		err = b.sim.Suspend(ctx, uuid)
	default:
		t.Fatalf("vSphere has no way to put a VM in state %q", state)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// setTools says whether VMware Tools run in a VM's guest.
func (b *vsphereBed) setTools(t *testing.T, uuid string, running bool) {
	t.Helper()
	if err := b.sim.SetToolsRunning(b.ctx(t), uuid, running); err != nil {
		t.Fatal(err)
	}
}

// itoa is strconv.Itoa, for the tables below.
func itoa(n int) string { return strconv.Itoa(n) }
