package indication

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// DeleteInstance removes a filter or destination no subscription names,
// or a subscription, which stops its delivery (broker.Writer).
func (s *Service) DeleteInstance(_ context.Context, _ string, path cim.ObjectPath) error {
	name := func() string { v, _ := path.Key("Name"); n, _ := v.Str(); return n }
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.EqualFold(path.ClassName, classFilter):
		n := name()
		for _, sub := range s.subs {
			if nameKey(sub.rec.Filter) == nameKey(n) {
				return fmt.Errorf("filter %q: %w (%s → %s): delete the subscription first: %w", n, ErrInUse, sub.rec.Filter, sub.rec.Handler, cim.ErrFailed)
			}
		}
		if err := s.cfg.Store.del(bucketFilters, nameKey(n)); err != nil {
			return err
		}
		delete(s.filters, nameKey(n))
	case strings.EqualFold(path.ClassName, classDestCIMXML) || strings.EqualFold(path.ClassName, classDestWSMan):
		n := name()
		for _, sub := range s.subs {
			if nameKey(sub.rec.Handler) == nameKey(n) {
				return fmt.Errorf("destination %q: %w (%s → %s): delete the subscription first: %w", n, ErrInUse, sub.rec.Filter, sub.rec.Handler, cim.ErrFailed)
			}
		}
		if err := s.cfg.Store.del(bucketDestinations, nameKey(n)); err != nil {
			return err
		}
		delete(s.dests, nameKey(n))
	case strings.EqualFold(path.ClassName, classSubscription):
		sub := s.subAt(path)
		if sub == nil {
			return fmt.Errorf("no subscription %s: %w", path, cim.ErrNotFound)
		}
		if err := s.drop(sub); err != nil {
			return err
		}
		s.ended(sub, EndCancelled, "deleted through CIM by an operator")
		s.cfg.Log.Info("indication subscription deleted", "filter", sub.rec.Filter, "handler", sub.rec.Handler)
	default:
		return fmt.Errorf("instances of %s are the agent's own and cannot be deleted: %w", path.ClassName, cim.ErrNotSupported)
	}
	return nil
}

// subAt finds the subscription a path names. The caller holds s.mu.
func (s *Service) subAt(path cim.ObjectPath) *subscription {
	name := func(key string) string {
		v, _ := path.Key(key)
		p, _ := v.Ref()
		n, _ := p.Key("Name")
		x, _ := n.Str()
		return x
	}
	return s.subs[subKey(name("Filter"), name("Handler"))]
}

// Modify changes a subscription's SubscriptionState (2 Enabled, 4
// Disabled): a disabled subscription keeps its queue and takes no new
// indications; enabling it resumes delivery. Nothing else can change.
func (s *Service) Modify(_ context.Context, path cim.ObjectPath, changes map[string]cim.Value) error {
	s.mu.RLock()
	sub := s.subAt(path)
	s.mu.RUnlock()
	if !strings.EqualFold(path.ClassName, classSubscription) || sub == nil {
		return fmt.Errorf("only a subscription's SubscriptionState can be modified in %s: %w", s.cfg.Interop, cim.ErrNotSupported)
	}
	for name, v := range changes {
		st, _ := v.Uint()
		if !strings.EqualFold(name, "SubscriptionState") || (st != stateEnabled && st != stateDisabled) {
			return fmt.Errorf("%s=%v: only SubscriptionState 2 (Enabled) or 4 (Disabled) can be set: %w", name, v, cim.ErrNotSupported)
		}
		s.setState(sub, uint16(st))
	}
	return nil
}

// setState records a subscription's new state and wakes its delivery.
func (s *Service) setState(sub *subscription, state uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[sub.key] != sub || sub.rec.State == state {
		return
	}
	r := *sub.rec
	r.State, r.StateChanged = state, time.Now().UTC()
	if err := s.cfg.Store.put(bucketSubscriptions, sub.key, &r); err != nil {
		s.cfg.Log.Warn("subscription state not persisted", "filter", r.Filter, "handler", r.Handler, "err", err)
	}
	sub.rec = &r
	sub.state.Store(uint32(state))
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// removeFailed deletes a subscription whose listener stays down
// (OnFatalErrorPolicy Remove).
func (s *Service) removeFailed(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[sub.key] != sub {
		return
	}
	if err := s.drop(sub); err != nil {
		s.cfg.Log.Warn("removed subscription still stored", "filter", sub.rec.Filter, "handler", sub.rec.Handler, "err", err)
	}
	s.ended(sub, EndDeliveryFailure, "the subscriber could not be reached: delivery failed every retry")
}

// drop stops sub and removes it from the store, with the filter and
// destination of a WS-Eventing subscription, which are its alone; the
// caller holds s.mu.
func (s *Service) drop(sub *subscription) error {
	ops := []storeOp{{bucket: bucketSubscriptions, key: sub.key}}
	if sub.dest.WSMan != nil {
		ops = append(ops, storeOp{bucket: bucketFilters, key: nameKey(sub.rec.Filter)}, storeOp{bucket: bucketDestinations, key: nameKey(sub.rec.Handler)})
	}
	err := s.cfg.Store.apply(ops...)
	delete(s.subs, sub.key)
	s.elog.forget(sub.key)
	if sub.dest.WSMan != nil {
		delete(s.filters, nameKey(sub.rec.Filter))
		delete(s.dests, nameKey(sub.rec.Handler))
	}
	sub.cancel()
	return err
}
