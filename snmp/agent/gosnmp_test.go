package agent

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/snmp/usm"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// These tests use gosnmp as a second, independent client: for requests
// net-snmp's tools cannot make (a small msgMaxSize, stale boots, garbage)
// and to check our messages with another decoder.

// v3Request encodes a request as user u would send it to ta's engine.
type v3Request struct {
	user          User
	pduType       gosnmp.PDUType
	oids          []string
	maxSize       uint32
	boots, time   uint32
	maxRep        uint32
	nonRep        uint8
	noReportable  bool
	contextName   string
	engineID      []byte // default: the agent's
	requestID     uint32
	msgID         uint32
	securityLevel gosnmp.SnmpV3MsgFlags // default: the user's
}

func (r v3Request) client(t testing.TB, engineID []byte) (*gosnmp.GoSNMP, *gosnmp.UsmSecurityParameters) {
	t.Helper()
	auth, err := usm.ParseAuth(r.user.AuthProto)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := usm.ParsePriv(r.user.PrivProto)
	if err != nil {
		t.Fatal(err)
	}
	flags := r.securityLevel
	if flags == 0 {
		switch {
		case priv != gosnmp.NoPriv:
			flags = gosnmp.AuthPriv
		case auth != gosnmp.NoAuth:
			flags = gosnmp.AuthNoPriv
		}
	}
	sp := &gosnmp.UsmSecurityParameters{
		UserName: r.user.Name, AuthoritativeEngineID: string(engineID),
		AuthoritativeEngineBoots: r.boots, AuthoritativeEngineTime: r.time,
		AuthenticationProtocol: auth, AuthenticationPassphrase: r.user.AuthPass,
		PrivacyProtocol: priv, PrivacyPassphrase: r.user.PrivPass,
	}
	if err := sp.InitSecurityKeys(); err != nil {
		t.Fatal(err)
	}
	return &gosnmp.GoSNMP{
		Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: flags,
		SecurityParameters: sp, ContextEngineID: string(engineID), ContextName: r.contextName,
	}, sp
}

