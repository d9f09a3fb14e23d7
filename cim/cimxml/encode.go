package cimxml

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"
)

// Encoder streams a CIM-XML response. Calls write in document order:
//
//	e.StartIMethodResponse(id, "EnumerateInstances")
//	e.StartReturnValue()
//	e.WriteNamedInstance(inst, filter) // as many as there are
//	e.End()
//
// The first write error sticks: later calls do nothing and End returns it.
type Encoder struct {
	w     *bufio.Writer
	open  []string // elements to close, innermost last
	err   error
	depth int // embedded-object nesting, to bound recursion
	num   [32]byte
	cache *EmbeddedCache // nil: embedded instances encoded every time
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: bufio.NewWriter(w)} }

// Err returns the first error met.
func (e *Encoder) Err() error { return e.err }

// StartIMethodResponse writes the envelope up to IMETHODRESPONSE.
func (e *Encoder) StartIMethodResponse(messageID, method string) {
	e.envelope(messageID)
	e.start("IMETHODRESPONSE", "NAME", method)
}

// StartMethodResponse writes the envelope up to METHODRESPONSE.
func (e *Encoder) StartMethodResponse(messageID, method string) {
	e.envelope(messageID)
	e.start("METHODRESPONSE", "NAME", method)
}

func (e *Encoder) envelope(id string) {
	if len(e.open) != 0 {
		e.fail(fmt.Errorf("response started inside %s", e.open[len(e.open)-1]))
		return
	}
	e.raw(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	e.start("CIM", "CIMVERSION", "2.0", "DTDVERSION", "2.0")
	e.start("MESSAGE", "ID", id, "PROTOCOLVERSION", "1.0")
	e.start("SIMPLERSP")
}

// StartReturnValue opens IRETURNVALUE; EndReturnValue closes it.
func (e *Encoder) StartReturnValue() { e.start("IRETURNVALUE") }

// EndReturnValue closes IRETURNVALUE.
func (e *Encoder) EndReturnValue() { e.end("IRETURNVALUE") }

// WriteError writes ERROR in place of a return value.
func (e *Encoder) WriteError(ce *Error) {
	attrs := []string{"CODE", fmt.Sprint(uint32(ce.Status))}
	if ce.Description != "" {
		attrs = append(attrs, "DESCRIPTION", ce.Description)
	}
	e.empty("ERROR", attrs...)
}

// End closes every open element and flushes.
func (e *Encoder) End() error {
	for len(e.open) > 0 {
		e.end(e.open[len(e.open)-1])
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *Encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

// The pieces below go to the bufio.Writer one by one: building "<" + name
// and the like as new strings made over half of an enumeration's
// allocations. The writer's error sticks, so the last write of a piece
// reports any failure of the ones before it.

// text writes s escaped for element content or an attribute value,
// exactly as xml.EscapeText does: the five markup characters, tab,
// newline and carriage return as references, invalid UTF-8 and
// characters XML does not allow as U+FFFD.
func (e *Encoder) text(s string) {
	if e.err != nil {
		return
	}
	w := e.w
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				esc = "&#34;"
			case '\'':
				esc = "&#39;"
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\t':
				esc = "&#x9;"
			case '\n':
				esc = "&#xA;"
			case '\r':
				esc = "&#xD;"
			default:
				if c >= 0x20 {
					i++
					continue
				}
				esc = "\uFFFD"
			}
			w.WriteString(s[last:i])
			w.WriteString(esc)
			i++
			last = i
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		if xmlChar(r) && (r != utf8.RuneError || width > 1) {
			i += width
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString("\uFFFD")
		i += width
		last = i
	}
	_, e.err = w.WriteString(s[last:])
}

// xmlChar reports whether XML allows r (the Char production), for runes
// of two bytes or more in UTF-8.
func xmlChar(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune
}

// tag writes <name attr="value"...close.
func (e *Encoder) tag(name string, attrs []string, close string) {
	if e.err != nil {
		return
	}
	w := e.w
	w.WriteByte('<')
	w.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.WriteByte(' ')
		w.WriteString(attrs[i])
		w.WriteString(`="`)
		e.text(attrs[i+1])
		w.WriteByte('"')
	}
	_, e.err = w.WriteString(close)
}

// closeTag writes </name>.
func (e *Encoder) closeTag(name string) {
	if e.err != nil {
		return
	}
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.err = e.w.WriteByte('>')
}

// start opens name with attribute name/value pairs.
func (e *Encoder) start(name string, attrs ...string) {
	e.tag(name, attrs, ">")
	e.open = append(e.open, name)
}

func (e *Encoder) empty(name string, attrs ...string) { e.tag(name, attrs, "/>") }

func (e *Encoder) end(name string) {
	if n := len(e.open); n == 0 || e.open[n-1] != name {
		e.fail(fmt.Errorf("closing %s out of order", name))
		return
	}
	e.open = e.open[:len(e.open)-1]
	e.closeTag(name)
	switch name {
	case "CIM", "MESSAGE", "SIMPLERSP", "IMETHODRESPONSE", "METHODRESPONSE", "IRETURNVALUE":
		e.raw("\n") // envelope elements end their own lines, as sfcb's do
	}
}

// leaf writes <name attrs>text</name>.
func (e *Encoder) leaf(name, text string, attrs ...string) {
	e.tag(name, attrs, ">")
	e.text(text)
	e.closeTag(name)
}
