// Package notify sends SNMP notifications (SNMPv2-Trap and InformRequest,
// over SNMPv2c and SNMPv3/USM) to configured destinations.
//
// One goroutine (Run) owns every socket write, timer and protocol state, so a
// destination that is down or slow never delays another: each destination
// has its own bounded queue, its own pacing and its own window of informs
// awaiting acknowledgement. Send only appends to those queues and never
// blocks. gosnmp is used for BER encoding/decoding and USM crypto only; its
// GoSNMP.SendTrap blocks per call and owns its socket, so it is not used.
//
// Packets leave from one unconnected UDP socket per address family (bound
// to the wildcard address, ephemeral port); a reader goroutine per socket
// hands inform acknowledgements and SNMPv3 reports to Run.
package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// Notification is one event to report. The sender prepends sysUpTime.0
// (sampled when Send is called) and snmpTrapOID.0 = TrapOID.
type Notification struct {
	TrapOID  mib.OID
	Varbinds []mib.Varbind
}

// User is an SNMPv3 USM user.
//
// AuthProto is one of MD5, SHA (SHA-1), SHA224, SHA256, SHA384, SHA512;
// PrivProto one of DES, AES (AES-128), AES192, AES256 (Blumenthal key
// extension, as net-snmp's AES-192/AES-256), AES192C, AES256C (Reeder key
// extension, as net-snmp's AES-192-C/AES-256-C and Cisco). Case and dashes
// are ignored ("SHA-256" = "sha256"); empty means none. Pass phrases must
// have at least 8 characters (RFC 3414 §11.2).
type User struct {
	Name      string
	AuthProto string
	AuthPass  string
	PrivProto string
	PrivPass  string
}

// Destination is one notification receiver.
type Destination struct {
	Name    string
	Address string // IP:port, e.g. "192.0.2.1:162" or "[2001:db8::1]:162"; not resolved by name
	Version string // "2c" or "3"
	Inform  bool   // InformRequest (acknowledged, retried) instead of SNMPv2-Trap

	Community string // v2c
	User      User   // v3

	Timeout   time.Duration // first inform ack timeout, default 1s; doubles per retry up to 30s
	Retries   int           // inform retransmissions, default 5; negative means none
	Expire    time.Duration // give up on an inform not acknowledged this long after Send, default 5m
	QueueSize int           // notifications waiting to be sent, default 10000; when full the oldest is dropped

	// Window bounds informs in flight (sent, unacknowledged), default 32.
	// Informs are first sent in Send order; a retransmission can still
	// arrive after a later inform, so a receiver that needs strict order
	// should get Window 1.
	Window int
	// Rate paces packets (retransmissions and v3 discovery included) in
	// packets per second, default 1000 with bursts of 32: UDP has no flow
	// control, and an unpaced burst overflows a receiver's socket buffer
	// (snmptrapd on loopback lost about 40% of 1,000 unpaced traps).
	// Negative: unpaced.
	Rate float64
}

// Engine is our own SNMP engine: authoritative for v3 traps (RFC 3414
// §3.1.1), so a trap receiver needs the user created for this engine ID
// (net-snmp: createUser -e 0x<ID> ...), while an inform receiver is itself
// authoritative (createUser without -e). ID (5 to 32 octets) and Boots and
// Time are required for v3 trap destinations; informs carry ID, when set, as
// contextEngineID. Boots and Time are called from Run's goroutine.
type Engine struct {
	ID    []byte
	Boots func() uint32
	Time  func() uint32
}

// DestStats counts one destination's notifications. Every Send is in
// exactly one of Queued, InFlight, Dropped, Expired, Failed and, for a trap
// destination, Sent or, for an inform destination, Acked (where Sent counts
// first transmissions).
type DestStats struct {
	Name     string
	Queued   int    // waiting to be sent
	InFlight int    // informs sent and not yet acknowledged; a trap while it is written
	Sent     uint64 // first transmissions
	Acked    uint64 // informs acknowledged by the receiver
	Retried  uint64 // inform retransmissions, including resends after a v3 time-window or engine resync
	Dropped  uint64 // discarded from a full queue, oldest first
	Expired  uint64 // informs given up Expire after Send, whether queued or in flight
	Failed   uint64 // given up otherwise: retries exhausted, rejected by the receiver, or not encodable/writable
}

const (
	defaultTimeout   = time.Second
	maxTimeout       = 30 * time.Second
	defaultRetries   = 5
	defaultExpire    = 5 * time.Minute
	defaultQueueSize = 10000
	defaultWindow    = 32
	defaultRate      = 1000
	// burst is the token bucket's depth: small enough that a receiver's
	// default socket buffer (~200 KiB, a few hundred datagrams) absorbs it.
	burst = 32
)

// The varbinds every notification starts with (RFC 3416 §4.2.6), in the
// dotted form gosnmp encodes.
const (
	oidSysUpTime   = ".1.3.6.1.2.1.1.3.0"
	oidSnmpTrapOID = ".1.3.6.1.6.3.1.1.4.1.0"
)

