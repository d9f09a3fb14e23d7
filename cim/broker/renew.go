package broker

import "time"

// RenewEnumeration gives an open enumeration a new inactivity timeout
// (WS-Enumeration Renew) and returns when it now expires.
func (b *Broker) RenewEnumeration(ns, context string, timeout time.Duration) (time.Time, error) {
	t, err := b.timeout(timeout)
	if err != nil {
		return time.Time{}, err
	}
	e, err := b.lookupAny(ns, context)
	if err != nil {
		return time.Time{}, err
	}
	defer e.mu.Unlock()
	e.timeout = t
	e.arm()
	return e.expires, nil
}

// EnumerationExpires says when an open enumeration expires unless pulled
// (WS-Enumeration GetStatus).
func (b *Broker) EnumerationExpires(ns, context string) (time.Time, error) {
	e, err := b.lookupAny(ns, context)
	if err != nil {
		return time.Time{}, err
	}
	defer e.mu.Unlock()
	// lookup stopped the timer; restart it for what was left.
	left := time.Until(e.expires)
	e.timer.Reset(max(left, time.Millisecond))
	return e.expires, nil
}
