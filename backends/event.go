package backends

import "time"

// EventKind says what a backend event is about.
type EventKind uint8

// Backend event kinds.
const (
	EventLifecycle          EventKind = iota + 1 // state change; Event.State is the new state
	EventDefined                                 // configuration created or updated
	EventUndefined                               // configuration removed
	EventDeviceAdded                             // Event.Device names the device
	EventDeviceRemoved                           // Event.Device names the device
	EventReboot                                  // guest rebooted, state unchanged
	EventConfigChanged                           // memory, tunables or metadata changed
	EventConnectionLost                          // hypervisor connection dropped
	EventConnectionRestored                      // reconnected; a full resync is due
	EventOverflow                                // events were dropped; a full resync is due
	EventHostChanged                             // a storage pool or network changed; Event.Name names it
)

var eventKindNames = [...]string{
	EventLifecycle:          "lifecycle",
	EventDefined:            "defined",
	EventUndefined:          "undefined",
	EventDeviceAdded:        "device-added",
	EventDeviceRemoved:      "device-removed",
	EventReboot:             "reboot",
	EventConfigChanged:      "config-changed",
	EventConnectionLost:     "connection-lost",
	EventConnectionRestored: "connection-restored",
	EventOverflow:           "overflow",
	EventHostChanged:        "host-changed",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return "unknown"
}

// MarshalText makes kinds readable in JSON output.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event is something the hypervisor told the backend. Domain events carry the
// domain's UUID; host and connection events carry none.
type Event struct {
	Kind   EventKind
	UUID   string
	Name   string
	State  State  // for EventLifecycle: the state the event implies, or StateUnknown
	Detail string // the hypervisor's own detail, e.g. "suspended/paused"
	Device string // for device events: the device alias or target
	Time   time.Time
}
