package libvirt

import (
	"regexp"
	"testing"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// kebab is the shape of every reason and detail name.
var kebab = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

// allStates lists every virDomainState of the bindings with the backend
// state it must map to.
var allStates = map[lv.DomainState]backends.State{
	lv.DOMAIN_NOSTATE:     backends.StateUnknown, // libvirt's own "no state"
	lv.DOMAIN_RUNNING:     backends.StateRunning,
	lv.DOMAIN_BLOCKED:     backends.StateBlocked,
	lv.DOMAIN_PAUSED:      backends.StatePaused,
	lv.DOMAIN_SHUTDOWN:    backends.StateShuttingDown,
	lv.DOMAIN_SHUTOFF:     backends.StateShutOff,
	lv.DOMAIN_CRASHED:     backends.StateCrashed,
	lv.DOMAIN_PMSUSPENDED: backends.StatePMSuspended,
}

// allReasons lists every reason constant of the bindings, by state.
var allReasons = map[lv.DomainState][]int{
	lv.DOMAIN_NOSTATE: {int(lv.DOMAIN_NOSTATE_UNKNOWN)},
	lv.DOMAIN_RUNNING: {int(lv.DOMAIN_RUNNING_UNKNOWN), int(lv.DOMAIN_RUNNING_BOOTED), int(lv.DOMAIN_RUNNING_MIGRATED),
		int(lv.DOMAIN_RUNNING_RESTORED), int(lv.DOMAIN_RUNNING_FROM_SNAPSHOT), int(lv.DOMAIN_RUNNING_UNPAUSED),
		int(lv.DOMAIN_RUNNING_MIGRATION_CANCELED), int(lv.DOMAIN_RUNNING_SAVE_CANCELED), int(lv.DOMAIN_RUNNING_WAKEUP),
		int(lv.DOMAIN_RUNNING_CRASHED), int(lv.DOMAIN_RUNNING_POSTCOPY), int(lv.DOMAIN_RUNNING_POSTCOPY_FAILED)},
	lv.DOMAIN_BLOCKED: {int(lv.DOMAIN_BLOCKED_UNKNOWN)},
	lv.DOMAIN_PAUSED: {int(lv.DOMAIN_PAUSED_UNKNOWN), int(lv.DOMAIN_PAUSED_USER), int(lv.DOMAIN_PAUSED_MIGRATION),
		int(lv.DOMAIN_PAUSED_SAVE), int(lv.DOMAIN_PAUSED_DUMP), int(lv.DOMAIN_PAUSED_IOERROR), int(lv.DOMAIN_PAUSED_WATCHDOG),
		int(lv.DOMAIN_PAUSED_FROM_SNAPSHOT), int(lv.DOMAIN_PAUSED_SHUTTING_DOWN), int(lv.DOMAIN_PAUSED_SNAPSHOT),
		int(lv.DOMAIN_PAUSED_CRASHED), int(lv.DOMAIN_PAUSED_STARTING_UP), int(lv.DOMAIN_PAUSED_POSTCOPY),
		int(lv.DOMAIN_PAUSED_POSTCOPY_FAILED), int(lv.DOMAIN_PAUSED_API_ERROR)},
	lv.DOMAIN_SHUTDOWN: {int(lv.DOMAIN_SHUTDOWN_UNKNOWN), int(lv.DOMAIN_SHUTDOWN_USER)},
	lv.DOMAIN_SHUTOFF: {int(lv.DOMAIN_SHUTOFF_UNKNOWN), int(lv.DOMAIN_SHUTOFF_SHUTDOWN), int(lv.DOMAIN_SHUTOFF_DESTROYED),
		int(lv.DOMAIN_SHUTOFF_CRASHED), int(lv.DOMAIN_SHUTOFF_MIGRATED), int(lv.DOMAIN_SHUTOFF_SAVED),
		int(lv.DOMAIN_SHUTOFF_FAILED), int(lv.DOMAIN_SHUTOFF_FROM_SNAPSHOT), int(lv.DOMAIN_SHUTOFF_DAEMON)},
	lv.DOMAIN_CRASHED:     {int(lv.DOMAIN_CRASHED_UNKNOWN), int(lv.DOMAIN_CRASHED_PANICKED)},
	lv.DOMAIN_PMSUSPENDED: {int(lv.DOMAIN_PMSUSPENDED_UNKNOWN)},
}

// allEvents lists every virDomainEventType of the bindings with what it
// must translate to.
var allEvents = map[lv.DomainEventType]struct {
	kind    backends.EventKind
	state   backends.State
	details []int
}{
	lv.DOMAIN_EVENT_DEFINED: {backends.EventDefined, backends.StateUnknown, []int{int(lv.DOMAIN_EVENT_DEFINED_ADDED),
		int(lv.DOMAIN_EVENT_DEFINED_UPDATED), int(lv.DOMAIN_EVENT_DEFINED_RENAMED), int(lv.DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT)}},
	lv.DOMAIN_EVENT_UNDEFINED: {backends.EventUndefined, backends.StateUnknown, []int{int(lv.DOMAIN_EVENT_UNDEFINED_REMOVED),
		int(lv.DOMAIN_EVENT_UNDEFINED_RENAMED)}},
	lv.DOMAIN_EVENT_STARTED: {backends.EventLifecycle, backends.StateRunning, []int{int(lv.DOMAIN_EVENT_STARTED_BOOTED),
		int(lv.DOMAIN_EVENT_STARTED_MIGRATED), int(lv.DOMAIN_EVENT_STARTED_RESTORED), int(lv.DOMAIN_EVENT_STARTED_FROM_SNAPSHOT),
		int(lv.DOMAIN_EVENT_STARTED_WAKEUP), int(lv.DOMAIN_EVENT_STARTED_RECREATED)}},
	lv.DOMAIN_EVENT_SUSPENDED: {backends.EventLifecycle, backends.StatePaused, []int{int(lv.DOMAIN_EVENT_SUSPENDED_PAUSED),
		int(lv.DOMAIN_EVENT_SUSPENDED_MIGRATED), int(lv.DOMAIN_EVENT_SUSPENDED_IOERROR), int(lv.DOMAIN_EVENT_SUSPENDED_WATCHDOG),
		int(lv.DOMAIN_EVENT_SUSPENDED_RESTORED), int(lv.DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT), int(lv.DOMAIN_EVENT_SUSPENDED_API_ERROR),
		int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY), int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED), int(lv.DOMAIN_EVENT_SUSPENDED_GUEST_SHUTDOWN)}},
	lv.DOMAIN_EVENT_RESUMED: {backends.EventLifecycle, backends.StateRunning, []int{int(lv.DOMAIN_EVENT_RESUMED_UNPAUSED),
		int(lv.DOMAIN_EVENT_RESUMED_MIGRATED), int(lv.DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT), int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY),
		int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED)}},
	lv.DOMAIN_EVENT_STOPPED: {backends.EventLifecycle, backends.StateShutOff, []int{int(lv.DOMAIN_EVENT_STOPPED_SHUTDOWN),
		int(lv.DOMAIN_EVENT_STOPPED_DESTROYED), int(lv.DOMAIN_EVENT_STOPPED_CRASHED), int(lv.DOMAIN_EVENT_STOPPED_MIGRATED),
		int(lv.DOMAIN_EVENT_STOPPED_SAVED), int(lv.DOMAIN_EVENT_STOPPED_FAILED), int(lv.DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT),
		int(lv.DOMAIN_EVENT_STOPPED_RECREATED)}},
	lv.DOMAIN_EVENT_SHUTDOWN: {backends.EventLifecycle, backends.StateShuttingDown, []int{int(lv.DOMAIN_EVENT_SHUTDOWN_FINISHED),
		int(lv.DOMAIN_EVENT_SHUTDOWN_GUEST), int(lv.DOMAIN_EVENT_SHUTDOWN_HOST)}},
	lv.DOMAIN_EVENT_PMSUSPENDED: {backends.EventLifecycle, backends.StatePMSuspended, []int{int(lv.DOMAIN_EVENT_PMSUSPENDED_MEMORY),
		int(lv.DOMAIN_EVENT_PMSUSPENDED_DISK)}},
	lv.DOMAIN_EVENT_CRASHED: {backends.EventLifecycle, backends.StateCrashed, []int{int(lv.DOMAIN_EVENT_CRASHED_PANICKED),
		int(lv.DOMAIN_EVENT_CRASHED_CRASHLOADED)}},
}

