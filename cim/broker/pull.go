package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// An open pull enumeration (DSP0200 §5.3.2.20-28) is a producer goroutine
// running the operation over the snapshot taken at open, handing
// instances one at a time to whoever pulls: memory stays bounded by one
// pull's worth whatever the result size, and a context nobody pulls
// expires after its OperationTimeout.

// errClosed ends a producer whose enumeration was closed or expired.
var errClosed = errors.New("enumeration closed")

// PullOptions are the Open* parameters every pull operation shares.
type PullOptions struct {
	// Timeout is the OperationTimeout; zero takes the default.
	Timeout time.Duration
	// MaxObjectCount bounds the first batch; zero returns none.
	MaxObjectCount uint32
	// Kind says which Pull operation may continue the enumeration.
	Kind PullKind
	// Match, if set, keeps only the instances it accepts (WS-Man's
	// SelectorFilter).
	Match func(*cim.Instance) bool
	// Properties, if set, limits every instance of the enumeration, in
	// the open's page and in every pull's, to the properties it accepts
	// (the PropertyList of DSP0200's Open operations).
	Properties func(name string) bool
}

// ErrPageFull, returned by a page's emit, ends the page early: the
// instance it was given stays first in line for the next pull. WS-Man
// uses it to keep a page within MaxEnvelopeSize.
var ErrPageFull = errors.New("page full")

// PullKind is what an enumeration hands out, and so which Pull operation
// continues it (DSP0200 §5.3.2.25-27).
type PullKind uint8

// The pull kinds.
const (
	WithPath  PullKind = iota // PullInstancesWithPath
	PathsOnly                 // PullInstancePaths
	Instances                 // PullInstances (OpenQueryInstances)
)

func (k PullKind) String() string {
	switch k {
	case PathsOnly:
		return "instance paths (PullInstancePaths)"
	case Instances:
		return "instances without paths (PullInstances)"
	}
	return "instances with paths (PullInstancesWithPath)"
}

// Page is one batch of a pull enumeration.
type Page struct {
	// Context is the EnumerationContext to pull the next batch with; ""
	// once EndOfSequence.
	Context       string
	EndOfSequence bool
}

type enumeration struct {
	id    string
	ns    string
	kind  PullKind
	items chan *cim.Instance
	stop  chan struct{}
	once  sync.Once
	count func() (uint64, error)

	mu        sync.Mutex // one pull at a time
	next      *cim.Instance
	done      bool
	err       error
	delivered uint64
	timeout   time.Duration
	timer     *time.Timer
	expires   time.Time
}

// arm restarts the inactivity timer. The caller holds e.mu.
func (e *enumeration) arm() {
	e.timer.Reset(e.timeout)
	e.expires = time.Now().Add(e.timeout)
}

type enumerations struct {
	max int
	mu  sync.Mutex
	m   map[string]*enumeration
}

func newEnumerations(max int) *enumerations {
	return &enumerations{max: max, m: map[string]*enumeration{}}
}

func (es *enumerations) closeAll() {
	es.mu.Lock()
	all := es.m
	es.m = map[string]*enumeration{}
	es.mu.Unlock()
	for _, e := range all {
		e.close()
	}
}

func (e *enumeration) close() { e.once.Do(func() { close(e.stop) }) }

func (es *enumerations) remove(e *enumeration) {
	es.mu.Lock()
	if es.m[e.id] == e {
		delete(es.m, e.id)
	}
	es.mu.Unlock()
	e.close()
}

// timeout checks an OperationTimeout against the limits.
func (b *Broker) timeout(t time.Duration) (time.Duration, error) {
	switch {
	case t == 0:
		return b.cfg.DefaultTimeout, nil
	case t < 0 || t > b.cfg.MaxTimeout:
		return 0, fmt.Errorf("OperationTimeout %v: must be between 1 s and %v: %w", t, b.cfg.MaxTimeout, cim.ErrInvalidOperationTimeout)
	}
	return t, nil
}

