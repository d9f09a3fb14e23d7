package indication

import (
	"context"
	"errors"
	"time"
)

// defaultBatch bounds an Events-mode batch when the subscriber gave no
// MaxElements.
const defaultBatch = 100

// push delivers a WS-Eventing subscription's events in order: one per
// message (Push, PushWithAck) or in batches (Events) of up to
// MaxElements gathered for up to MaxTime, and a heartbeat whenever
// nothing went out for the heartbeat interval. A delivery that fails
// every retry ends the subscription with a SubscriptionEnd.
func (s *Service) push(ctx context.Context, sub *subscription) {
	d := sub.dest.WSMan
	log := s.cfg.Log.With("id", d.ID, "notify_to", d.NotifyTo.Address)
	batch := 1
	if d.Mode == ModeEvents {
		batch = defaultBatch
		if d.MaxElements > 0 {
			batch = d.MaxElements
		}
	}
	for sub.waitEnabled(ctx) {
		entries, lost := s.gather(ctx, sub, batch)
		if ctx.Err() != nil {
			return
		}
		events := toEvents(entries, lost)
		// None: the heartbeat interval passed with nothing to send.
		err := s.retry(ctx, sub, log, func() error { return s.cfg.Pusher.Push(ctx, d, events) })
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, errDisabled) {
				continue
			}
			if errors.Is(err, ErrDeliveryRefused) {
				log.Info("ws-eventing subscriber refused delivery; subscription ended")
				s.mu.Lock()
				if s.subs[sub.key] == sub {
					if err := s.drop(sub); err != nil {
						log.Warn("refused subscription still stored", "err", err)
					}
				}
				s.mu.Unlock()
				return
			}
			log.Warn("ws-eventing delivery failed every retry; ending the subscription", "err", err)
			s.removeFailed(sub)
			return
		}
		sub.queue.drop(len(entries), lost)
		s.delivered(sub, entries)
	}
}

// gather waits for what push sends next: up to batch entries, waiting
// up to MaxTime after the first for a batch to fill, or nothing once the
// heartbeat interval passes.
func (s *Service) gather(ctx context.Context, sub *subscription, batch int) ([]entry, loss) {
	d := sub.dest.WSMan
	wait := ctx
	if d.Heartbeat > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, d.Heartbeat)
		defer cancel()
	}
	entries, lost := sub.queue.await(wait, batch, 1)
	if batch == 1 || len(entries) == 0 || len(entries) >= batch || d.MaxTime <= 0 {
		return entries, lost
	}
	fill, cancel := context.WithTimeout(ctx, d.MaxTime)
	defer cancel()
	start := time.Now()
	entries, lost = sub.queue.await(fill, batch, batch)
	s.cfg.Log.Debug("events batch gathered", "events", len(entries), "waited", time.Since(start))
	return entries, lost
}
