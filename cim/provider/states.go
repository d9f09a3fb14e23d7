// Package provider maps the inventory onto the DMTF virtualization
// profiles: instances and associations of the classes in mof/, built from
// a snapshot, for CIM-XML and WS-Management alike.
package provider

import "github.com/virtbridge/virtbridge/backends"

// CIM_EnabledLogicalElement.EnabledState and RequestedState values
// (DSP1057 §7.1.2, CIM_EnabledLogicalElement ValueMap).
const (
	enabledUnknown      = 0
	enabledEnabled      = 2
	enabledDisabled     = 3
	enabledShuttingDown = 4
	enabledNotApplic    = 5
	enabledOffline      = 6 // "Enabled but Offline"
	enabledQuiesce      = 9
	enabledStarting     = 10

	requestedShutDown      = 4
	requestedReboot        = 10
	requestedReset         = 11
	requestedNotApplicable = 12
)

// OperationalStatus, HealthState and PrimaryStatus values (CIM_ManagedSystemElement).
const (
	opOK      = 2
	opError   = 6
	opStopped = 10
	opDormant = 15

	healthUnknown = 0
	healthOK      = 5
	healthFatal   = 25

	primaryUnknown = 0
	primaryOK      = 1
	primaryError   = 3
)

// OperatingStatus values (CIM_ManagedSystemElement, DSP1057 §7.1.4).
const (
	operStopped      = 5
	operAborted      = 6
	operDormant      = 7
	operEmigrating   = 10
	operSnapshotting = 12
	operShuttingDown = 13
	operInService    = 16
	operStarting     = 3
	operStopping     = 4
)

// vmState is one row of the state table.
type vmState struct {
	enabled     uint16
	operational []uint16
	health      uint16
	primary     uint16
	operating   uint16
}

// stateTable is the one mapping of domain states to DSP1057 states, as the
// big implementations use it (Hyper-V's Msvm_ComputerSystem, libvirt-cim):
// running = Enabled (2), shut off = Disabled (3), paused = Quiesce (9),
// saved = Enabled but Offline (6), shutting down = Shutting Down (4).
// A crashed domain is Disabled with an Error status and a fatal health.
var stateTable = map[backends.State]vmState{
	backends.StateUnknown:      {enabledUnknown, []uint16{0}, healthUnknown, primaryUnknown, 0},
	backends.StateRunning:      {enabledEnabled, []uint16{opOK}, healthOK, primaryOK, operInService},
	backends.StateBlocked:      {enabledEnabled, []uint16{opOK}, healthOK, primaryOK, operInService},
	backends.StatePaused:       {enabledQuiesce, []uint16{opOK, opDormant}, healthOK, primaryOK, operDormant},
	backends.StateShuttingDown: {enabledShuttingDown, []uint16{opOK}, healthOK, primaryOK, operShuttingDown},
	backends.StateShutOff:      {enabledDisabled, []uint16{opOK, opStopped}, healthOK, primaryOK, operStopped},
	backends.StateCrashed:      {enabledDisabled, []uint16{opError}, healthFatal, primaryError, operAborted},
	backends.StatePMSuspended:  {enabledOffline, []uint16{opOK, opDormant}, healthOK, primaryOK, operDormant},
}

// savedState is a shut-off domain with a managed save image.
var savedState = vmState{enabledOffline, []uint16{opOK, opDormant}, healthOK, primaryOK, operDormant}

// jobOperating is the OperatingStatus a VM shows while a job of the kind
// runs on it: it overrides the state's.
var jobOperating = map[string]uint16{
	JobMigrate:  operEmigrating,
	JobSnapshot: operSnapshotting,
	JobStart:    operStarting,
	JobStop:     operStopping,
}

func stateOf(d *backends.Domain) vmState {
	if d.State == backends.StateShutOff && d.ManagedSave {
		return savedState
	}
	if s, ok := stateTable[d.State]; ok {
		return s
	}
	return stateTable[backends.StateUnknown]
}

// requestedStates maps RequestStateChange's RequestedState values (DSP1057
// §8.1.1) to the power operation that reaches them. 2 (Enabled) is start
// or resume, whichever the current state allows.
var requestedStates = []struct {
	state uint16
	ops   []backends.PowerOp
}{
	{enabledEnabled, []backends.PowerOp{backends.OpStart, backends.OpResume}},
	{enabledDisabled, []backends.PowerOp{backends.OpDestroy}},
	{requestedShutDown, []backends.PowerOp{backends.OpShutdown}},
	{enabledOffline, []backends.PowerOp{backends.OpManagedSave}},
	{enabledQuiesce, []backends.PowerOp{backends.OpSuspend}},
	{requestedReboot, []backends.PowerOp{backends.OpReboot}},
	{requestedReset, []backends.PowerOp{backends.OpReset}},
}

// RequestedStateOp is the operation that takes a domain in state s to the
// requested state; ok is false when s does not allow it (DSP1057's 4097,
// Invalid State Transition) or the value is not a supported state.
func RequestedStateOp(requested uint16, s backends.State) (op backends.PowerOp, supported, ok bool) {
	for _, r := range requestedStates {
		if r.state != requested {
			continue
		}
		for _, op := range r.ops {
			if op.Allows(s) {
				return op, true, true
			}
		}
		return 0, true, false
	}
	return 0, false, false
}

// availableRequestedStates lists the RequestedState values the domain's
// current state allows, in the table's order.
func availableRequestedStates(s backends.State) []uint16 {
	var out []uint16
	for _, r := range requestedStates {
		if _, _, ok := RequestedStateOp(r.state, s); ok {
			out = append(out, r.state)
		}
	}
	return out
}

// requestedStatesSupported is every RequestedState value the provider
// handles (CIM_EnabledLogicalElementCapabilities.RequestedStatesSupported).
func requestedStatesSupported() []uint16 {
	out := make([]uint16, len(requestedStates))
	for i, r := range requestedStates {
		out[i] = r.state
	}
	return out
}
