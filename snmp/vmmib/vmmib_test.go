package vmmib

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// rig builds the MIB over a real libvirt test-driver test bed.
func rig(t testing.TB, n int) (*Builder, *libvirt.Backend, *inventory.Inventory, []testbed.Domain, string) {
	t.Helper()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: n, Seed: 11})
	dir := t.TempDir()
	idx, err := LoadIndexes(filepath.Join(dir, "vmindex.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := New(Config{SysDescr: "virtbridge test", SysName: "h", BackendName: "libvirt", BackendURI: "test://" + bed.Path},
		bed.Inventory, bed.Backend, idx)
	return b, bed.Backend, bed.Inventory, bed.Plan, dir
}

func walkAll(t *testing.T, m mib.MIB) []mib.Varbind {
	t.Helper()
	var out []mib.Varbind
	oid := mib.OID{}
	for {
		vb, ok := m.Next(oid)
		if !ok {
			return out
		}
		if vb.OID.Compare(oid) <= 0 {
			t.Fatalf("walk not increasing: %s after %s", vb.OID, oid)
		}
		out = append(out, vb)
		oid = vb.OID
	}
}

func TestWalkIsOrderedAndConsistent(t *testing.T) {
	b, _, inv, plan, _ := rig(t, 40)
	tree := b.Tree()
	vbs := walkAll(t, tree)
	if len(vbs) < 40*17 {
		t.Fatalf("walk returned only %d objects", len(vbs))
	}
	for _, vb := range vbs {
		got := tree.Get(vb.OID)
		if got.Type != vb.Type {
			t.Fatalf("Get(%s) = %v, Next said %v", vb.OID, got.Type, vb.Type)
		}
	}
	// vmTable rows agree with the plan, by UUID.
	snap := inv.Snapshot()
	byName := map[string]testbed.Domain{}
	for _, p := range plan {
		byName[p.Name] = p
	}
	for _, d := range snap.Domains() {
		i, ok := b.VMIndex(d.UUID)
		if !ok {
			t.Fatalf("%s has no vmIndex", d.Name)
		}
		get := func(col uint32) any { return tree.Get(oidVMEntry.Append(col, uint32(i))).Value }
		p := byName[d.Name]
		if get(colVMName) != p.Name || get(colVMCurCPU) != p.VCPUs || get(colVMMaxCPU) != p.MaxVCPUs ||
			get(colVMCurMem) != int(p.MemoryKiB) || get(colVMMaxMem) != int(p.MaxMemoryKiB) || get(colVMMemUnit) != 1024 {
			t.Errorf("%s row: name %v cpu %v/%v mem %v/%v; plan %+v", d.Name, get(colVMName), get(colVMCurCPU), get(colVMMaxCPU), get(colVMCurMem), get(colVMMaxMem), p)
		}
		wantOper := map[string]int{testbed.StateRunning: operRunning, testbed.StatePaused: operPaused, testbed.StateShutOff: operShutdown}[p.State]
		if get(colVMOperState) != wantOper {
			t.Errorf("%s oper %v, want %v", d.Name, get(colVMOperState), wantOper)
		}
		if u := get(colVMUUID).([]byte); len(u) != 16 {
			t.Errorf("%s UUID %x", d.Name, u)
		}
	}
	if n := tree.Get(oidVMNumber.Append(0)); n.Value != 40 {
		t.Errorf("vmNumber %v", n.Value)
	}
}

