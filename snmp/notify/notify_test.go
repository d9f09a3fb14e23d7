package notify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/snmp/notify/trapdtest"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

const (
	testUptime = 4242
	oidSeq     = "1.3.6.1.4.1.99999.1.1"
	oidText    = "1.3.6.1.4.1.99999.1.2"
	trapOIDStr = "1.3.6.1.4.1.99999.0.1"
)

// testEngine is our engine for v3 traps.
func testEngine() Engine {
	id, _ := hex.DecodeString("80001f8880c0ffee0001")
	return Engine{ID: id, Boots: func() uint32 { return 3 }, Time: func() uint32 { return 1234 }}
}

func seqNotification(seq int) Notification {
	return Notification{
		TrapOID: mib.MustParse(trapOIDStr),
		Varbinds: []mib.Varbind{
			{OID: mib.MustParse(oidSeq), Type: gosnmp.Gauge32, Value: uint32(seq)},
		},
	}
}

// tlog sends the sender's log to the test log, and stops when the test ends.
type tlog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tlog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// start builds a Sender and runs it until the test ends.
func start(t testing.TB, dests []Destination, eng Engine) *Sender {
	t.Helper()
	log, w := testLogger(t)
	s, err := New(dests, eng, func() uint32 { return testUptime }, log)
	if err != nil {
		t.Fatal(err)
	}
	runSender(t, s, w)
	return s
}

// testLogger logs to the test log with -v.
func testLogger(t testing.TB) (*slog.Logger, *tlog) {
	w := &tlog{t: t}
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), w
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})), w
}

func runSender(t testing.TB, s *Sender, w *tlog) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
		if w != nil {
			w.mu.Lock()
			w.done = true
			w.mu.Unlock()
		}
	})
}

// statsOf returns the named destination's stats.
func statsOf(t testing.TB, s *Sender, name string) DestStats {
	t.Helper()
	for _, st := range s.Stats() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no stats for %q", name)
	return DestStats{}
}

