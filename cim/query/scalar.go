package query

import (
	"cmp"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/virtbridge/virtbridge/cim"
)

// number is an integer as sign and magnitude, so that every sint64 and
// uint64 fits, or a real.
type number struct {
	isReal bool
	f      float64
	neg    bool
	mag    uint64
}

func toNumber(v cim.Value) (number, bool) {
	if u, ok := v.Uint(); ok {
		return number{mag: u}, true
	}
	if i, ok := v.Int(); ok {
		if i < 0 {
			return number{neg: true, mag: uint64(-(i + 1)) + 1}, true // no overflow at MinInt64
		}
		return number{mag: uint64(i)}, true
	}
	if f, ok := v.Float(); ok {
		return number{isReal: true, f: f}, true
	}
	return number{}, false
}

func (x number) float() float64 {
	switch {
	case x.isReal:
		return x.f
	case x.neg:
		return -float64(x.mag)
	}
	return float64(x.mag)
}

// compare compares exactly between integers; with a real on either side
// it compares as float64. NaN compares with nothing.
func (x number) compare(y number) (int, bool) {
	if x.isReal || y.isReal {
		a, b := x.float(), y.float()
		if math.IsNaN(a) || math.IsNaN(b) {
			return 0, false
		}
		return cmp.Compare(a, b), true
	}
	switch {
	case x.neg != y.neg && x.neg:
		return -1, true
	case x.neg != y.neg:
		return 1, true
	case x.neg:
		return cmp.Compare(y.mag, x.mag), true
	}
	return cmp.Compare(x.mag, y.mag), true
}

// text returns a string or char16 scalar as a string.
func text(v cim.Value) (string, bool) {
	if s, ok := v.Str(); ok {
		return s, true
	}
	if r, ok := v.Char16(); ok {
		return string(r), true
	}
	return "", false
}

// compareText compares strings, case-insensitively when fold. Folding
// maps each rune to the least of its simple case-folding orbit, so that
// equality agrees with strings.EqualFold and ordering is consistent.
func compareText(a, b string, fold bool) int {
	if !fold {
		return strings.Compare(a, b)
	}
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if c := cmp.Compare(foldRune(ra), foldRune(rb)); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// asDatetime reads a datetime, or a string in CIM datetime format.
func asDatetime(v cim.Value) (cim.Datetime, bool) {
	if d, ok := v.Datetime(); ok {
		return d, true
	}
	if s, ok := v.Str(); ok {
		d, err := cim.ParseDatetime(s)
		return d, err == nil
	}
	return cim.Datetime{}, false
}

// compareDatetimes compares chronologically: timestamps as instants (so
// offsets do not matter), intervals by length. Asterisks in the
// microseconds count as zeros; a datetime with asterisks in a larger
// field compares only with itself.
func compareDatetimes(a, b cim.Datetime) (int, bool) {
	if a == b {
		return 0, true
	}
	if a.IsInterval() != b.IsInterval() {
		return 0, false
	}
	if a.IsInterval() {
		if a.Precision() == 20 && b.Precision() == 20 {
			// Fixed-width digits order as numbers, with no limit on days.
			return strings.Compare(a.String()[:21], b.String()[:21]), true
		}
		x, errA := a.Duration()
		y, errB := b.Duration()
		return cmp.Compare(x, y), errA == nil && errB == nil
	}
	x, errA := a.Time()
	y, errB := b.Time()
	return x.Compare(y), errA == nil && errB == nil
}

// asPath reads a reference, or a string holding an object path.
func asPath(v cim.Value) (cim.ObjectPath, bool) {
	if p, ok := v.Ref(); ok {
		return p, true
	}
	if s, ok := v.Str(); ok {
		p, err := cim.ParseObjectPath(s)
		return p, err == nil
	}
	return cim.ObjectPath{}, false
}
