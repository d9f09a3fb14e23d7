package backends

import (
	"context"
	"encoding/json"
)

// PowerOp is a state-changing operation on a domain.
type PowerOp uint8

// Power operations.
const (
	OpStart PowerOp = iota + 1
	OpShutdown
	OpDestroy
	OpReboot
	OpReset
	OpSuspend
	OpResume
	OpManagedSave
)

// transitions is the one table of which operation each state allows,
// following libvirt's checks (src/qemu/qemu_driver.c) so every backend and
// front end agrees: CIM's AvailableRequestedStates and 4097 replies
// (DSP1057 §8.1) and SNMP's control MIB are derived from it.
//
// to is the state the operation ends in; StateUnknown for reboot and
// reset, which end where they began.
var transitions = map[PowerOp]struct {
	name string
	from []State
	to   State
}{
	OpStart:       {"start", []State{StateShutOff}, StateRunning},
	OpShutdown:    {"shutdown", []State{StateRunning, StateBlocked, StatePaused}, StateShutOff},
	OpDestroy:     {"destroy", []State{StateRunning, StateBlocked, StatePaused, StateShuttingDown, StateCrashed, StatePMSuspended}, StateShutOff},
	OpReboot:      {"reboot", []State{StateRunning, StateBlocked}, StateUnknown},
	OpReset:       {"reset", []State{StateRunning, StateBlocked, StatePaused}, StateUnknown},
	OpSuspend:     {"suspend", []State{StateRunning, StateBlocked}, StatePaused},
	OpResume:      {"resume", []State{StatePaused}, StateRunning},
	OpManagedSave: {"managed save", []State{StateRunning, StateBlocked, StatePaused}, StateShutOff},
}

// Done reports whether a domain now in state s shows that op, once
// applied, has taken effect: it is in the state op ends in, or op ends
// where it began (reboot, reset), which the call's success already shows.
func (op PowerOp) Done(s State) bool {
	to := transitions[op].to
	return to == StateUnknown || s == to
}

func (op PowerOp) String() string {
	if t, ok := transitions[op]; ok {
		return t.name
	}
	return "unknown operation"
}

// Allows reports whether op may be applied to a domain in state s.
func (op PowerOp) Allows(s State) bool {
	for _, f := range transitions[op].from {
		if f == s {
			return true
		}
	}
	return false
}

// Apply carries out op on the domain through ops: the one place a power
// operation turns into a backend call, for every front end.
func (op PowerOp) Apply(ctx context.Context, ops Operations, uuid string) error {
	calls := map[PowerOp]func(context.Context, string) error{
		OpStart: ops.Start, OpShutdown: ops.Shutdown, OpDestroy: ops.Destroy, OpReboot: ops.Reboot,
		OpReset: ops.Reset, OpSuspend: ops.Suspend, OpResume: ops.Resume, OpManagedSave: ops.ManagedSave,
	}
	call, ok := calls[op]
	if !ok {
		return Errorf(op.String(), uuid, ErrInvalidArgument, "unknown power operation %d", op)
	}
	return call(ctx, uuid)
}

// PowerOps is a set of power operations.
type PowerOps uint16

// PowerOpsOf is the set of ops.
func PowerOpsOf(ops ...PowerOp) PowerOps {
	var s PowerOps
	for _, op := range ops {
		s |= 1 << op
	}
	return s
}

// Has reports whether op is in the set.
func (s PowerOps) Has(op PowerOp) bool { return s&(1<<op) != 0 }

// List is the set's operations in PowerOp order.
func (s PowerOps) List() []PowerOp {
	var out []PowerOp
	for op := OpStart; op <= OpManagedSave; op++ {
		if s.Has(op) {
			out = append(out, op)
		}
	}
	return out
}

// MarshalJSON lists the operations by name, e.g. ["suspend","resume"].
func (s PowerOps) MarshalJSON() ([]byte, error) {
	names := []string{}
	for _, op := range s.List() {
		names = append(names, op.String())
	}
	return json.Marshal(names)
}

// Allows reports whether op may be applied to d now: the backend supports
// it for d and d's state allows it. Front ends decide with this what to
// offer and what to refuse before calling the backend.
func (d *Domain) Allows(op PowerOp) bool {
	return !d.Unsupported.Has(op) && op.Allows(d.State)
}
