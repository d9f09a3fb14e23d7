// Package agent is virtbridge's SNMP agent: SNMPv1 and SNMPv2c with
// communities, SNMPv3 with the User-based Security Model (RFC 3414), views
// as a minimal VACM, and GET, GETNEXT, GETBULK and SET (RFC 3416) over the
// MIB the rest of virtbridge builds with package mib. It also instruments
// its own objects: the SNMPv2-MIB snmp group, snmpEngine, usmStats and the
// counters its Reports carry.
//
// Where the RFCs leave a choice, or this agent simplifies:
//
//   - Only the default context ("") is served: another contextName gets a
//     snmpUnknownContexts Report (SNMP-TARGET-MIB, 1.3.6.1.6.3.12.1.5). A
//     contextEngineID other than ours gets snmpUnknownPDUHandlers; an empty
//     one is taken as ours.
//   - A user works at exactly the level its protocols give: a request above
//     it gets usmStatsUnsupportedSecLevels, below it authorizationError, so
//     knowing an authenticated user's name is not enough to read.
//   - Reports are noAuthNoPriv, but usmStatsNotInTimeWindows, authenticated
//     (RFC 3414 §3.2 step 7), and those raised after security succeeded
//     (unknown context, contextEngineID, Inform), at the request's level.
//     They carry the request's msgID, and its request-id when readable.
//   - A scopedPDU that does not parse after decryption is a decryption
//     error: it is what a wrong privacy key produces.
//   - SET checks every varbind against the write view before the MIB's
//     two-phase Set sees any, so noAccess wins over an earlier varbind's
//     wrongValue.
//   - A GetBulkRequest in an SNMPv1 message, like any PDU SNMPv1 lacks, is
//     a parse error (snmpInASNParseErrs); an SNMPv1 Trap is dropped
//     uncounted. Datagrams larger than MaxMessageSize count as parse errors.
//   - Responses go out from the socket the request came in on, with the
//     kernel's choice of source address: on a multi-homed host, listen on
//     each address rather than on 0.0.0.0.
package agent

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/virtbridge/virtbridge/snmp/mib"
)

// Access is what a community may do.
type Access int

const (
	ReadOnly Access = iota
	ReadWrite
)

// Community is a v1/v2c community and the views it sees.
type Community struct {
	Name      string
	Access    Access
	ReadView  string
	WriteView string // required for ReadWrite, empty for ReadOnly
}

// User is a USM user (RFC 3414). Its protocols set the one security level
// it works at: requests above it get usmStatsUnsupportedSecLevels, below
// it authorizationError. Passphrases are at least 8 characters.
type User struct {
	Name      string
	AuthProto string // "", MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPass  string
	PrivProto string // "", DES, AES, AES192, AES256, AES192C, AES256C
	PrivPass  string
	ReadView  string
	WriteView string // empty: read-only; never allowed for noAuthNoPriv
}

// Config configures an Agent.
type Config struct {
	// Listen lists UDP addresses: "127.0.0.1:1161", "[::1]:1161",
	// "0.0.0.0:161". Port 0 picks a free port; see Addrs.
	Listen []string
	// StateDir keeps the engine ID and snmpEngineBoots (required).
	StateDir string
	// EngineID overrides the generated one (RFC 3411 §5: 5 to 32 octets).
	EngineID    []byte
	Communities []Community
	Users       []User
	Views       map[string]View
	// MaxMessageSize is our msgMaxSize, 484 to 65507; 0 means 65507.
	MaxMessageSize int
	// RequestTimeout bounds one request's MIB work, a SET's Commit
	// included; 0 means 10 seconds.
	RequestTimeout time.Duration
	Logger         *slog.Logger
}

const (
	maxUDP         = 65507 // the largest IPv4 UDP payload
	defaultTimeout = 10 * time.Second
	writeTimeout   = time.Second
)

type community struct {
	readOnly    bool
	read, write *view
}

