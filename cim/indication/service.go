// Package indication is the CIM indication service (DSP1054): it turns
// the inventory's change stream and the jobs' state changes into
// indications (producer.go), keeps the filters, listener destinations
// and subscriptions clients create in root/interop in a durable store
// (store.go), matches every indication against every filter, and
// delivers each subscription's indications to its listener with
// CIM-XML ExportIndication, in order, from a bounded queue of its own
// (queue.go, deliver.go).
package indication

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/provider"
)

// Config says what the service serves and how it delivers.
type Config struct {
	Repo *cim.Repository
	// Schema builds the instances indications carry (SourceInstance).
	Schema provider.Schema
	// Interop is the namespace of the subscription classes.
	Interop   string
	Inventory *inventory.Inventory
	Store     *Store
	// Host names the scoping system and is SourceInstanceHost.
	Host string
	// QueueSize bounds each subscription's undelivered indications.
	QueueSize int
	// RetryAttempts and RetryInterval are the indication service's
	// DeliveryRetryAttempts and DeliveryRetryInterval: a delivery is
	// tried 1+RetryAttempts times before its subscription's
	// OnFatalErrorPolicy applies.
	RetryAttempts int
	RetryInterval time.Duration
	// Exporter delivers to listeners (cim/indication/export.Client).
	Exporter Exporter
	// Pusher delivers to WS-Eventing subscribers (cim/wsman); without
	// it only Pull-mode subscriptions are taken.
	Pusher Pusher
	// History is how many of the latest indications are kept for
	// WS-Eventing bookmarks to replay from; the store keeps that many
	// plus QueueSize, from which undelivered ones are redelivered after
	// a restart.
	History int
	// Codec stores indications; without one nothing is kept for a
	// restart or a bookmark.
	Codec Codec
	// MaxInstances bounds the filters, the destinations and the
	// subscriptions, each.
	MaxInstances int
	Log          *slog.Logger
}

// Exporter delivers one indication to the listener at url; the
// service retries what fails.
type Exporter interface {
	Export(ctx context.Context, url string, ind *cim.Instance) error
}

// ErrNoExporter is returned by New without Config.Exporter.
var ErrNoExporter = errors.New("indication service: no exporter configured")

// Service is the indication service. It is safe for concurrent use.
type Service struct {
	cfg  Config
	ids  idSource
	base context.Context // the delivery goroutines'
	stop context.CancelFunc
	jobs chan provider.JobEvent

	pubMu sync.Mutex // one publisher at a time keeps identifiers in order

	mu      sync.RWMutex
	filters map[string]*filter
	dests   map[string]*destRec
	subs    map[string]*subscription
	elog    *eventLog
	// changes is the inventory's change stream, subscribed to in New so
	// that nothing between New and Run is missed.
	changes *inventory.Subscription
	started time.Time // names this run in SequenceContext
	wg      sync.WaitGroup
}

// expiryTick is how often expired WS-Eventing subscriptions are looked for.
const expiryTick = 250 * time.Millisecond

// ErrInUse is wrapped when a filter or destination that a subscription
// names is deleted.
var ErrInUse = errors.New("in use by a subscription")

// New restores the stored filters, destinations and subscriptions and
// starts delivering. Run feeds it; Close stops it.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Exporter == nil {
		return nil, ErrNoExporter
	}
	cfg.QueueSize = max(cfg.QueueSize, 1)
	cfg.MaxInstances = max(cfg.MaxInstances, 1)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, ids: idSource{store: cfg.Store}, base: ctx, stop: cancel,
		jobs:    make(chan provider.JobEvent, 1024),
		filters: map[string]*filter{}, dests: map[string]*destRec{}, subs: map[string]*subscription{},
		started: time.Now(),
		elog:    newEventLog(cfg.Store, cfg.Codec, cfg.History+cfg.QueueSize, cfg.Log),
	}
	if err := s.restore(); err != nil {
		cancel()
		return nil, err
	}
	s.changes = cfg.Inventory.Subscribe(4096)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.expire(ctx, expiryTick)
	}()
	go func() {
		defer s.wg.Done()
		s.elog.run(ctx)
	}()
	return s, nil
}

