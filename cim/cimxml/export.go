package cimxml

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/virtbridge/virtbridge/cim"
)

// Export messages (DSP0200 §5.3.1 / §7.3: CIMExport headers; DSP0201
// SIMPLEEXPREQ): what an indication service sends a listener, and what
// the listener answers.

// ExportIndication is the one export method.
const ExportIndication = "ExportIndication"

// WriteExportIndication writes an ExportIndication request carrying
// indication as its NewIndication parameter.
func WriteExportIndication(w io.Writer, messageID string, indication *cim.Instance) error {
	e := NewEncoder(w)
	e.exportEnvelope(messageID, "SIMPLEEXPREQ")
	e.start("EXPMETHODCALL", "NAME", ExportIndication)
	e.start("EXPPARAMVALUE", "NAME", "NewIndication")
	e.WriteInstance(indication, Filter{})
	return e.End()
}

// WriteExportResponse writes a listener's answer: success when ce is nil,
// else ERROR.
func WriteExportResponse(w io.Writer, messageID string, ce *Error) error {
	e := NewEncoder(w)
	e.exportEnvelope(messageID, "SIMPLEEXPRSP")
	e.start("EXPMETHODRESPONSE", "NAME", ExportIndication)
	if ce != nil {
		e.WriteError(ce)
	} else {
		e.empty("IRETURNVALUE")
	}
	return e.End()
}

func (e *Encoder) exportEnvelope(id, kind string) {
	e.raw(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	e.start("CIM", "CIMVERSION", "2.0", "DTDVERSION", "2.0")
	e.start("MESSAGE", "ID", id, "PROTOCOLVERSION", "1.0")
	e.start(kind)
}

// ExportRequest is a decoded ExportIndication request.
type ExportRequest struct {
	MessageID  string
	Indication *cim.Instance
}

// DecodeExportRequest reads an ExportIndication request, as a listener
// does.
func DecodeExportRequest(r io.Reader) (*ExportRequest, error) {
	d := &decoder{budget: budget{lim: DefaultLimits()}}
	root, err := readTree(r, &d.budget)
	if err != nil {
		return nil, err
	}
	id, body, err := exportBody(root, "SIMPLEEXPREQ")
	if err != nil {
		return nil, err
	}
	call, err := only(body, "EXPMETHODCALL")
	if err != nil {
		return nil, err
	}
	if name, _ := call.Attr("NAME"); name != ExportIndication {
		return nil, notValid("export method %q, want %s", name, ExportIndication)
	}
	param, err := only(call, "EXPPARAMVALUE")
	if err != nil {
		return nil, err
	}
	inst, err := only(param, "INSTANCE")
	if err != nil {
		return nil, err
	}
	ind, err := d.instance(inst)
	if err != nil {
		return nil, err
	}
	return &ExportRequest{MessageID: id, Indication: ind}, nil
}

// ErrExportResponse is wrapped by DecodeExportResponse's errors for an
// answer that is not an export response at all.
var ErrExportResponse = errors.New("not a CIM-XML export response")

// DecodeExportResponse reads a listener's answer: nil for success, the
// listener's *Error for ERROR, an error wrapping ErrExportResponse for
// anything else.
func DecodeExportResponse(r io.Reader) error {
	d := &decoder{budget: budget{lim: DefaultLimits()}}
	root, err := readTree(r, &d.budget)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrExportResponse, err)
	}
	_, body, err := exportBody(root, "SIMPLEEXPRSP")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrExportResponse, err)
	}
	resp, err := only(body, "EXPMETHODRESPONSE")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrExportResponse, err)
	}
	for _, k := range resp.Kids {
		if k.Name == "ERROR" {
			code, _ := k.Attr("CODE")
			n, _ := strconv.ParseUint(code, 10, 32)
			desc, _ := k.Attr("DESCRIPTION")
			return &Error{Status: Status(n), Description: desc}
		}
	}
	return nil
}

// exportBody checks the envelope and returns the message ID and the
// SIMPLEEXPREQ or SIMPLEEXPRSP element.
func exportBody(root *node, kind string) (string, *node, error) {
	if root.Name != "CIM" {
		return "", nil, notValid("root element is %s, not CIM", root.Name)
	}
	msg, err := only(root, "MESSAGE")
	if err != nil {
		return "", nil, err
	}
	id, _ := msg.Attr("ID")
	body, err := only(msg, kind)
	return id, body, err
}