func TestStateTable(t *testing.T) {
	if len(stateTable) != len(allStates) {
		t.Errorf("stateTable has %d states, libvirt %d", len(stateTable), len(allStates))
	}
	for s, want := range allStates {
		row, ok := stateTable[s]
		if !ok {
			t.Errorf("state %d is not in stateTable", s)
			continue
		}
		if s != lv.DOMAIN_NOSTATE && row.state == backends.StateUnknown {
			t.Errorf("state %d maps to %v", s, row.state)
		}
		names := map[string]int{}
		for _, r := range allReasons[s] {
			got, reason := state(s, r)
			if got != want {
				t.Errorf("state(%d, %d) = %v, want %v", s, r, got, want)
			}
			if _, listed := row.reasons[r]; !listed {
				t.Errorf("state %d (%v): reason %d is not in the table", s, want, r)
			}
			if !kebab.MatchString(reason) {
				t.Errorf("state(%d, %d) reason %q is not kebab-case", s, r, reason)
			}
			if prev, dup := names[reason]; dup {
				t.Errorf("state %d: reasons %d and %d are both %q", s, prev, r, reason)
			}
			names[reason] = r
		}
		if len(row.reasons) != len(allReasons[s]) {
			t.Errorf("state %d (%v): %d reasons in the table, libvirt has %d", s, want, len(row.reasons), len(allReasons[s]))
		}
	}
	// Every row of the table, in turn, names a known backend state.
	for s, row := range stateTable {
		if row.state.String() == "unknown" && s != lv.DOMAIN_NOSTATE {
			t.Errorf("stateTable[%d] has no backend state", s)
		}
		for r, name := range row.reasons {
			if got, reason := state(s, r); got != row.state || reason != name {
				t.Errorf("state(%d, %d) = %v, %q, want %v, %q", s, r, got, reason, row.state, name)
			}
		}
	}
}

