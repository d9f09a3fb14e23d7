package conformance

import (
	"slices"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
)

const (
	// stateChangeQuery is the example filter of the issue.
	stateChangeQuery = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
		"SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState"
	// fastRetries is appended to the agent's config (top level).
	fastRetries = "indications:\n  delivery_retry_interval: 10ms\n"
	vmRunning   = "1.3.6.1.2.1.236.0.1"
)

func firstRunning(t *testing.T, plan []testbed.Domain) testbed.Domain {
	t.Helper()
	for _, d := range plan {
		if d.State == testbed.StateRunning {
			return d
		}
	}
	t.Fatal("no running domain in the test bed")
	return testbed.Domain{}
}

func enabledStates(is []*cim.Instance) []uint64 { return listenertest.SourceUints(is, "EnabledState") }

// TestIndicationsThroughCIMXML: an operator subscribes with CIM-XML
// CreateInstance (read-only users and bad input are refused with the
// DSP0200 codes); a pause and a resume arrive at the listener as
// ExportIndication requests, in order; after kill -9 and a restart on
// the same state directory the subscription is listed and delivers.
func TestIndicationsThroughCIMXML(t *testing.T) {
	a := startAgent(t, 4, fastRetries)
	l := listenertest.Start(t)
	for _, tc := range []struct {
		what string
		code int
		want int
	}{
		{"read-only user", a.createFilter(t, cimViewer, "f", "WQL", "SELECT * FROM CIM_InstCreation"), 2},
		{"bad query", a.createFilter(t, cimOperator, "f", "WQL", "SELECT FROM WHERE"), 15},
		{"unknown FROM class", a.createFilter(t, cimOperator, "f", "DMTF:CQL", "SELECT * FROM CIM_Nothing"), 15},
		{"unknown language", a.createFilter(t, cimOperator, "f", "SQL", "SELECT * FROM CIM_InstCreation"), 14},
		{"ftp destination", a.createDestination(t, cimOperator, "d", "ftp://127.0.0.1/"), 4},
		{"missing filter and handler", a.createSubscription(t, cimOperator, "nope", "nope"), 4},
	} {
		if tc.code != tc.want {
			t.Errorf("%s: CIM error %d, want %d", tc.what, tc.code, tc.want)
		}
	}
	a.subscribeAll(t, "states", "DMTF:CQL", stateChangeQuery, l.URL)
	if code := a.createFilter(t, cimOperator, "states", "WQL", "SELECT * FROM CIM_InstCreation"); code != 11 {
		t.Errorf("duplicate filter: CIM error %d, want 11", code)
	}
	vm := firstRunning(t, a.plan)
	a.requestState(t, vm.UUID, 9)
	a.requestState(t, vm.UUID, 2)
	got := l.WaitFor(t, "pause and resume", func(is []*cim.Instance) bool { return len(is) >= 2 })
	if s := enabledStates(got); !slices.Equal(s, []uint64{9, 2}) {
		t.Fatalf("EnabledState %v, want [9 2]\n%s", s, listenertest.Describe(got))
	}

	a.kill()
	b := runAgent(t, a.dir, a.uri, a.plan, fastRetries)
	for class, want := range map[string]int{"CIM_IndicationFilter": 1, "CIM_ListenerDestinationCIMXML": 1, "CIM_IndicationSubscription": 1} {
		if n := b.countInterop(t, class); n != want {
			t.Errorf("%s after kill -9 and restart: %d, want %d", class, n, want)
		}
	}
	b.requestState(t, vm.UUID, 9)
	// At least once across kill -9: one delivered just before it may come
	// again; each counts once.
	got = l.WaitFor(t, "a pause after the restart", func(is []*cim.Instance) bool { return len(listenertest.FirstOfEach(is)) >= 3 })
	got = listenertest.FirstOfEach(got)
	if s := enabledStates(got); !slices.Equal(s, []uint64{9, 2, 9}) {
		t.Errorf("EnabledState %v, want [9 2 9]", s)
	}
}
