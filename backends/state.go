package backends

// State is the run state of a domain, backend-neutral. The values follow
// libvirt's virDomainState because it is the richest of the backends; other
// backends map onto it.
type State uint8

// Domain states.
const (
	StateUnknown      State = iota // no state, or the backend could not tell
	StateRunning                   // running on a CPU or runnable
	StateBlocked                   // blocked on a resource
	StatePaused                    // paused by the management layer
	StateShuttingDown              // being shut down by the guest
	StateShutOff                   // not running
	StateCrashed                   // crashed and kept for inspection
	StatePMSuspended               // suspended by guest power management
)

// stateInfo is one row of the state table.
type stateInfo struct {
	name   string // stable identifier used in JSON and logs
	label  string // what virsh prints, for tables
	active bool   // a guest process exists (libvirt: virDomainIsActive)
}

// stateTable is the one place domain states are described. Front ends map
// these to EnabledState (DSP1057 §7.1.2) and vmOperState (RFC 7666 §5) in
// their own single tables, keyed by State.
var stateTable = [...]stateInfo{
	StateUnknown:      {"unknown", "no state", false},
	StateRunning:      {"running", "running", true},
	StateBlocked:      {"blocked", "idle", true},
	StatePaused:       {"paused", "paused", true},
	StateShuttingDown: {"shutting-down", "in shutdown", true},
	StateShutOff:      {"shut-off", "shut off", false},
	StateCrashed:      {"crashed", "crashed", true},
	StatePMSuspended:  {"pm-suspended", "pmsuspended", true},
}

func (s State) info() stateInfo {
	if int(s) < len(stateTable) {
		return stateTable[s]
	}
	return stateTable[StateUnknown]
}

// String returns the stable identifier of the state, e.g. "shut-off".
func (s State) String() string { return s.info().name }

// Label returns the state as virsh prints it, e.g. "shut off".
func (s State) Label() string { return s.info().label }

// Active reports whether the domain has a running guest (possibly paused).
func (s State) Active() bool { return s.info().active }

// MarshalText makes states readable in JSON output.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseState is the inverse of String; ok is false for an unknown name.
func ParseState(name string) (State, bool) {
	for i, si := range stateTable {
		if si.name == name {
			return State(i), true
		}
	}
	return StateUnknown, false
}
