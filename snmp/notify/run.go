package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"
)

const (
	// writeTimeout bounds a write on a socket whose send buffer is full, so
	// a jammed interface cannot stall the sending goroutine.
	writeTimeout = 100 * time.Millisecond
	// maxPerStep bounds the packets one destination sends before the loop
	// looks at acknowledgements and the other destinations again.
	maxPerStep = 256
)

// USM report counters (RFC 3414 §5) that tell an inform's sender what went wrong.
const (
	usmStatsUnsupportedSecLevels = "1.3.6.1.6.3.15.1.1.1.0"
	usmStatsNotInTimeWindows     = "1.3.6.1.6.3.15.1.1.2.0"
	usmStatsUnknownUserNames     = "1.3.6.1.6.3.15.1.1.3.0"
	usmStatsUnknownEngineIDs     = "1.3.6.1.6.3.15.1.1.4.0"
	usmStatsWrongDigests         = "1.3.6.1.6.3.15.1.1.5.0"
	usmStatsDecryptionErrors     = "1.3.6.1.6.3.15.1.1.6.0"
)

func reportName(oid string) string {
	switch oid {
	case usmStatsUnsupportedSecLevels:
		return "usmStatsUnsupportedSecLevels"
	case usmStatsNotInTimeWindows:
		return "usmStatsNotInTimeWindows"
	case usmStatsUnknownUserNames:
		return "usmStatsUnknownUserNames (is the user created on the receiver?)"
	case usmStatsUnknownEngineIDs:
		return "usmStatsUnknownEngineIDs"
	case usmStatsWrongDigests:
		return "usmStatsWrongDigests (auth protocol or pass phrase differ)"
	case usmStatsDecryptionErrors:
		return "usmStatsDecryptionErrors (priv protocol or pass phrase differ)"
	}
	return oid
}

// destRun is a destination's state owned by Run's goroutine.
type destRun struct {
	tokens  float64
	tokenAt time.Time

	window map[uint32]*flight // informs in flight by request ID
	byMsg  map[uint32]*flight // v3 informs by the msgID of each transmission

	// v3 informs: engine discovery (RFC 3414 §4).
	probeMsgID   uint32
	probeAt      time.Time // when to probe again
	probeTimeout time.Duration

	failing bool // logged as failing; cleared (and logged) on the next success
}

// flight is an inform sent and not yet acknowledged. Retransmissions reuse
// its request ID so the receiver can tell duplicates.
type flight struct {
	it       *item
	reqID    uint32
	msgIDs   []uint32
	deadline time.Time // next retransmission, or giving up
	timeout  time.Duration
	retries  int
	expireAt time.Time
}

// token spends a token if one is there; the bucket refills at rate per second.
func (dr *destRun) token(now time.Time, rate float64) bool {
	if rate < 0 {
		return true
	}
	dr.tokens = min(burst, dr.tokens+now.Sub(dr.tokenAt).Seconds()*rate)
	dr.tokenAt = now
	if dr.tokens < 1 {
		return false
	}
	dr.tokens--
	return true
}

// ready is when the next token will be there.
func (dr *destRun) ready(now time.Time, rate float64) time.Time {
	return now.Add(time.Duration((1-dr.tokens)/rate*float64(time.Second)) + time.Microsecond)
}

// inbound is one datagram received on a sender socket.
type inbound struct {
	from netip.AddrPort
	data []byte
}

// runner is Run's state: the sockets, their readers and the ID counter.
type runner struct {
	s            *Sender
	ctx          context.Context
	conn4, conn6 *net.UDPConn
	in           chan inbound
	readers      sync.WaitGroup
	id           uint32
	byAddr       map[netip.AddrPort][]*dest // inform destinations, to match answers
}

