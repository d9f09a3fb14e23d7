package indication

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/internal/uuid"
)

// WS-Eventing subscriptions (DSP0226 §10) are held as DSP1054 maps them:
// a filter, a CIM_ListenerDestinationWSManagement and a subscription of
// their own, stored and restored, numbered and ordered with every other
// subscription. cim/wsman decodes the requests and encodes deliveries;
// this file keeps the subscriptions.

// DeliveryMode is CIM_ListenerDestinationWSManagement.DeliveryMode.
type DeliveryMode uint16

// Delivery modes (DSP0226 §10.2.9).
const (
	ModePush        DeliveryMode = 2
	ModePushWithAck DeliveryMode = 3
	ModeEvents      DeliveryMode = 4
	ModePull        DeliveryMode = 5
)

// EPR is a WS-Addressing endpoint reference: where to send, and the
// reference parameters (raw XML) each message to it carries as headers.
type EPR struct {
	Address string `json:"address"`
	Params  string `json:"params,omitempty"`
}

// Delivery is how a WS-Eventing subscription's events go out.
type Delivery struct {
	Mode      DeliveryMode  `json:"mode"`
	NotifyTo  EPR           `json:"notify_to"`
	EndTo     *EPR          `json:"end_to,omitempty"`
	Heartbeat time.Duration `json:"heartbeat,omitempty"`
	// SendBookmarks asks for a wsman:Bookmark with every delivery.
	SendBookmarks bool `json:"send_bookmarks,omitempty"`
	// MaxElements and MaxTime bound an Events-mode batch.
	MaxElements int           `json:"max_elements,omitempty"`
	MaxTime     time.Duration `json:"max_time,omitempty"`
	// MaxEnvelope bounds one delivered message, in bytes; 0 for none.
	MaxEnvelope     int    `json:"max_envelope,omitempty"`
	Locale          string `json:"locale,omitempty"`
	ContentEncoding string `json:"content_encoding,omitempty"`
	// Manager is the subscription manager's address as the subscriber
	// reached it, and ID the wse:Identifier: SubscriptionEnd names both.
	Manager string `json:"manager"`
	ID      string `json:"id"`
	// ResourceURI is what the subscriber subscribed to.
	ResourceURI string `json:"resource_uri,omitempty"`
}

// EventSubscription is a Subscribe request, decoded.
type EventSubscription struct {
	Query, Language string
	Delivery        Delivery
	// Expires is when the subscription ends; zero for never.
	Expires time.Time
	// Bookmark, when set, replays what the agent still holds after it:
	// an earlier delivery's bookmark, or BookmarkEarliest.
	Bookmark string
}

// BookmarkEarliest replays everything the agent holds (DSP0226 §10.2.6).
const BookmarkEarliest = "http://schemas.dmtf.org/wbem/wsman/1/wsman/bookmark/earliest"

// Event is one delivery item: an indication with its bookmark, and how
// many were lost just before it. Indication is nil when only a loss is
// reported.
type Event struct {
	Indication *cim.Instance
	Bookmark   string
	Dropped    uint64
}

// EndStatus says why a subscription ended (WS-Eventing SubscriptionEnd).
type EndStatus string

// SubscriptionEnd statuses.
const (
	EndDeliveryFailure EndStatus = "DeliveryFailure"
	EndShuttingDown    EndStatus = "SourceShuttingDown"
	EndCancelled       EndStatus = "SourceCancelling"
)

// Pusher sends WS-Eventing messages (cim/wsman implements it).
type Pusher interface {
	// Push delivers events to d.NotifyTo; none is a heartbeat. It
	// returns once the subscriber took them (acknowledged them, for
	// PushWithAck).
	Push(ctx context.Context, d *Delivery, events []Event) error
	// End tells d.EndTo the subscription ended.
	End(ctx context.Context, d *Delivery, status EndStatus, reason string) error
}

// Errors of the WS-Eventing operations.
var (
	ErrNoSubscription = errors.New("no such event subscription")
	ErrBookmark       = errors.New("bookmark not issued by this agent")
	ErrExpires        = errors.New("expiration time not in the future")
	// ErrDeliveryRefused is wrapped by a Pusher when the subscriber
	// refused delivery: its subscription ends at once, without retries.
	ErrDeliveryRefused = errors.New("the subscriber refused delivery (wsman:DeliveryRefused)")
)

