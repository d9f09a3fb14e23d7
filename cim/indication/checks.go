package indication

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/virtbridge/virtbridge/cim"
)

// checkDestination accepts an absolute http or https URL with a host.
// Whether the listener is reachable is found out by delivering.
func checkDestination(dest string) error {
	if dest == "" {
		return fmt.Errorf("%s needs a Destination URL, e.g. https://listener.example:5990/cimlistener: %w", classDestCIMXML, cim.ErrInvalidParameter)
	}
	u, err := url.Parse(dest)
	if err != nil {
		return fmt.Errorf("destination %q is not a URL (%v): %w", dest, err, cim.ErrInvalidParameter)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("destination %q: the scheme must be http or https: %w", dest, cim.ErrInvalidParameter)
	}
	if u.Hostname() == "" || !parsePort(u.Port()) {
		return fmt.Errorf("destination %q: want a host and an optional port: %w", dest, cim.ErrInvalidParameter)
	}
	return nil
}

// checkSubscription reads the policies of a new subscription into r,
// refusing what the service does not do.
func checkSubscription(inst *cim.Instance, r *subRec) error {
	u := func(name string) (uint64, bool) {
		v, ok := inst.Get(name)
		if !ok || v.IsNull() {
			return 0, false
		}
		n, _ := v.Uint()
		return n, true
	}
	if st, ok := u("SubscriptionState"); ok {
		if st != stateEnabled && st != stateDisabled {
			return fmt.Errorf("SubscriptionState %d: want 2 (Enabled) or 4 (Disabled): %w", st, cim.ErrInvalidParameter)
		}
		r.State = uint16(st)
	}
	if p, ok := u("OnFatalErrorPolicy"); ok {
		if p < policyIgnore || p > policyRemove {
			return fmt.Errorf("OnFatalErrorPolicy %d: want 2 (Ignore), 3 (Disable) or 4 (Remove): %w", p, cim.ErrNotSupported)
		}
		r.OnFatal = uint16(p)
	}
	if p, ok := u("RepeatNotificationPolicy"); ok && p != 0 && p != repeatNone {
		return fmt.Errorf("RepeatNotificationPolicy %d: only 2 (None) is supported: %w", p, cim.ErrNotSupported)
	}
	if d, ok := u("SubscriptionDuration"); ok && d != 0 {
		return fmt.Errorf("SubscriptionDuration %d: subscriptions last until deleted: %w", d, cim.ErrNotSupported)
	}
	return nil
}

// parsePort accepts no port or a TCP port number.
func parsePort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}
