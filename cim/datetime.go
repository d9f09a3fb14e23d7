package cim

import (
	"fmt"
	"time"
)

// Datetime is a CIM datetime (DSP0004 §5.2.4) in one of its two 25-character
// forms:
//
//	timestamp  yyyymmddhhmmss.mmmmmmsutc   (s is + or -, utc the offset in minutes)
//	interval   ddddddddhhmmss.mmmmmm:000
//
// Fields that are not significant are asterisks. Significance runs from
// the left: once a field is asterisks every later one is too (the UTC
// offset excepted), whole fields at a time except the microseconds, which
// may keep a prefix of digits ("20240101120000.12****+000" is significant
// to the hundredth of a second).
//
// A Datetime formats back to exactly the string it was parsed from, and is
// comparable with ==. The zero Datetime is the timestamp with no
// significant field, "**************.******+000".
type Datetime struct {
	interval bool
	// f holds year, month, day, hour, minute, second for a timestamp and
	// days, hours, minutes, seconds for an interval; micro the microseconds.
	f     [6]int32
	micro int32
	// sig counts the significant digits among the 20 (asterisks follow).
	sig uint8
	// offset is the UTC offset in minutes; negZero keeps "-000" apart
	// from "+000" so that formatting is exact.
	offset  int16
	negZero bool
}

const (
	datetimeLen = 25
	allDigits   = 20
)

// layout gives the width of each field before the '.' for each form.
func (d Datetime) layout() []int {
	if d.interval {
		return []int{8, 2, 2, 2}
	}
	return []int{4, 2, 2, 2, 2, 2}
}

// ParseDatetime parses either form of a CIM datetime.
func ParseDatetime(s string) (Datetime, error) {
	d, err := parseDatetime(s)
	if err != nil {
		return Datetime{}, fmt.Errorf("parsing datetime %q: %w", s, err)
	}
	return d, nil
}

func parseDatetime(s string) (Datetime, error) {
	var d Datetime
	if len(s) != datetimeLen {
		return d, fmt.Errorf("length %d, want %d", len(s), datetimeLen)
	}
	if s[14] != '.' {
		return d, fmt.Errorf("expected '.' at position 15")
	}
	switch s[21] {
	case ':':
		d.interval = true
		if s[22:] != "000" {
			return d, fmt.Errorf("interval must end in \":000\"")
		}
	case '+', '-':
		off, ok := digits(s[22:])
		if !ok {
			return d, fmt.Errorf("UTC offset %q is not three digits", s[22:])
		}
		d.offset = int16(off)
		if s[21] == '-' {
			d.offset = -d.offset
			d.negZero = off == 0
		}
	default:
		return d, fmt.Errorf("expected '+', '-' or ':' at position 22")
	}
	pos, known := 0, true
	for i, w := range d.layout() {
		field := s[pos : pos+w]
		n, ok := digits(field)
		switch {
		case ok && known:
			d.f[i] = int32(n)
			d.sig += uint8(w)
		case isStars(field):
			known = false
		case ok:
			return d, fmt.Errorf("field %q follows an asterisk field", field)
		default:
			return d, fmt.Errorf("field %q is neither digits nor asterisks", field)
		}
		pos += w
	}
	micro := s[15:21]
	k := 0
	for k < len(micro) && micro[k] >= '0' && micro[k] <= '9' {
		k++
	}
	if !isStars(micro[k:]) {
		return d, fmt.Errorf("microseconds %q are not digits followed by asterisks", micro)
	}
	if k > 0 && !known {
		return d, fmt.Errorf("microseconds follow an asterisk field")
	}
	n, _ := digits(micro[:k])
	for i := k; i < 6; i++ {
		n *= 10
	}
	d.micro = int32(n)
	d.sig += uint8(k)
	return d, d.check()
}

// check validates the ranges of the significant fields.
func (d Datetime) check() error {
	type rng struct {
		name   string
		lo, hi int32
	}
	var rs []rng
	if d.interval {
		rs = []rng{{"days", 0, 99999999}, {"hours", 0, 23}, {"minutes", 0, 59}, {"seconds", 0, 59}}
	} else {
		rs = []rng{{"year", 0, 9999}, {"month", 1, 12}, {"day", 1, 31}, {"hour", 0, 23}, {"minute", 0, 59}, {"second", 0, 59}}
	}
	n := 0
	for i, w := range d.layout() {
		n += w
		if int(d.sig) < n {
			break
		}
		if d.f[i] < rs[i].lo || d.f[i] > rs[i].hi {
			return fmt.Errorf("%s %d out of range %d..%d", rs[i].name, d.f[i], rs[i].lo, rs[i].hi)
		}
	}
	if !d.interval && d.sig >= 8 {
		if max := daysIn(d.f[0], d.f[1]); d.f[2] > max {
			return fmt.Errorf("day %d out of range for %04d-%02d", d.f[2], d.f[0], d.f[1])
		}
	}
	return nil
}

func daysIn(year, month int32) int32 {
	return int32(time.Date(int(year), time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day())
}

func digits(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

func isStars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '*' {
			return false
		}
	}
	return true
}

// String formats d in its 25-character form.
func (d Datetime) String() string {
	b := make([]byte, 0, datetimeLen)
	left := int(d.sig)
	for i, w := range d.layout() {
		b = appendField(b, int64(d.f[i]), w, min(max(left, 0), w))
		left -= w
	}
	b = append(b, '.')
	b = appendField(b, int64(d.micro), 6, min(max(left, 0), 6))
	if d.interval {
		return string(append(b, ":000"...))
	}
	off := d.offset
	if off < 0 || d.negZero {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	return string(appendField(b, int64(off), 3, 3))
}

// appendField writes n in width digits, of which only the first sig are
// shown and the rest are asterisks.
func appendField(b []byte, n int64, width, sig int) []byte {
	s := fmt.Sprintf("%0*d", width, n)
	b = append(b, s[:sig]...)
	for range width - sig {
		b = append(b, '*')
	}
	return b
}

// IsInterval reports whether d is an interval rather than a timestamp.
func (d Datetime) IsInterval() bool { return d.interval }

// Precision returns how many of the 20 digits of d are significant: 20
// means no asterisks.
func (d Datetime) Precision() int { return int(d.sig) }

// OffsetMinutes returns the UTC offset of a timestamp in minutes.
func (d Datetime) OffsetMinutes() int { return int(d.offset) }
