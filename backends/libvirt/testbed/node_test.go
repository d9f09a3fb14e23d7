package testbed

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

// nodeOptions exercise every pool, network and snapshot variant.
var nodeOptions = Options{Domains: 14, Seed: 5, Pools: 3, Networks: 5, Snapshots: 4}

func mustPlanNode(t testing.TB, o Options) Node {
	t.Helper()
	n, err := PlanNode(o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestVirshMatchesNode: libvirt's test driver shows exactly the planned
// pools, volumes, networks and snapshots.
func TestVirshMatchesNode(t *testing.T) {
	needVirsh(t)
	plan := mustPlanNode(t, nodeOptions)
	uri := writeNode(t, nodeOptions)

	var poolNames []string
	for _, p := range plan.Pools {
		poolNames = append(poolNames, p.Name)
		t.Run("pool "+p.Name, func(t *testing.T) { checkPool(t, uri, p) })
	}
	if got := strings.Fields(virsh(t, uri, "pool-list", "--all", "--name")); !slices.Equal(got, poolNames) {
		t.Errorf("pool-list: %q, want %q", got, poolNames)
	}
	var netNames []string
	for _, n := range plan.Networks {
		netNames = append(netNames, n.Name)
		t.Run("network "+n.Name, func(t *testing.T) { checkNetwork(t, uri, n) })
	}
	if got := strings.Fields(virsh(t, uri, "net-list", "--all", "--name")); !slices.Equal(got, netNames) {
		t.Errorf("net-list: %q, want %q", got, netNames)
	}
	for _, d := range plan.Domains {
		t.Run("snapshots "+d.Name, func(t *testing.T) { checkSnapshots(t, uri, d) })
	}
}

func checkPool(t *testing.T, uri string, p Pool) {
	var x libvirtxml.StoragePool
	if err := x.Unmarshal(virsh(t, uri, "pool-dumpxml", p.Name)); err != nil {
		t.Fatal(err)
	}
	got := Pool{Name: x.Name, UUID: x.UUID, Type: x.Type, Path: x.Target.Path,
		CapacityB: x.Capacity.Value, AllocationB: x.Allocation.Value, AvailableB: x.Available.Value}
	want := p
	want.Volumes = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pool-dumpxml:\n got %+v\nwant %+v", got, want)
	}
	info := keyValues(virsh(t, uri, "pool-info", "--bytes", p.Name))
	for k, w := range map[string]string{"State": "running", "Autostart": "no", "Persistent": "yes",
		"Capacity": strconv.FormatUint(p.CapacityB, 10), "Allocation": strconv.FormatUint(p.AllocationB, 10),
		"Available": strconv.FormatUint(p.AvailableB, 10)} {
		if info[k] != w {
			t.Errorf("pool-info %s = %q, want %q", k, info[k], w)
		}
	}
	var vols, wantVols []string
	for _, l := range lines(virsh(t, uri, "vol-list", p.Name)) {
		vols = append(vols, strings.Join(strings.Fields(l), " "))
	}
	for _, v := range p.Volumes {
		wantVols = append(wantVols, v.Name+" "+v.Path)
		if filepath.Dir(v.Path) != p.Path {
			t.Errorf("volume %s lies outside %s", v.Path, p.Path)
		}
	}
	slices.Sort(wantVols) // vol-list sorts by name
	if !slices.Equal(vols, wantVols) {
		t.Errorf("vol-list:\n got %q\nwant %q", vols, wantVols)
	}
	if len(p.Volumes) > 0 {
		v := p.Volumes[len(p.Volumes)-1]
		info := keyValues(virsh(t, uri, "vol-info", "--bytes", "--pool", p.Name, v.Name))
		if info["Capacity"] != fmt.Sprintf("%d bytes", v.CapacityB) || info["Allocation"] != fmt.Sprintf("%d bytes", v.AllocationB) {
			t.Errorf("vol-info %s: %v, want %d and %d bytes", v.Name, info, v.CapacityB, v.AllocationB)
		}
	}
}

func checkNetwork(t *testing.T, uri string, n Network) {
	var x libvirtxml.Network
	if err := x.Unmarshal(virsh(t, uri, "net-dumpxml", n.Name)); err != nil {
		t.Fatal(err)
	}
	got := Network{Name: x.Name, UUID: x.UUID, Bridge: x.Bridge.Name}
	if x.Forward != nil {
		got.Forward = x.Forward.Mode
	}
	if got != n {
		t.Errorf("net-dumpxml: got %+v, want %+v", got, n)
	}
	info := keyValues(virsh(t, uri, "net-info", n.Name))
	if info["Active"] != "yes" || info["Autostart"] != "no" || info["Bridge"] != n.Bridge {
		t.Errorf("net-info: %v", info)
	}
}

func checkSnapshots(t *testing.T, uri string, d Domain) {
	var got []string
	for _, l := range lines(virsh(t, uri, "snapshot-list", d.Name, "--parent")) {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	var want []string
	current := ""
	for _, s := range d.Snapshots {
		want = append(want, strings.TrimSpace(strings.Join([]string{s.Name, s.Created.Format("2006-01-02 15:04:05 -0700"), s.State, s.Parent}, " ")))
		if s.Current {
			current = s.Name
		}
	}
	slices.Sort(want) // snapshot-list sorts by name
	if !slices.Equal(got, want) {
		t.Errorf("snapshot-list --parent:\n got %q\nwant %q", got, want)
	}
	if current != "" {
		if got := strings.TrimSpace(virsh(t, uri, "snapshot-current", d.Name, "--name")); got != current {
			t.Errorf("snapshot-current = %q, want %q", got, current)
		}
	}
	for _, s := range d.Snapshots {
		info := keyValues(virsh(t, uri, "snapshot-info", d.Name, s.Name))
		wantCur := "no"
		if s.Current {
			wantCur = "yes"
		}
		if info["Current"] != wantCur || info["State"] != s.State || info["Parent"] != cmpOr(s.Parent, "-") {
			t.Errorf("snapshot-info %s: %v, want %+v", s.Name, info, s)
		}
		var x libvirtxml.DomainSnapshot
		if err := x.Unmarshal(virsh(t, uri, "snapshot-dumpxml", d.Name, s.Name)); err != nil {
			t.Fatal(err)
		}
		if x.Description != s.Description || x.CreationTime != strconv.FormatInt(s.Created.Unix(), 10) {
			t.Errorf("snapshot-dumpxml %s: description %q created %s, want %q and %d", s.Name, x.Description, x.CreationTime, s.Description, s.Created.Unix())
		}
	}
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// TestNodeVariety: the node plan holds what readers must cope with.
func TestNodeVariety(t *testing.T) {
	n := mustPlanNode(t, Options{Domains: 60, Seed: 2, Pools: 4, Networks: 8, Snapshots: 4})
	if !slices.IsSortedFunc(n.Pools, func(a, b Pool) int { return strings.Compare(a.Name, b.Name) }) ||
		!slices.IsSortedFunc(n.Networks, func(a, b Network) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("pools or networks not sorted by name")
	}
	forwards := map[string]bool{}
	for _, nw := range n.Networks {
		forwards[nw.Forward] = true
	}
	for _, f := range []string{"nat", "route", "", "bridge"} {
		if !forwards[f] {
			t.Errorf("no network with forward mode %q", f)
		}
	}
	pools := map[string]Pool{}
	for _, p := range n.Pools {
		pools[p.Name] = p
		if len(p.Volumes) < 2 || p.AllocationB == 0 || p.AvailableB+p.AllocationB != p.CapacityB {
			t.Errorf("pool %s: %d volumes, sizes %d/%d/%d", p.Name, len(p.Volumes), p.CapacityB, p.AllocationB, p.AvailableB)
		}
	}
	nets := map[string]bool{}
	for _, nw := range n.Networks {
		nets[nw.Name] = true
	}
	seen := map[string]bool{}
	mark := func(what string, ok bool) {
		if ok {
			seen[what] = true
		}
	}
	for _, d := range n.Domains {
		for _, k := range d.Disks {
			p, ok := pools[k.Pool]
			if !ok || !strings.HasPrefix(k.Source, p.Path+"/") {
				t.Errorf("%s: disk %s not in its pool %q", d.Name, k.Source, k.Pool)
			}
		}
		for _, nic := range d.NICs {
			if nic.Network != "" && !nets[nic.Network] {
				t.Errorf("%s: NIC on unknown network %q", d.Name, nic.Network)
			}
			mark("nic on "+nic.Network, nic.Network != "")
		}
		mark("no snapshots", len(d.Snapshots) == 0)
		currents := 0
		for j, s := range d.Snapshots {
			mark("state "+s.State, true)
			mark("description", s.Description != "")
			mark("branch", j > 0 && s.Parent != d.Snapshots[j-1].Name)
			mark("reverted", s.Current && j < len(d.Snapshots)-1)
			mark("same time", j > 0 && s.Created.Equal(d.Snapshots[j-1].Created))
			if j > 0 && s.Created.Before(d.Snapshots[j-1].Created) {
				t.Errorf("%s: snapshots not oldest first", d.Name)
			}
			if s.Current {
				currents++
			}
		}
		if len(d.Snapshots) > 0 && currents != 1 {
			t.Errorf("%s: %d current snapshots", d.Name, currents)
		}
	}
	for _, want := range []string{"no snapshots", "state running", "state paused", "state shutoff", "state disk-snapshot",
		"description", "branch", "reverted", "same time", "nic on default", "nic on net-07"} {
		if !seen[want] {
			t.Errorf("no domain shows %q", want)
		}
	}
}

// TestNodeOptionsKeepDomains: pools, networks and snapshots move disks and
// NICs but leave everything else of a domain as it was, so tests written
// before them keep their meaning; one pool and one network change nothing
// but Disk.Pool.
func TestNodeOptionsKeepDomains(t *testing.T) {
	base := mustPlan(t, Options{Domains: 50, Seed: 6})
	rich := mustPlan(t, Options{Domains: 50, Seed: 6, Pools: 3, Networks: 3, Snapshots: 3})
	one := mustPlan(t, Options{Domains: 50, Seed: 6, Pools: 1, Networks: 1})
	for i := range base {
		b, r := base[i], rich[i]
		if b.Name != r.Name || b.UUID != r.UUID || b.State != r.State || b.Title != r.Title || b.VCPUs != r.VCPUs ||
			b.MemoryKiB != r.MemoryKiB || len(b.Disks) != len(r.Disks) || len(b.NICs) != len(r.NICs) {
			t.Fatalf("domain %d changed:\n%+v\n%+v", i, b, r)
		}
		for j := range b.NICs {
			if b.NICs[j].MAC != r.NICs[j].MAC {
				t.Errorf("%s: NIC %d MAC changed", b.Name, j)
			}
		}
		o := one[i]
		for j := range o.Disks {
			if o.Disks[j].Pool != "default" {
				t.Errorf("%s: disk %d in pool %q with one pool", o.Name, j, o.Disks[j].Pool)
			}
			o.Disks[j].Pool = ""
		}
		if !reflect.DeepEqual(o, b) {
			t.Errorf("one pool and network changed %s:\n%+v\n%+v", b.Name, o, b)
		}
	}
}

// TestSnapshotTimes: creation times are whole seconds in UTC, as libvirt
// keeps them.
func TestSnapshotTimes(t *testing.T) {
	for _, d := range mustPlan(t, Options{Domains: 10, Snapshots: MaxSnapshots}) {
		for _, s := range d.Snapshots {
			if s.Created.Location() != time.UTC || s.Created.Nanosecond() != 0 {
				t.Errorf("%s/%s: created %v", d.Name, s.Name, s.Created)
			}
		}
	}
}

// TestGuestIdentityKeepsDomains: GuestIdentity adds the sysinfo and
// libosinfo OS to every even domain, in turn, and changes nothing else.
func TestGuestIdentityKeepsDomains(t *testing.T) {
	base := mustPlan(t, Options{Domains: 12, Seed: 6, Snapshots: 2})
	ident := mustPlan(t, Options{Domains: 12, Seed: 6, Snapshots: 2, GuestIdentity: true})
	oses := map[string]bool{}
	for i := range base {
		g := ident[i]
		if g.Sysinfo != (i%2 == 0) || (g.GuestOS != "") != g.Sysinfo {
			t.Errorf("%s: sysinfo %v, guest OS %q", g.Name, g.Sysinfo, g.GuestOS)
		}
		oses[g.GuestOS] = true
		g.GuestOS, g.Sysinfo = "", false
		if !reflect.DeepEqual(g, base[i]) {
			t.Errorf("GuestIdentity changed %s:\n%+v\n%+v", g.Name, g, base[i])
		}
	}
	if len(oses) != len(guestOSes)+1 {
		t.Errorf("guest OSes used %v, want all %d and none", oses, len(guestOSes))
	}
}