// Run sends queued notifications until ctx is done, then closes its
// sockets and returns ctx.Err(). Notifications still queued or in flight
// stay counted as such. Run may be called once.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run called more than once")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &runner{s: s, ctx: ctx, in: make(chan inbound, 256), byAddr: make(map[netip.AddrPort][]*dest)}
	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return fmt.Errorf("notify: seeding request IDs: %w", err)
	}
	// A random start keeps IDs from colliding with a previous run's.
	r.id = binary.BigEndian.Uint32(seed[:]) & 0x7fffffff
	need4, need6 := false, false
	now := time.Now()
	for _, d := range s.dests {
		d.run = destRun{tokens: burst, tokenAt: now, window: make(map[uint32]*flight), byMsg: make(map[uint32]*flight)}
		if d.cfg.Inform {
			r.byAddr[d.addr] = append(r.byAddr[d.addr], d)
		}
		if d.addr.Addr().Is4() {
			need4 = true
		} else {
			need6 = true
		}
	}
	defer r.shutdown()
	// A family that cannot be opened fails only its own destinations.
	var err error
	if need4 {
		if r.conn4, err = r.listen("udp4", "0.0.0.0:0"); err != nil {
			s.log.Error("notify: IPv4 destinations will fail", "err", err)
		}
	}
	if need6 {
		if r.conn6, err = r.listen("udp6", "[::]:0"); err != nil {
			s.log.Error("notify: IPv6 destinations will fail", "err", err)
		}
	}

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		wait := time.Hour
		if next := r.step(now); !next.IsZero() {
			wait = max(next.Sub(now), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-timer.C:
		case p := <-r.in:
			r.handle(p, time.Now())
		}
	}
}

func (r *runner) listen(network, addr string) (*net.UDPConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(r.ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("opening %s socket: %w", network, err)
	}
	c := pc.(*net.UDPConn)
	r.readers.Add(1)
	go r.read(c)
	return c, nil
}

// read hands datagrams (inform acknowledgements, reports) to Run's goroutine.
func (r *runner) read(c *net.UDPConn) {
	defer r.readers.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || r.ctx.Err() != nil {
				return
			}
			r.s.log.Warn("notify: reading from socket", "err", err)
			continue
		}
		p := inbound{from: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), data: bytes.Clone(buf[:n])}
		select {
		case r.in <- p:
		case <-r.ctx.Done():
			return
		}
	}
}

func (r *runner) shutdown() {
	for _, c := range []*net.UDPConn{r.conn4, r.conn6} {
		if c != nil {
			c.Close()
		}
	}
	r.readers.Wait()
}

func (r *runner) newID() uint32 {
	r.id = r.id%0x7fffffff + 1 // 1 to 2^31-1: BER INTEGER, never negative
	return r.id
}

func (r *runner) write(d *dest, b []byte, now time.Time) error {
	c := r.conn4
	if d.addr.Addr().Is6() {
		c = r.conn6
	}
	if c == nil {
		return errors.New("no socket for the address family")
	}
	if err := c.SetWriteDeadline(now.Add(writeTimeout)); err != nil {
		return fmt.Errorf("setting write deadline: %w", err)
	}
	if _, err := c.WriteToUDPAddrPort(b, d.addr); err != nil {
		return fmt.Errorf("sending to %s: %w", d.addr, err)
	}
	return nil
}

func (r *runner) failing(d *dest, msg string, args ...any) {
	if d.run.failing {
		d.log.Debug(msg, args...)
		return
	}
	d.run.failing = true
	d.log.Warn(msg, args...)
}

func (r *runner) healthy(d *dest) {
	if d.run.failing {
		d.run.failing = false
		d.log.Info("notification destination is delivering again")
	}
}

// step does what is due for every destination and returns when it next
// needs to run (zero: only when woken).
func (r *runner) step(now time.Time) time.Time {
	var next time.Time
	wake := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, d := range r.s.dests {
		if d.cfg.Inform {
			r.stepInforms(d, now, wake)
		} else {
			r.stepTraps(d, now, wake)
		}
	}
	return next
}

func (d *dest) head() *item {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.q.peek()
}

func (r *runner) stepTraps(d *dest, now time.Time, wake func(time.Time)) {
	dr := &d.run
	for range maxPerStep {
		if d.head() == nil {
			return
		}
		if !dr.token(now, d.cfg.Rate) {
			wake(dr.ready(now, d.cfg.Rate))
			return
		}
		if it := d.take(); it != nil {
			r.sendTrap(d, it, now)
		}
	}
	wake(now)
}

