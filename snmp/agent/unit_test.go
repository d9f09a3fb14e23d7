package agent

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

func handlerAgent(t testing.TB, mutate func(*Config)) (*Agent, *testMIB) {
	t.Helper()
	cfg := testConfig(t)
	cfg.Listen = nil
	if mutate != nil {
		mutate(&cfg)
	}
	tm := newTestMIB(t)
	a, err := New(cfg, func() *mib.Tree { return tm.tree })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, tm
}

// TestSizeIsEncodedSize: the arithmetic GETBULK and tooBig rely on agrees
// with the encoder, across length-octet boundaries and every protocol.
func TestSizeIsEncodedSize(t *testing.T) {
	a, _ := handlerAgent(t, nil)
	var users []*usmUser
	for _, u := range a.users {
		users = append(users, u)
	}
	lens := []int{0, 1, 100, 101, 110, 127, 128, 200, 255, 256, 300, 1000, 65535 - 60, 65536, 70000}
	for _, n := range lens {
		vbl := bytes.Repeat([]byte{0x42}, n)
		check := func(r *response) {
			t.Helper()
			if got, want := len(a.encode(r, vbl)), a.size(r, n); got != want {
				t.Fatalf("vbl %d, version %d, level %d: encoded %d, size says %d", n, r.version, r.level, got, want)
			}
		}
		for _, reqID := range []int32{0, 1, -1, 127, 128, math.MaxInt32, math.MinInt32} {
			check(&response{version: version2c, community: []byte("public"), pduType: pduResponse, requestID: reqID, errStatus: 5, errIndex: 300})
			check(&response{version: version1, community: bytes.Repeat([]byte("c"), 200), pduType: pduResponse, requestID: reqID})
		}
		for _, u := range users {
			for _, level := range []byte{levelNoAuth, levelAuth, levelPriv} {
				if level > u.level {
					continue
				}
				r := &response{version: version3, msgID: 99999, level: level, user: u, userName: []byte(u.name),
					ctxEngineID: a.engineID, boots: a.boots, time: 1 << 20, pduType: pduResponse, requestID: 5}
				check(r)
			}
		}
	}
}

