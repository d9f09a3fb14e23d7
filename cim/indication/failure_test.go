package indication_test

import (
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
)

// pauseResume pauses and resumes a running VM n times.
func (f *fixture) pauseResume(t *testing.T, uuid string, n int) {
	t.Helper()
	for range n {
		if err := f.backend.Suspend(t.Context(), uuid); err != nil {
			t.Fatal(err)
		}
		if err := f.backend.Resume(t.Context(), uuid); err != nil {
			t.Fatal(err)
		}
	}
}

// subscription returns the subscription at p, nil once it is gone.
func (f *fixture) subscription(t *testing.T, p cim.ObjectPath) *cim.Instance {
	t.Helper()
	inst, err := f.br.GetInstance(interopNS, p)
	if err != nil {
		return nil
	}
	return inst
}

// TestDeadListenerPolicies: a listener that stays down has its
// subscription disabled (OnFatalErrorPolicy 3) or removed (4) after the
// retries, while a subscription to a live listener gets everything;
// re-enabling the disabled one delivers what it had queued.
func TestDeadListenerPolicies(t *testing.T) {
	f := newFixture(t, options{retries: 2})
	live, dead := listenertest.Start(t), listenertest.Start(t)
	dead.SetDown(true)
	f.subscribe(t, "live", "DMTF:CQL", stateChanges, live.URL, nil)
	disabled := f.subscribe(t, "disable", "DMTF:CQL", stateChanges, dead.URL, map[string]cim.Value{"OnFatalErrorPolicy": cim.Uint16(3)})
	removed := f.subscribe(t, "remove", "DMTF:CQL", stateChanges, dead.URL, map[string]cim.Value{"OnFatalErrorPolicy": cim.Uint16(4)})
	uuid := f.running(t)
	f.pauseResume(t, uuid, 1)
	live.WaitFor(t, "pause and resume", func(is []*cim.Instance) bool { return len(is) == 2 })
	waitUntil(t, "the subscription disabled and the other removed", func() bool {
		d := f.subscription(t, disabled)
		return d != nil && u16(d, "SubscriptionState") == 4 && f.subscription(t, removed) == nil
	})
	if len(dead.Received()) != 0 {
		t.Fatalf("a down listener received %d", len(dead.Received()))
	}
	// Back up and re-enabled: what was queued arrives, in order.
	dead.SetDown(false)
	if _, err := f.br.ModifyInstance(t.Context(), interopNS, disabled, map[string]cim.Value{"SubscriptionState": cim.Uint16(2)}); err != nil {
		t.Fatal(err)
	}
	got := dead.WaitFor(t, "the queued pause and resume", func(is []*cim.Instance) bool { return len(is) == 2 })
	if s := []uint64{u16(listenertest.Embedded(got[0], "SourceInstance"), "EnabledState"), u16(listenertest.Embedded(got[1], "SourceInstance"), "EnabledState")}; !slices.Equal(s, []uint64{9, 2}) {
		t.Errorf("after re-enabling: EnabledState %v, want [9 2]", s)
	}
}

