package cimxml

import (
	"bytes"

	"github.com/virtbridge/virtbridge/cim"
)

// MarshalInstance writes inst as one DSP0201 INSTANCE element: the
// standard's text form of an instance, which the indication service
// also stores its undelivered indications in.
func MarshalInstance(inst *cim.Instance) ([]byte, error) {
	var b bytes.Buffer
	e := NewEncoder(&b)
	e.WriteInstance(inst, Filter{})
	if err := e.End(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalInstance reads what MarshalInstance wrote.
func UnmarshalInstance(data []byte) (*cim.Instance, error) {
	d := &decoder{budget: budget{lim: DefaultLimits()}}
	root, err := readTree(bytes.NewReader(data), &d.budget)
	if err != nil {
		return nil, err
	}
	if root.Name != "INSTANCE" {
		return nil, notValid("stored instance is <%s>, not INSTANCE", root.Name)
	}
	return d.instance(root)
}