func (r v3Request) encode(t testing.TB, a *Agent) []byte {
	t.Helper()
	id, boots, now := a.Engine()
	if r.engineID != nil {
		id = r.engineID
	}
	if r.boots == 0 && r.time == 0 {
		r.boots, r.time = boots, now()
	}
	x, sp := r.client(t, id)
	var pdus []gosnmp.SnmpPDU
	for _, o := range r.oids {
		pdus = append(pdus, gosnmp.SnmpPDU{Name: o, Type: gosnmp.Null})
	}
	if !r.noReportable {
		x.MsgFlags |= gosnmp.Reportable
	}
	pkt := x.MkSnmpPacket(r.pduType, pdus, r.nonRep, r.maxRep)
	pkt.MsgMaxSize = r.maxSize // gosnmp's client always sends 65535
	if pkt.MsgMaxSize == 0 {
		pkt.MsgMaxSize = 65507
	}
	pkt.MsgID, pkt.RequestID = r.msgID, r.requestID
	if pkt.MsgID == 0 {
		pkt.MsgID = 4242
	}
	if pkt.RequestID == 0 {
		pkt.RequestID = 777
	}
	if err := sp.InitPacket(pkt); err != nil { // the privacy salt
		t.Fatal(err)
	}
	b, err := pkt.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode checks resp's digest and decrypts it with gosnmp, as user u.
func (r v3Request) decode(t testing.TB, a *Agent, resp []byte) *gosnmp.SnmpPacket {
	t.Helper()
	id, _, _ := a.Engine()
	x, _ := r.client(t, id)
	p, err := x.UnmarshalTrap(bytes.Clone(resp), false) // verifies the MAC when x's flags ask for one
	if err != nil {
		t.Fatalf("gosnmp cannot decode our response: %v", err)
	}
	return p
}

// exchange sends pkt to addr and returns the answer.
func exchange(t testing.TB, addr string, pkt []byte) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// v2cGet asks addr for oid with community "public".
func v2cGet(t testing.TB, addr, oid string) *gosnmp.SnmpPacket {
	t.Helper()
	x := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public"}
	pkt := x.MkSnmpPacket(gosnmp.GetRequest, []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.Null}}, 0, 0)
	pkt.RequestID = 1
	b, err := pkt.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.SnmpDecodePacket(exchange(t, addr, b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func addr4(ta *testAgent) string { return strings.TrimPrefix(ta.ip4, "udp:") }
func addr6(ta *testAgent) string { return strings.TrimPrefix(ta.ip6, "udp6:") }

// TestBulkRequesterMaxSize: a GETBULK response fits the requester's
// msgMaxSize by carrying fewer varbinds (RFC 3416 §4.2.3), for every
// privacy protocol's padding.
func TestBulkRequesterMaxSize(t *testing.T) {
	ta := startAgent(t, testConfig(t))
	for _, name := range []string{"noauth", "md5", "sha512", "shades", "sha512aes256"} {
		for _, maxSize := range []uint32{484, 485, 1000, 1472} {
			req := v3Request{user: userNamed(t, name), pduType: gosnmp.GetBulkRequest, oids: []string{oidEntry + ".2", oidEntry + ".4"}, maxSize: maxSize, maxRep: 1000, nonRep: 0}
			resp := exchange(t, addr4(ta), req.encode(t, ta.Agent))
			if len(resp) > int(maxSize) {
				t.Errorf("%s, %d: response of %d octets", name, maxSize, len(resp))
			}
			p := req.decode(t, ta.Agent, resp)
			if p.PDUType != gosnmp.GetResponse || p.Error != gosnmp.NoError || p.MsgID != 4242 || p.RequestID != 777 {
				t.Fatalf("%s, %d: %v %v msgID %d requestID %d", name, maxSize, p.PDUType, p.Error, p.MsgID, p.RequestID)
			}
			if n := len(p.Variables); n < 2 || n > int(maxSize)/20 {
				t.Errorf("%s, %d: %d varbinds", name, maxSize, n)
			}
			for i, v := range p.Variables {
				row := i/2 + 1
				col := []int{2, 4}[i%2]
				if want := fmt.Sprintf("%s.%d.%d", oidEntry, col, row); v.Name != want {
					t.Fatalf("%s, %d: varbind %d is %s, want %s", name, maxSize, i, v.Name, want)
				}
			}
			// One more varbind would not have fitted.
			if int(maxSize)-len(resp) > 40 {
				t.Errorf("%s, %d: %d octets unused", name, maxSize, int(maxSize)-len(resp))
			}
		}
	}
}

// TestReports checks each USM error's Report: its counter, msgID,
// security level and our engine's identity, decoded by gosnmp.
func TestReports(t *testing.T) {
	ta := startAgent(t, testConfig(t))
	id, boots, now := ta.Engine()
	sha := userNamed(t, "sha")
	shaaes := userNamed(t, "shaaes")
	wrongAuth := sha
	wrongAuth.AuthPass = "wrong-password"
	wrongPriv := shaaes
	wrongPriv.PrivPass = "wrong-password"
	cases := []struct {
		name    string
		req     v3Request
		oid     string
		level   gosnmp.SnmpV3MsgFlags
		reqID   uint32
		decoder User
	}{
		{"discovery", v3Request{user: User{}, pduType: gosnmp.GetRequest, engineID: []byte{}}, oidUsmUnknownEngine, gosnmp.NoAuthNoPriv, 777, User{}},
		{"unknown engine", v3Request{user: sha, pduType: gosnmp.GetRequest, oids: []string{oidDescr}, engineID: []byte("\x80\x00\x00\x00\x01other")}, oidUsmUnknownEngine, gosnmp.NoAuthNoPriv, 777, User{}},
		{"unknown user", v3Request{user: User{Name: "nobody"}, pduType: gosnmp.GetRequest, oids: []string{oidDescr}}, oidUsmUnknownUsers, gosnmp.NoAuthNoPriv, 777, User{}},
		{"unsupported level", v3Request{user: User{Name: "noauth", AuthProto: "SHA", AuthPass: "whatever-pass"}, pduType: gosnmp.GetRequest, oids: []string{oidDescr}}, ".1.3.6.1.6.3.15.1.1.1.0", gosnmp.NoAuthNoPriv, 777, User{}},
		{"wrong digest", v3Request{user: wrongAuth, pduType: gosnmp.GetRequest, oids: []string{oidDescr}}, oidUsmWrongDigests, gosnmp.NoAuthNoPriv, 777, User{}},
		{"boots", v3Request{user: sha, pduType: gosnmp.GetRequest, oids: []string{oidDescr}, boots: boots + 1, time: now()}, oidUsmNotInTime, gosnmp.AuthNoPriv, 777, sha},
		{"time ahead", v3Request{user: shaaes, pduType: gosnmp.GetRequest, oids: []string{oidDescr}, boots: boots, time: now() + 200}, oidUsmNotInTime, gosnmp.AuthNoPriv, 0, User{Name: "shaaes", AuthProto: "SHA", AuthPass: shaaes.AuthPass}},
		{"decryption", v3Request{user: wrongPriv, pduType: gosnmp.GetRequest, oids: []string{oidDescr}}, oidUsmDecryptErrs, gosnmp.NoAuthNoPriv, 0, User{}},
		{"context", v3Request{user: sha, pduType: gosnmp.GetRequest, oids: []string{oidDescr}, contextName: "vm1"}, oidUnknownContexts, gosnmp.AuthNoPriv, 777, sha},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := ta.handle(context.Background(), c.req.encode(t, ta.Agent))
			if resp == nil {
				t.Fatal("no report")
			}
			d := v3Request{user: c.decoder}
			p := d.decode(t, ta.Agent, resp)
			usp := p.SecurityParameters.(*gosnmp.UsmSecurityParameters)
			switch {
			case p.PDUType != gosnmp.Report || len(p.Variables) != 1 || p.Variables[0].Name != c.oid || p.Variables[0].Type != gosnmp.Counter32:
				t.Errorf("report %v %v", p.PDUType, p.Variables)
			case p.MsgFlags != c.level || p.MsgID != 4242 || p.RequestID != c.reqID:
				t.Errorf("flags %v msgID %d requestID %d", p.MsgFlags, p.MsgID, p.RequestID)
			case usp.AuthoritativeEngineID != string(id) || usp.AuthoritativeEngineBoots != boots || usp.AuthoritativeEngineTime > now()+1:
				t.Errorf("engine %x %d %d", usp.AuthoritativeEngineID, usp.AuthoritativeEngineBoots, usp.AuthoritativeEngineTime)
			case p.ContextEngineID != string(id):
				t.Errorf("contextEngineID %x", p.ContextEngineID)
			}
			// Without the reportable flag: silence.
			c.req.noReportable = true
			if resp := ta.handle(context.Background(), c.req.encode(t, ta.Agent)); resp != nil {
				t.Error("a report for a message that did not ask for one")
			}
		})
	}
	// Within the window: an answer.
	req := v3Request{user: sha, pduType: gosnmp.GetRequest, oids: []string{oidDescr}, boots: boots, time: now() + 100}
	p := req.decode(t, ta.Agent, ta.handle(context.Background(), req.encode(t, ta.Agent)))
	if p.PDUType != gosnmp.GetResponse || len(p.Variables) != 1 || string(p.Variables[0].Value.([]byte)) != "virtbridge test agent" {
		t.Errorf("in the window: %v %v", p.PDUType, p.Variables)
	}
}