// waitStats polls until cond holds for the named destination.
func waitStats(t testing.TB, s *Sender, name, what string, cond func(DestStats) bool) DestStats {
	t.Helper()
	deadline := time.Now().Add(trapdtest.Guard)
	for {
		st := statsOf(t, s, name)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still waiting for %s; stats %+v", name, what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkBalance asserts that every Send is accounted for exactly once.
func checkBalance(t testing.TB, st DestStats, inform bool, sends int) {
	t.Helper()
	var got uint64
	if inform {
		got = uint64(st.Queued+st.InFlight) + st.Acked + st.Dropped + st.Expired + st.Failed
	} else {
		got = uint64(st.Queued+st.InFlight) + st.Sent + st.Dropped + st.Failed + st.Expired
	}
	if got != uint64(sends) {
		t.Errorf("%s: counters account for %d notifications, want %d: %+v", st.Name, got, sends, st)
	}
}

// seqs returns the distinct sequence numbers among records of kind.
func seqs(t testing.TB, recs []trapdtest.Record, kind string) map[int]bool {
	t.Helper()
	out := make(map[int]bool)
	for _, r := range recs {
		if r.Kind != kind {
			continue
		}
		v, ok := r.Value(oidSeq)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(v, "Gauge32: "))
		if err != nil {
			t.Fatalf("sequence varbind %q: %v", v, err)
		}
		out[n] = true
	}
	return out
}

func TestValidation(t *testing.T) {
	v3 := func(u User) Destination {
		return Destination{Name: "nms", Address: "127.0.0.1:162", Version: "3", User: u}
	}
	good := User{Name: "u", AuthProto: "SHA-256", AuthPass: "authpass", PrivProto: "AES", PrivPass: "privpass"}
	for _, tc := range []struct {
		name string
		dest Destination
		eng  Engine
		want string
	}{
		{"unknown auth", v3(User{Name: "u", AuthProto: "SHA-999", AuthPass: "authpass"}), testEngine(),
			`destination "nms": user "u": unknown authentication protocol "SHA-999"`},
		{"unknown priv", v3(User{Name: "u", AuthProto: "SHA", AuthPass: "authpass", PrivProto: "3DES", PrivPass: "privpass"}), testEngine(),
			`destination "nms": user "u": unknown privacy protocol "3DES"`},
		{"v3 without user", v3(User{}), testEngine(), `destination "nms": version 3 needs a user name`},
		{"priv without auth", v3(User{Name: "u", PrivProto: "AES", PrivPass: "privpass"}), testEngine(),
			`destination "nms": user "u": priv protocol AES needs an auth protocol`},
		{"short auth pass", v3(User{Name: "u", AuthProto: "MD5", AuthPass: "short"}), testEngine(),
			`destination "nms": user "u": auth pass phrase must have at least 8 characters`},
		{"bad address", Destination{Name: "nms", Address: "nms.example:162", Version: "2c", Community: "public"}, Engine{},
			`destination "nms": address "nms.example:162" is not IP:port`},
		{"no port", Destination{Name: "nms", Address: "127.0.0.1", Version: "2c", Community: "public"}, Engine{},
			`destination "nms": address "127.0.0.1" is not IP:port`},
		{"port zero", Destination{Name: "nms", Address: "[::1]:0", Version: "2c", Community: "public"}, Engine{},
			`destination "nms": address "[::1]:0" has port 0`},
		{"unknown version", Destination{Name: "nms", Address: "127.0.0.1:162", Version: "1", Community: "public"}, Engine{},
			`destination "nms": version "1" is not supported`},
		{"v2c without community", Destination{Name: "nms", Address: "127.0.0.1:162", Version: "2c"}, Engine{},
			`destination "nms": version 2c needs a community`},
		{"v3 trap without engine ID", v3(good), Engine{},
			`notify: engine ID has 0 octets; v3 traps need 5 to 32`},
		{"unnamed", Destination{Address: "127.0.0.1:162", Version: "2c", Community: "public"}, Engine{},
			`notify: destination #1: name is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New([]Destination{tc.dest}, tc.eng, func() uint32 { return 0 }, nil)
			if err == nil {
				t.Fatalf("New accepted %+v", tc.dest)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q\nwant one line containing %q", msg, tc.want)
			}
		})
	}

	// The same user is fine for an inform, which needs no engine of ours,
	// and protocol names are read leniently.
	d := v3(User{Name: "u", AuthProto: "sha256", AuthPass: "authpass", PrivProto: "aes-128", PrivPass: "privpass"})
	d.Inform = true
	if _, err := New([]Destination{d}, Engine{}, func() uint32 { return 0 }, nil); err != nil {
		t.Errorf("v3 inform: %v", err)
	}
}

func TestRunOnce(t *testing.T) {
	s, err := New(nil, Engine{}, func() uint32 { return 0 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a done context returned %v", err)
	}
	if err := s.Run(context.Background()); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("second Run returned %v, want an error", err)
	}
}

// TestV2cTrap checks every varbind type snmptrapd prints, and the two
// varbinds the sender prepends.
func TestV2cTrap(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n")
	s := start(t, []Destination{{Name: "trapd", Address: td.Addr, Version: "2c", Community: "public"}}, Engine{})
	s.Send(Notification{
		TrapOID: mib.MustParse(trapOIDStr),
		Varbinds: []mib.Varbind{
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.1"), Type: gosnmp.OctetString, Value: "vm-01 running"},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.2"), Type: gosnmp.Integer, Value: -7},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.3"), Type: gosnmp.Gauge32, Value: uint32(4000000000)},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.4"), Type: gosnmp.Counter32, Value: uint32(17)},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.5"), Type: gosnmp.Counter64, Value: uint64(1) << 40},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.6"), Type: gosnmp.ObjectIdentifier, Value: mib.MustParse("1.3.6.1.4.1.99999.9")},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.7"), Type: gosnmp.IPAddress, Value: "192.0.2.7"},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.8"), Type: gosnmp.TimeTicks, Value: uint32(360000)},
			{OID: mib.MustParse("1.3.6.1.4.1.99999.2.9"), Type: gosnmp.OctetString, Value: []byte{0x00, 0xfe, 0x10}},
		},
	})
	recs := td.WaitFor(t, "one trap", func(r []trapdtest.Record) bool { return len(r) >= 1 })
	r := recs[0]
	if r.Kind != "TRAP2" || r.Security != "SNMP v2c, community public" {
		t.Errorf("got %s / %s, want TRAP2 / SNMP v2c, community public", r.Kind, r.Security)
	}
	want := []trapdtest.PrintedVarbind{
		{OID: "1.3.6.1.2.1.1.3.0", Value: strconv.Itoa(testUptime)},
		{OID: "1.3.6.1.6.3.1.1.4.1.0", Value: "OID: ." + trapOIDStr},
		{OID: "1.3.6.1.4.1.99999.2.1", Value: `STRING: "vm-01 running"`},
		{OID: "1.3.6.1.4.1.99999.2.2", Value: "INTEGER: -7"},
		{OID: "1.3.6.1.4.1.99999.2.3", Value: "Gauge32: 4000000000"},
		{OID: "1.3.6.1.4.1.99999.2.4", Value: "Counter32: 17"},
		{OID: "1.3.6.1.4.1.99999.2.5", Value: "Counter64: 1099511627776"},
		{OID: "1.3.6.1.4.1.99999.2.6", Value: "OID: .1.3.6.1.4.1.99999.9"},
		{OID: "1.3.6.1.4.1.99999.2.7", Value: "IpAddress: 192.0.2.7"},
		{OID: "1.3.6.1.4.1.99999.2.8", Value: "360000"},
		{OID: "1.3.6.1.4.1.99999.2.9", Value: "Hex-STRING: 00 FE 10 "},
	}
	if fmt.Sprint(r.Varbinds) != fmt.Sprint(want) {
		t.Errorf("varbinds\n got %v\nwant %v", r.Varbinds, want)
	}
	st := waitStats(t, s, "trapd", "Sent 1", func(st DestStats) bool { return st.Sent == 1 })
	checkBalance(t, st, false, 1)
}

func TestV2cInform(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n")
	s := start(t, []Destination{{Name: "trapd", Address: td.Addr, Version: "2c", Community: "public", Inform: true}}, Engine{})
	s.Send(seqNotification(7))
	recs := td.WaitFor(t, "one inform", func(r []trapdtest.Record) bool { return len(r) >= 1 })
	if r := recs[0]; r.Kind != "INFORM" || r.Security != "SNMP v2c, community public" {
		t.Errorf("got %s / %s, want INFORM / SNMP v2c, community public", r.Kind, r.Security)
	}
	if v, _ := recs[0].Value(oidSeq); v != "Gauge32: 7" {
		t.Errorf("sequence varbind %q, want Gauge32: 7", v)
	}
	if v, _ := recs[0].Value("1.3.6.1.6.3.1.1.4.1.0"); v != "OID: ."+trapOIDStr {
		t.Errorf("snmpTrapOID.0 %q", v)
	}
	st := waitStats(t, s, "trapd", "Acked 1", func(st DestStats) bool { return st.Acked == 1 })
	if st.Sent != 1 || st.Failed != 0 || st.InFlight != 0 {
		t.Errorf("stats %+v, want Sent 1, Acked 1", st)
	}
	checkBalance(t, st, true, 1)
}

// TestV2cInformIPv6 sends over ::1.
func TestV2cInformIPv6(t *testing.T) {
	td := trapdtest.Start(t, "::1", "authCommunity log public\n")
	s := start(t, []Destination{{Name: "trapd6", Address: td.Addr, Version: "2c", Community: "public", Inform: true}}, Engine{})
	s.Send(seqNotification(6))
	td.WaitFor(t, "one inform", func(r []trapdtest.Record) bool { return seqs(t, r, "INFORM")[6] })
	waitStats(t, s, "trapd6", "Acked 1", func(st DestStats) bool { return st.Acked == 1 })
}

// TestBurst sends 1,000 notifications in a tight loop to a trap and an
// inform destination: every one arrives.
func TestBurst(t *testing.T) {
	const n = 1000
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n")
	s := start(t, []Destination{
		{Name: "trap", Address: td.Addr, Version: "2c", Community: "public"},
		{Name: "inform", Address: td.Addr, Version: "2c", Community: "public", Inform: true},
	}, Engine{})
	for i := range n {
		s.Send(seqNotification(i))
	}
	recs := td.WaitFor(t, "1,000 distinct traps and informs", func(r []trapdtest.Record) bool {
		return len(seqs(t, r, "TRAP2")) == n && len(seqs(t, r, "INFORM")) == n
	})
	// One queue, one socket, loopback: traps arrive in the order sent.
	next := 0
	for _, r := range recs {
		if r.Kind != "TRAP2" {
			continue
		}
		if v, _ := r.Value(oidSeq); v != "Gauge32: "+strconv.Itoa(next) {
			t.Fatalf("trap %d arrived as %q: out of order", next, v)
		}
		next++
	}
	trap := waitStats(t, s, "trap", "Sent 1000", func(st DestStats) bool { return st.Sent == n })
	inform := waitStats(t, s, "inform", "Acked 1000", func(st DestStats) bool { return st.Acked == n })
	if trap.Dropped != 0 || trap.Failed != 0 || inform.Dropped != 0 || inform.Failed != 0 || inform.Expired != 0 {
		t.Errorf("losses: trap %+v, inform %+v", trap, inform)
	}
	if inform.Sent != n {
		t.Errorf("inform Sent %d, want %d", inform.Sent, n)
	}
	checkBalance(t, trap, false, n)
	checkBalance(t, inform, true, n)
}

// TestQueueDropsOldest fills a queue before Run: the newest survive.
func TestQueueDropsOldest(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n")
	s, err := New([]Destination{{Name: "trapd", Address: td.Addr, Version: "2c", Community: "public", QueueSize: 10}},
		Engine{}, func() uint32 { return testUptime }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		s.Send(seqNotification(i))
	}
	if st := statsOf(t, s, "trapd"); st.Queued != 10 || st.Dropped != 15 {
		t.Fatalf("before Run: %+v, want Queued 10, Dropped 15", st)
	}
	runSender(t, s, nil)
	recs := td.WaitFor(t, "10 traps", func(r []trapdtest.Record) bool { return len(r) >= 10 })
	got := seqs(t, recs, "TRAP2")
	for i := 15; i < 25; i++ {
		if !got[i] {
			t.Errorf("trap %d missing; got %v", i, got)
		}
	}
	st := waitStats(t, s, "trapd", "Sent 10", func(st DestStats) bool { return st.Sent == 10 })
	checkBalance(t, st, false, 25)
}

// TestBadValueFails: a value gosnmp cannot encode fails in Send, counted,
// without reaching (or crashing) the sending goroutine.
func TestBadValueFails(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n")
	s := start(t, []Destination{{Name: "trapd", Address: td.Addr, Version: "2c", Community: "public"}}, Engine{})
	s.Send(Notification{TrapOID: mib.MustParse(trapOIDStr), Varbinds: []mib.Varbind{
		{OID: mib.MustParse(oidText), Type: gosnmp.ObjectIdentifier, Value: 42}, // gosnmp panics on this
	}})
	s.Send(Notification{TrapOID: mib.OID{1}})
	s.Send(seqNotification(1))
	td.WaitFor(t, "the good trap", func(r []trapdtest.Record) bool { return seqs(t, r, "TRAP2")[1] })
	st := waitStats(t, s, "trapd", "Sent 1", func(st DestStats) bool { return st.Sent == 1 })
	if st.Failed != 2 {
		t.Errorf("Failed %d, want 2", st.Failed)
	}
	checkBalance(t, st, false, 3)
	if n := len(td.Records()); n != 1 {
		t.Errorf("snmptrapd got %d notifications, want 1", n)
	}
}

const (
	authPass = "authpass123"
	privPass = "privpass123"
)

// TestV3Trap sends authPriv traps with our engine authoritative, for the
// required SHA-256 + AES-128 and the other protocols net-snmp knows.
func TestV3Trap(t *testing.T) {
	eng := testEngine()
	engHex := "0x" + hex.EncodeToString(eng.ID)
	users := []struct{ name, auth, priv, netsnmpAuth, netsnmpPriv string }{
		{"sha256aes", "SHA-256", "AES", "SHA-256", "AES"}, // the one that must work
		{"md5des", "MD5", "DES", "MD5", "DES"},
		{"shaaes", "SHA", "AES-128", "SHA", "AES"},
		{"sha224aes192", "SHA224", "AES192", "SHA-224", "AES-192"},
		{"sha384aes256", "SHA384", "AES256", "SHA-384", "AES-256"},
		{"sha512aes256c", "SHA512", "AES256C", "SHA-512", "AES-256-C"},
		{"sha256aes192c", "SHA256", "AES192C", "SHA-256", "AES-192-C"},
		{"authnopriv", "SHA-512", "", "SHA-512", ""},
		{"noauth", "", "", "", ""},
	}
	var conf strings.Builder
	var dests []Destination
	for _, u := range users {
		line := fmt.Sprintf("createUser -e %s %s", engHex, u.name)
		user := User{Name: u.name}
		if u.auth != "" {
			line += fmt.Sprintf(" %s %s", u.netsnmpAuth, authPass)
			user.AuthProto, user.AuthPass = u.auth, authPass
		}
		if u.priv != "" {
			line += fmt.Sprintf(" %s %s", u.netsnmpPriv, privPass)
			user.PrivProto, user.PrivPass = u.priv, privPass
		}
		level := "authPriv"
		switch {
		case u.auth == "":
			level = "noauth"
		case u.priv == "":
			level = "auth"
		}
		fmt.Fprintf(&conf, "%s\nauthUser log %s %s\n", line, u.name, level)
		dests = append(dests, Destination{Name: u.name, Version: "3", User: user})
	}
	td := trapdtest.Start(t, "127.0.0.1", conf.String())
	for i := range dests {
		dests[i].Address = td.Addr
	}
	s := start(t, dests, eng)
	s.Send(Notification{TrapOID: mib.MustParse(trapOIDStr), Varbinds: []mib.Varbind{
		{OID: mib.MustParse(oidText), Type: gosnmp.OctetString, Value: "v3 trap"},
	}})
	recs := td.WaitFor(t, "a trap per user", func(r []trapdtest.Record) bool { return len(r) >= len(users) })
	byUser := make(map[string]trapdtest.Record)
	for _, r := range recs {
		byUser[r.Security] = r
	}
	for _, u := range users {
		r, ok := byUser["SNMP v3, user "+u.name+", context "]
		if !ok {
			t.Errorf("%s: no trap received; got %v", u.name, recs)
			continue
		}
		if r.Kind != "TRAP2" {
			t.Errorf("%s: kind %s", u.name, r.Kind)
		}
		if v, _ := r.Value(oidText); v != `STRING: "v3 trap"` {
			t.Errorf("%s: text varbind %q", u.name, v)
		}
		if v, _ := r.Value("1.3.6.1.6.3.1.1.4.1.0"); v != "OID: ."+trapOIDStr {
			t.Errorf("%s: snmpTrapOID.0 %q", u.name, v)
		}
		if v, _ := r.Value("1.3.6.1.2.1.1.3.0"); v != strconv.Itoa(testUptime) {
			t.Errorf("%s: sysUpTime.0 %q", u.name, v)
		}
	}
	// The receiver can see a trap before the sender has counted it sent.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var bad []string
		for _, st := range s.Stats() {
			if st.Sent != 1 || st.Failed != 0 {
				bad = append(bad, fmt.Sprintf("%s: %+v, want Sent 1", st.Name, st))
			}
		}
		if len(bad) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Error(strings.Join(bad, "; "))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const v3InformConf = "createUser iuser SHA-256 " + authPass + " AES " + privPass + "\nauthUser log iuser\n"

func v3InformDest(addr string) Destination {
	return Destination{Name: "v3inform", Address: addr, Version: "3", Inform: true,
		User: User{Name: "iuser", AuthProto: "SHA-256", AuthPass: authPass, PrivProto: "AES", PrivPass: privPass}}
}

// TestV3Inform: the receiver is authoritative. The sender discovers its
// engine and sends authPriv informs; snmptrapd then restarts with a new
// engine ID (it keeps none across restarts unless configured), answers the
// next inform with an unknownEngineID report, and the sender follows.
func TestV3Inform(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", v3InformConf)
	s := start(t, []Destination{v3InformDest(td.Addr)}, testEngine())
	s.Send(seqNotification(1))
	recs := td.WaitFor(t, "inform 1", func(r []trapdtest.Record) bool { return seqs(t, r, "INFORM")[1] })
	if r := recs[0]; r.Security != "SNMP v3, user iuser, context " {
		t.Errorf("security %q", r.Security)
	}
	if v, _ := recs[0].Value("1.3.6.1.6.3.1.1.4.1.0"); v != "OID: ."+trapOIDStr {
		t.Errorf("snmpTrapOID.0 %q", v)
	}
	st := waitStats(t, s, "v3inform", "Acked 1", func(st DestStats) bool { return st.Acked == 1 })
	if st.Retried != 0 {
		t.Errorf("first inform retried: %+v", st)
	}

	td.Restart(t)
	s.Send(seqNotification(2))
	td.WaitFor(t, "inform 2", func(r []trapdtest.Record) bool { return seqs(t, r, "INFORM")[2] })
	st = waitStats(t, s, "v3inform", "Acked 2", func(st DestStats) bool { return st.Acked == 2 })
	if st.Retried == 0 || st.Failed != 0 {
		t.Errorf("after restart: %+v, want a resend after the unknownEngineID report and no failure", st)
	}
	checkBalance(t, st, true, 2)
}

// TestV3InformResync: our estimate of the receiver's clock is far off (as
// after a receiver restart that kept its engine ID; snmptrapd does not
// count boots up). snmptrapd answers with an authenticated
// notInTimeWindow report; the sender takes its clock and resends.
func TestV3InformResync(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", "engineID vbtest\n"+v3InformConf)
	log, w := testLogger(t)
	s, err := New([]Destination{v3InformDest(td.Addr)}, Engine{}, func() uint32 { return testUptime }, log)
	if err != nil {
		t.Fatal(err)
	}
	// Before Run, so no race: as if discovered long ago. net-snmp makes a
	// text engine ID of enterprise 8072 (0x80001f88), format 4, the text.
	d := s.dests[0]
	if err := d.usm.localize(append([]byte{0x80, 0x00, 0x1f, 0x88, 0x04}, "vbtest"...)); err != nil {
		t.Fatal(err)
	}
	d.usm.sync(1, 100000, time.Now())
	runSender(t, s, w)
	s.Send(seqNotification(1))
	td.WaitFor(t, "inform 1", func(r []trapdtest.Record) bool { return seqs(t, r, "INFORM")[1] })
	st := waitStats(t, s, "v3inform", "Acked 1", func(st DestStats) bool { return st.Acked == 1 })
	if st.Retried != 1 || st.Failed != 0 {
		t.Errorf("%+v, want one resend after the notInTimeWindow report", st)
	}
}

// TestV3InformWrongPass: the receiver's wrongDigest report fails the
// inform at once, not after its retries.
func TestV3InformWrongPass(t *testing.T) {
	td := trapdtest.Start(t, "127.0.0.1", v3InformConf)
	d := v3InformDest(td.Addr)
	d.User.AuthPass = "not-the-pass"
	d.Timeout = maxTimeout // a retry would take long: only the report can fail it
	s := start(t, []Destination{d}, Engine{})
	s.Send(seqNotification(1))
	st := waitStats(t, s, "v3inform", "Failed 1", func(st DestStats) bool { return st.Failed == 1 })
	if st.Acked != 0 || st.Retried != 0 {
		t.Errorf("%+v", st)
	}
	if n := len(td.Records()); n != 0 {
		t.Errorf("snmptrapd logged %d notifications with a wrong pass phrase", n)
	}
}

// blackhole is a UDP socket that receives and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().String()
}

// TestDownDestinations: destinations at a closed port or a silent socket
// retry, fail and expire on their own while a good one gets everything.
func TestDownDestinations(t *testing.T) {
	const n = 100
	td := trapdtest.Start(t, "127.0.0.1", "authCommunity log public\n"+v3InformConf)
	closed := fmt.Sprintf("127.0.0.1:%d", trapdtest.FreeUDPPort(t, "127.0.0.1"))
	silent := blackhole(t)
	s := start(t, []Destination{
		{Name: "good", Address: td.Addr, Version: "2c", Community: "public", Inform: true},
		{Name: "goodv3", Address: td.Addr, Version: "3", Inform: true, User: v3InformDest("").User},
		// Retries run out: Failed.
		{Name: "closed", Address: closed, Version: "2c", Community: "public", Inform: true,
			Timeout: 10 * time.Millisecond, Retries: 3},
		// Expire comes first: Expired, in flight and still queued.
		{Name: "silent", Address: silent, Version: "2c", Community: "public", Inform: true,
			Timeout: 10 * time.Millisecond, Retries: 1000, Expire: 300 * time.Millisecond},
		// Defaults: its first retry is a second away, expiry five minutes.
		{Name: "slow", Address: silent, Version: "2c", Community: "public", Inform: true},
		{Name: "slowv3", Address: silent, Version: "3", Inform: true, User: v3InformDest("").User},
		{Name: "closedtrap", Address: closed, Version: "2c", Community: "public"},
	}, Engine{})
	for i := range n {
		s.Send(seqNotification(i))
	}
	td.WaitFor(t, "every inform to the good destinations", func(r []trapdtest.Record) bool {
		v2, v3 := 0, 0
		for _, rec := range r {
			if rec.Security == "SNMP v3, user iuser, context " {
				v3++
			} else {
				v2++
			}
		}
		return v2 >= n && v3 >= n && len(seqs(t, r, "INFORM")) == n
	})
	waitStats(t, s, "good", "Acked 100", func(st DestStats) bool { return st.Acked == n })
	waitStats(t, s, "goodv3", "Acked 100", func(st DestStats) bool { return st.Acked == n })
	// The slow destinations cannot have given up on anything yet: their
	// first expiry is minutes away.
	if st := statsOf(t, s, "slow"); st.Acked != 0 || st.InFlight != defaultWindow || st.Queued != n-defaultWindow {
		t.Errorf("slow: %+v, want a full window of %d in flight and the rest queued", st, defaultWindow)
	}
	if st := statsOf(t, s, "slowv3"); st.Sent != 0 || st.Queued != n {
		t.Errorf("slowv3 (no engine discovered): %+v, want all %d queued", st, n)
	}

	st := waitStats(t, s, "closed", "all failed", func(st DestStats) bool { return st.Failed == n })
	if st.Retried != 3*n || st.Acked != 0 || st.Expired != 0 {
		t.Errorf("closed: %+v, want 3 retries each", st)
	}
	checkBalance(t, st, true, n)
	st = waitStats(t, s, "silent", "all expired", func(st DestStats) bool { return st.Expired == n })
	if st.Failed != 0 || st.Acked != 0 {
		t.Errorf("silent: %+v, want all expired", st)
	}
	checkBalance(t, st, true, n)
	st = statsOf(t, s, "closedtrap")
	checkBalance(t, st, false, n)
	for _, name := range []string{"good", "goodv3", "slow", "slowv3"} {
		checkBalance(t, statsOf(t, s, name), true, n)
	}
}