func TestStateUnknown(t *testing.T) {
	for _, tt := range []struct {
		s      lv.DomainState
		reason int
		want   backends.State
	}{
		{lv.DOMAIN_PMSUSPENDED + 1, 0, backends.StateUnknown},
		{lv.DomainState(1000), 1, backends.StateUnknown},
		{lv.DomainState(-1), -1, backends.StateUnknown},
		{lv.DOMAIN_RUNNING, 1000, backends.StateRunning},
		{lv.DOMAIN_RUNNING, -1, backends.StateRunning},
		{lv.DOMAIN_PAUSED, int(lv.DOMAIN_PAUSED_API_ERROR) + 1, backends.StatePaused},
	} {
		got, reason := state(tt.s, tt.reason)
		if got != tt.want || reason != "unknown" {
			t.Errorf("state(%d, %d) = %v, %q, want %v, \"unknown\"", tt.s, tt.reason, got, reason, tt.want)
		}
	}
}

func TestLifecycleTable(t *testing.T) {
	if len(lifecycleTable) != len(allEvents) {
		t.Errorf("lifecycleTable has %d event types, libvirt %d", len(lifecycleTable), len(allEvents))
	}
	for ev, want := range allEvents {
		row, ok := lifecycleTable[ev]
		if !ok {
			t.Errorf("event type %d is not in lifecycleTable", ev)
			continue
		}
		if !kebab.MatchString(row.name) || row.name == "unknown" {
			t.Errorf("event type %d is named %q", ev, row.name)
		}
		if want.kind == backends.EventLifecycle && row.state == backends.StateUnknown {
			t.Errorf("lifecycle event %q implies no state", row.name)
		}
		seen := map[string]int{}
		for _, dt := range want.details {
			kind, st, detail := lifecycle(ev, dt)
			if kind != want.kind || st != want.state {
				t.Errorf("lifecycle(%d, %d) = %v, %v, want %v, %v", ev, dt, kind, st, want.kind, want.state)
			}
			name, listed := row.details[dt]
			if !listed {
				t.Errorf("event %q: detail %d is not in the table", row.name, dt)
				continue
			}
			if detail != row.name+"/"+name || !kebab.MatchString(name) || name == "unknown" {
				t.Errorf("lifecycle(%d, %d) detail = %q", ev, dt, detail)
			}
			if prev, dup := seen[name]; dup {
				t.Errorf("event %q: details %d and %d are both %q", row.name, prev, dt, name)
			}
			seen[name] = dt
		}
		if len(row.details) != len(want.details) {
			t.Errorf("event %q: %d details in the table, libvirt has %d", row.name, len(row.details), len(want.details))
		}
	}
	for ev, row := range lifecycleTable {
		for dt, name := range row.details {
			if kind, st, detail := lifecycle(ev, dt); kind != row.kind || st != row.state || detail != row.name+"/"+name {
				t.Errorf("lifecycle(%d, %d) = %v, %v, %q", ev, dt, kind, st, detail)
			}
		}
	}
}

func TestLifecycleUnknown(t *testing.T) {
	for _, tt := range []struct {
		ev         lv.DomainEventType
		detail     int
		kind       backends.EventKind
		state      backends.State
		wantDetail string
	}{
		{lv.DOMAIN_EVENT_CRASHED + 1, 0, backends.EventLifecycle, backends.StateUnknown, "unknown"},
		{lv.DomainEventType(-1), -1, backends.EventLifecycle, backends.StateUnknown, "unknown"},
		{lv.DomainEventType(1 << 20), 3, backends.EventLifecycle, backends.StateUnknown, "unknown"},
		{lv.DOMAIN_EVENT_STOPPED, 1000, backends.EventLifecycle, backends.StateShutOff, "stopped/unknown"},
		{lv.DOMAIN_EVENT_DEFINED, -1, backends.EventDefined, backends.StateUnknown, "defined/unknown"},
	} {
		kind, st, detail := lifecycle(tt.ev, tt.detail)
		if kind != tt.kind || st != tt.state || detail != tt.wantDetail {
			t.Errorf("lifecycle(%d, %d) = %v, %v, %q, want %v, %v, %q", tt.ev, tt.detail, kind, st, detail, tt.kind, tt.state, tt.wantDetail)
		}
	}
}