func TestVMIndexStableAcrossRestart(t *testing.T) {
	b, _, inv, _, dir := rig(t, 10)
	b.Tree()
	first := map[string]int32{}
	for _, d := range inv.Snapshot().Domains() {
		first[d.UUID], _ = b.VMIndex(d.UUID)
	}
	idx, err := LoadIndexes(filepath.Join(dir, "vmindex.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A new agent: a different order of first sight must not matter.
	uuids := make([]string, 0, len(first))
	for u := range first {
		uuids = append(uuids, "x"+u)
		uuids = append(uuids, u)
	}
	nums, err := idx.Assign(uuids)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range uuids {
		if want, ok := first[u]; ok && nums[i] != want {
			t.Errorf("%s: vmIndex %d after restart, was %d", u, nums[i], want)
		}
	}
}

// TestAffinityMatchesMaterialised compares the computed affinity table
// with a plain table of the same rows, for Next from random OIDs.
func TestAffinityMatchesMaterialised(t *testing.T) {
	var vms []*vmRow
	for i := range 30 {
		d := &backends.Domain{UUID: string(rune('a' + i))}
		for c := range rand.IntN(4) {
			var pins []int
			if c%2 == 1 {
				pins = []int{1, 3}
			}
			d.VCPUInfo = append(d.VCPUInfo, backends.VCPU{Number: c, Pinning: pins})
		}
		vms = append(vms, &vmRow{index: int32(i*3 + 1), d: d})
	}
	const hostCPUs = 5
	comp := newAffinityTable(vms, hostCPUs)
	type cell struct {
		v         *vmRow
		cpu, phys int
	}
	var cells []cell
	for _, v := range vms {
		for c := range v.d.VCPUInfo {
			for p := range hostCPUs {
				cells = append(cells, cell{v, c, p})
			}
		}
	}
	plain := mib.NewTable(oidVMAffEntry, []mib.Column[cell]{
		{ID: colAffinity, Type: gosnmp.Integer, Get: func(c cell) any { return comp.value(c.v, c.cpu, c.phys) }},
	}, cells, func(c cell) mib.OID { return mib.OID{uint32(c.v.index), uint32(c.cpu + 1), uint32(c.phys + 1)} })
	a, _ := mib.NewTree(comp)
	p, _ := mib.NewTree(plain)
	wa, wp := walkAll(t, a), walkAll(t, p)
	if len(wa) != len(wp) {
		t.Fatalf("computed walk %d rows, plain %d", len(wa), len(wp))
	}
	for k := range 5000 {
		probe := oidVMAffEntry.Append(colAffinity)
		for range rand.IntN(5) {
			probe = probe.Append(uint32(rand.IntN(100)))
		}
		if k%7 == 0 {
			probe = oidVMAffEntry.Append(uint32(rand.IntN(5)))
		}
		x, okx := a.Next(probe)
		y, oky := p.Next(probe)
		if okx != oky || (okx && (x.OID.Compare(y.OID) != 0 || x.Value != y.Value)) {
			t.Fatalf("Next(%s): computed %v %v, plain %v %v", probe, x.OID, okx, y.OID, oky)
		}
		if ga, gp := a.Get(probe), p.Get(probe); ga.Type != gp.Type || ga.Value != gp.Value {
			t.Fatalf("Get(%s): computed %v, plain %v", probe, ga, gp)
		}
	}
}

func TestControlSet(t *testing.T) {
	b, _, inv, plan, _ := rig(t, 6)
	ctx := context.Background()
	run, _ := inventoryRun(t, inv)
	_ = run
	var running, shutoff string
	for _, p := range plan {
		switch p.State {
		case testbed.StateRunning:
			running = p.UUID
		case testbed.StateShutOff:
			shutoff = p.UUID
		}
	}
	ri, _ := b.VMIndex(running)
	si, _ := b.VMIndex(shutoff)
	req := func(i int32) mib.OID { return b.cfg.Enterprise.Append(arcObjects, arcControl, 1, 1, uint32(i)) }
	set := func(vbs ...mib.Varbind) (gosnmp.SNMPError, int) { return b.Tree().Set(ctx, vbs) }
	// Resume a running VM: inconsistent; nothing done to the other varbind.
	st, at := set(mib.Varbind{OID: req(si), Type: gosnmp.Integer, Value: 2}, mib.Varbind{OID: req(ri), Type: gosnmp.Integer, Value: 8})
	if st != gosnmp.InconsistentValue || at != 2 {
		t.Fatalf("resume of a running VM: %v at %d", st, at)
	}
	if b.Control.Requests.Load() != 0 {
		t.Fatal("a failed SET started a request")
	}
	if st, at := set(mib.Varbind{OID: req(ri), Type: gosnmp.Integer, Value: 1}); st != gosnmp.WrongValue || at != 1 {
		t.Fatalf("none(1): %v", st)
	}
	if st, _ := set(mib.Varbind{OID: req(ri), Type: gosnmp.OctetString, Value: []byte("x")}); st != gosnmp.WrongType {
		t.Fatalf("wrong type: %v", st)
	}
	// Suspend the running one: accepted, carried out, seen through events.
	if st, _ := set(mib.Varbind{OID: req(ri), Type: gosnmp.Integer, Value: 7}); st != gosnmp.NoError {
		t.Fatalf("suspend: %v", st)
	}
	b.Control.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tree := b.Tree()
		if tree.Get(oidVMEntry.Append(colVMOperState, uint32(ri))).Value == operPaused {
			if got := tree.Get(req(ri).Append()).Value; got != 7 {
				t.Errorf("request column reads %v", got)
			}
			status := b.cfg.Enterprise.Append(arcObjects, arcControl, 1, 2, uint32(ri))
			if got := tree.Get(status).Value; got != statusSucceeded {
				t.Errorf("status %v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("suspend never reached the MIB")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func inventoryRun(t testing.TB, inv *inventory.Inventory) (context.CancelFunc, chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel, done
}

func TestTruncateOnRuneBoundary(t *testing.T) {
	s := "ab\u00e9\u00e9" // a b é é: é is two bytes
	if got := truncate(s, 3); got != "ab" {
		t.Fatalf("truncate = %q", got)
	}
	if got := truncate(s, 4); got != "ab\u00e9" {
		t.Fatalf("truncate = %q", got)
	}
}

func TestOperStateTable(t *testing.T) {
	cases := []struct {
		d    backends.Domain
		want int
	}{
		{backends.Domain{State: backends.StateRunning, StateReason: "booted"}, operRunning},
		{backends.Domain{State: backends.StatePaused, StateReason: "user"}, operPaused},
		{backends.Domain{State: backends.StatePaused, StateReason: "save"}, operSuspending},
		{backends.Domain{State: backends.StatePaused, StateReason: "migration"}, operMigrating},
		{backends.Domain{State: backends.StateShutOff, ManagedSave: true}, operSuspended},
		{backends.Domain{State: backends.StateShutOff}, operShutdown},
		{backends.Domain{State: backends.StateCrashed}, operCrashed},
		{backends.Domain{State: backends.StateShuttingDown}, operShuttingDown},
	}
	for _, c := range cases {
		if got := operState(&c.d); got != c.want {
			t.Errorf("%v/%s managedSave=%v: vmOperState %d, want %d", c.d.State, c.d.StateReason, c.d.ManagedSave, got, c.want)
		}
		if _, ok := notificationFor[c.want]; !ok {
			t.Errorf("vmOperState %d has no notification", c.want)
		}
	}
}
