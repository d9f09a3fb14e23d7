package agent

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// The BER subset SNMP uses (RFC 3417 §8): one-octet tags, definite lengths.
// gosnmp's decoder cannot be used as an agent's: its packet fields are too
// narrow (uint8 error-index and non-repeaters, unsigned request-id) and it
// cannot tell a bad digest from a parse error, so we decode and encode the
// messages here and take only USM key localization from gosnmp.

const (
	tagInteger   = 0x02
	tagOctets    = 0x04
	tagNull      = 0x05
	tagOID       = 0x06
	tagSequence  = 0x30
	tagIPAddress = 0x40
	tagCounter32 = 0x41
	tagGauge32   = 0x42
	tagTimeTicks = 0x43
	tagOpaque    = 0x44
	tagCounter64 = 0x46
	tagUinteger  = 0x47
	tagNoSuchObj = 0x80
	tagNoSuchIns = 0x81
	tagEndOfMib  = 0x82
)

var errBER = errors.New("malformed BER")

// reader walks the TLVs of one constructed value. Offsets are into buf, so
// a caller can find a field's place in the whole message (the USM MAC).
type reader struct {
	buf      []byte
	pos, end int
	last     int // where the TLV next read last began
}

func newReader(b []byte) *reader { return &reader{buf: b, end: len(b)} }

func (r *reader) more() bool { return r.pos < r.end }

// next reads one TLV and returns its tag and content bounds [start, stop).
func (r *reader) next() (tag byte, start, stop int, err error) {
	if r.end-r.pos < 2 {
		return 0, 0, 0, fmt.Errorf("%w: truncated TLV", errBER)
	}
	r.last = r.pos
	tag = r.buf[r.pos]
	if tag&0x1f == 0x1f {
		return 0, 0, 0, fmt.Errorf("%w: multi-octet tag", errBER)
	}
	l := int(r.buf[r.pos+1])
	p := r.pos + 2
	if l >= 0x80 {
		n := l & 0x7f
		if n == 0 || n > 4 { // indefinite form is forbidden (RFC 3417 §8)
			return 0, 0, 0, fmt.Errorf("%w: bad length form", errBER)
		}
		if r.end-p < n {
			return 0, 0, 0, fmt.Errorf("%w: truncated length", errBER)
		}
		l = 0
		for _, b := range r.buf[p : p+n] {
			l = l<<8 | int(b)
		}
		p += n
	}
	if l < 0 || l > r.end-p {
		return 0, 0, 0, fmt.Errorf("%w: length %d overruns %d octets", errBER, l, r.end-p)
	}
	r.pos = p + l
	return tag, p, p + l, nil
}

// expect reads one TLV that must carry tag.
func (r *reader) expect(tag byte) (start, stop int, err error) {
	t, start, stop, err := r.next()
	if err != nil {
		return 0, 0, err
	}
	if t != tag {
		return 0, 0, fmt.Errorf("%w: tag %#x where %#x belongs", errBER, t, tag)
	}
	return start, stop, nil
}

// enter reads a constructed TLV and returns a reader over its content.
func (r *reader) enter(tag byte) (*reader, error) {
	start, stop, err := r.expect(tag)
	if err != nil {
		return nil, err
	}
	return &reader{buf: r.buf, pos: start, end: stop}, nil
}

func (r *reader) octets() ([]byte, error) {
	start, stop, err := r.expect(tagOctets)
	if err != nil {
		return nil, err
	}
	return r.buf[start:stop], nil
}

// integer reads an INTEGER that must lie in [lo, hi].
func (r *reader) integer(lo, hi int64) (int64, error) {
	start, stop, err := r.expect(tagInteger)
	if err != nil {
		return 0, err
	}
	v, err := parseInt(r.buf[start:stop])
	if err != nil {
		return 0, err
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%w: integer %d outside %d..%d", errBER, v, lo, hi)
	}
	return v, nil
}

// parseInt decodes two's complement, tolerating the redundant leading
// octets some encoders send (gosnmp always sends msgID in four).
func parseInt(c []byte) (int64, error) {
	if len(c) == 0 {
		return 0, fmt.Errorf("%w: empty integer", errBER)
	}
	for len(c) > 1 && (c[0] == 0 && c[1]&0x80 == 0 || c[0] == 0xff && c[1]&0x80 != 0) {
		c = c[1:]
	}
	if len(c) > 8 {
		return 0, fmt.Errorf("%w: integer too long", errBER)
	}
	v := int64(int8(c[0]))
	for _, b := range c[1:] {
		v = v<<8 | int64(b)
	}
	return v, nil
}

