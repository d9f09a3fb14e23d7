package backends

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// TestDomainAllows: an operation the backend does not support is refused
// in every state; the others follow the transition table.
func TestDomainAllows(t *testing.T) {
	none := Domain{State: StateRunning}
	noPause := Domain{State: StateRunning, Unsupported: PowerOpsOf(OpSuspend, OpResume)}
	for op := OpStart; op <= OpManagedSave; op++ {
		if none.Allows(op) != op.Allows(StateRunning) {
			t.Errorf("%v with every operation supported: %v, the table says %v", op, none.Allows(op), op.Allows(StateRunning))
		}
		want := op.Allows(StateRunning) && op != OpSuspend && op != OpResume
		if noPause.Allows(op) != want {
			t.Errorf("%v without suspend/resume: %v, want %v", op, noPause.Allows(op), want)
		}
	}
	noPause.State = StatePaused
	if noPause.Allows(OpResume) {
		t.Error("resume allowed though unsupported")
	}
	if got := noPause.Unsupported.List(); !slices.Equal(got, []PowerOp{OpSuspend, OpResume}) {
		t.Errorf("List = %v", got)
	}
	b, err := json.Marshal(noPause.Unsupported)
	if err != nil || string(b) != `["suspend","resume"]` {
		t.Errorf("JSON %s, %v", b, err)
	}
	if b, _ := json.Marshal(none.Unsupported); string(b) != `[]` {
		t.Errorf("JSON of the empty set %s", b)
	}
}

// TestReportProgress: reports reach the context's reporter, clamped; a
// context without one ignores them.
func TestReportProgress(t *testing.T) {
	var got []int
	ctx := WithProgress(context.Background(), func(p int) { got = append(got, p) })
	for _, p := range []int{-5, 0, 42, 100, 250} {
		ReportProgress(ctx, p)
	}
	if !slices.Equal(got, []int{0, 0, 42, 100, 100}) {
		t.Errorf("reported %v", got)
	}
	ReportProgress(context.Background(), 50) // no reporter: nothing to do
}
