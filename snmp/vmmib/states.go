package vmmib

import "github.com/virtbridge/virtbridge/backends"

// VirtualMachineOperState and VirtualMachineAdminState values (RFC 7666
// §6, textual conventions).
const (
	operUnknown      = 1
	operOther        = 2
	operRunning      = 4
	operSuspending   = 5
	operSuspended    = 6
	operPaused       = 8
	operMigrating    = 9
	operShuttingDown = 10
	operShutdown     = 11
	operCrashed      = 12

	adminRunning   = 1
	adminSuspended = 2
	adminPaused    = 3
	adminShutdown  = 4
)

// stateMap is the one table from backend states to VM-MIB states. A
// shut-off domain with a managed save image is suspended (its memory is on
// persistent store, RFC 7666 "suspended(6)"), which savedOper/savedAdmin
// say.
var stateMap = map[backends.State]struct{ oper, admin int }{
	backends.StateUnknown:      {operUnknown, adminShutdown},
	backends.StateRunning:      {operRunning, adminRunning},
	backends.StateBlocked:      {operRunning, adminRunning},
	backends.StatePaused:       {operPaused, adminPaused},
	backends.StateShuttingDown: {operShuttingDown, adminShutdown},
	backends.StateShutOff:      {operShutdown, adminShutdown},
	backends.StateCrashed:      {operCrashed, adminShutdown},
	backends.StatePMSuspended:  {operSuspended, adminSuspended},
}

const (
	savedOper  = operSuspended
	savedAdmin = adminSuspended
)

// transientOper refines a state by its reason where the backend says the
// VM is on its way somewhere (libvirt's reasons: a domain paused to be
// saved is suspending(5), one paused or running for a migration is
// migrating(9)). Event details ("migrated") and state reasons
// ("migration") name the same thing, so both are listed.
var transientOper = map[backends.State]map[string]int{
	backends.StatePaused:  {"save": operSuspending, "migration": operMigrating, "migrated": operMigrating, "postcopy": operMigrating},
	backends.StateRunning: {"postcopy": operMigrating},
}

func operState(d *backends.Domain) int {
	if d.State == backends.StateShutOff && d.ManagedSave {
		return savedOper
	}
	if o, ok := transientOper[d.State][d.StateReason]; ok {
		return o
	}
	if m, ok := stateMap[d.State]; ok {
		return m.oper
	}
	return operOther
}

func adminState(d *backends.Domain) int {
	if d.State == backends.StateShutOff && d.ManagedSave {
		return savedAdmin
	}
	if m, ok := stateMap[d.State]; ok {
		return m.admin
	}
	return adminShutdown
}

// notificationFor maps the new vmOperState to the per-VM notification's
// arc under vmNotifications (RFC 7666 §6: vmRunning(1) ... vmCrashed(9));
// the bulk form is the arc plus 10. States without a notification (unknown,
// other, preparing) are absent.
var notificationFor = map[int]uint32{
	operRunning:       1,
	operShuttingDown:  2,
	operShutdown:      3,
	operPaused:        4,
	operSuspending:    5,
	operSuspended:     6,
	7 /* resuming */ : 7,
	operMigrating:     8,
	operCrashed:       9,
}

// Notification arcs not tied to an oper state.
const (
	notifDeleted = 10
	bulkOffset   = 10
)
