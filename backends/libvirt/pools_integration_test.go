package libvirt_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// writeNode writes a test bed with pools, networks and snapshots.
func writeNode(t testing.TB, o testbed.Options) (string, testbed.Node) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.xml")
	n, err := testbed.WriteNode(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return "test://" + path, n
}

// virsh runs one virsh command quietly (no table headers).
func virsh(t testing.TB, uri string, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("virsh %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// table splits virsh's table rows into fields, by the first column.
func table(out string) map[string][]string {
	rows := map[string][]string{}
	for l := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	return rows
}

// keyValues parses "Key:   value" output such as pool-info's.
func keyValues(out string) map[string]string {
	m := map[string]string{}
	for l := range strings.SplitSeq(out, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestHostPoolsAndNetworksMatchVirsh: Host's pools and networks are what
// virsh reports through its own connection to the same file.
func TestHostPoolsAndNetworksMatchVirsh(t *testing.T) {
	needVirsh(t)
	uri, node := writeNode(t, testbed.Options{Domains: 9, Seed: 7, Pools: 3, Networks: 5})
	b, err := libvirt.Open(t.Context(), uri, libvirt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h, err := b.Host(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	list := table(virsh(t, uri, "pool-list", "--all", "--details"))
	if len(h.StoragePools) != len(list) || len(list) != len(node.Pools) {
		t.Fatalf("Host has %d pools, virsh %d, the plan %d", len(h.StoragePools), len(list), len(node.Pools))
	}
	for _, p := range h.StoragePools {
		row, ok := list[p.Name]
		if !ok {
			t.Errorf("pool %s is not in pool-list", p.Name)
			continue
		}
		state := "inactive"
		if p.Active {
			state = "running"
		}
		if row[1] != state || row[2] != yesNo(p.Autostart) {
			t.Errorf("pool %s: active %v autostart %v, pool-list %q", p.Name, p.Active, p.Autostart, row)
		}
		var x libvirtxml.StoragePool
		if err := x.Unmarshal(virsh(t, uri, "pool-dumpxml", p.Name)); err != nil {
			t.Fatal(err)
		}
		if p.UUID != x.UUID || p.Type != x.Type || p.Path != x.Target.Path {
			t.Errorf("pool %s: uuid %s type %s path %s, pool-dumpxml %s %s %s", p.Name, p.UUID, p.Type, p.Path, x.UUID, x.Type, x.Target.Path)
		}
		info := keyValues(virsh(t, uri, "pool-info", "--bytes", p.Name))
		for k, v := range map[string]uint64{"Capacity": p.CapacityB, "Allocation": p.AllocationB, "Available": p.AvailableB} {
			if info[k] != strconv.FormatUint(v, 10) {
				t.Errorf("pool %s: %s %d, pool-info %q", p.Name, k, v, info[k])
			}
		}
		if p.AllocationB == 0 || p.AllocationB+p.AvailableB != p.CapacityB {
			t.Errorf("pool %s: sizes %d/%d/%d do not add up, or nothing is allocated", p.Name, p.CapacityB, p.AllocationB, p.AvailableB)
		}
	}
	if !slices.IsSortedFunc(h.StoragePools, func(a, b backends.StoragePool) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("pools not sorted by name")
	}

	nets := table(virsh(t, uri, "net-list", "--all"))
	if len(h.Networks) != len(nets) || len(nets) != len(node.Networks) {
		t.Fatalf("Host has %d networks, virsh %d, the plan %d", len(h.Networks), len(nets), len(node.Networks))
	}
	forwards := map[string]bool{}
	for _, n := range h.Networks {
		row, ok := nets[n.Name]
		if !ok {
			t.Errorf("network %s is not in net-list", n.Name)
			continue
		}
		state := "inactive"
		if n.Active {
			state = "active"
		}
		if row[1] != state || row[2] != yesNo(n.Autostart) {
			t.Errorf("network %s: active %v autostart %v, net-list %q", n.Name, n.Active, n.Autostart, row)
		}
		var x libvirtxml.Network
		if err := x.Unmarshal(virsh(t, uri, "net-dumpxml", n.Name)); err != nil {
			t.Fatal(err)
		}
		fwd := ""
		if x.Forward != nil {
			fwd = x.Forward.Mode
		}
		if n.UUID != x.UUID || n.Bridge != x.Bridge.Name || n.Forward != fwd {
			t.Errorf("network %s: %+v, net-dumpxml uuid %s bridge %s forward %q", n.Name, n, x.UUID, x.Bridge.Name, fwd)
		}
		forwards[n.Forward] = true
	}
	if len(forwards) < 4 {
		t.Errorf("forward modes %v: the test bed should mix NAT, routed, isolated and bridged", forwards)
	}
}

// hostWait waits for a host change after which the snapshot's host
// satisfies ok.
func (r *rig) hostWait(t *testing.T, what string, ok func(backends.Host) bool) inventory.Change {
	t.Helper()
	return r.waitFor(t, what, func(c inventory.Change) bool {
		return c.Kind == inventory.HostModified && ok(r.inv.Snapshot().Host)
	})
}

func findPool(h backends.Host, name string) (backends.StoragePool, bool) {
	i := slices.IndexFunc(h.StoragePools, func(p backends.StoragePool) bool { return p.Name == name })
	if i < 0 {
		return backends.StoragePool{}, false
	}
	return h.StoragePools[i], true
}

func findNetwork(h backends.Host, name string) (backends.Network, bool) {
	i := slices.IndexFunc(h.Networks, func(n backends.Network) bool { return n.Name == name })
	if i < 0 {
		return backends.Network{}, false
	}
	return h.Networks[i], true
}

// TestHostEventsReachInventory: pools and networks started, stopped,
// defined and undefined on the backend's own connection reach the
// inventory through libvirt's events alone; no resync runs.
func TestHostEventsReachInventory(t *testing.T) {
	uri, _ := writeNode(t, testbed.Options{Domains: 3, Seed: 2, Pools: 2, Networks: 2})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	poolActive := func(name string, want bool) func(backends.Host) bool {
		return func(h backends.Host) bool { p, ok := findPool(h, name); return ok && p.Active == want }
	}
	netActive := func(name string, want bool) func(backends.Host) bool {
		return func(h backends.Host) bool { n, ok := findNetwork(h, name); return ok && n.Active == want }
	}
	if !poolActive("pool-01", true)(r.inv.Snapshot().Host) || !netActive("net-01", true)(r.inv.Snapshot().Host) {
		t.Fatalf("first sync: %+v", r.inv.Snapshot().Host)
	}

	pool, err := c.LookupStoragePoolByName("pool-01")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Free()
	if err := pool.Destroy(); err != nil {
		t.Fatal(err)
	}
	ch := r.hostWait(t, "pool stopped", poolActive("pool-01", false))
	if ch.Cause.Kind != backends.EventHostChanged || ch.Cause.Name != "pool-01" || ch.Cause.Detail != "storage-pool/stopped" {
		t.Errorf("cause %+v, want host-changed pool-01 storage-pool/stopped", ch.Cause)
	}
	if err := pool.Create(0); err != nil {
		t.Fatal(err)
	}
	r.hostWait(t, "pool started", poolActive("pool-01", true))

	const poolXML = `<pool type='dir'><name>added</name><uuid>5f1a8c4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f</uuid>
<target><path>/var/lib/libvirt/added</path></target></pool>`
	added, err := c.StoragePoolDefineXML(poolXML, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer added.Free()
	r.hostWait(t, "pool defined", func(h backends.Host) bool {
		p, ok := findPool(h, "added")
		return ok && !p.Active && p.Path == "/var/lib/libvirt/added" && p.UUID == "5f1a8c4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"
	})
	if err := added.Undefine(); err != nil {
		t.Fatal(err)
	}
	r.hostWait(t, "pool undefined", func(h backends.Host) bool { _, ok := findPool(h, "added"); return !ok })

	net, err := c.LookupNetworkByName("net-01")
	if err != nil {
		t.Fatal(err)
	}
	defer net.Free()
	if err := net.Destroy(); err != nil {
		t.Fatal(err)
	}
	ch = r.hostWait(t, "network stopped", netActive("net-01", false))
	if ch.Cause.Name != "net-01" || ch.Cause.Detail != "network/stopped" {
		t.Errorf("cause %+v, want net-01 network/stopped", ch.Cause)
	}
	if err := net.Create(); err != nil {
		t.Fatal(err)
	}
	r.hostWait(t, "network started", netActive("net-01", true))

	const netXML = `<network><name>extra</name><uuid>6a2b9d5f-2e3c-4d4e-8f90-1b2c3d4e5f60</uuid>
<bridge name='virbr77'/><forward mode='route'/><ip address='10.77.0.1' prefix='24'/></network>`
	extra, err := c.NetworkDefineXML(netXML)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Free()
	r.hostWait(t, "network defined", func(h backends.Host) bool {
		n, ok := findNetwork(h, "extra")
		return ok && !n.Active && n.Bridge == "virbr77" && n.Forward == "route"
	})
	if err := extra.Undefine(); err != nil {
		t.Fatal(err)
	}
	r.hostWait(t, "network undefined", func(h backends.Host) bool { _, ok := findNetwork(h, "extra"); return !ok })

	if n := r.inv.Stats().Resyncs.Load(); n != 1 {
		t.Errorf("%d resyncs ran; only the first sync should have", n)
	}
}

// TestPoolRefreshIsQuiet: a pool refresh re-reads the host, but sizes
// alone are not announced as a host change.
func TestPoolRefreshIsQuiet(t *testing.T) {
	uri, _ := writeNode(t, testbed.Options{Domains: 2, Pools: 1, Networks: 1})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := c.LookupStoragePoolByName("default")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Free()
	before := r.inv.Stats().HostRefreshes.Load()
	if err := pool.Refresh(0); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); r.inv.Stats().HostRefreshes.Load() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the refresh event did not make the inventory re-read the host")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The next change is the next real one: the refresh announced nothing.
	net, err := c.LookupNetworkByName("default")
	if err != nil {
		t.Fatal(err)
	}
	defer net.Free()
	if err := net.Destroy(); err != nil {
		t.Fatal(err)
	}
	ch := r.waitFor(t, "a change", func(inventory.Change) bool { return true })
	if ch.Kind != inventory.HostModified || ch.Cause.Detail != "network/stopped" {
		t.Errorf("first change after a refresh: %v caused by %+v, want host-modified by network/stopped", ch.Kind, ch.Cause)
	}
}

// TestPoolSizesFreshOnResync: pool sizes move without events (a volume
// grows); a resync brings them into the snapshot without announcing a
// host change.
func TestPoolSizesFreshOnResync(t *testing.T) {
	uri, _ := writeNode(t, testbed.Options{Domains: 2, Pools: 1})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := findPool(r.inv.Snapshot().Host, "default")
	pool, err := c.LookupStoragePoolByName("default")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Free()
	const grow = 512 << 10
	vol, err := pool.StorageVolCreateXML(`<volume><name>grow.img</name><capacity unit='bytes'>1073741824</capacity>
<allocation unit='bytes'>524288</allocation></volume>`, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer vol.Free()
	if err := r.inv.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, _ := findPool(r.inv.Snapshot().Host, "default")
	if after.AllocationB != before.AllocationB+grow || after.AvailableB != before.AvailableB-grow {
		t.Errorf("after a resync: allocation %d available %d, want %d and %d", after.AllocationB, after.AvailableB,
			before.AllocationB+grow, before.AvailableB-grow)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	for {
		ch, err := r.sub.Next(ctx)
		if err != nil {
			break
		}
		if ch.Kind == inventory.HostModified {
			t.Errorf("pool sizes announced as a host change: %+v", ch)
		}
	}
}