// TestGoSNMPClient reads through gosnmp's client, discovery included.
func TestGoSNMPClient(t *testing.T) {
	ta := startAgent(t, testConfig(t))
	sp := &gosnmp.UsmSecurityParameters{
		UserName: "sha512aes256", AuthenticationProtocol: gosnmp.SHA512, AuthenticationPassphrase: pass("sha512aes256"),
		PrivacyProtocol: gosnmp.AES256, PrivacyPassphrase: pass("sha512aes256") + "-priv",
	}
	clients := map[string]*gosnmp.GoSNMP{
		"v2c": {Version: gosnmp.Version2c, Community: "public"},
		"v3": {Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv,
			SecurityParameters: sp},
	}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			host, port, _ := net.SplitHostPort(addr4(ta))
			var p int
			fmt.Sscan(port, &p)
			c.Target, c.Port, c.Timeout, c.Retries = host, uint16(p), 10*time.Second, 0
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c.Context = ctx
			if err := c.Connect(); err != nil {
				t.Fatal(err)
			}
			defer c.Conn.Close()
			r, err := c.Get([]string{oidDescr, oidBig, oidGauge})
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Variables[0].Value.([]byte)) != "virtbridge test agent" || r.Variables[1].Value != uint64(1)<<40+5 || r.Variables[2].Value != uint(4000000000) {
				t.Errorf("get: %v", r.Variables)
			}
			vbs, err := c.BulkWalkAll(oidStrTable)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, v := range vbs {
				names = append(names, v.Name)
			}
			if want := strTableOIDs(); strings.Join(names, " ") != strings.Join(want, " ") {
				t.Errorf("bulkwalk %v, want %v", names, want)
			}
		})
	}
}

