// Package mib is the agent's model of a MIB: object identifiers, varbinds,
// and trees of scalars and tables answering Get, Next and a two-phase Set
// in lexicographic order, in O(log n) per lookup.
package mib

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// OID is an object identifier, one element per arc.
type OID []uint32

// maxArcs bounds an OID's length (RFC 2578 §3.5: at most 128 sub-ids).
const maxArcs = 128

// Parse reads "1.3.6.1.2.1" or ".1.3.6.1.2.1".
func Parse(s string) (OID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return OID{}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) > maxArcs {
		return nil, fmt.Errorf("OID %q has more than %d arcs", s, maxArcs)
	}
	o := make(OID, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: arc %q is not a number from 0 to 4294967295", s, p)
		}
		o[i] = uint32(v)
	}
	return o, nil
}

// MustParse is Parse for constants.
func MustParse(s string) OID {
	o, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return o
}

// String is the dotted form without a leading dot.
func (o OID) String() string {
	var b strings.Builder
	for i, a := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(a), 10))
	}
	return b.String()
}

// Dotted is the form gosnmp uses: with a leading dot.
func (o OID) Dotted() string { return "." + o.String() }

// Compare orders OIDs lexicographically (RFC 3416 §4.2.2).
func (o OID) Compare(p OID) int { return slices.Compare(o, p) }

// HasPrefix reports whether p is o or an ancestor of o.
func (o OID) HasPrefix(p OID) bool { return len(o) >= len(p) && slices.Equal(o[:len(p)], p) }

// Append returns a new OID: o followed by arcs.
func (o OID) Append(arcs ...uint32) OID {
	out := make(OID, 0, len(o)+len(arcs))
	return append(append(out, o...), arcs...)
}

// AfterSubtree is the smallest OID greater than every OID under o: the
// place a walk resumes when it skips the whole subtree.
func (o OID) AfterSubtree() (OID, bool) {
	out := slices.Clone(o)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < ^uint32(0) {
			out[i]++
			return out[:i+1], true
		}
	}
	return nil, false
}

// IndexString encodes a string index with its length (RFC 2578 §7.7).
func IndexString(s string) OID {
	o := make(OID, 0, len(s)+1)
	o = append(o, uint32(len(s)))
	for i := 0; i < len(s); i++ {
		o = append(o, uint32(s[i]))
	}
	return o
}

// ErrBadIndex says an index OID does not decode.
var ErrBadIndex = errors.New("malformed table index")
