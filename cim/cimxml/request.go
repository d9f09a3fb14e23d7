package cimxml

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// Request is a decoded CIM-XML operation request.
type Request struct {
	MessageID string
	// Intrinsic is set for IMETHODCALL; Method is then the DSP0200 name in
	// its canonical spelling.
	Intrinsic bool
	Method    string
	Namespace string // "root/virtualization"
	// Target is the instance or class an extrinsic method is invoked on.
	Target *cim.ObjectPath
	// Params holds IPARAMVALUEs or PARAMVALUEs keyed by lower-case name;
	// use Param for lookups.
	Params map[string]Param
}

// ParamKind says which field of a Param is filled.
type ParamKind uint8

// The parameter kinds.
const (
	ParamNull         ParamKind = iota // element present without content
	ParamValue                         // Value: VALUE, VALUE.ARRAY, VALUE.REFARRAY
	ParamClassName                     // ClassName
	ParamInstanceName                  // Path
	ParamReference                     // Path (and Value, a reference)
	ParamInstance                      // Instance (Path set for VALUE.NAMEDINSTANCE)
)

// Param is one parameter of a request. Untyped VALUEs (no PARAMTYPE) come
// as strings; the accessors below convert them.
type Param struct {
	Name      string
	Kind      ParamKind
	Value     cim.Value
	ClassName string
	Path      *cim.ObjectPath
	Instance  *cim.Instance
}

// Param returns the parameter called name (case-insensitive).
func (r *Request) Param(name string) (Param, bool) {
	p, ok := r.Params[strings.ToLower(name)]
	return p, ok
}

// Bool returns a boolean parameter, def when absent or NULL.
func (r *Request) Bool(name string, def bool) (bool, error) {
	p, ok := r.Param(name)
	if !ok || p.Kind == ParamNull || p.Value.IsNull() {
		return def, nil
	}
	if b, ok := p.Value.Bool(); ok {
		return b, nil
	}
	if s, ok := p.Value.Str(); ok {
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case "TRUE":
			return true, nil
		case "FALSE":
			return false, nil
		}
	}
	return false, Errorf(StatusInvalidParameter, "parameter %s: not a boolean", name)
}

// String returns a string parameter (QueryLanguage, Role, PropertyName,
// EnumerationContext, ...); ok is false when absent or NULL.
func (r *Request) String(name string) (string, bool) {
	p, ok := r.Param(name)
	if !ok {
		return "", false
	}
	s, ok := p.Value.Str()
	return s, ok
}

// Uint32 returns an unsigned parameter such as MaxObjectCount; ok is
// false when absent or NULL.
func (r *Request) Uint32(name string) (uint32, bool, error) {
	p, found := r.Param(name)
	if !found || p.Kind == ParamNull || p.Value.IsNull() {
		return 0, false, nil
	}
	if u, ok := p.Value.Uint(); ok && u <= 1<<32-1 {
		return uint32(u), true, nil
	}
	if s, ok := p.Value.Str(); ok {
		v, err := parseScalar(cim.TypeUint32, s)
		if err == nil {
			u, _ := v.Uint()
			return uint32(u), true, nil
		}
	}
	return 0, false, Errorf(StatusInvalidParameter, "parameter %s: not a uint32", name)
}

// ClassName returns a CLASSNAME parameter (ClassName, AssocClass,
// ResultClass).
func (r *Request) ClassName(name string) (string, bool) {
	p, ok := r.Param(name)
	if !ok || p.Kind != ParamClassName {
		return "", false
	}
	return p.ClassName, true
}

// PropertyList returns the PropertyList parameter: ok false means no
// filter (absent or NULL), an empty list means no properties.
func (r *Request) PropertyList() (names []string, ok bool) {
	p, found := r.Param("PropertyList")
	if !found || p.Kind != ParamValue || p.Value.IsNull() {
		return nil, false
	}
	if ss, ok := p.Value.StringSlice(); ok {
		return ss, true
	}
	return nil, false
}
