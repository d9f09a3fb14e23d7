package cimxml

import (
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

func TestInstanceCodecRoundTrip(t *testing.T) {
	src := &cim.Instance{ClassName: "VB_ComputerSystem"}
	src.Set("Name", cim.String("0b2f <&> \"x\""))
	src.Set("EnabledState", cim.Uint16(9))
	src.Set("Dedicated", cim.NullArray(cim.TypeUint16))
	ind := &cim.Instance{ClassName: "VB_InstModification"}
	ind.Set("SourceInstance", cim.InstanceValue(src))
	ind.Set("IndicationIdentifier", cim.String("42"))
	ind.Set("Roles", cim.Strings("a", "b"))
	data, err := MarshalInstance(ind)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalInstance(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if got.ClassName != ind.ClassName {
		t.Fatalf("class %s", got.ClassName)
	}
	v, _ := got.Get("SourceInstance")
	inner, ok := v.Instance()
	if !ok {
		t.Fatalf("SourceInstance is %v, not an embedded instance\n%s", v, data)
	}
	name, _ := inner.Get("Name")
	st, _ := inner.Get("EnabledState")
	if s, _ := name.Str(); s != "0b2f <&> \"x\"" {
		t.Errorf("Name %q", s)
	}
	if n, ok := st.Uint(); !ok || n != 9 || st.Type() != cim.TypeUint16 {
		t.Errorf("EnabledState %v (%v)", st, st.Type())
	}
	roles, _ := got.Get("Roles")
	if ss, _ := roles.StringSlice(); len(ss) != 2 || ss[1] != "b" {
		t.Errorf("Roles %v", roles)
	}
	if _, err := UnmarshalInstance([]byte("<CLASS NAME=\"x\"/>")); err == nil {
		t.Error("a CLASS read as an instance")
	}
}