// openEnumeration starts run and returns the first page through emit.
// run streams the whole result; it is also run again, counting, for
// EnumerationCount.
func (b *Broker) openEnumeration(ns string, o PullOptions, run func(emit func(*cim.Instance) error) error, emit func(*cim.Instance) error) (Page, error) {
	t, err := b.timeout(o.Timeout)
	if err != nil {
		return Page{}, err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	e := &enumeration{
		id: hex.EncodeToString(id[:]), ns: normNamespace(ns), kind: o.Kind,
		items: make(chan *cim.Instance), stop: make(chan struct{}), timeout: t,
	}
	if o.Match != nil {
		all := run
		run = func(emit func(*cim.Instance) error) error {
			return all(func(inst *cim.Instance) error {
				if !o.Match(inst) {
					return nil
				}
				return emit(inst)
			})
		}
	}
	if o.Properties != nil {
		whole := run
		run = func(emit func(*cim.Instance) error) error {
			return whole(func(inst *cim.Instance) error { return emit(keepProperties(inst, o.Properties)) })
		}
	}
	e.count = func() (uint64, error) {
		var n uint64
		err := run(func(*cim.Instance) error { n++; return nil })
		return n, err
	}
	es := b.enums
	es.mu.Lock()
	if len(es.m) >= es.max {
		es.mu.Unlock()
		return Page{}, fmt.Errorf("%d pull enumerations are open, the most this agent keeps; close some or let them expire: %w", es.max, cim.ErrServerLimitsExceeded)
	}
	es.m[e.id] = e
	es.mu.Unlock()
	go func() {
		defer close(e.items)
		err := run(func(inst *cim.Instance) error {
			select {
			case e.items <- inst:
				return nil
			case <-e.stop:
				return errClosed
			}
		})
		if errors.Is(err, errClosed) {
			// Cut short by close, expiry or Broker.Close. Only a pull
			// already waiting for the next instance (Broker.Close during
			// a pull) can still read this: it must not take the closed
			// channel for the end of the result.
			err = fmt.Errorf("enumeration %s was closed while being pulled: %w", e.id, cim.ErrServerIsShuttingDown)
		}
		if err != nil {
			// Read by the puller after the channel closes.
			e.err = err
		}
	}()
	e.timer = time.AfterFunc(t, func() { es.remove(e) })
	e.timer.Stop() // page starts it
	e.mu.Lock()
	defer e.mu.Unlock()
	return b.page(e, o.MaxObjectCount, emit)
}

// page hands out up to max instances, then looks one ahead so that the
// last batch says EndOfSequence. The caller holds e.mu.
func (b *Broker) page(e *enumeration, max uint32, emit func(*cim.Instance) error) (Page, error) {
	for n := uint32(0); n < max; n++ {
		inst, ok := e.take()
		if !ok {
			break
		}
		if err := emit(inst); errors.Is(err, ErrPageFull) {
			e.next = inst
			break
		} else if err != nil {
			b.enums.remove(e)
			return Page{}, err
		}
		e.delivered++
	}
	if !e.done && e.next == nil {
		if inst, ok := <-e.items; ok {
			e.next = inst
		} else {
			e.done = true
		}
	}
	if e.done && e.next == nil {
		b.enums.remove(e)
		if e.err != nil {
			return Page{}, e.err
		}
		return Page{EndOfSequence: true}, nil
	}
	e.arm()
	return Page{Context: e.id}, nil
}

func (e *enumeration) take() (*cim.Instance, bool) {
	if e.next != nil {
		inst := e.next
		e.next = nil
		return inst, true
	}
	if e.done {
		return nil, false
	}
	inst, ok := <-e.items
	if !ok {
		e.done = true
	}
	return inst, ok
}

// lookup finds an open enumeration of namespace ns ("" for any: WS-Man's
// Pull names no namespace) and locks it.
func (b *Broker) lookup(ns, id string, kind PullKind) (*enumeration, error) {
	b.enums.mu.Lock()
	e := b.enums.m[id]
	b.enums.mu.Unlock()
	if e == nil || (ns != "" && e.ns != normNamespace(ns)) {
		where := ""
		if ns != "" {
			where = " in namespace " + ns
		}
		return nil, fmt.Errorf("enumeration context %q is not open%s (it ended, expired or was closed): %w", id, where, cim.ErrInvalidEnumerationContext)
	}
	if e.kind != kind {
		return nil, fmt.Errorf("enumeration context %q enumerates %s, not %s: %w", id, e.kind, kind, cim.ErrInvalidEnumerationContext)
	}
	e.mu.Lock()
	// Stopped while in use; a timer that already fired means the
	// enumeration expired just now.
	if !e.timer.Stop() {
		e.mu.Unlock()
		return nil, fmt.Errorf("enumeration context %q expired: %w", id, cim.ErrInvalidEnumerationContext)
	}
	return e, nil
}

// Pull continues an enumeration opened for kind: up to max instances
// through emit.
func (b *Broker) Pull(ns, context string, kind PullKind, max uint32, emit func(*cim.Instance) error) (Page, error) {
	e, err := b.lookup(ns, context, kind)
	if err != nil {
		return Page{}, err
	}
	defer e.mu.Unlock()
	return b.page(e, max, emit)
}

// CloseEnumeration ends an enumeration early (§5.3.2.27).
func (b *Broker) CloseEnumeration(ns, context string) error {
	e, err := b.lookupAny(ns, context)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	b.enums.remove(e)
	return nil
}

// EnumerationCount says how many instances are left to pull (§5.3.2.28),
// counted over the same snapshot.
func (b *Broker) EnumerationCount(ns, context string) (uint64, error) {
	e, err := b.lookupAny(ns, context)
	if err != nil {
		return 0, err
	}
	defer e.mu.Unlock()
	e.arm()
	total, err := e.count()
	if err != nil {
		return 0, err
	}
	return total - min(total, e.delivered), nil
}

func (b *Broker) lookupAny(ns, context string) (*enumeration, error) {
	b.enums.mu.Lock()
	e := b.enums.m[context]
	b.enums.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("enumeration context %q is not open (it ended, expired or was closed): %w", context, cim.ErrInvalidEnumerationContext)
	}
	return b.lookup(ns, context, e.kind)
}

