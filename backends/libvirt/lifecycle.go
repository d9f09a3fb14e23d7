package libvirt

import (
	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// lifecycleRow describes one libvirt lifecycle event type: its name, the
// backend event kind, the state it puts the domain in, and its details by
// number (libvirt-domain.h, virDomainEvent*DetailType).
type lifecycleRow struct {
	name    string
	kind    backends.EventKind
	state   backends.State
	details map[int]string
}

var lifecycleTable = map[lv.DomainEventType]lifecycleRow{
	lv.DOMAIN_EVENT_DEFINED: {"defined", backends.EventDefined, backends.StateUnknown, map[int]string{
		int(lv.DOMAIN_EVENT_DEFINED_ADDED): "added", int(lv.DOMAIN_EVENT_DEFINED_UPDATED): "updated",
		int(lv.DOMAIN_EVENT_DEFINED_RENAMED): "renamed", int(lv.DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT): "from-snapshot"}},
	lv.DOMAIN_EVENT_UNDEFINED: {"undefined", backends.EventUndefined, backends.StateUnknown, map[int]string{
		int(lv.DOMAIN_EVENT_UNDEFINED_REMOVED): "removed", int(lv.DOMAIN_EVENT_UNDEFINED_RENAMED): "renamed"}},
	lv.DOMAIN_EVENT_STARTED: {"started", backends.EventLifecycle, backends.StateRunning, map[int]string{
		int(lv.DOMAIN_EVENT_STARTED_BOOTED): "booted", int(lv.DOMAIN_EVENT_STARTED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_STARTED_RESTORED): "restored", int(lv.DOMAIN_EVENT_STARTED_FROM_SNAPSHOT): "from-snapshot",
		int(lv.DOMAIN_EVENT_STARTED_WAKEUP): "wakeup", int(lv.DOMAIN_EVENT_STARTED_RECREATED): "recreated"}},
	lv.DOMAIN_EVENT_SUSPENDED: {"suspended", backends.EventLifecycle, backends.StatePaused, map[int]string{
		int(lv.DOMAIN_EVENT_SUSPENDED_PAUSED): "paused", int(lv.DOMAIN_EVENT_SUSPENDED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_SUSPENDED_IOERROR): "ioerror", int(lv.DOMAIN_EVENT_SUSPENDED_WATCHDOG): "watchdog",
		int(lv.DOMAIN_EVENT_SUSPENDED_RESTORED): "restored", int(lv.DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT): "from-snapshot",
		int(lv.DOMAIN_EVENT_SUSPENDED_API_ERROR): "api-error", int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY): "postcopy",
		int(lv.DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED): "postcopy-failed", int(lv.DOMAIN_EVENT_SUSPENDED_GUEST_SHUTDOWN): "guest-shutdown"}},
	lv.DOMAIN_EVENT_RESUMED: {"resumed", backends.EventLifecycle, backends.StateRunning, map[int]string{
		int(lv.DOMAIN_EVENT_RESUMED_UNPAUSED): "unpaused", int(lv.DOMAIN_EVENT_RESUMED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT): "from-snapshot", int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY): "postcopy",
		int(lv.DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED): "postcopy-failed"}},
	lv.DOMAIN_EVENT_STOPPED: {"stopped", backends.EventLifecycle, backends.StateShutOff, map[int]string{
		int(lv.DOMAIN_EVENT_STOPPED_SHUTDOWN): "shutdown", int(lv.DOMAIN_EVENT_STOPPED_DESTROYED): "destroyed",
		int(lv.DOMAIN_EVENT_STOPPED_CRASHED): "crashed", int(lv.DOMAIN_EVENT_STOPPED_MIGRATED): "migrated",
		int(lv.DOMAIN_EVENT_STOPPED_SAVED): "saved", int(lv.DOMAIN_EVENT_STOPPED_FAILED): "failed",
		int(lv.DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT): "from-snapshot", int(lv.DOMAIN_EVENT_STOPPED_RECREATED): "recreated"}},
	lv.DOMAIN_EVENT_SHUTDOWN: {"shutdown", backends.EventLifecycle, backends.StateShuttingDown, map[int]string{
		int(lv.DOMAIN_EVENT_SHUTDOWN_FINISHED): "finished", int(lv.DOMAIN_EVENT_SHUTDOWN_GUEST): "guest",
		int(lv.DOMAIN_EVENT_SHUTDOWN_HOST): "host"}},
	lv.DOMAIN_EVENT_PMSUSPENDED: {"pmsuspended", backends.EventLifecycle, backends.StatePMSuspended, map[int]string{
		int(lv.DOMAIN_EVENT_PMSUSPENDED_MEMORY): "memory", int(lv.DOMAIN_EVENT_PMSUSPENDED_DISK): "disk"}},
	lv.DOMAIN_EVENT_CRASHED: {"crashed", backends.EventLifecycle, backends.StateCrashed, map[int]string{
		int(lv.DOMAIN_EVENT_CRASHED_PANICKED): "panicked", int(lv.DOMAIN_EVENT_CRASHED_CRASHLOADED): "crashloaded"}},
}

