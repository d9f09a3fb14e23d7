package cimxml

import "github.com/virtbridge/virtbridge/cim"

// parseScalar parses the text of a VALUE of type t (DSP0201 §3.2.6).
func parseScalar(t cim.Type, text string) (cim.Value, error) {
	v, err := cim.ParseScalar(t, text)
	if err != nil {
		return cim.Value{}, notValid("%v", err)
	}
	return v, nil
}

// parseNumeric types an untyped numeric KEYVALUE.
func parseNumeric(s string) (cim.Value, error) {
	v, err := cim.ParseNumeric(s)
	if err != nil {
		return cim.Value{}, notValid("%v", err)
	}
	return v, nil
}
