// Package xmltree reads a request body into a small element tree with
// the defences both CIM protocols need: a byte limit, bounded depth and
// element count, no DTD, no entities beyond XML's five predefined ones.
// Requests are small, so a tree keeps their interpretation simple.
package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound a document.
type Limits struct {
	MaxBytes    int64 // bytes read
	MaxDepth    int   // element nesting
	MaxElements int   // elements
}

// Node is an element. Space is its namespace URI when the document was
// read with namespaces, else "".
type Node struct {
	Space, Name string
	Attrs       []xml.Attr
	Kids        []*Node
	Text        strings.Builder
}

// Attr returns the attribute called name in no namespace.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// AttrNS returns the attribute name in namespace space.
func (n *Node) AttrNS(space, name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == space && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// Is reports whether n is element name of namespace space.
func (n *Node) Is(space, name string) bool { return n.Space == space && n.Name == name }

// Kid returns n's first child element name of namespace space.
func (n *Node) Kid(space, name string) *Node {
	for _, k := range n.Kids {
		if k.Is(space, name) {
			return k
		}
	}
	return nil
}

// Errors of Read; test with errors.Is.
var (
	// ErrNotWellFormed: not well-formed XML, or a DTD.
	ErrNotWellFormed = errors.New("not well-formed XML")
	// ErrLimit: well-formed so far, but past a limit.
	ErrLimit = errors.New("over the limit")
)

// Error is what Read returns.
type Error struct {
	Kind error // ErrNotWellFormed or ErrLimit
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Is lets errors.Is test the kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap gives the cause, ErrTooBig for a document over MaxBytes.
func (e *Error) Unwrap() error { return e.Err }

func wellFormed(format string, args ...any) *Error {
	return &Error{Kind: ErrNotWellFormed, Err: fmt.Errorf(format, args...)}
}

func limit(format string, args ...any) *Error {
	return &Error{Kind: ErrLimit, Err: fmt.Errorf(format, args...)}
}

// ErrTooBig is the cause of the ErrLimit error of a document longer than
// MaxBytes (as opposed to one too deep or with too many elements).
var ErrTooBig = errors.New("body exceeds the size limit")

// limitedReader fails, rather than truncating, past the limit so that a
// long body is not mistaken for a short malformed one.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// A document of exactly the limit is fine: only a byte beyond
		// it is too much.
		var one [1]byte
		for range 100 { // a reader may return 0, nil now and then
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, ErrTooBig
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Read reads one document. With namespaces, element and attribute names
// carry their namespace URIs (SOAP); without, a prefixed name is refused
// (CIM-XML uses none). elements counts across calls, so embedded
// documents share one budget.
func Read(r io.Reader, lim Limits, namespaces bool, elements *int) (*Node, error) {
	d := xml.NewDecoder(&limitedReader{r: r, left: lim.MaxBytes})
	d.Strict = true
	d.Entity = nil // only &lt; &gt; &amp; &apos; &quot; and character references
	next := d.Token
	if !namespaces {
		next = d.RawToken
	}
	var stack []*Node
	var root *Node
	for {
		tok, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTooBig) {
				return nil, limit("%w (%d bytes)", ErrTooBig, lim.MaxBytes)
			}
			return nil, wellFormed("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, wellFormed("content after the root element")
			}
			if !namespaces && t.Name.Space != "" {
				return nil, limit("element %s:%s: XML namespaces are not used here", t.Name.Space, t.Name.Local)
			}
			*elements++
			if *elements > lim.MaxElements {
				return nil, limit("more than %d elements", lim.MaxElements)
			}
			if len(stack) >= lim.MaxDepth {
				return nil, limit("elements nested deeper than %d", lim.MaxDepth)
			}
			n := &Node{Space: t.Name.Space, Name: t.Name.Local, Attrs: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			// RawToken does not match end tags; check here for both modes.
			if len(stack) == 0 || stack[len(stack)-1].Name != t.Name.Local || (!namespaces && t.Name.Space != "") {
				return nil, wellFormed("unexpected end element </%s>", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, wellFormed("text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].Text.Write(t)
		case xml.Directive:
			return nil, wellFormed("DOCTYPE and other declarations are not accepted")
		case xml.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, limit("processing instruction <?%s?> not accepted", t.Target)
			}
		case xml.Comment:
		}
	}
	if root == nil || len(stack) != 0 {
		return nil, wellFormed("unexpected end of document")
	}
	return root, nil
}