// restore loads the store. A stored filter that no longer parses (the
// classes changed) is kept out with a warning, and so are the
// subscriptions naming it.
func (s *Service) restore() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := each(s.cfg.Store, bucketFilters, func(_ string, r *filterRec) error {
		f, err := s.compile(r)
		if err != nil {
			s.cfg.Log.Warn("stored indication filter no longer valid; ignored", "filter", r.Name, "err", err)
			return nil
		}
		s.filters[nameKey(r.Name)] = f
		return nil
	})
	if err == nil {
		err = each(s.cfg.Store, bucketDestinations, func(_ string, r *destRec) error {
			s.dests[nameKey(r.Name)] = r
			return nil
		})
	}
	if err == nil {
		err = each(s.cfg.Store, bucketSubscriptions, func(_ string, r *subRec) error {
			f, d := s.filters[nameKey(r.Filter)], s.dests[nameKey(r.Handler)]
			if f == nil || d == nil {
				s.cfg.Log.Warn("stored subscription names a missing filter or destination; ignored", "filter", r.Filter, "handler", r.Handler)
				return nil
			}
			f.private = f.private || d.WSMan != nil
			s.refill(s.startSubscription(r, f, d))
			return nil
		})
	}
	if err != nil {
		return err
	}
	s.cfg.Log.Info("indication subscriptions restored", "filters", len(s.filters), "destinations", len(s.dests), "subscriptions", len(s.subs))
	return nil
}

// JobWatcher is the hook for provider.Jobs.Watch: it only queues.
func (s *Service) JobWatcher(ev provider.JobEvent) {
	select {
	case s.jobs <- ev:
	default:
		s.broadcastLoss(1, reasonStream)
	}
}

// Run follows the inventory's change stream and the jobs' events,
// publishing their indications, until ctx ends; then it stops delivery.
func (s *Service) Run(ctx context.Context) error {
	defer s.Close()
	sub := s.changes
	defer sub.Close()
	go s.followJobs(ctx)
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, inventory.ErrClosed) {
				return nil
			}
			return err
		}
		if ch.Missed > 0 {
			s.broadcastLoss(ch.Missed, reasonStream)
		}
		s.publish(s.fromChange(ch))
	}
}

func (s *Service) followJobs(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.jobs:
			s.publish(s.fromJob(ev))
		}
	}
}

// Close stops every delivery and waits for them.
func (s *Service) Close() {
	s.stop()
	s.changes.Close()
	s.wg.Wait()
}

// publish numbers the indications and queues each for the subscriptions
// whose filters select it; it never waits for a listener.
func (s *Service) publish(inds []*cim.Instance) {
	if len(inds) == 0 {
		return
	}
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := time.Now()
	for _, ind := range inds {
		id := s.ids.take(s.cfg.Log)
		ind.Set("IndicationIdentifier", cim.String(strconv.FormatUint(id, 10)))
		s.elog.add(id, ind, now)
		for _, sub := range s.subs {
			if sub.enabled() {
				s.enqueue(sub, ind, now)
			}
		}
	}
}

// enqueue queues ind for sub if its filter selects it, numbered in the
// subscription's sequence (DSP1054 §7.6.7: SequenceContext and
// SequenceNumber let a listener see gaps and duplicates). A number
// goes to every selected indication, queued or lost to a full queue.
func (s *Service) enqueue(sub *subscription, ind *cim.Instance, at time.Time) {
	out, ok := sub.filter.selects(s, ind)
	if !ok {
		return
	}
	out.Set("SequenceContext", cim.String(sub.seqContext))
	out.Set("SequenceNumber", cim.Sint64(sub.seq.Add(1)-1))
	sub.queue.push(out, at)
}

// broadcastLoss tells every enabled subscription that n indications were
// lost before they could be matched.
func (s *Service) broadcastLoss(n uint64, reason uint16) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.subs {
		if sub.enabled() {
			sub.queue.lose(n, reason, time.Now())
		}
	}
}

// refill queues what a restored subscription had not delivered when the
// agent stopped, from the log, and counts what the log no longer holds.
// The caller holds s.mu.
func (s *Service) refill(sub *subscription) {
	cursor, ok := s.elog.cursor(sub.key)
	if !ok {
		return
	}
	held, gap, err := s.elog.since(cursor, s.ids.peek())
	if err != nil {
		s.cfg.Log.Warn("undelivered indications not restored", "filter", sub.rec.Filter, "handler", sub.rec.Handler, "err", err)
		return
	}
	s.requeue(sub, held, gap)
	if n := sub.queue.length(); n > 0 || gap > 0 {
		s.cfg.Log.Info("undelivered indications restored", "filter", sub.rec.Filter, "handler", sub.rec.Handler, "queued", n, "lost", gap)
	}
}

// requeue queues for sub what of held its filter selects, after a loss
// of gap.
func (s *Service) requeue(sub *subscription, held []held, gap uint64) {
	if gap > 0 {
		sub.queue.lose(gap, reasonHistory, time.Now())
	}
	for _, h := range held {
		s.enqueue(sub, h.ind, h.at)
	}
}