// Sender delivers notifications to its destinations. Send and Stats may be
// called from any goroutine, before, during or after Run.
type Sender struct {
	log    *slog.Logger
	eng    Engine
	uptime func() uint32
	dests  []*dest
	// wake tells Run that a queue has grown; capacity 1 so Send never blocks.
	wake    chan struct{}
	running atomic.Bool
}

// item is one notification as queued: shared, read-only, by every
// destination's queue.
type item struct {
	pdus []gosnmp.SnmpPDU
	at   time.Time // when Send was called: the start of its Expire
}

// New validates dests and eng. uptime returns sysUpTime in centiseconds and
// is called by Send. log may be nil.
func New(dests []Destination, eng Engine, uptime func() uint32, log *slog.Logger) (*Sender, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if uptime == nil {
		return nil, errors.New("notify: uptime function is nil")
	}
	s := &Sender{log: log, eng: eng, uptime: uptime, wake: make(chan struct{}, 1)}
	names := make(map[string]bool, len(dests))
	needEngine := false
	for i, cfg := range dests {
		if cfg.Name == "" {
			return nil, fmt.Errorf("notify: destination #%d: name is empty", i+1)
		}
		if names[cfg.Name] {
			return nil, fmt.Errorf("notify: destination %q: name is used twice", cfg.Name)
		}
		names[cfg.Name] = true
		d, err := newDest(cfg, log)
		if err != nil {
			return nil, fmt.Errorf("notify: destination %q: %w", cfg.Name, err)
		}
		if d.usm != nil && !cfg.Inform {
			needEngine = true
		}
		s.dests = append(s.dests, d)
	}
	if needEngine {
		if n := len(eng.ID); n < 5 || n > 32 {
			return nil, fmt.Errorf("notify: engine ID has %d octets; v3 traps need 5 to 32 (RFC 3411 SnmpEngineID)", n)
		}
		if eng.Boots == nil || eng.Time == nil {
			return nil, errors.New("notify: engine Boots and Time functions are needed for v3 traps")
		}
		for _, d := range s.dests {
			if d.usm != nil && !d.cfg.Inform {
				// Our engine is authoritative for traps: keys are localized
				// to it once, here.
				if err := d.usm.localize(eng.ID); err != nil {
					return nil, fmt.Errorf("notify: destination %q: localizing keys to our engine ID: %w", d.cfg.Name, err)
				}
			}
		}
	} else if n := len(eng.ID); n != 0 && (n < 5 || n > 32) {
		return nil, fmt.Errorf("notify: engine ID has %d octets; it must have 5 to 32 (RFC 3411 SnmpEngineID)", n)
	}
	return s, nil
}

func newDest(cfg Destination, log *slog.Logger) (*dest, error) {
	ap, err := netip.ParseAddrPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("address %q is not IP:port (IPv6 in brackets; host names are not resolved): %w", cfg.Address, err)
	}
	if ap.Port() == 0 {
		return nil, fmt.Errorf("address %q has port 0", cfg.Address)
	}
	if !ap.Addr().IsValid() || ap.Addr().Unmap().IsUnspecified() || ap.Addr().IsMulticast() {
		return nil, fmt.Errorf("address %q is not a unicast host address", cfg.Address)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())

	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("timeout %v is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		cfg.Timeout = defaultTimeout
	case cfg.Timeout > maxTimeout:
		cfg.Timeout = maxTimeout
	}
	switch {
	case cfg.Retries < 0:
		cfg.Retries = 0
	case cfg.Retries == 0:
		cfg.Retries = defaultRetries
	}
	switch {
	case cfg.Expire < 0:
		return nil, fmt.Errorf("expire %v is negative", cfg.Expire)
	case cfg.Expire == 0:
		cfg.Expire = defaultExpire
	}
	switch {
	case cfg.QueueSize < 0:
		return nil, fmt.Errorf("queue size %d is negative", cfg.QueueSize)
	case cfg.QueueSize == 0:
		cfg.QueueSize = defaultQueueSize
	}
	switch {
	case cfg.Window < 0:
		return nil, fmt.Errorf("window %d is negative", cfg.Window)
	case cfg.Window == 0:
		cfg.Window = defaultWindow
	}
	if cfg.Rate == 0 {
		cfg.Rate = defaultRate
	}

	d := &dest{cfg: cfg, addr: ap, log: log.With("dest", cfg.Name)}
	switch cfg.Version {
	case "2c", "v2c":
		if cfg.Community == "" {
			return nil, errors.New("version 2c needs a community")
		}
		// gosnmp writes the community's length as one byte (short form).
		if len(cfg.Community) > 127 {
			return nil, fmt.Errorf("community has %d octets; at most 127 are supported", len(cfg.Community))
		}
		if cfg.User != (User{}) {
			return nil, errors.New("version 2c takes a community, not a v3 user")
		}
	case "3", "v3":
		if cfg.Community != "" {
			return nil, errors.New("version 3 takes a user, not a community")
		}
		u, err := newUSM(cfg.User)
		if err != nil {
			return nil, err
		}
		d.usm = u
	case "":
		return nil, errors.New(`version is empty; want "2c" or "3"`)
	default:
		return nil, fmt.Errorf(`version %q is not supported; want "2c" or "3"`, cfg.Version)
	}
	return d, nil
}

