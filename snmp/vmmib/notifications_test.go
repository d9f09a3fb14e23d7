package vmmib

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

type recorded struct {
	trap mib.OID
	vbs  []mib.Varbind
}

type recorder struct {
	mu  sync.Mutex
	got []recorded
}

func (r *recorder) sink(trap mib.OID, vbs []mib.Varbind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, recorded{trap, vbs})
}

func (r *recorder) snapshot() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.got...)
}

func TestPerVMThenBulk(t *testing.T) {
	b, be, inv, plan, _ := rig(t, 60)
	var rec recorder
	n := NewNotifier(b, NotifierConfig{Window: 2 * time.Second, Threshold: 3}, rec.sink)
	sub := inv.Subscribe(10000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx, sub) }()
	inventoryRun(t, inv)
	running := testbed.UUIDsIn(plan, testbed.StateRunning)
	for _, u := range running {
		if err := be.Suspend(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for n.PerVM.Load()+n.InBulk.Load() < uint64(len(running)) || n.Bulks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("per-VM %d + bulk %d of %d changes, %d bulks", n.PerVM.Load(), n.InBulk.Load(), len(running), n.Bulks.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n.PerVM.Load() != 3 {
		t.Errorf("%d per-VM notifications before the burst switch, want 3", n.PerVM.Load())
	}
	covered := map[int32]bool{}
	for _, r := range rec.snapshot() {
		switch r.trap.String() {
		case "1.3.6.1.2.1.236.0.4": // vmPaused
			if len(r.vbs) != 3 || r.vbs[2].Value != operRunning {
				t.Errorf("vmPaused varbinds %+v", r.vbs)
			}
			covered[int32(r.vbs[0].OID[len(r.vbs[0].OID)-1])] = true
		case "1.3.6.1.2.1.236.0.14": // vmBulkPaused
			list := r.vbs[0].Value.([]byte)
			for i := range int32(len(list) * 8) {
				if list[i/8]&(0x80>>(i%8)) != 0 {
					covered[i+1] = true
				}
			}
		default:
			t.Errorf("unexpected notification %s", r.trap)
		}
	}
	for _, u := range running {
		i, _ := b.VMIndex(u)
		if !covered[i] {
			t.Errorf("vmIndex %d (%s) in no notification", i, u)
		}
	}
	if len(covered) != len(running) {
		t.Errorf("%d VMs covered, %d changed", len(covered), len(running))
	}
}

func TestVMList(t *testing.T) {
	got := vmList([]int32{1, 8, 9, 17})
	want := []byte{0x81, 0x80, 0x80}
	if string(got) != string(want) {
		t.Fatalf("vmList = %x, want %x", got, want)
	}
}