func (r *runner) sendTrap(d *dest, it *item, now time.Time) {
	var b []byte
	var err error
	if d.usm == nil {
		b, err = marshalV2(d.cfg.Community, gosnmp.SNMPv2Trap, r.newID(), it.pdus)
	} else {
		eng := r.s.eng
		b, err = d.usm.marshal(gosnmp.SNMPv2Trap, r.newID(), r.newID(), it.pdus, eng.ID, eng.ID, eng.Boots(), eng.Time())
	}
	if err != nil {
		d.settle(&d.c.failed)
		d.log.Error("notification cannot be encoded", "err", err)
		return
	}
	if err := r.write(d, b, now); err != nil {
		d.settle(&d.c.failed)
		r.failing(d, "notification not sent", "err", err)
		return
	}
	d.settle(&d.c.sent)
	r.healthy(d)
}

func (r *runner) stepInforms(d *dest, now time.Time, wake func(time.Time)) {
	dr := &d.run
	for _, f := range dr.window {
		switch {
		case !now.Before(f.expireAt):
			r.done(d, f, &d.c.expired)
			r.failing(d, "inform expired unacknowledged", "expire", d.cfg.Expire, "retries", f.retries)
		case now.Before(f.deadline):
			wake(f.deadline)
		case f.retries >= d.cfg.Retries:
			r.done(d, f, &d.c.failed)
			r.failing(d, "inform not acknowledged", "retries", f.retries)
		case !dr.token(now, d.cfg.Rate):
			wake(dr.ready(now, d.cfg.Rate))
		default:
			f.retries++
			d.inc(&d.c.retried)
			f.timeout = min(2*f.timeout, maxTimeout)
			r.transmit(d, f, now)
			wake(f.deadline)
		}
	}

	// Queued informs expire too: a stale alarm is not worth a late delivery.
	d.mu.Lock()
	for it := d.q.peek(); it != nil && !now.Before(it.at.Add(d.cfg.Expire)); it = d.q.peek() {
		d.q.pop()
		d.c.expired++
	}
	head := d.q.peek()
	d.mu.Unlock()
	if head == nil {
		return
	}
	wake(head.at.Add(d.cfg.Expire))

	if d.usm != nil && !d.usm.known() {
		r.probe(d, now, wake)
		return
	}
	for range maxPerStep {
		if len(dr.window) >= d.cfg.Window || d.head() == nil {
			return
		}
		if !dr.token(now, d.cfg.Rate) {
			wake(dr.ready(now, d.cfg.Rate))
			return
		}
		it := d.take()
		if it == nil {
			return
		}
		f := &flight{it: it, reqID: r.newID(), timeout: d.cfg.Timeout, expireAt: it.at.Add(d.cfg.Expire)}
		dr.window[f.reqID] = f
		if r.transmit(d, f, now) {
			d.inc(&d.c.sent)
			wake(f.deadline)
		}
	}
	wake(now)
}

// transmit sends (or resends) an inform. It reports false, and gives the
// inform up as failed, only if it cannot be encoded; a failed write is
// retried like a lost datagram.
func (r *runner) transmit(d *dest, f *flight, now time.Time) bool {
	var b []byte
	var err error
	if d.usm == nil {
		b, err = marshalV2(d.cfg.Community, gosnmp.InformRequest, f.reqID, f.it.pdus)
	} else {
		msgID := r.newID()
		boots, t := d.usm.clock(now)
		ctxEngine := r.s.eng.ID
		if len(ctxEngine) == 0 {
			ctxEngine = d.usm.engineID
		}
		b, err = d.usm.marshal(gosnmp.InformRequest, msgID, f.reqID, f.it.pdus, d.usm.engineID, ctxEngine, boots, t)
		if err == nil {
			f.msgIDs = append(f.msgIDs, msgID)
			d.run.byMsg[msgID] = f
		}
	}
	if err != nil {
		r.done(d, f, &d.c.failed)
		d.log.Error("notification cannot be encoded", "err", err)
		return false
	}
	f.deadline = now.Add(f.timeout)
	if f.expireAt.Before(f.deadline) {
		f.deadline = f.expireAt
	}
	if err := r.write(d, b, now); err != nil {
		r.failing(d, "inform not sent; will retry", "err", err)
	}
	return true
}

// done retires an inform, counting it in outcome.
func (r *runner) done(d *dest, f *flight, outcome *uint64) {
	delete(d.run.window, f.reqID)
	for _, m := range f.msgIDs {
		delete(d.run.byMsg, m)
	}
	d.settle(outcome)
}