// parseUint decodes the unsigned application types as a magnitude of at
// most bytes octets, as net-snmp does.
func parseUint(c []byte, bytes int) (uint64, error) {
	if len(c) == 0 {
		return 0, fmt.Errorf("%w: empty integer", errBER)
	}
	for len(c) > 1 && c[0] == 0 {
		c = c[1:]
	}
	if len(c) > bytes {
		return 0, fmt.Errorf("%w: unsigned integer too long", errBER)
	}
	var v uint64
	for _, b := range c {
		v = v<<8 | uint64(b)
	}
	return v, nil
}

// parseOID decodes an OBJECT IDENTIFIER's content (X.690 §8.19).
func parseOID(c []byte) (mib.OID, error) {
	if len(c) == 0 {
		return nil, fmt.Errorf("%w: empty OID", errBER)
	}
	o := make(mib.OID, 0, len(c)+1)
	for i := 0; i < len(c); {
		if c[i] == 0x80 {
			return nil, fmt.Errorf("%w: OID arc with a leading zero octet", errBER)
		}
		var v uint64
		for {
			if i == len(c) {
				return nil, fmt.Errorf("%w: truncated OID arc", errBER)
			}
			b := c[i]
			i++
			v = v<<7 | uint64(b&0x7f)
			if v > math.MaxUint32+80 {
				return nil, fmt.Errorf("%w: OID arc too large", errBER)
			}
			if b&0x80 == 0 {
				break
			}
		}
		if len(o) == 0 {
			switch {
			case v < 40:
				o = append(o, 0, uint32(v))
			case v < 80:
				o = append(o, 1, uint32(v-40))
			default:
				o = append(o, 2, uint32(v-80))
			}
			continue
		}
		if v > math.MaxUint32 {
			return nil, fmt.Errorf("%w: OID arc too large", errBER)
		}
		o = append(o, uint32(v))
	}
	if len(o) > 128 { // RFC 2578 §3.5
		return nil, fmt.Errorf("%w: OID longer than 128 arcs", errBER)
	}
	return o, nil
}

// decodeValue turns a varbind value TLV into the Go value the mib package
// expects for its type. ok is false when the content does not fit the tag
// (a SET answers wrongEncoding); err means the tag is not an SNMP type.
func decodeValue(tag byte, c []byte) (v any, ok bool, err error) {
	switch tag {
	case tagInteger:
		n, err := parseInt(c)
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, false, nil
		}
		return int(n), true, nil
	case tagOctets, tagOpaque:
		return append([]byte{}, c...), true, nil
	case tagNull, tagNoSuchObj, tagNoSuchIns, tagEndOfMib:
		return nil, len(c) == 0, nil
	case tagOID:
		o, err := parseOID(c)
		if err != nil {
			return nil, false, nil
		}
		return o.Dotted(), true, nil
	case tagIPAddress:
		if len(c) != 4 {
			return nil, false, nil
		}
		return netip.AddrFrom4([4]byte(c)).String(), true, nil
	case tagCounter32, tagGauge32, tagTimeTicks, tagUinteger:
		n, err := parseUint(c, 4)
		if err != nil {
			return nil, false, nil
		}
		return uint32(n), true, nil
	case tagCounter64:
		n, err := parseUint(c, 8)
		if err != nil {
			return nil, false, nil
		}
		return n, true, nil
	}
	return nil, false, fmt.Errorf("%w: value tag %#x is no SNMP type", errBER, tag)
}

// Encoding. Messages are built inside out; every helper appends.

func lengthLen(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffff:
		return 4
	}
	return 5
}

// tlvLen is the encoded size of a TLV with n content octets.
func tlvLen(n int) int { return 1 + lengthLen(n) + n }

func appendLength(dst []byte, n int) []byte {
	switch l := lengthLen(n); l {
	case 1:
		return append(dst, byte(n))
	default:
		dst = append(dst, 0x80|byte(l-1))
		for i := l - 2; i >= 0; i-- {
			dst = append(dst, byte(n>>(8*i)))
		}
		return dst
	}
}

func appendTLV(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	dst = appendLength(dst, len(content))
	return append(dst, content...)
}

// intLen is the size of the minimal two's complement form of v.
func intLen(v int64) int {
	n := 1
	for v < -128 || v > 127 {
		v >>= 8
		n++
	}
	return n
}

