package cimxml

import (
	"errors"
	"fmt"
	"io"

	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// Limits bound what DecodeRequest accepts beyond the body size the caller
// enforces.
type Limits struct {
	MaxBytes    int64 // body bytes read
	MaxDepth    int   // element nesting
	MaxElements int   // elements, embedded objects included
	MaxEmbed    int   // embedded objects within embedded objects
}

// DefaultLimits returns limits far above what real requests need: the
// wbemcli requests nest 8 deep and hold under 40 elements.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 16 << 20, MaxDepth: 32, MaxElements: 100000, MaxEmbed: 4}
}

// node is an element of a request; requests are small, so a tree keeps
// their interpretation simple and the limits bound its size.
type node = xmltree.Node

// budget counts elements across a request and its embedded objects.
type budget struct {
	lim      Limits
	elements int
}

// readTree reads one document with xmltree's defences: no DTD, no
// entities beyond the predefined ones, no XML namespaces (CIM-XML has
// none), bounded size, depth and element count.
func readTree(r io.Reader, b *budget) (*node, error) {
	lim := xmltree.Limits{MaxBytes: b.lim.MaxBytes, MaxDepth: b.lim.MaxDepth, MaxElements: b.lim.MaxElements}
	root, err := xmltree.Read(r, lim, false, &b.elements)
	if err != nil {
		kind := NotValid
		if errors.Is(err, xmltree.ErrNotWellFormed) {
			kind = NotWellFormed
		}
		return nil, &RequestError{Kind: kind, Err: err}
	}
	return root, nil
}

func notValid(format string, args ...any) *RequestError {
	return &RequestError{Kind: NotValid, Err: fmt.Errorf(format, args...)}
}