// probe asks a v3 inform receiver for its engine ID, boots and time.
func (r *runner) probe(d *dest, now time.Time, wake func(time.Time)) {
	dr := &d.run
	if !dr.probeAt.IsZero() && now.Before(dr.probeAt) {
		wake(dr.probeAt)
		return
	}
	if !dr.token(now, d.cfg.Rate) {
		wake(dr.ready(now, d.cfg.Rate))
		return
	}
	if dr.probeTimeout == 0 {
		dr.probeTimeout = d.cfg.Timeout
	} else {
		r.failing(d, "receiver does not answer SNMPv3 engine discovery", "timeout", dr.probeTimeout)
		dr.probeTimeout = min(2*dr.probeTimeout, maxTimeout)
	}
	dr.probeMsgID = r.newID()
	dr.probeAt = now.Add(dr.probeTimeout)
	wake(dr.probeAt)
	b, err := marshalProbe(dr.probeMsgID, r.newID())
	if err != nil {
		d.log.Error("engine discovery request cannot be encoded", "err", err)
		return
	}
	if err := r.write(d, b, now); err != nil {
		r.failing(d, "engine discovery request not sent; will retry", "err", err)
	}
}

// handle matches a datagram to the inform destination it came from.
func (r *runner) handle(p inbound, now time.Time) {
	ver := peekVersion(p.data)
	for _, d := range r.byAddr[p.from] {
		switch {
		case d.usm == nil && ver == int(gosnmp.Version2c):
			if r.handleV2(d, p.data) {
				return
			}
		case d.usm != nil && ver == int(gosnmp.Version3):
			if r.handleV3(d, p.data, now) {
				return
			}
		}
	}
	r.s.log.Debug("notify: ignoring unmatched datagram", "from", p.from, "bytes", len(p.data))
}

// peekVersion reads msgVersion from a message's first bytes (-1 if it is
// not SNMP), so only the matching decoder is tried.
func peekVersion(b []byte) int {
	if len(b) < 2 || b[0] != 0x30 {
		return -1
	}
	i := 2
	if b[1]&0x80 != 0 {
		i += int(b[1] & 0x7f)
	}
	if len(b) < i+3 || b[i] != 0x02 || b[i+1] != 0x01 {
		return -1
	}
	return int(b[i+2])
}

func (r *runner) handleV2(d *dest, data []byte) bool {
	pkt, err := decode(&gosnmp.GoSNMP{Version: gosnmp.Version2c}, data)
	if err != nil || pkt.PDUType != gosnmp.GetResponse || pkt.Community != d.cfg.Community {
		return false
	}
	f := d.run.window[pkt.RequestID]
	if f == nil {
		return false
	}
	r.ack(d, f, pkt.Error)
	return true
}

func (r *runner) ack(d *dest, f *flight, status gosnmp.SNMPError) {
	if status != gosnmp.NoError {
		r.done(d, f, &d.c.failed)
		r.failing(d, "receiver answered the inform with an error", "errorStatus", status.String())
		return
	}
	r.done(d, f, &d.c.acked)
	r.healthy(d)
}

func (r *runner) handleV3(d *dest, data []byte, now time.Time) bool {
	dec, err := d.usm.decode(data)
	if err != nil {
		d.log.Debug("undecodable SNMPv3 message", "err", err)
		return false
	}
	dr := &d.run
	pkt, sp := dec.pkt, dec.sp
	switch pkt.PDUType {
	case gosnmp.Report:
		if dr.probeMsgID != 0 && pkt.MsgID == dr.probeMsgID {
			r.discovered(d, sp, now)
			return true
		}
		f := dr.byMsg[pkt.MsgID]
		if f == nil {
			return false
		}
		r.report(d, f, dec, now)
		return true
	case gosnmp.GetResponse:
		if d.usm.level&gosnmp.AuthNoPriv != 0 && !dec.authentic {
			d.log.Debug("ignoring an unauthenticated response", "msgID", pkt.MsgID)
			return false
		}
		f := dr.window[pkt.RequestID]
		if f == nil || dr.byMsg[pkt.MsgID] != f {
			return false
		}
		if dec.authentic && d.usm.newerClock(sp.AuthoritativeEngineBoots, sp.AuthoritativeEngineTime, now) {
			d.usm.sync(sp.AuthoritativeEngineBoots, sp.AuthoritativeEngineTime, now)
		}
		r.ack(d, f, pkt.Error)
		return true
	}
	return false
}