// TestOverflowReported: a subscription whose listener is down keeps the
// oldest QueueSize indications; the rest are counted and reported by a
// VB_LostIndications once the listener is back, after what was kept.
func TestOverflowReported(t *testing.T) {
	f := newFixture(t, options{queue: 2, retries: 1 << 30})
	witness, slow := listenertest.Start(t), listenertest.Start(t)
	slow.SetDown(true)
	f.subscribe(t, "witness", "DMTF:CQL", stateChanges, witness.URL, nil)
	f.subscribe(t, "slow", "DMTF:CQL", stateChanges, slow.URL, nil)
	uuid := f.running(t)
	f.pauseResume(t, uuid, 3)
	// Published in one order to every subscription: once the witness has
	// accounted for all six (received, or reported lost: its queue is as
	// small), the slow one's queue has seen them too.
	witness.WaitFor(t, "six state changes", func(is []*cim.Instance) bool {
		n := uint64(0)
		for _, ind := range is {
			if ind.ClassName == "VB_LostIndications" {
				n += u16(ind, "LostIndications")
			} else {
				n++
			}
		}
		return n == 6
	})
	slow.SetDown(false)
	got := slow.WaitFor(t, "two kept and the loss", func(is []*cim.Instance) bool { return len(is) == 3 })
	if got[0].ClassName != "VB_InstModification" || got[1].ClassName != "VB_InstModification" || got[2].ClassName != "VB_LostIndications" {
		t.Fatalf("want two modifications then VB_LostIndications:\n%s", listenertest.Describe(got))
	}
	if n, r := u16(got[2], "LostIndications"), u16(got[2], "Reason"); n != 4 || r != 1 {
		t.Errorf("LostIndications %d Reason %d, want 4 lost, queue full (1)", n, r)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, options{})
	l := listenertest.Start(t)
	fp := f.create(t, filterInst("ok", "WQL", "SELECT * FROM CIM_InstModification"))
	dp := f.create(t, destInst("ok", l.URL))
	missing := fp.WithKey("Name", cim.String("missing"))
	for _, tc := range []struct {
		what string
		inst *cim.Instance
		want cim.ErrorKind
	}{
		{"syntax", filterInst("bad", "WQL", "SELECT * FROM"), cim.ErrInvalidQuery},
		{"unknown FROM class", filterInst("bad", "DMTF:CQL", "SELECT * FROM CIM_NoSuchIndication"), cim.ErrInvalidQuery},
		{"FROM not an indication", filterInst("bad", "WQL", "SELECT * FROM CIM_ComputerSystem"), cim.ErrInvalidQuery},
		{"language", filterInst("bad", "XQL", "SELECT * FROM CIM_InstCreation"), cim.ErrQueryLanguage},
		{"duplicate filter", filterInst("OK", "WQL", "SELECT * FROM CIM_InstCreation"), cim.ErrAlreadyExists},
		{"ftp destination", destInst("bad", "ftp://127.0.0.1/x"), cim.ErrInvalidParameter},
		{"relative destination", destInst("bad", "/cimlistener"), cim.ErrInvalidParameter},
		{"missing filter", subInst(missing, dp, nil), cim.ErrInvalidParameter},
		{"missing handler", subInst(fp, dp.WithKey("Name", cim.String("missing")), nil), cim.ErrInvalidParameter},
		{"repeat policy", subInst(fp, dp, map[string]cim.Value{"RepeatNotificationPolicy": cim.Uint16(3)}), cim.ErrNotSupported},
		{"abstract destination", newInst("CIM_ListenerDestination", map[string]cim.Value{"Name": cim.String("x")}), cim.ErrInvalidClass},
		{"not creatable", newInst("CIM_RegisteredProfile", map[string]cim.Value{"InstanceID": cim.String("x")}), cim.ErrNotSupported},
	} {
		if _, err := f.br.CreateInstance(t.Context(), interopNS, tc.inst); !errorIs(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	sp := f.create(t, subInst(fp, dp, nil))
	if _, err := f.br.CreateInstance(t.Context(), interopNS, subInst(fp, dp, nil)); !errorIs(err, cim.ErrAlreadyExists) {
		t.Errorf("duplicate subscription: %v", err)
	}
	if err := f.br.DeleteInstance(t.Context(), interopNS, fp); !errorIs(err, cim.ErrFailed) {
		t.Errorf("deleting a filter in use: %v", err)
	}
	for _, p := range []cim.ObjectPath{sp, fp, dp} {
		if err := f.br.DeleteInstance(t.Context(), interopNS, p); err != nil {
			t.Errorf("deleting %s: %v", p.ClassName, err)
		}
	}
	if err := f.br.DeleteInstance(t.Context(), interopNS, sp); !errorIs(err, cim.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
}