// OpenEnumerateInstances opens a pull enumeration of class in ns
// (§5.3.2.20; OpenEnumerateInstancePaths with o.Kind PathsOnly, §5.3.2.21).
func (b *Broker) OpenEnumerateInstances(ns, class string, o PullOptions, emit func(*cim.Instance) error) (Page, error) {
	s, err := b.open(ns)
	if err != nil {
		return Page{}, err
	}
	if _, err := s.class(class); err != nil {
		return Page{}, err
	}
	return b.openEnumeration(ns, o, func(e func(*cim.Instance) error) error { return s.enumerate(class, true, e) }, emit)
}

// OpenAssociators opens a pull enumeration of Associators
// (OpenAssociatorInstances, OpenAssociatorInstancePaths).
func (b *Broker) OpenAssociators(ns string, obj cim.ObjectPath, f AssocFilter, o PullOptions, emit func(*cim.Instance) error) (Page, error) {
	s, err := b.open(ns)
	if err != nil {
		return Page{}, err
	}
	return b.openEnumeration(ns, o, func(e func(*cim.Instance) error) error { return s.associatorInstances(obj, f, e) }, emit)
}

// OpenReferences opens a pull enumeration of References
// (OpenReferenceInstances, OpenReferenceInstancePaths).
func (b *Broker) OpenReferences(ns string, obj cim.ObjectPath, f AssocFilter, o PullOptions, emit func(*cim.Instance) error) (Page, error) {
	s, err := b.open(ns)
	if err != nil {
		return Page{}, err
	}
	return b.openEnumeration(ns, o, func(e func(*cim.Instance) error) error { return s.referenceInstances(obj, f, e) }, emit)
}