// garbage is what the fuzz corpus starts from, too: none of it parses.
func garbage() [][]byte {
	valid := []byte{0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
		0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00}
	return [][]byte{
		{},
		{0x30},
		{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},                                     // indefinite length
		{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02},                                     // length beyond the datagram
		{0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00},                                     // five length octets
		{0x04, 0x03, 'a', 'b', 'c'},                                                    // not a SEQUENCE
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),                                    // not SNMP at all
		valid[:len(valid)-1],                                                           // truncated
		append(bytes.Clone(valid), 0),                                                  // a trailing octet
		func() []byte { b := bytes.Clone(valid); b[13] = 0xa5 + 0x10; return b }(),     // no PDU type
		func() []byte { b := bytes.Clone(valid); b[31] = 0x80; return b }(),            // OID arc with a leading zero octet
		func() []byte { b := bytes.Clone(valid); b[4] = 0; b[13] = 0xa5; return b }(),  // GetBulk in v1
		func() []byte { b := bytes.Clone(valid); b[16] = 0x09; b[17] = 0; return b }(), // bad request-id
		{0x30, 0x0b, 0x02, 0x01, 0x03, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00}, // v3, cut short
	}
}

// badVersion is a well-formed message of SNMP "version 2" (v2u/v2*).
func badVersion() []byte {
	return []byte{0x30, 0x26, 0x02, 0x01, 0x02, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
		0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00}
}

// TestMalformed sends garbage over UDP: no answer, counted, and the agent
// keeps serving.
func TestMalformed(t *testing.T) {
	ta := startAgent(t, testConfig(t))
	for i, g := range garbage() {
		if resp := ta.handle(context.Background(), bytes.Clone(g)); resp != nil {
			t.Errorf("garbage %d answered: %x", i, resp)
		}
	}
	if got := ta.stats.inASNParseErrs.Load(); got != uint32(len(garbage())) {
		t.Errorf("snmpInASNParseErrs %d after handle, want %d", got, len(garbage()))
	}

	sent := uint32(0)
	for _, addr := range []string{addr4(ta), addr6(ta)} {
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, g := range append(garbage(), badVersion()) {
			if _, err := c.Write(g); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		// Ask for the counters on the same socket until every datagram
		// is counted; each answer must be to our question.
		x := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public"}
		for reqID := uint32(1); ; reqID++ {
			pkt := x.MkSnmpPacket(gosnmp.GetRequest, []gosnmp.SnmpPDU{{Name: oidInASNParseErrs, Type: gosnmp.Null}, {Name: ".1.3.6.1.2.1.11.3.0", Type: gosnmp.Null}}, 0, 0)
			pkt.RequestID = reqID
			b, err := pkt.MarshalMsg()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(b); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 65536)
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			p, err := x.SnmpDecodePacket(buf[:n])
			if err != nil || p.RequestID != reqID || len(p.Variables) != 2 {
				t.Fatalf("answer %x to request %d: %v %v", buf[:n], reqID, p, err)
			}
			parse, versions := p.Variables[0].Value.(uint), p.Variables[1].Value.(uint)
			if parse+versions == uint(len(garbage()))+uint(sent) {
				if versions != uint(sent)/uint(len(garbage())+1) {
					t.Errorf("snmpInBadVersions %d", versions)
				}
				break
			}
		}
	}
	if got := ta.stats.inBadVersions.Load(); got != 2 {
		t.Errorf("snmpInBadVersions %d, want 2", got)
	}
}

