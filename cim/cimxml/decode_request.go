package cimxml

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// DecodeRequest reads one CIM-XML request body with DefaultLimits.
func DecodeRequest(r io.Reader) (*Request, error) {
	return DecodeRequestLimits(r, DefaultLimits())
}

// DecodeRequestLimits reads one CIM-XML request body. Errors are
// *RequestError; see its Kind for the answer to send.
func DecodeRequestLimits(r io.Reader, lim Limits) (*Request, error) {
	d := &decoder{budget: budget{lim: lim}}
	root, err := readTree(r, &d.budget)
	if err != nil {
		return nil, err
	}
	req, err := d.request(root)
	if err != nil {
		var re *RequestError
		if !errors.As(err, &re) {
			re = &RequestError{Kind: NotValid, Err: err}
		}
		if req != nil {
			re.MessageID = req.MessageID
			re.Extrinsic = req.Method != "" && !req.Intrinsic
		}
		return nil, re
	}
	return req, nil
}

// decoder interprets the tree; embed counts embedded-object nesting.
type decoder struct {
	budget
	embed int
}

// request returns what it has read so far along with an error, so that
// the MessageID can be echoed.
func (d *decoder) request(root *node) (*Request, error) {
	if root.Name != "CIM" {
		return nil, notValid("root element is %s, not CIM", root.Name)
	}
	if err := checkVersion(root, "CIMVERSION", "2.", UnsupportedCIMVersion); err != nil {
		return nil, err
	}
	if err := checkVersion(root, "DTDVERSION", "2.", UnsupportedDTDVersion); err != nil {
		return nil, err
	}
	msg, err := only(root, "MESSAGE")
	if err != nil {
		return nil, err
	}
	req := &Request{Params: map[string]Param{}}
	id, ok := msg.Attr("ID")
	if !ok {
		return nil, notValid("MESSAGE without ID")
	}
	req.MessageID = id
	if err := checkVersion(msg, "PROTOCOLVERSION", "1.", UnsupportedProtocolVersion); err != nil {
		return req, err
	}
	simple, err := only(msg, "SIMPLEREQ")
	if err != nil {
		return req, err
	}
	// SIMPLEREQ may start with CORRELATOR elements (DSP0201 2.4); skip them.
	var call *node
	for _, k := range simple.Kids {
		switch k.Name {
		case "CORRELATOR":
		case "IMETHODCALL", "METHODCALL":
			if call != nil {
				return req, notValid("SIMPLEREQ holds more than one call")
			}
			call = k
		default:
			return req, notValid("unexpected %s in SIMPLEREQ", k.Name)
		}
	}
	if call == nil {
		return req, notValid("SIMPLEREQ holds no method call")
	}
	if call.Name == "IMETHODCALL" {
		return req, d.intrinsic(req, call)
	}
	return req, d.extrinsic(req, call)
}

func checkVersion(n *node, attr, prefix string, kind RequestErrorKind) error {
	v, ok := n.Attr(attr)
	if !ok {
		return notValid("%s without %s", n.Name, attr)
	}
	if !strings.HasPrefix(v, prefix) {
		return &RequestError{Kind: kind, Err: fmt.Errorf("%s %q not supported", attr, v)}
	}
	return nil
}

// only returns n's single child, which must be called name.
func only(n *node, name string) (*node, error) {
	if len(n.Kids) != 1 || n.Kids[0].Name != name {
		return nil, notValid("%s must hold exactly one %s", n.Name, name)
	}
	return n.Kids[0], nil
}

func (d *decoder) intrinsic(req *Request, call *node) error {
	name, _ := call.Attr("NAME")
	req.Intrinsic = true
	canon, ok := intrinsicName(name)
	if !ok {
		return &RequestError{Kind: NotSupported, Err: fmt.Errorf("intrinsic method %q not supported", name)}
	}
	req.Method = canon
	for i, k := range call.Kids {
		switch {
		case i == 0 && k.Name == "LOCALNAMESPACEPATH":
			ns, err := localNamespace(k)
			if err != nil {
				return err
			}
			req.Namespace = ns
		case i > 0 && k.Name == "IPARAMVALUE":
			if err := d.addParam(req, k); err != nil {
				return err
			}
		default:
			return notValid("unexpected %s in IMETHODCALL", k.Name)
		}
	}
	if req.Namespace == "" {
		return notValid("IMETHODCALL without LOCALNAMESPACEPATH")
	}
	return nil
}

func (d *decoder) extrinsic(req *Request, call *node) error {
	name, _ := call.Attr("NAME")
	if !cim.ValidName(name) {
		return notValid("METHODCALL NAME %q is not a method name", name)
	}
	req.Method = name
	if len(call.Kids) == 0 {
		return notValid("METHODCALL without LOCALINSTANCEPATH or LOCALCLASSPATH")
	}
	var target cim.ObjectPath
	var err error
	switch t := call.Kids[0]; t.Name {
	case "LOCALINSTANCEPATH":
		target, err = d.localInstancePath(t)
	case "LOCALCLASSPATH":
		target, err = localClassPath(t)
	default:
		return notValid("METHODCALL starts with %s, not a local path", t.Name)
	}
	if err != nil {
		return err
	}
	req.Target = &target
	req.Namespace = target.Namespace
	for _, k := range call.Kids[1:] {
		if k.Name != "PARAMVALUE" {
			return notValid("unexpected %s in METHODCALL", k.Name)
		}
		if err := d.addParam(req, k); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) addParam(req *Request, n *node) error {
	name, ok := n.Attr("NAME")
	if !ok || name == "" {
		return notValid("%s without NAME", n.Name)
	}
	key := strings.ToLower(name)
	if _, dup := req.Params[key]; dup {
		return notValid("parameter %s given twice", name)
	}
	p, err := d.param(n)
	if err != nil {
		return within("parameter "+name, err)
	}
	p.Name = name
	req.Params[key] = p
	return nil
}

// intrinsicName returns the DSP0200 spelling of an intrinsic method.
func intrinsicName(name string) (string, bool) {
	for _, m := range []string{
		"GetClass", "GetInstance", "DeleteClass", "DeleteInstance",
		"CreateClass", "CreateInstance", "ModifyClass", "ModifyInstance",
		"EnumerateClasses", "EnumerateClassNames", "EnumerateInstances",
		"EnumerateInstanceNames", "ExecQuery", "Associators", "AssociatorNames",
		"References", "ReferenceNames", "GetProperty", "SetProperty",
		"GetQualifier", "SetQualifier", "DeleteQualifier", "EnumerateQualifiers",
		"OpenEnumerateInstances", "OpenEnumerateInstancePaths",
		"OpenAssociatorInstances", "OpenAssociatorInstancePaths",
		"OpenReferenceInstances", "OpenReferenceInstancePaths",
		"OpenQueryInstances", "PullInstancesWithPath", "PullInstancePaths",
		"PullInstances", "CloseEnumeration", "EnumerationCount",
	} {
		if strings.EqualFold(m, name) {
			return m, true
		}
	}
	return "", false
}
