package indication

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// subscription is a stored subscription at work: its queue and the
// goroutine delivering it.
type subscription struct {
	key     string
	rec     *subRec // State and StateChanged change under Service.mu
	onFatal uint16  // rec.OnFatal, which never changes
	filter  *filter
	dest    *destRec
	queue   *queue
	state   atomic.Uint32 // rec.State, readable without Service.mu
	wake    chan struct{} // re-enabled
	cancel  context.CancelFunc
	pullMu  sync.Mutex // one WS-Eventing Pull at a time
	// seqContext names this run of the subscription; seq numbers its
	// indications from 0.
	seqContext string
	seq        atomic.Int64
}

func (sub *subscription) enabled() bool { return sub.state.Load() == stateEnabled }

// waitEnabled waits while sub is disabled; false once ctx ends.
func (sub *subscription) waitEnabled(ctx context.Context) bool {
	for !sub.enabled() {
		select {
		case <-ctx.Done():
			return false
		case <-sub.wake:
		}
	}
	return ctx.Err() == nil
}

// errDisabled ends a delivery when its subscription is disabled meanwhile.
var errDisabled = errors.New("subscription disabled")

// startSubscription runs r; the caller holds s.mu.
func (s *Service) startSubscription(r *subRec, f *filter, d *destRec) *subscription {
	ctx, cancel := context.WithCancel(s.base)
	sub := &subscription{key: subKey(r.Filter, r.Handler), rec: r, filter: f, dest: d,
		queue: newQueue(s.cfg.QueueSize), wake: make(chan struct{}, 1), cancel: cancel, onFatal: r.OnFatal}
	sum := sha256.Sum256([]byte(sub.key))
	sub.seqContext = fmt.Sprintf("%s#%d#%x", s.serviceName(), s.started.UnixNano(), sum[:6])
	sub.state.Store(uint32(r.State))
	s.subs[sub.key] = sub
	run := s.deliver
	switch {
	case d.WSMan != nil && d.WSMan.Mode == ModePull:
		return sub // the subscriber takes its events with Pull
	case d.WSMan != nil:
		run = s.push
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		run(ctx, sub)
	}()
	return sub
}

// deliver sends sub's indications one at a time, in order. A loss is
// reported (VB_LostIndications) before the next indication; a delivery
// that fails every retry is handled per OnFatalErrorPolicy.
func (s *Service) deliver(ctx context.Context, sub *subscription) {
	log := s.cfg.Log.With("filter", sub.filter.rec.Name, "handler", sub.dest.Name, "destination", sub.dest.Destination)
	var carried loss // lost and not yet reported
	for sub.waitEnabled(ctx) {
		ind, before, err := sub.queue.next(ctx)
		if err != nil {
			return
		}
		carried.merge(before)
		if carried.n > 0 {
			err := s.send(ctx, sub, s.lostIndication(carried, sub.filter.rec.Name), log)
			if err == nil {
				log.Info("lost indications reported", "lost", carried.n, "total_lost", sub.queue.lost(0))
				carried = loss{}
			} else if !s.failed(ctx, sub, err, ind != nil, &carried, log) {
				return
			}
			continue // the head, if any, comes back from next
		}
		if ind == nil {
			continue
		}
		if err := s.send(ctx, sub, ind, log); err != nil {
			if !s.failed(ctx, sub, err, true, &carried, log) {
				return
			}
			continue
		}
		sub.queue.pop()
		s.elog.delivered(sub.key, ind)
	}
}

// failed applies OnFatalErrorPolicy after a delivery failed every
// retry; false means the delivery goroutine ends. Ignore drops the head
// (counted, and reported once the listener takes indications again).
func (s *Service) failed(ctx context.Context, sub *subscription, err error, head bool, carried *loss, log *slog.Logger) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, errDisabled) {
		return true
	}
	switch sub.onFatal {
	case policyRemove:
		log.Warn("indication delivery failed; removing the subscription (OnFatalErrorPolicy Remove)", "err", err)
		s.removeFailed(sub)
		return false
	case policyDisable:
		log.Warn("indication delivery failed; disabling the subscription (OnFatalErrorPolicy Disable)", "err", err)
		s.setState(sub, stateDisabled)
		return true
	}
	if head {
		sub.queue.pop()
		carried.add(1, reasonDeliveryFailed, time.Now())
		sub.queue.lost(1)
	}
	log.Warn("indication delivery failed; dropped (OnFatalErrorPolicy Ignore)", "err", err, "unreported_lost", carried.n)
	return true
}

// send tries one indication 1+RetryAttempts times, RetryInterval apart.
func (s *Service) send(ctx context.Context, sub *subscription, ind *cim.Instance, log *slog.Logger) error {
	return s.retry(ctx, sub, log, func() error { return s.cfg.Exporter.Export(ctx, sub.dest.Destination, ind) })
}

// retry runs one delivery 1+RetryAttempts times, RetryInterval apart,
// while the subscription stays enabled.
func (s *Service) retry(ctx context.Context, sub *subscription, log *slog.Logger, deliver func() error) error {
	var err error
	for attempt := 0; attempt <= s.cfg.RetryAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(s.cfg.RetryInterval):
			}
		}
		if !sub.enabled() {
			return errDisabled
		}
		if err = deliver(); err == nil || errors.Is(err, ErrDeliveryRefused) {
			return err
		}
		log.Debug("indication delivery attempt failed", "attempt", attempt+1, "err", err)
	}
	return err
}