// TestOwnSubtreesJoinedOnce: a MIB that already holds the agent's objects
// is served as it is.
func TestOwnSubtreesJoinedOnce(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = nil
	var tree *mib.Tree
	a, err := New(cfg, func() *mib.Tree { return tree })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tm := newTestMIB(t)
	if tree, err = mib.NewTree(append(tm.tree.Subtrees(), a.Subtrees()...)...); err != nil {
		t.Fatal(err)
	}
	m := a.tree()
	if vb := m.Get(mib.MustParse(oidEngineMaxSize)); vb.Value != 65507 {
		t.Errorf("snmpEngineMaxMessageSize %v", vb)
	}
	if vb := m.Get(mib.MustParse(oidDescr)); vb.Value != "virtbridge test agent" {
		t.Errorf("vbTestDescr %v", vb)
	}
	tree = nil // no MIB: our objects alone
	if vb, ok := a.tree().Next(mib.OID{1, 3, 6, 1, 4}); !ok || vb.OID.String() != "1.3.6.1.6.3.10.2.1.1.0" {
		t.Errorf("without a MIB: %v %v", vb, ok)
	}
}

// TestConcurrentClients: many clients at once, SETs among them, while the
// MIB snapshot changes under them; run with -race.
func TestConcurrentClients(t *testing.T) {
	cfg := testConfig(t)
	a1, a2 := newTestMIB(t), newTestMIB(t)
	var current atomic.Pointer[mib.Tree]
	current.Store(a1.tree)
	ag, err := New(cfg, func() *mib.Tree { return current.Load() })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	ta := &testAgent{Agent: ag}
	for _, ad := range ag.Addrs() {
		if ua := ad.(*net.UDPAddr); ua.IP.To4() != nil {
			ta.ip4 = fmt.Sprintf("udp:127.0.0.1:%d", ua.Port)
		} else {
			ta.ip6 = fmt.Sprintf("udp6:[::1]:%d", ua.Port)
		}
	}

	stop := make(chan struct{})
	var swaps sync.WaitGroup
	swaps.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				current.Store(a2.tree)
			} else {
				current.Store(a1.tree)
			}
			time.Sleep(time.Millisecond)
		}
	})
	var clients sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		clients.Go(func() {
			addr := addr4(ta)
			if i%2 == 1 {
				addr = addr6(ta)
			}
			host, port, _ := net.SplitHostPort(addr)
			var p int
			fmt.Sscan(port, &p)
			c := &gosnmp.GoSNMP{Target: host, Port: uint16(p), Timeout: 10 * time.Second, Retries: 2, Context: ctx,
				Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv,
				SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: "writer", AuthenticationProtocol: gosnmp.SHA256,
					AuthenticationPassphrase: pass("writer"), PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: pass("writer") + "-priv"}}
			if err := c.Connect(); err != nil {
				errs <- err
				return
			}
			defer c.Conn.Close()
			for round := range 3 {
				vbs, err := c.BulkWalkAll(oidTable)
				if err != nil || len(vbs) != 3*tableRows {
					errs <- fmt.Errorf("client %d: bulkwalk %d varbinds, %v", i, len(vbs), err)
					return
				}
				if _, err := c.Set([]gosnmp.SnmpPDU{{Name: fmt.Sprintf("%s.3.%d", oidEntry, i*10+round+1), Type: gosnmp.Integer, Value: 1}}); err != nil {
					errs <- fmt.Errorf("client %d: set: %v", i, err)
					return
				}
			}
		})
	}
	clients.Wait()
	close(stop)
	swaps.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(a1.commitLog()) + len(a2.commitLog()); n != 8*3 {
		t.Errorf("%d commits, want %d", n, 8*3)
	}
}