// adopt takes the engine ID, boots and time a report carries.
func (r *runner) adopt(d *dest, sp *gosnmp.UsmSecurityParameters, now time.Time) bool {
	id := []byte(sp.AuthoritativeEngineID)
	if len(id) < 5 || len(id) > 32 {
		r.failing(d, "receiver reported an invalid engine ID", "engineID", hex.EncodeToString(id))
		return false
	}
	if err := d.usm.localize(id); err != nil {
		r.failing(d, "localizing keys to the receiver's engine", "err", err)
		return false
	}
	d.usm.sync(sp.AuthoritativeEngineBoots, sp.AuthoritativeEngineTime, now)
	return true
}

func (r *runner) discovered(d *dest, sp *gosnmp.UsmSecurityParameters, now time.Time) {
	if !r.adopt(d, sp, now) {
		return
	}
	d.run.probeMsgID, d.run.probeAt, d.run.probeTimeout = 0, time.Time{}, 0
	d.log.Info("discovered the receiver's SNMPv3 engine",
		"engineID", hex.EncodeToString(d.usm.engineID), "boots", sp.AuthoritativeEngineBoots, "time", sp.AuthoritativeEngineTime)
}

// report handles a Report answering one of our informs (RFC 3414 §3.2).
func (r *runner) report(d *dest, f *flight, dec decoded, now time.Time) {
	oid := ""
	if len(dec.pkt.Variables) > 0 {
		oid = strings.TrimPrefix(dec.pkt.Variables[0].Name, ".")
	}
	switch oid {
	case usmStatsNotInTimeWindows:
		// Only an authentic report may move our clock (RFC 3414 §3.2 7b);
		// otherwise the retransmission timer carries on.
		if !dec.authentic {
			d.log.Debug("ignoring an unauthenticated notInTimeWindow report")
			return
		}
		d.usm.sync(dec.sp.AuthoritativeEngineBoots, dec.sp.AuthoritativeEngineTime, now)
		d.log.Info("resynchronised with the receiver's engine clock",
			"boots", dec.sp.AuthoritativeEngineBoots, "time", dec.sp.AuthoritativeEngineTime)
		f.deadline = now // resend at once, as a retry
	case usmStatsUnknownEngineIDs:
		// The receiver's engine ID changed (reinstalled, reconfigured).
		if r.adopt(d, dec.sp, now) {
			d.log.Info("receiver's SNMPv3 engine changed", "engineID", hex.EncodeToString(d.usm.engineID))
			f.deadline = now
		}
	default:
		r.done(d, f, &d.c.failed)
		r.failing(d, "receiver rejected the inform", "report", reportName(oid))
	}
}

// marshalV2 encodes a v2c message. gosnmp panics on some value types
// (e.g. a non-string ObjectIdentifier value), so panics become errors.
func marshalV2(community string, t gosnmp.PDUType, reqID uint32, pdus []gosnmp.SnmpPDU) ([]byte, error) {
	pkt := &gosnmp.SnmpPacket{
		Version:   gosnmp.Version2c,
		Community: community,
		PDUType:   t,
		RequestID: reqID,
		Variables: pdus,
	}
	return marshal(pkt)
}

func marshal(pkt *gosnmp.SnmpPacket) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("encoding the message: %v", p)
		}
	}()
	b, err = pkt.MarshalMsg()
	switch {
	case err != nil:
		return nil, fmt.Errorf("encoding the message: %w", err)
	case len(b) == 0:
		// gosnmp's authenticate recovers its own panics into (nil, nil).
		return nil, errors.New("encoding the message: gosnmp returned nothing")
	}
	return b, nil
}

// decode parses a datagram; any panic in gosnmp's decoder on hostile input
// becomes an error.
func decode(x *gosnmp.GoSNMP, data []byte) (pkt *gosnmp.SnmpPacket, err error) {
	defer func() {
		if p := recover(); p != nil {
			pkt, err = nil, fmt.Errorf("decoding the message: %v", p)
		}
	}()
	return x.SnmpDecodePacket(data)
}