// Send queues n for every destination and returns at once. When a queue is
// full its oldest notification is dropped (and counted): after an outage
// the receiver gets the latest state rather than a stale backlog. A
// notification that cannot be encoded is logged and counted as Failed.
func (s *Sender) Send(n Notification) {
	it := &item{at: time.Now()}
	it.pdus = make([]gosnmp.SnmpPDU, 0, len(n.Varbinds)+2)
	it.pdus = append(it.pdus,
		gosnmp.SnmpPDU{Name: oidSysUpTime, Type: gosnmp.TimeTicks, Value: s.uptime()},
		gosnmp.SnmpPDU{Name: oidSnmpTrapOID, Type: gosnmp.ObjectIdentifier, Value: n.TrapOID.Dotted()})
	for _, vb := range n.Varbinds {
		v := vb.Value
		if o, ok := v.(mib.OID); ok && vb.Type == gosnmp.ObjectIdentifier {
			v = o.Dotted()
		}
		it.pdus = append(it.pdus, gosnmp.SnmpPDU{Name: vb.OID.Dotted(), Type: vb.Type, Value: v})
	}
	// Encoding once here catches bad values in the caller's goroutine, with
	// the caller's notification in hand, instead of once per destination.
	if _, err := marshalV2("x", gosnmp.SNMPv2Trap, 1, it.pdus); err != nil {
		s.log.Error("notification not sent: it cannot be encoded", "trapOID", n.TrapOID.String(), "err", err)
		for _, d := range s.dests {
			d.inc(&d.c.failed)
		}
		return
	}
	for _, d := range s.dests {
		d.push(it)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats reports each destination's counters, in configuration order. Each
// destination's are a consistent snapshot.
func (s *Sender) Stats() []DestStats {
	out := make([]DestStats, len(s.dests))
	for i, d := range s.dests {
		d.mu.Lock()
		c, q := d.c, d.q.len()
		d.mu.Unlock()
		out[i] = DestStats{
			Name:     d.cfg.Name,
			Queued:   q,
			InFlight: c.inFlight,
			Sent:     c.sent,
			Acked:    c.acked,
			Retried:  c.retried,
			Dropped:  c.dropped,
			Expired:  c.expired,
			Failed:   c.failed,
		}
	}
	return out
}

// dest is one destination: the queue and counters are shared with Send and
// Stats, under mu; everything else belongs to Run's goroutine.
type dest struct {
	cfg  Destination
	addr netip.AddrPort
	log  *slog.Logger
	usm  *usm // nil for v2c

	mu  sync.Mutex
	q   ring
	c   counters
	run destRun
}

// counters are DestStats' counts. inFlight covers informs awaiting their
// acknowledgement and a trap while it is being written.
type counters struct {
	inFlight                                       int
	sent, acked, retried, dropped, expired, failed uint64
}

// inc adds one to a counter of d.c.
func (d *dest) inc(n *uint64) {
	d.mu.Lock()
	*n++
	d.mu.Unlock()
}

// take moves the oldest queued notification in flight.
func (d *dest) take() *item {
	d.mu.Lock()
	defer d.mu.Unlock()
	it := d.q.pop()
	if it != nil {
		d.c.inFlight++
	}
	return it
}

// settle moves an in-flight notification to its outcome, a counter of d.c.
func (d *dest) settle(outcome *uint64) {
	d.mu.Lock()
	d.c.inFlight--
	*outcome++
	d.mu.Unlock()
}

// push enqueues it, dropping the oldest entry when the queue is full.
func (d *dest) push(it *item) {
	d.mu.Lock()
	if d.q.len() >= d.cfg.QueueSize {
		d.q.pop()
		d.c.dropped++
	}
	d.q.push(it)
	d.mu.Unlock()
}

// ring is a FIFO of items that grows as needed and reuses its storage.
type ring struct {
	buf        []*item
	head, size int
}

func (r *ring) len() int { return r.size }

func (r *ring) push(it *item) {
	if r.size == len(r.buf) {
		n := max(16, 2*len(r.buf))
		nb := make([]*item, n)
		for i := 0; i < r.size; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = it
	r.size++
}

func (r *ring) peek() *item {
	if r.size == 0 {
		return nil
	}
	return r.buf[r.head]
}

func (r *ring) pop() *item {
	if r.size == 0 {
		return nil
	}
	it := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	if r.size == 0 && len(r.buf) > 1024 {
		// Give back a burst's memory once it has drained.
		r.buf, r.head = nil, 0
	}
	return it
}