// stateTable maps virDomainState onto the backend state and names the
// reasons of each (libvirt-domain.h, virDomain*Reason).
var stateTable = map[lv.DomainState]struct {
	state   backends.State
	reasons map[int]string
}{
	lv.DOMAIN_NOSTATE: {backends.StateUnknown, map[int]string{0: "unknown"}},
	lv.DOMAIN_RUNNING: {backends.StateRunning, map[int]string{
		int(lv.DOMAIN_RUNNING_UNKNOWN): "unknown", int(lv.DOMAIN_RUNNING_BOOTED): "booted",
		int(lv.DOMAIN_RUNNING_MIGRATED): "migrated", int(lv.DOMAIN_RUNNING_RESTORED): "restored",
		int(lv.DOMAIN_RUNNING_FROM_SNAPSHOT): "from-snapshot", int(lv.DOMAIN_RUNNING_UNPAUSED): "unpaused",
		int(lv.DOMAIN_RUNNING_MIGRATION_CANCELED): "migration-canceled", int(lv.DOMAIN_RUNNING_SAVE_CANCELED): "save-canceled",
		int(lv.DOMAIN_RUNNING_WAKEUP): "wakeup", int(lv.DOMAIN_RUNNING_CRASHED): "crashed",
		int(lv.DOMAIN_RUNNING_POSTCOPY): "postcopy", int(lv.DOMAIN_RUNNING_POSTCOPY_FAILED): "postcopy-failed"}},
	lv.DOMAIN_BLOCKED: {backends.StateBlocked, map[int]string{0: "unknown"}},
	lv.DOMAIN_PAUSED: {backends.StatePaused, map[int]string{
		int(lv.DOMAIN_PAUSED_UNKNOWN): "unknown", int(lv.DOMAIN_PAUSED_USER): "user",
		int(lv.DOMAIN_PAUSED_MIGRATION): "migration", int(lv.DOMAIN_PAUSED_SAVE): "save",
		int(lv.DOMAIN_PAUSED_DUMP): "dump", int(lv.DOMAIN_PAUSED_IOERROR): "ioerror",
		int(lv.DOMAIN_PAUSED_WATCHDOG): "watchdog", int(lv.DOMAIN_PAUSED_FROM_SNAPSHOT): "from-snapshot",
		int(lv.DOMAIN_PAUSED_SHUTTING_DOWN): "shutting-down", int(lv.DOMAIN_PAUSED_SNAPSHOT): "snapshot",
		int(lv.DOMAIN_PAUSED_CRASHED): "crashed", int(lv.DOMAIN_PAUSED_STARTING_UP): "starting-up",
		int(lv.DOMAIN_PAUSED_POSTCOPY): "postcopy", int(lv.DOMAIN_PAUSED_POSTCOPY_FAILED): "postcopy-failed",
		int(lv.DOMAIN_PAUSED_API_ERROR): "api-error"}},
	lv.DOMAIN_SHUTDOWN: {backends.StateShuttingDown, map[int]string{
		int(lv.DOMAIN_SHUTDOWN_UNKNOWN): "unknown", int(lv.DOMAIN_SHUTDOWN_USER): "user"}},
	lv.DOMAIN_SHUTOFF: {backends.StateShutOff, map[int]string{
		int(lv.DOMAIN_SHUTOFF_UNKNOWN): "unknown", int(lv.DOMAIN_SHUTOFF_SHUTDOWN): "shutdown",
		int(lv.DOMAIN_SHUTOFF_DESTROYED): "destroyed", int(lv.DOMAIN_SHUTOFF_CRASHED): "crashed",
		int(lv.DOMAIN_SHUTOFF_MIGRATED): "migrated", int(lv.DOMAIN_SHUTOFF_SAVED): "saved",
		int(lv.DOMAIN_SHUTOFF_FAILED): "failed", int(lv.DOMAIN_SHUTOFF_FROM_SNAPSHOT): "from-snapshot",
		int(lv.DOMAIN_SHUTOFF_DAEMON): "daemon"}},
	lv.DOMAIN_CRASHED: {backends.StateCrashed, map[int]string{
		int(lv.DOMAIN_CRASHED_UNKNOWN): "unknown", int(lv.DOMAIN_CRASHED_PANICKED): "panicked"}},
	lv.DOMAIN_PMSUSPENDED: {backends.StatePMSuspended, map[int]string{0: "unknown"}},
}

// state maps a libvirt state and reason.
func state(s lv.DomainState, reason int) (backends.State, string) {
	row, ok := stateTable[s]
	if !ok {
		return backends.StateUnknown, "unknown"
	}
	r, ok := row.reasons[reason]
	if !ok {
		r = "unknown"
	}
	return row.state, r
}

// lifecycle translates a libvirt lifecycle event.
func lifecycle(ev lv.DomainEventType, detail int) (backends.EventKind, backends.State, string) {
	row, ok := lifecycleTable[ev]
	if !ok {
		return backends.EventLifecycle, backends.StateUnknown, "unknown"
	}
	d, ok := row.details[detail]
	if !ok {
		d = "unknown"
	}
	return row.kind, row.state, row.name + "/" + d
}