func TestViews(t *testing.T) {
	v, err := newView(View{
		Included: []mib.OID{{1, 3, 6, 1, 2}, {1, 3, 6, 1, 2, 1, 5, 7}, {1, 3, 6, 1, 4, 1, 9, 0}},
		Excluded: []mib.OID{{1, 3, 6, 1, 2, 1, 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for oid, want := range map[string]bool{
		"1.3.6.1.2":         true,
		"1.3.6.1.2.1.4.9":   true,
		"1.3.6.1.2.1.5":     false,
		"1.3.6.1.2.1.5.6.1": false,
		"1.3.6.1.2.1.5.7":   true, // included again below the exclusion
		"1.3.6.1.2.1.5.7.9": true,
		"1.3.6.1.2.1.5.8":   false,
		"1.3.6.1.2.1.6":     true,
		"1.3.6.1.3":         false,
		"1.3.6.1.4.1.9":     false,
		"1.3.6.1.4.1.9.0":   true,
		"1.3.6.1":           false,
	} {
		if got := v.contains(mib.MustParse(oid)); got != want {
			t.Errorf("contains(%s) = %v", oid, got)
		}
	}
	if _, err := newView(View{Included: []mib.OID{{1, 3}}, Excluded: []mib.OID{{1, 3}}}); err == nil {
		t.Error("a subtree both included and excluded was accepted")
	}

	// next jumps over hidden rows without visiting them one by one.
	counting := &countingMIB{MIB: newTestMIB(t).tree}
	restricted, err := newView(View{
		Included: []mib.OID{mib.MustParse(testRoot)},
		Excluded: []mib.OID{mib.MustParse(oidEntry + ".2"), mib.MustParse(testRoot + ".1.7")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for o := mib.MustParse(testRoot + ".1.6.0"); ; {
		vb, ok := restricted.next(counting, o)
		if !ok || len(got) == 3 {
			break
		}
		got = append(got, vb.OID.String())
		o = vb.OID
	}
	want := []string{"1.3.6.1.4.1.32473.2.2.1.3.1", "1.3.6.1.4.1.32473.2.2.1.3.2", "1.3.6.1.4.1.32473.2.2.1.3.3"}
	if !slices.Equal(got, want) {
		t.Errorf("next through the view: %v, want %v", got, want)
	}
	if counting.calls > 10 {
		t.Errorf("%d MIB calls to skip the hidden column", counting.calls)
	}
	// Nothing visible after the last instance.
	if vb, ok := restricted.next(counting, mib.MustParse(oidStrTable+".1.3.5.97.108.112.104.97")); ok {
		t.Errorf("past the end: %v", vb)
	}
	// An included subtree that is itself an instance.
	single, _ := newView(View{Included: []mib.OID{mib.MustParse(oidGauge), mib.MustParse(oidDescr)}})
	if vb, ok := single.next(counting, mib.OID{1}); !ok || vb.OID.String() != oidDescr[1:] {
		t.Errorf("first of single instances: %v %v", vb, ok)
	}
	if vb, ok := single.next(counting, mib.MustParse(oidDescr)); !ok || vb.OID.String() != oidGauge[1:] || vb.Value != uint32(4000000000) {
		t.Errorf("second of single instances: %v %v", vb, ok)
	}
}

type countingMIB struct {
	mib.MIB
	calls int
}

func (c *countingMIB) Next(o mib.OID) (mib.Varbind, bool) { c.calls++; return c.MIB.Next(o) }
func (c *countingMIB) Get(o mib.OID) mib.Varbind          { c.calls++; return c.MIB.Get(o) }

func TestValues(t *testing.T) {
	cases := []struct {
		vb   mib.Varbind
		want any // decoded back
	}{
		{mib.Varbind{Type: gosnmp.Integer, Value: -129}, -129},
		{mib.Varbind{Type: gosnmp.Integer, Value: int32(math.MinInt32)}, math.MinInt32},
		{mib.Varbind{Type: gosnmp.Integer, Value: uint16(65535)}, 65535},
		{mib.Varbind{Type: gosnmp.OctetString, Value: "x"}, []byte("x")},
		{mib.Varbind{Type: gosnmp.OctetString, Value: []byte{}}, []byte{}},
		{mib.Varbind{Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4294967295"}, ".1.3.6.1.4294967295"},
		{mib.Varbind{Type: gosnmp.ObjectIdentifier, Value: mib.OID{2, 999, 3}}, ".2.999.3"},
		{mib.Varbind{Type: gosnmp.ObjectIdentifier, Value: "0.0"}, ".0.0"},
		{mib.Varbind{Type: gosnmp.IPAddress, Value: "::ffff:10.1.2.3"}, "10.1.2.3"},
		{mib.Varbind{Type: gosnmp.Counter32, Value: uint32(math.MaxUint32)}, uint32(math.MaxUint32)},
		{mib.Varbind{Type: gosnmp.Gauge32, Value: 0}, uint32(0)},
		{mib.Varbind{Type: gosnmp.TimeTicks, Value: uint(128)}, uint32(128)},
		{mib.Varbind{Type: gosnmp.Counter64, Value: uint64(math.MaxUint64)}, uint64(math.MaxUint64)},
		{mib.Varbind{Type: gosnmp.Null}, nil},
	}
	for _, c := range cases {
		b, err := appendVarbind(nil, mib.OID{1, 3, 6}, c.vb)
		if err != nil {
			t.Errorf("%v: %v", c.vb, err)
			continue
		}
		vb, err := newReader(b).enter(tagSequence)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := vb.expect(tagOID); err != nil {
			t.Fatal(err)
		}
		tag, s, e, err := vb.next()
		if err != nil || tag != byte(c.vb.Type) {
			t.Fatalf("%v: tag %#x %v", c.vb, tag, err)
		}
		got, ok, err := decodeValue(tag, b[s:e])
		if err != nil || !ok {
			t.Errorf("%v: %v %v", c.vb, ok, err)
		}
		if bg, isBytes := got.([]byte); isBytes && bytes.Equal(bg, c.want.([]byte)) {
			continue
		}
		if got != c.want {
			t.Errorf("%v: decoded %#v, want %#v", c.vb, got, c.want)
		}
	}
	for _, bad := range []mib.Varbind{
		{Type: gosnmp.Integer, Value: int64(math.MaxInt32) + 1},
		{Type: gosnmp.Integer, Value: "1"},
		{Type: gosnmp.Counter32, Value: -1},
		{Type: gosnmp.Counter32, Value: uint64(math.MaxUint32) + 1},
		{Type: gosnmp.IPAddress, Value: "2001:db8::1"},
		{Type: gosnmp.ObjectIdentifier, Value: "1"},
		{Type: gosnmp.ObjectIdentifier, Value: "1.40"},
		{Type: gosnmp.BitString, Value: []byte{1}},
		{Type: gosnmp.OctetString, Value: 5},
	} {
		if b, err := appendVarbind([]byte{9}, mib.OID{1, 3}, bad); err == nil || !bytes.Equal(b, []byte{9}) {
			t.Errorf("%v encoded: %x", bad, b)
		}
	}
	// Decoding is strict where the content cannot be the tag's.
	for _, c := range []struct {
		tag     byte
		content []byte
	}{
		{tagInteger, []byte{1, 2, 3, 4, 5}},
		{tagIPAddress, []byte{1, 2, 3}},
		{tagCounter32, []byte{1, 0, 0, 0, 0}},
		{tagOID, []byte{0x2b, 0x80, 0x01}},
		{tagOID, []byte{0x2b, 0x86}},
		{tagNull, []byte{0}},
	} {
		if _, ok, err := decodeValue(c.tag, c.content); ok || err != nil {
			t.Errorf("%#x %x: ok %v err %v", c.tag, c.content, ok, err)
		}
	}
	if _, _, err := decodeValue(0x45, nil); err == nil {
		t.Error("NsapAddress accepted")
	}
	// Redundant leading octets, as gosnmp sends msgID.
	if v, err := parseInt([]byte{0, 0, 0, 5}); v != 5 || err != nil {
		t.Errorf("parseInt: %d %v", v, err)
	}
	if v, err := parseInt([]byte{0xff, 0xff, 0x80}); v != -128 || err != nil {
		t.Errorf("parseInt: %d %v", v, err)
	}
}

// TestRequestIDEcho: a request-id is an INTEGER; negative ones come back
// as they went (gosnmp's packet type would make them positive).
func TestRequestIDEcho(t *testing.T) {
	a, _ := handlerAgent(t, nil)
	for _, id := range []int32{-1, math.MinInt32, 0, math.MaxInt32} {
		p := appendInt(nil, tagInteger, int64(id))
		p = appendInt(p, tagInteger, 0)
		p = appendInt(p, tagInteger, 0)
		vbl, _ := appendVarbind(nil, mib.MustParse(oidCount), mib.Varbind{Type: gosnmp.Null})
		p = appendTLV(p, tagSequence, vbl)
		p = wrap(p, 0, pduGet)
		m := appendInt(nil, tagInteger, version2c)
		m = appendTLV(m, tagOctets, []byte("public"))
		m = wrap(append(m, p...), 0, tagSequence)
		resp := a.handle(context.Background(), m)
		r, _, err := decodeVersion(resp)
		if err != nil {
			t.Fatal(err)
		}
		cm, err := decodeCommunityMsg(r, version2c)
		if err != nil {
			t.Fatal(err)
		}
		if cm.pdu.requestID != id || cm.pdu.typ != pduResponse {
			t.Errorf("request-id %d came back as %d", id, cm.pdu.requestID)
		}
	}
}

// TestTooBig: a GET whose answer does not fit gets tooBig: no varbinds
// in v2c, the request's in v1.
func TestTooBig(t *testing.T) {
	a, _ := handlerAgent(t, func(c *Config) { c.MaxMessageSize = 484 })
	x := &gosnmp.GoSNMP{Community: "public"}
	for _, version := range []gosnmp.SnmpVersion{gosnmp.Version1, gosnmp.Version2c} {
		x.Version = version
		var pdus []gosnmp.SnmpPDU
		for i := 1; i <= 20; i++ {
			pdus = append(pdus, gosnmp.SnmpPDU{Name: fmt.Sprintf("%s.2.%d", oidEntry, i), Type: gosnmp.Null})
		}
		pkt := x.MkSnmpPacket(gosnmp.GetRequest, pdus, 0, 0)
		pkt.RequestID = 9
		req, err := pkt.MarshalMsg()
		if err != nil {
			t.Fatal(err)
		}
		if len(req) > 484 {
			t.Fatalf("request of %d octets", len(req))
		}
		resp := a.handle(context.Background(), req)
		p, err := x.SnmpDecodePacket(resp)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if version == gosnmp.Version1 {
			want = len(pdus)
		}
		if p.Error != gosnmp.TooBig || p.ErrorIndex != 0 || len(p.Variables) != want || len(resp) > 484 {
			t.Errorf("v%s: %v at %d, %d varbinds, %d octets", version, p.Error, p.ErrorIndex, len(p.Variables), len(resp))
		}
	}
}

func TestConfigErrors(t *testing.T) {
	base := func(t *testing.T) Config { c := testConfig(t); c.Listen = nil; return c }
	cases := map[string]func(*Config){
		"no state dir":            func(c *Config) { c.StateDir = "" },
		"small max size":          func(c *Config) { c.MaxMessageSize = 483 },
		"large max size":          func(c *Config) { c.MaxMessageSize = 65508 },
		"short engine ID":         func(c *Config) { c.EngineID = []byte{1, 2, 3, 4} },
		"zero engine ID":          func(c *Config) { c.EngineID = make([]byte, 8) },
		"unknown view":            func(c *Config) { c.Communities[0].ReadView = "nope" },
		"ro write view":           func(c *Config) { c.Communities[0].WriteView = "all" },
		"rw without write view":   func(c *Config) { c.Communities[1].WriteView = "" },
		"duplicate community":     func(c *Config) { c.Communities[1].Name = "public" },
		"short passphrase":        func(c *Config) { c.Users[1].AuthPass = "1234567" },
		"priv without auth":       func(c *Config) { c.Users[0].PrivProto, c.Users[0].PrivPass = "AES", "12345678" },
		"unknown auth":            func(c *Config) { c.Users[1].AuthProto = "SHA3" },
		"unknown priv":            func(c *Config) { c.Users[8].PrivProto = "3DES" },
		"noauth writer":           func(c *Config) { c.Users[0].WriteView = "all" },
		"duplicate user":          func(c *Config) { c.Users[1].Name = "noauth" },
		"long user name":          func(c *Config) { c.Users[1].Name = strings.Repeat("u", 33) },
		"listen on a bad address": func(c *Config) { c.Listen = []string{"256.0.0.1:0"} },
	}
	for name, mutate := range cases {
		cfg := base(t)
		mutate(&cfg)
		if a, err := New(cfg, func() *mib.Tree { return nil }); err == nil {
			a.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	// A corrupt state file is an error, not a reset of snmpEngineBoots.
	cfg := base(t)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, stateFile), []byte(`{"engineID":"80007ed9","engineBoots":3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, func() *mib.Tree { return nil }); err == nil {
		t.Error("corrupt state accepted")
	}
	// At the latch, boots stays.
	if err := os.WriteFile(filepath.Join(cfg.StateDir, stateFile), []byte(`{"engineID":"80007ed905aabbccdd","engineBoots":2147483647}`), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, func() *mib.Tree { return nil })
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, boots, _ := a.Engine(); boots != maxBoots {
		t.Errorf("boots %d past the latch", boots)
	}
}

func TestRunTwice(t *testing.T) {
	ta := startAgent(t, testConfig(t))
	if p := v2cGet(t, addr4(ta), oidDescr); string(p.Variables[0].Value.([]byte)) != "virtbridge test agent" {
		t.Fatalf("not serving: %v", p.Variables)
	}
	if err := ta.Run(context.Background()); err == nil {
		t.Error("second Run accepted")
	}
	// Close stops Run too.
	if err := ta.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-ta.done; err != nil {
		t.Fatal(err)
	}
	ta.stopOnce.Do(ta.cancel) // stopped already
	// The sockets are closed.
	for _, ad := range ta.Addrs() {
		if c, err := listen(ad.String()); err != nil {
			t.Errorf("port still taken: %v", err)
		} else {
			c.Close()
		}
	}
}

// TestDispatchEdges covers answers the command-line tools cannot ask for.
func TestDispatchEdges(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = nil
	tm := newTestMIB(t)
	broken := mib.NewScalars(mib.OID{1, 3, 6, 1, 4, 1, 32473, 3},
		mib.Scalar{OID: mib.OID{1, 3, 6, 1, 4, 1, 32473, 3, 1}, Type: gosnmp.Integer, Get: func() any { return "not a number" }})
	tree, err := mib.NewTree(append(tm.tree.Subtrees(), broken)...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, func() *mib.Tree { return tree })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	roundTrip := func(version gosnmp.SnmpVersion, community string, typ gosnmp.PDUType, nonRep uint8, maxRep uint32, pdus ...gosnmp.SnmpPDU) *gosnmp.SnmpPacket {
		t.Helper()
		x := &gosnmp.GoSNMP{Version: version, Community: community}
		pkt := x.MkSnmpPacket(typ, pdus, nonRep, maxRep)
		pkt.RequestID = 11
		req, err := pkt.MarshalMsg()
		if err != nil {
			t.Fatal(err)
		}
		resp := a.handle(ctx, req)
		if resp == nil {
			return nil
		}
		p, err := x.SnmpDecodePacket(resp)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	null := func(oid string) gosnmp.SnmpPDU { return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Null} }
	bad := ".1.3.6.1.4.1.32473.3.1.0"

	// A value the MIB cannot send: genErr on its varbind, for every read.
	for _, c := range []struct {
		version gosnmp.SnmpVersion
		typ     gosnmp.PDUType
		pdus    []gosnmp.SnmpPDU
		index   uint8
	}{
		{gosnmp.Version2c, gosnmp.GetRequest, []gosnmp.SnmpPDU{null(oidDescr), null(bad)}, 2},
		{gosnmp.Version1, gosnmp.GetRequest, []gosnmp.SnmpPDU{null(oidDescr), null(bad)}, 2},
		{gosnmp.Version2c, gosnmp.GetNextRequest, []gosnmp.SnmpPDU{null(".1.3.6.1.4.1.32473.3")}, 1},
		{gosnmp.Version2c, gosnmp.GetBulkRequest, []gosnmp.SnmpPDU{null(oidDescr), null(oidStrTable + ".1.3.5.97.108.112.104.97")}, 2},
	} {
		p := roundTrip(c.version, "public", c.typ, 1, 3, c.pdus...)
		if p.Error != gosnmp.GenErr || p.ErrorIndex != c.index || len(p.Variables) != len(c.pdus) || p.Variables[0].Type != gosnmp.Null {
			t.Errorf("%v %v: %v at %d, %v", c.version, c.typ, p.Error, p.ErrorIndex, p.Variables)
		}
	}

	// A SET value whose content cannot be its type: wrongEncoding, or
	// badValue in SNMPv1, and nothing committed.
	for version, want := range map[gosnmp.SnmpVersion]gosnmp.SNMPError{gosnmp.Version2c: gosnmp.WrongEncoding, gosnmp.Version1: gosnmp.BadValue} {
		x := &gosnmp.GoSNMP{Version: version, Community: "private"}
		pkt := x.MkSnmpPacket(gosnmp.SetRequest, []gosnmp.SnmpPDU{
			{Name: oidCount, Type: gosnmp.Integer, Value: 5},
			{Name: oidAddr, Type: gosnmp.IPAddress, Value: []byte{10, 0, 0}}}, 0, 0)
		req, err := pkt.MarshalMsg()
		if err != nil {
			t.Fatal(err)
		}
		// gosnmp cannot read the 3-octet IpAddress we echo; we can.
		r, v, err := decodeVersion(a.handle(ctx, req))
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeCommunityMsg(r, v)
		if err != nil {
			t.Fatal(err)
		}
		if m.pdu.errStatus != int32(want) || m.pdu.errIndex != 2 || !bytes.Equal(m.pdu.raw[1][len(m.pdu.raw[1])-5:], []byte{0x40, 3, 10, 0, 0}) {
			t.Errorf("v%v: %v at %d", version, m.pdu.errStatus, m.pdu.errIndex)
		}
	}
	if c := tm.commitLog(); len(c) != 0 {
		t.Errorf("committed %v", c)
	}

	// GETBULK: non-repeaters beyond the list, no repetitions.
	p := roundTrip(gosnmp.Version2c, "public", gosnmp.GetBulkRequest, 9, 5, null(oidDescr), null(oidCount))
	if len(p.Variables) != 2 || p.Variables[0].Name != oidCount || p.Variables[1].Name != oidBig {
		t.Errorf("all non-repeaters: %v", p.Variables)
	}
	p = roundTrip(gosnmp.Version2c, "public", gosnmp.GetBulkRequest, 1, 0, null(oidDescr), null(oidCount))
	if len(p.Variables) != 1 || p.Variables[0].Name != oidCount {
		t.Errorf("no repetitions: %v", p.Variables)
	}
	// Past the end every repetition says endOfMibView once, then stops.
	p = roundTrip(gosnmp.Version2c, "public", gosnmp.GetBulkRequest, 0, 50, null(".1.3.6.1.6.3.15.1.1.5.0"), null(".1.4"))
	if len(p.Variables) != 4 || p.Variables[0].Name != oidUsmDecryptErrs || p.Variables[1].Type != gosnmp.EndOfMibView ||
		p.Variables[2].Name != oidUsmDecryptErrs || p.Variables[2].Type != gosnmp.EndOfMibView || p.Variables[3].Name != ".1.4" {
		t.Errorf("at the end: %v", p.Variables)
	}

	// What is no request goes unanswered and uncounted; a v1 Trap too.
	before := a.stats.inASNParseErrs.Load()
	if p := roundTrip(gosnmp.Version2c, "public", gosnmp.GetResponse, 0, 0, null(oidDescr)); p != nil {
		t.Errorf("answered a response: %v", p)
	}
	x := &gosnmp.GoSNMP{Version: gosnmp.Version1, Community: "public"}
	trap := x.MkSnmpPacket(gosnmp.Trap, nil, 0, 0)
	trap.Enterprise, trap.AgentAddress = ".1.3.6.1.4.1.32473", "192.0.2.7"
	b, err := trap.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	if resp := a.handle(ctx, b); resp != nil || a.stats.inASNParseErrs.Load() != before {
		t.Errorf("v1 trap: %x, parse errors %d -> %d", resp, before, a.stats.inASNParseErrs.Load())
	}

	// An Inform to us: snmpUnknownPDUHandlers, at the request's level.
	req := v3Request{user: userNamed(t, "sha"), pduType: gosnmp.InformRequest, oids: []string{oidDescr}}
	rp := req.decode(t, a, a.handle(ctx, req.encode(t, a)))
	if rp.PDUType != gosnmp.Report || rp.Variables[0].Name != ".1.3.6.1.6.3.11.2.1.3.0" || rp.MsgFlags != gosnmp.AuthNoPriv {
		t.Errorf("inform: %v %v %v", rp.PDUType, rp.Variables, rp.MsgFlags)
	}
}

// BenchmarkHandle measures one request from datagram in to datagram out.
func BenchmarkHandle(b *testing.B) {
	a, _ := handlerAgent(b, nil)
	v2c := func(typ gosnmp.PDUType, maxRep uint32, oids ...string) []byte {
		x := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public"}
		var pdus []gosnmp.SnmpPDU
		for _, o := range oids {
			pdus = append(pdus, gosnmp.SnmpPDU{Name: o, Type: gosnmp.Null})
		}
		pkt := x.MkSnmpPacket(typ, pdus, 0, maxRep)
		out, err := pkt.MarshalMsg()
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name string
		pkt  []byte
	}{
		{"v2c get", v2c(gosnmp.GetRequest, 0, oidDescr)},
		{"v2c getbulk 2x50", v2c(gosnmp.GetBulkRequest, 50, oidEntry+".2", oidEntry+".4")},
		{"v3 authPriv get", v3Request{user: userNamed(b, "sha256aes"), pduType: gosnmp.GetRequest, oids: []string{oidDescr}}.encode(b, a)},
		{"v3 authPriv getbulk 2x50", v3Request{user: userNamed(b, "sha256aes"), pduType: gosnmp.GetBulkRequest, oids: []string{oidEntry + ".2", oidEntry + ".4"}, maxRep: 50}.encode(b, a)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, len(c.pkt))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, c.pkt) // handle zeroes the MAC in place
				if a.handle(context.Background(), buf) == nil {
					b.Fatal("no answer")
				}
			}
		})
	}
}