// Subscribe starts a WS-Eventing subscription and returns its identifier.
func (s *Service) Subscribe(es EventSubscription) (string, error) {
	if !es.Expires.IsZero() && !es.Expires.After(time.Now()) {
		return "", fmt.Errorf("expires %s: %w", es.Expires.Format(time.RFC3339), ErrExpires)
	}
	if es.Delivery.Mode != ModePull && s.cfg.Pusher == nil {
		return "", fmt.Errorf("push delivery: %w", ErrNoExporter)
	}
	id := "uuid:" + uuid.New()
	d := es.Delivery
	d.ID = id
	name := "WSMAN:" + id
	now := time.Now().UTC()
	fr := &filterRec{Name: name, Query: es.Query, Language: es.Language, Created: now,
		SourceNamespaces: []string{s.cfg.Schema.Namespace}}
	f, err := s.compile(fr)
	if err != nil {
		return "", err
	}
	f.private = true
	dr := &destRec{Name: name, Destination: d.NotifyTo.Address, PersistenceType: persistTransient, Created: now, WSMan: &d}
	sr := &subRec{Filter: name, Handler: name, State: stateEnabled, OnFatal: policyRemove, Repeat: repeatNone,
		Started: now, StateChanged: now, ID: id, Expires: es.Expires.UTC()}
	// No indication is published between the replay and the start.
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	after, replay, err := s.parseBookmark(es.Bookmark)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.room(classSubscription, len(s.subs), false, id); err != nil {
		return "", err
	}
	err = s.cfg.Store.apply(storeOp{bucketFilters, nameKey(name), fr}, storeOp{bucketDestinations, nameKey(name), dr},
		storeOp{bucketSubscriptions, subKey(name, name), sr})
	if err != nil {
		return "", err
	}
	s.filters[nameKey(name)], s.dests[nameKey(name)] = f, dr
	sub := s.startSubscription(sr, f, dr)
	if replay {
		s.elog.setCursor(sub.key, after)
		s.replay(sub, after)
	} else {
		s.elog.setCursor(sub.key, s.ids.peek()-1)
	}
	s.cfg.Log.Info("ws-eventing subscription created", "id", id, "mode", d.Mode, "notify_to", d.NotifyTo.Address, "query", es.Query)
	return id, nil
}

const persistTransient = 3

// parseBookmark reads a Subscribe's bookmark: replay says whether to
// replay, after from which identifier on. The caller holds s.pubMu.
func (s *Service) parseBookmark(b string) (after uint64, replay bool, err error) {
	switch b {
	case "":
		return 0, false, nil
	case BookmarkEarliest:
		return 0, true, nil
	}
	n, err := strconv.ParseUint(b, 10, 64)
	if err != nil || n >= s.ids.peek() {
		return 0, false, fmt.Errorf("%q: %w", b, ErrBookmark)
	}
	return n, true, nil
}

// replay queues for sub what the log holds after the identifier after;
// the caller holds s.pubMu and s.mu.
func (s *Service) replay(sub *subscription, after uint64) {
	held, gap, err := s.elog.since(after, s.ids.peek())
	if err != nil {
		s.cfg.Log.Warn("bookmark not replayed", "id", sub.rec.ID, "err", err)
		return
	}
	s.requeue(sub, held, gap)
}

