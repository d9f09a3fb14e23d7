package cimxml

import (
	"bytes"
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

// TestEmbeddedCacheSameBytes: an export written with the cache, cold and
// warm, is byte for byte the one written without; the cache keeps at
// most its size.
func TestEmbeddedCacheSameBytes(t *testing.T) {
	ind := benchIndication()
	var plain, cold, warm bytes.Buffer
	if err := WriteExportIndication(&plain, "7", ind); err != nil {
		t.Fatal(err)
	}
	c := NewEmbeddedCache(2)
	if err := c.WriteExportIndication(&cold, "7", ind); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteExportIndication(&warm, "7", ind); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain.Bytes(), cold.Bytes()) || !bytes.Equal(plain.Bytes(), warm.Bytes()) {
		t.Fatalf("cached export differs:\n%s\n%s\n%s", plain.Bytes(), cold.Bytes(), warm.Bytes())
	}
	if c.c.Len() != 2 {
		t.Fatalf("cache holds %d, want the 2 embedded instances", c.c.Len())
	}
	other := benchIndication()
	var again bytes.Buffer
	if err := c.WriteExportIndication(&again, "7", other); err != nil || !bytes.Equal(again.Bytes(), plain.Bytes()) {
		t.Fatalf("a new indication: %v", err)
	}
	if c.c.Len() != 2 {
		t.Errorf("cache of size 2 holds %d", c.c.Len())
	}
	if req, err := DecodeExportRequest(&again); err != nil || req.Indication == nil {
		t.Errorf("cached export does not decode: %v", err)
	}
}