type servedTree struct {
	src, tree *mib.Tree
}

// Agent is an SNMP engine answering requests on its sockets.
type Agent struct {
	log         *slog.Logger
	engineID    []byte
	boots       uint32
	start       time.Time
	maxMsgSize  int
	reqTimeout  time.Duration
	communities map[string]*community
	users       map[string]*usmUser
	stats       stats
	authenTraps atomic.Int32
	salt        atomic.Uint64
	own         []mib.Subtree
	mib         func() *mib.Tree
	served      atomic.Pointer[servedTree]
	conns       []*net.UDPConn
	state       atomic.Int32
}

const (
	stateNew = iota
	stateRunning
	stateDone
)

// New checks cfg, counts this start in snmpEngineBoots and binds the
// sockets. m returns the MIB to serve; it is called once per request,
// and the agent's own objects are joined to it. Call Run or Close.
func New(cfg Config, m func() *mib.Tree) (*Agent, error) {
	a := &Agent{
		log:         cfg.Logger,
		maxMsgSize:  cfg.MaxMessageSize,
		reqTimeout:  cfg.RequestTimeout,
		communities: map[string]*community{},
		users:       map[string]*usmUser{},
		mib:         m,
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxMsgSize == 0 {
		a.maxMsgSize = maxUDP
	}
	if a.maxMsgSize < 484 || a.maxMsgSize > maxUDP {
		return nil, fmt.Errorf("snmp agent: MaxMessageSize %d is not between 484 and %d", a.maxMsgSize, maxUDP)
	}
	if a.reqTimeout <= 0 {
		a.reqTimeout = defaultTimeout
	}
	if m == nil {
		return nil, errors.New("snmp agent: no MIB")
	}
	if cfg.StateDir == "" {
		return nil, errors.New("snmp agent: StateDir is required: it keeps snmpEngineBoots, without which SNMPv3 messages could be replayed after a restart")
	}
	if cfg.EngineID != nil {
		if err := checkEngineID(cfg.EngineID); err != nil {
			return nil, fmt.Errorf("snmp agent: EngineID: %w", err)
		}
	}
	views := map[string]*view{}
	for name, v := range cfg.Views {
		if name == "" {
			return nil, errors.New("snmp agent: a view has no name")
		}
		w, err := newView(v)
		if err != nil {
			return nil, fmt.Errorf("snmp agent: view %q: %w", name, err)
		}
		views[name] = w
	}
	for _, c := range cfg.Communities {
		cc, err := newCommunity(c, views)
		if err != nil {
			return nil, fmt.Errorf("snmp agent: community %q: %w", c.Name, err)
		}
		if _, dup := a.communities[c.Name]; dup {
			return nil, fmt.Errorf("snmp agent: community %q is configured twice", c.Name)
		}
		a.communities[c.Name] = cc
	}

	var err error
	if a.engineID, a.boots, err = startEngine(cfg.StateDir, cfg.EngineID); err != nil {
		return nil, fmt.Errorf("snmp agent: %w", err)
	}
	a.start = time.Now()
	if a.boots == maxBoots {
		a.log.Error("snmpEngineBoots has reached its maximum: SNMPv3 authentication fails until the engine ID changes", "engineID", fmt.Sprintf("%x", a.engineID))
	}
	for _, u := range cfg.Users {
		uu, err := newUser(u, a.engineID, views)
		if err != nil {
			return nil, fmt.Errorf("snmp agent: user %q: %w", u.Name, err)
		}
		if _, dup := a.users[u.Name]; dup {
			return nil, fmt.Errorf("snmp agent: user %q is configured twice", u.Name)
		}
		a.users[u.Name] = uu
	}
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("snmp agent: seeding privacy salts: %w", err)
	}
	a.salt.Store(binary.BigEndian.Uint64(seed[:]))
	a.authenTraps.Store(2) // disabled (RFC 3418)
	a.own = a.ownSubtrees()

	for _, l := range cfg.Listen {
		c, err := listen(l)
		if err != nil {
			a.closeConns()
			return nil, fmt.Errorf("snmp agent: %w", err)
		}
		a.conns = append(a.conns, c)
	}
	return a, nil
}