func appendInt(dst []byte, tag byte, v int64) []byte {
	n := intLen(v)
	dst = append(dst, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

func uintLen(v uint64) int {
	n := 1
	for v > 127 {
		v >>= 8
		n++
	}
	return n
}

func appendUint(dst []byte, tag byte, v uint64) []byte {
	n := uintLen(v)
	dst = append(dst, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		if i >= 8 {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

func appendArc(dst []byte, v uint64) []byte {
	n := 1
	for x := v >> 7; x > 0; x >>= 7 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		b := byte(v>>(7*i)) & 0x7f
		if i > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
	}
	return dst
}

// oidContent encodes an OID's arcs, which X.690 needs at least two of.
func oidContent(dst []byte, o mib.OID) ([]byte, error) {
	if len(o) < 2 || o[0] > 2 || o[0] < 2 && o[1] > 39 || len(o) > 128 {
		return nil, fmt.Errorf("OID %s cannot be encoded", o)
	}
	dst = appendArc(dst, uint64(o[0])*40+uint64(o[1]))
	for _, a := range o[2:] {
		dst = appendArc(dst, uint64(a))
	}
	return dst, nil
}

// wrap turns dst[start:] into the content of a TLV with tag, in place.
func wrap(dst []byte, start int, tag byte) []byte {
	n := len(dst) - start
	h := 1 + lengthLen(n)
	var pad [6]byte
	dst = append(dst, pad[:h]...)
	copy(dst[start+h:], dst[start:start+n])
	dst[start] = tag
	appendLength(dst[start+1:start+1], n)
	return dst
}

// appendVarbind encodes SEQUENCE { name, value } with vb's value converted
// from the Go types the mib package allows.
func appendVarbind(dst []byte, name mib.OID, vb mib.Varbind) ([]byte, error) {
	start := len(dst)
	out, err := oidContent(dst, name)
	if err != nil {
		return dst[:start], err
	}
	out = wrap(out, start, tagOID)
	out, err = encodeValue(out, vb)
	if err != nil {
		return dst[:start], fmt.Errorf("encoding %s: %w", name, err)
	}
	return wrap(out, start, tagSequence), nil
}

func encodeValue(dst []byte, vb mib.Varbind) ([]byte, error) {
	switch vb.Type {
	case gosnmp.Integer:
		n, ok := asInt(vb.Value)
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%v (%T) is no Integer32", vb.Value, vb.Value)
		}
		return appendInt(dst, tagInteger, n), nil
	case gosnmp.OctetString, gosnmp.Opaque:
		var c []byte
		switch v := vb.Value.(type) {
		case []byte:
			c = v
		case string:
			c = []byte(v)
		default:
			return nil, fmt.Errorf("%T is no octet string", vb.Value)
		}
		return appendTLV(dst, byte(vb.Type), c), nil
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return append(dst, byte(vb.Type), 0), nil
	case gosnmp.ObjectIdentifier:
		var o mib.OID
		switch v := vb.Value.(type) {
		case string:
			p, err := mib.Parse(v)
			if err != nil {
				return nil, err
			}
			o = p
		case mib.OID:
			o = v
		case []uint32:
			o = v
		default:
			return nil, fmt.Errorf("%T is no OID", vb.Value)
		}
		c, err := oidContent(nil, o)
		if err != nil {
			return nil, err
		}
		return appendTLV(dst, tagOID, c), nil
	case gosnmp.IPAddress:
		var a netip.Addr
		switch v := vb.Value.(type) {
		case string:
			p, err := netip.ParseAddr(v)
			if err != nil {
				return nil, err
			}
			a = p
		case net.IP:
			p, ok := netip.AddrFromSlice(v)
			if !ok {
				return nil, fmt.Errorf("bad IP %v", v)
			}
			a = p
		case netip.Addr:
			a = v
		case []byte:
			p, ok := netip.AddrFromSlice(v)
			if !ok {
				return nil, fmt.Errorf("bad IP %v", v)
			}
			a = p
		default:
			return nil, fmt.Errorf("%T is no IpAddress", vb.Value)
		}
		a = a.Unmap()
		if !a.Is4() {
			return nil, fmt.Errorf("IpAddress %s is not IPv4", a)
		}
		b := a.As4()
		return appendTLV(dst, tagIPAddress, b[:]), nil
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Uinteger32:
		n, ok := asUint(vb.Value)
		if !ok || n > math.MaxUint32 {
			return nil, fmt.Errorf("%v (%T) is no 32-bit unsigned", vb.Value, vb.Value)
		}
		return appendUint(dst, byte(vb.Type), n), nil
	case gosnmp.Counter64:
		n, ok := asUint(vb.Value)
		if !ok {
			return nil, fmt.Errorf("%v (%T) is no Counter64", vb.Value, vb.Value)
		}
		return appendUint(dst, tagCounter64, n), nil
	}
	return nil, fmt.Errorf("type %v cannot be sent", vb.Type)
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		if uint64(n) <= math.MaxInt64 {
			return int64(n), true
		}
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

func asUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case uint:
		return uint64(n), true
	case uint8:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	}
	if n, ok := asInt(v); ok && n >= 0 {
		return uint64(n), true
	}
	return 0, false
}
