package agent

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// seeds are well-formed requests of every kind, and garbage.
func seeds(t testing.TB, a *Agent) [][]byte {
	var out [][]byte
	for _, version := range []gosnmp.SnmpVersion{gosnmp.Version1, gosnmp.Version2c} {
		x := &gosnmp.GoSNMP{Version: version, Community: "private"}
		for _, typ := range []gosnmp.PDUType{gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.GetBulkRequest} {
			pkt := x.MkSnmpPacket(typ, []gosnmp.SnmpPDU{{Name: oidDescr, Type: gosnmp.Null}, {Name: oidEntry, Type: gosnmp.Null}}, 1, 5)
			pkt.RequestID = 3
			b, err := pkt.MarshalMsg()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		pkt := x.MkSnmpPacket(gosnmp.SetRequest, []gosnmp.SnmpPDU{
			{Name: oidCount, Type: gosnmp.Integer, Value: 5},
			{Name: oidEntry + ".3.1", Type: gosnmp.Integer, Value: 2},
			{Name: oidDescr, Type: gosnmp.OctetString, Value: "x"},
			{Name: oidAddr, Type: gosnmp.IPAddress, Value: "10.0.0.1"},
			{Name: oidGauge, Type: gosnmp.Gauge32, Value: uint32(7)},
			{Name: oidBig, Type: gosnmp.Counter64, Value: uint64(7)},
			{Name: ".1.3.6.1.2.1.11.30.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6"},
		}, 0, 0)
		b, err := pkt.MarshalMsg()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, name := range []string{"noauth", "sha", "shades", "sha256aes"} {
		for _, typ := range []gosnmp.PDUType{gosnmp.GetRequest, gosnmp.GetBulkRequest, gosnmp.SetRequest} {
			out = append(out, v3Request{user: userNamed(t, name), pduType: typ, oids: []string{oidCount, oidTable}, maxRep: 3}.encode(t, a))
		}
	}
	out = append(out, v3Request{pduType: gosnmp.GetRequest, engineID: []byte{}}.encode(t, a)) // discovery
	out = append(out, garbage()...)
	return append(out, badVersion())
}

// FuzzHandle feeds datagrams to the whole agent: decoding, USM, views and
// dispatch. It must never panic, and whatever it answers must be a
// well-formed message within our msgMaxSize.
func FuzzHandle(f *testing.F) {
	a, _ := handlerAgent(f, nil)
	for _, s := range seeds(f, a) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		resp := a.handle(context.Background(), bytes.Clone(pkt))
		if resp == nil {
			return
		}
		if len(resp) > a.maxMsgSize {
			t.Fatalf("a response of %d octets", len(resp))
		}
		r, version, err := decodeVersion(resp)
		if err != nil {
			t.Fatalf("our response does not parse: %v", err)
		}
		if version != version3 {
			m, err := decodeCommunityMsg(r, version)
			if err != nil || m.pdu.typ != pduResponse {
				t.Fatalf("our response does not parse: %v", err)
			}
			return
		}
		m, err := decodeV3(r)
		if err != nil {
			t.Fatalf("our v3 response does not parse: %v", err)
		}
		if !m.encrypted {
			if _, _, p, err := decodeScoped(m.data); err != nil || p.typ != pduResponse && p.typ != pduReport {
				t.Fatalf("our scopedPDU does not parse: %v", err)
			}
		}
	})
}

// FuzzDecode exercises the message decoders alone: no panics, and every
// varbind they accept re-reads to the same name.
func FuzzDecode(f *testing.F) {
	a, _ := handlerAgent(f, nil)
	for _, s := range seeds(f, a) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		r, version, err := decodeVersion(pkt)
		if err != nil {
			return
		}
		var p *pdu
		if version == version3 {
			m, err := decodeV3(r)
			if err != nil {
				return
			}
			if m.encrypted {
				return
			}
			if _, _, p, err = decodeScoped(m.data); err != nil {
				return
			}
		} else {
			m, err := decodeCommunityMsg(r, version)
			if err != nil {
				return
			}
			p = m.pdu
		}
		if len(p.raw) != len(p.names) {
			t.Fatalf("%d raw varbinds, %d names", len(p.raw), len(p.names))
		}
		for i, raw := range p.raw {
			vb, err := newReader(raw).enter(tagSequence)
			if err != nil {
				t.Fatal(err)
			}
			s, e, err := vb.expect(tagOID)
			if err != nil {
				t.Fatal(err)
			}
			name, err := parseOID(raw[s:e])
			if err != nil || name.Compare(p.names[i]) != 0 {
				t.Fatalf("varbind %d re-reads as %v, %v", i, name, err)
			}
			// What decodes encodes: the OID round trip.
			enc, err := oidContent(nil, name)
			if err != nil {
				t.Fatalf("decoded OID %s does not encode: %v", name, err)
			}
			if back, err := parseOID(enc); err != nil || back.Compare(name) != 0 {
				t.Fatalf("OID %s round trips to %s, %v", name, back, err)
			}
		}
		for _, v := range p.values {
			// A SET value that decoded is one we could send back.
			if _, err := appendVarbind(nil, v.OID, v); err != nil && v.Value != nil {
				t.Fatalf("decoded value %v does not encode: %v", v, err)
			}
		}
	})
}

// FuzzParseState: the state file decoder never panics and what it
// accepts survives a save.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"engineID":"80007ed905aabbccddeeff0011","engineBoots":3}`))
	f.Add([]byte(`{"engineID":"80007ed9","engineBoots":3}`))
	f.Add([]byte(`{"engineBoots":2147483648}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, boots, err := parseState(b)
		if err != nil {
			return
		}
		if checkEngineID(id) != nil || boots > maxBoots {
			t.Fatalf("accepted %x %d", id, boots)
		}
		out, err := json.Marshal(engineState{EngineID: hex.EncodeToString(id), Boots: boots})
		if err != nil {
			t.Fatal(err)
		}
		id2, boots2, err := parseState(out)
		if err != nil || !bytes.Equal(id, id2) || boots != boots2 {
			t.Fatalf("round trip: %x %d %v", id2, boots2, err)
		}
	})
}
