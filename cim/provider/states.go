// Package provider maps the inventory onto the DMTF virtualization
// profiles: instances and associations of the classes in mof/, built from
// a snapshot, for CIM-XML and WS-Management alike.
package provider

import (
	"slices"

	"github.com/virtbridge/virtbridge/backends"
)

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

// requestVerdict is what a RequestedState value means for one domain.
type requestVerdict uint8

const (
	requestOK            requestVerdict = iota
	requestUnknown                      // not a state RequestStateChange offers (5, Invalid Parameter)
	requestUnsupported                  // the domain's backend cannot do it in any state (CIM_ERR_NOT_SUPPORTED)
	requestInvalidChange                // the domain's state does not allow it now (4097)
)

// requestedStateOp is the operation that takes d to the requested state,
// and whether it may be asked now: the backend must support one of the
// operations for the value (Domain.Unsupported), and d's state allow it.
func requestedStateOp(requested uint16, d *backends.Domain) (backends.PowerOp, requestVerdict) {
	for _, r := range requestedStates {
		if r.state != requested {
			continue
		}
		verdict := requestUnsupported
		for _, op := range r.ops {
			if d.Unsupported.Has(op) {
				continue
			}
			if d.Allows(op) {
				return op, requestOK
			}
			verdict = requestInvalidChange
		}
		return 0, verdict
	}
	return 0, requestUnknown
}

// availableRequestedStates lists the RequestedState values d's current
// state allows, in the table's order.
func availableRequestedStates(d *backends.Domain) []uint16 {
	out := []uint16{}
	for _, r := range requestedStates {
		if _, v := requestedStateOp(r.state, d); v == requestOK {
			out = append(out, r.state)
		}
	}
	return out
}

// requestedStatesSupported is every RequestedState value the provider
// handles for d, whatever its state: those with an operation d's backend
// supports (CIM_EnabledLogicalElementCapabilities.RequestedStatesSupported).
func requestedStatesSupported(d *backends.Domain) []uint16 {
	out := []uint16{}
	for _, r := range requestedStates {
		if slices.ContainsFunc(r.ops, func(op backends.PowerOp) bool { return !d.Unsupported.Has(op) }) {
			out = append(out, r.state)
		}
	}
	return out
}
