package cimxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
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

// node is an element read by readTree. Requests are small, so a tree
// keeps the interpretation simple; the limits bound its size.
type node struct {
	name  string
	attrs []xml.Attr
	kids  []*node
	text  strings.Builder
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// budget counts elements across a request and its embedded objects.
type budget struct {
	lim      Limits
	elements int
}

var errTooBig = errors.New("body exceeds the size limit")

// limitedReader fails, rather than truncating, past the limit so that a
// long body is not mistaken for a short malformed one.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// readTree reads one document: no DTD, no entities beyond the five
// predefined ones, bounded depth and element count.
func readTree(r io.Reader, b *budget) (*node, error) {
	d := xml.NewDecoder(&limitedReader{r: r, left: b.lim.MaxBytes})
	d.Strict = true
	d.Entity = nil // only &lt; &gt; &amp; &apos; &quot; and character references
	var stack []*node
	var root *node
	for {
		tok, err := d.RawToken() // no namespace translation: CIM-XML has none
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, notWellFormed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, notWellFormed(errors.New("content after the root element"))
			}
			if t.Name.Space != "" {
				return nil, notValid("element %s:%s: XML namespaces are not used in CIM-XML", t.Name.Space, t.Name.Local)
			}
			b.elements++
			if b.elements > b.lim.MaxElements {
				return nil, notValid("more than %d elements", b.lim.MaxElements)
			}
			if len(stack) >= b.lim.MaxDepth {
				return nil, notValid("elements nested deeper than %d", b.lim.MaxDepth)
			}
			n := &node{name: t.Name.Local, attrs: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			// RawToken does not match end tags; Strict mode does not either
			// without translation, so check here.
			if len(stack) == 0 || stack[len(stack)-1].name != t.Name.Local || t.Name.Space != "" {
				return nil, notWellFormed(fmt.Errorf("unexpected end element </%s>", t.Name.Local))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, notWellFormed(errors.New("text outside the root element"))
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		case xml.Directive:
			return nil, notWellFormed(errors.New("DOCTYPE and other declarations are not accepted"))
		case xml.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, notValid("processing instruction <?%s?> not accepted", t.Target)
			}
		case xml.Comment:
		}
	}
	if root == nil || len(stack) != 0 {
		return nil, notWellFormed(errors.New("unexpected end of document"))
	}
	return root, nil
}

func notWellFormed(err error) *RequestError {
	if errors.Is(err, errTooBig) {
		return &RequestError{Kind: NotValid, Err: err}
	}
	return &RequestError{Kind: NotWellFormed, Err: err}
}

func notValid(format string, args ...any) *RequestError {
	return &RequestError{Kind: NotValid, Err: fmt.Errorf(format, args...)}
}