// wsmanSub finds an event subscription by identifier.
func (s *Service) wsmanSub(id string) (*subscription, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.subs {
		if sub.rec.ID != "" && sub.rec.ID == id {
			return sub, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", id, ErrNoSubscription)
}

// Renew sets when the subscription id expires (zero: never) and returns it.
func (s *Service) Renew(id string, expires time.Time) error {
	if !expires.IsZero() && !expires.After(time.Now()) {
		return fmt.Errorf("expires %s: %w", expires.Format(time.RFC3339), ErrExpires)
	}
	sub, err := s.wsmanSub(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := *sub.rec
	r.Expires = expires.UTC()
	if err := s.cfg.Store.put(bucketSubscriptions, sub.key, &r); err != nil {
		return err
	}
	sub.rec = &r
	return nil
}

// Status returns when the subscription id expires (zero: never).
func (s *Service) Status(id string) (time.Time, error) {
	sub, err := s.wsmanSub(id)
	if err != nil {
		return time.Time{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sub.rec.Expires, nil
}

// Unsubscribe ends the subscription id; no SubscriptionEnd is sent.
func (s *Service) Unsubscribe(id string) error {
	sub, err := s.wsmanSub(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[sub.key] != sub {
		return fmt.Errorf("%s: %w", id, ErrNoSubscription)
	}
	s.cfg.Log.Info("ws-eventing subscription ended by the subscriber", "id", id)
	return s.drop(sub)
}

// Pull takes up to max events of the Pull-mode subscription id, waiting
// up to wait for the first. None is returned when wait passes first.
func (s *Service) Pull(ctx context.Context, id string, max int, wait time.Duration) ([]Event, error) {
	sub, err := s.wsmanSub(id)
	if err != nil {
		return nil, err
	}
	if sub.dest.WSMan.Mode != ModePull {
		return nil, fmt.Errorf("%s is not a Pull-mode subscription: %w", id, ErrNoSubscription)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	sub.pullMu.Lock() // one Pull at a time takes from the head
	defer sub.pullMu.Unlock()
	entries, lost := sub.queue.await(ctx, max, 1)
	events := toEvents(entries, lost)
	sub.queue.drop(len(entries), lost)
	s.delivered(sub, entries)
	return events, nil
}

// toEvents turns queued entries and the loss after them into events.
func toEvents(entries []entry, after loss) []Event {
	out := make([]Event, 0, len(entries)+1)
	for _, e := range entries {
		out = append(out, Event{Indication: e.ind, Bookmark: str(e.ind, "IndicationIdentifier"), Dropped: e.before.n})
	}
	if after.n > 0 {
		out = append(out, Event{Dropped: after.n})
	}
	return out
}

// ended tells a WS-Eventing subscriber why its subscription ended, in
// the background: the caller may hold s.mu.
func (s *Service) ended(sub *subscription, status EndStatus, reason string) {
	d := sub.dest.WSMan
	if d == nil || d.EndTo == nil || s.cfg.Pusher == nil || s.base.Err() != nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
		defer cancel()
		if err := s.cfg.Pusher.End(ctx, d, status, reason); err != nil {
			s.cfg.Log.Warn("SubscriptionEnd not delivered", "id", d.ID, "end_to", d.EndTo.Address, "err", err)
		}
	}()
}

const endTimeout = 10 * time.Second

// expire ends the subscriptions whose time is up, every tick, until ctx ends.
func (s *Service) expire(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			for _, sub := range s.subs {
				if !sub.rec.Expires.IsZero() && !now.Before(sub.rec.Expires) {
					s.cfg.Log.Info("ws-eventing subscription expired", "id", sub.rec.ID)
					if err := s.drop(sub); err != nil {
						s.cfg.Log.Warn("expired subscription still stored", "id", sub.rec.ID, "err", err)
					}
				}
			}
			s.mu.Unlock()
		}
	}
}

// Interop is the namespace subscriptions live in.
func (s *Service) Interop() string { return s.cfg.Interop }

// FilterQuery returns the query and language of the filter name, for a
// WS-Eventing subscription to an existing CIM_IndicationFilter.
func (s *Service) FilterQuery(name string) (string, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := s.filters[nameKey(name)]
	if f == nil || f.private {
		return "", "", fmt.Errorf("no %s named %q: %w", classFilter, name, cim.ErrInvalidQuery)
	}
	return f.rec.Query, f.rec.Language, nil
}

// Heartbeat is the heartbeat interval of the subscription id (0: none).
func (s *Service) Heartbeat(id string) (time.Duration, error) {
	sub, err := s.wsmanSub(id)
	if err != nil {
		return 0, err
	}
	return sub.dest.WSMan.Heartbeat, nil
}

// delivered moves sub's cursor past the entries it delivered.
func (s *Service) delivered(sub *subscription, entries []entry) {
	if len(entries) > 0 && entries[len(entries)-1].ind != nil {
		s.elog.delivered(sub.key, entries[len(entries)-1].ind)
	}
}