func newCommunity(c Community, views map[string]*view) (*community, error) {
	if c.Name == "" {
		return nil, errors.New("empty community name")
	}
	cc := &community{readOnly: c.Access == ReadOnly}
	var err error
	if cc.read, err = lookupView(views, c.ReadView, "read"); err != nil {
		return nil, err
	}
	switch c.Access {
	case ReadOnly:
		if c.WriteView != "" {
			return nil, errors.New("a read-only community cannot have a write view")
		}
	case ReadWrite:
		if cc.write, err = lookupView(views, c.WriteView, "write"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown access %d", c.Access)
	}
	return cc, nil
}

// listen binds one UDP address. An IPv6 literal gets an IPv6-only socket,
// so "0.0.0.0:161" and "[::]:161" can both be listed.
func listen(addr string) (*net.UDPConn, error) {
	network := "udp"
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		network = "udp4"
		if ap.Addr().Is6() && !ap.Addr().Is4In6() {
			network = "udp6"
		}
	}
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, fmt.Errorf("resolving %q: %w", addr, err)
	}
	c, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, fmt.Errorf("listening on %q: %w", addr, err)
	}
	return c, nil
}

// Addrs returns the bound addresses.
func (a *Agent) Addrs() []net.Addr {
	out := make([]net.Addr, len(a.conns))
	for i, c := range a.conns {
		out[i] = c.LocalAddr()
	}
	return out
}

// Engine returns what a notification originator needs to speak for this
// engine: its ID, snmpEngineBoots, and snmpEngineTime's clock.
func (a *Agent) Engine() (id []byte, boots uint32, time func() uint32) {
	return slices.Clone(a.engineID), a.boots, a.engineTime
}

// engineTime is snmpEngineTime: seconds since this start, on the monotonic
// clock, so wall clock steps cannot move it out of other engines' windows.
func (a *Agent) engineTime() uint32 {
	return uint32(min(time.Since(a.start)/time.Second, maxBoots))
}

// Subtrees returns the agent's own MIB objects. They are joined to the MIB
// served automatically; a tree that already holds them is served as is.
func (a *Agent) Subtrees() []mib.Subtree { return slices.Clone(a.own) }

// AuthenTrapsEnabled is snmpEnableAuthenTraps (RFC 3418), for the
// notification originator.
func (a *Agent) AuthenTrapsEnabled() bool { return a.authenTraps.Load() == 1 }

// tree is the MIB one request sees: the current snapshot joined with our
// objects, built once per snapshot.
func (a *Agent) tree() mib.MIB {
	src := a.mib()
	if s := a.served.Load(); s != nil && s.src == src {
		return s.tree
	}
	subs := slices.Clone(a.own)
	if src != nil {
		for _, s := range src.Subtrees() {
			if !a.isOwn(s) {
				subs = append(subs, s)
			}
		}
	}
	t, err := mib.NewTree(subs...)
	if err != nil {
		// The snapshot overlaps our objects; serving it alone keeps the
		// agent useful and the error is logged once per snapshot.
		a.log.Error("snmp agent: cannot join the agent's objects to the MIB; serving the MIB alone", "err", err)
		t = src
	}
	a.served.Store(&servedTree{src: src, tree: t})
	if t == nil {
		return &mib.Tree{}
	}
	return t
}

// isOwn reports whether s is one of our subtrees (all *mib.Scalars; a
// plain == on interfaces could panic on an uncomparable implementation).
func (a *Agent) isOwn(s mib.Subtree) bool {
	p, ok := s.(*mib.Scalars)
	if !ok {
		return false
	}
	for _, o := range a.own {
		if o.(*mib.Scalars) == p {
			return true
		}
	}
	return false
}
