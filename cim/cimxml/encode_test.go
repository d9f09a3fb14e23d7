package cimxml

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

func mustDatetime(t *testing.T, s string) cim.Datetime {
	t.Helper()
	d, err := cim.ParseDatetime(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustArray(t *testing.T, typ cim.Type, xs ...any) cim.Value {
	t.Helper()
	v, err := cim.NewArray(typ, xs...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var vmPath = cim.ObjectPath{ClassName: "CIM_ComputerSystem", Keys: []cim.KeyBinding{
	{Name: "CreationClassName", Value: cim.String("CIM_ComputerSystem")},
	{Name: "Name", Value: cim.String("vm0001")},
}}

// everyType is an instance with a property of every CIM type, arrays,
// NULLs, a reference and an embedded instance.
func everyType(t *testing.T) *cim.Instance {
	t.Helper()
	emb := &cim.Instance{ClassName: "CIM_Setting", Properties: []cim.PropertyValue{
		{Name: "ElementName", Value: cim.String(`a<b & "c"`)},
		{Name: "Count", Value: cim.Uint8(7)},
	}}
	ref := vmPath
	ref.Namespace = "root/virtualization"
	return &cim.Instance{ClassName: "VB_Everything", Path: cim.ObjectPath{ClassName: "VB_Everything",
		Keys: []cim.KeyBinding{{Name: "ID", Value: cim.Uint32(42)}, {Name: "On", Value: cim.Bool(true)}}},
		Properties: []cim.PropertyValue{
			{Name: "U8", Value: cim.Uint8(255)},
			{Name: "U16", Value: cim.Uint16(65535)},
			{Name: "U32", Value: cim.Uint32(42)},
			{Name: "U64", Value: cim.Uint64(math.MaxUint64)},
			{Name: "S8", Value: cim.Sint8(-128)},
			{Name: "S16", Value: cim.Sint16(-2)},
			{Name: "S32", Value: cim.Sint32(-3)},
			{Name: "S64", Value: cim.Sint64(math.MinInt64)},
			{Name: "R32", Value: cim.Real32(1.5)},
			{Name: "R64", Value: cim.Real64(-2.25e-10)},
			{Name: "RInf", Value: cim.Real64(math.Inf(-1))},
			{Name: "B", Value: cim.Bool(false)},
			{Name: "S", Value: cim.String("tab\tline\nend <&>")},
			{Name: "C", Value: cim.Char16('é')},
			{Name: "When", Value: cim.DatetimeValue(mustDatetime(t, "20260102030405.123456+060"))},
			{Name: "Uptime", Value: cim.DatetimeValue(mustDatetime(t, "00000001020304.000000:000"))},
			{Name: "System", Value: cim.Ref(ref)},
			{Name: "Setting", Value: cim.InstanceValue(emb)},
			{Name: "Nothing", Value: cim.Null(cim.TypeString)},
			{Name: "NoRef", Value: cim.Null(cim.TypeReference)},
			{Name: "States", Value: mustArray(t, cim.TypeUint16, 2, nil, 3)},
			{Name: "Names", Value: cim.Strings("a", "b")},
			{Name: "Empty", Value: mustArray(t, cim.TypeString)},
			{Name: "NullArray", Value: cim.NullArray(cim.TypeDatetime)},
		}}
}

func TestEncodeInstanceGolden(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.StartIMethodResponse("4711", "EnumerateInstances")
	e.StartReturnValue()
	e.WriteNamedInstance(everyType(t), Filter{})
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	golden(t, "every_type.xml", buf.Bytes())
}

func TestEncodePropertyList(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.WriteInstance(everyType(t), Filter{UsePropertyList: true, PropertyList: []string{"u8", "NAMES"}})
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	want := `<INSTANCE CLASSNAME="VB_Everything"><PROPERTY NAME="U8" TYPE="uint8"><VALUE>255</VALUE></PROPERTY>` +
		`<PROPERTY.ARRAY NAME="Names" TYPE="string"><VALUE.ARRAY><VALUE>a</VALUE><VALUE>b</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>`
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	buf.Reset()
	e = NewEncoder(&buf)
	e.WriteInstance(everyType(t), Filter{UsePropertyList: true})
	if err := e.End(); err != nil || buf.String() != `<INSTANCE CLASSNAME="VB_Everything"></INSTANCE>` {
		t.Errorf("empty property list: %s %v", buf.String(), err)
	}
}

func TestEncodeErrorGolden(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.StartIMethodResponse("4711", "GetInstance")
	e.WriteError(ErrorFor(cim.ErrNotFound))
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	golden(t, "error.xml", buf.Bytes())
}

func TestEncodeMethodResponseGolden(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.StartMethodResponse("4711", "RequestStateChange")
	e.WriteReturnValue(cim.Uint32(4096))
	job := vmPath
	job.Namespace = "root/virtualization"
	e.WriteParamValue("Job", cim.Ref(job))
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	golden(t, "method_response.xml", buf.Bytes())
}

func TestEncodePullGolden(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.StartIMethodResponse("9", "OpenEnumerateInstancePaths")
	e.StartReturnValue()
	p := vmPath
	p.Host, p.Namespace = "hv1", "root/virtualization"
	e.WriteInstancePath(p)
	inst := everyType(t)
	inst.Path = p
	inst.Properties = inst.Properties[:2]
	e.WriteInstanceWithPath(inst, Filter{})
	e.EndReturnValue()
	e.WritePullResult("ctx-1", false)
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	golden(t, "pull.xml", buf.Bytes())
}

func TestEncodeRejects(t *testing.T) {
	for name, f := range map[string]func(*Encoder){
		"named instance without path": func(e *Encoder) { e.WriteNamedInstance(&cim.Instance{ClassName: "X"}, Filter{}) },
		"object path without host":    func(e *Encoder) { e.WriteObjectPath(vmPath) },
		"instance path without host":  func(e *Encoder) { e.WriteInstancePath(vmPath) },
		"NULL key": func(e *Encoder) {
			e.WriteInstanceName(cim.ObjectPath{ClassName: "X", Keys: []cim.KeyBinding{{Name: "K", Value: cim.Null(cim.TypeString)}}})
		},
	} {
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		f(e)
		if err := e.End(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRoundTripPath encodes an instance path as a VALUE.REFERENCE
// parameter of a request and decodes it back.
func TestRoundTripPath(t *testing.T) {
	p := cim.ObjectPath{Host: "hv1:5989", Namespace: "root/virtualization", ClassName: "VB_Disk", Keys: []cim.KeyBinding{
		{Name: "DeviceID", Value: cim.String(`disk "0" <&>`)},
		{Name: "Index", Value: cim.Uint16(3)},
		{Name: "Removable", Value: cim.Bool(true)},
		{Name: "System", Value: cim.Ref(vmPath)},
	}}
	var body bytes.Buffer
	e := NewEncoder(&body)
	e.raw(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="GetInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH>` +
		`<IPARAMVALUE NAME="Ref">`)
	e.writeValue(cim.Ref(p))
	e.raw(`</IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`)
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	req, err := DecodeRequest(&body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := req.Param("ref")
	if got.Kind != ParamReference || !got.Path.Equal(p) || got.Path.Host != "hv1:5989" {
		t.Fatalf("decoded %v, want %v", got.Path, p)
	}
	idx, _ := got.Path.Key("Index")
	if !idx.Equal(cim.Sint64(3)) { // VALUETYPE numeric carries no width
		t.Errorf("Index = %s %s", idx.TypeName(), idx)
	}
	rm, _ := got.Path.Key("Removable")
	sys, _ := got.Path.Key("System")
	if !rm.Equal(cim.Bool(true)) || !sys.Equal(cim.Ref(vmPath)) {
		t.Errorf("Removable %s, System %s", rm, sys)
	}
}

// TestRoundTripInstance decodes our encoding of everyType as a
// CreateInstance parameter and compares every property.
func TestRoundTripInstance(t *testing.T) {
	inst := everyType(t)
	var body bytes.Buffer
	e := NewEncoder(&body)
	e.raw(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="CreateInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH>` +
		`<IPARAMVALUE NAME="NewInstance">`)
	e.WriteInstance(inst, Filter{})
	e.raw(`</IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`)
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	req, err := DecodeRequest(&body)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := req.Param("NewInstance")
	got := p.Instance
	if got == nil || len(got.Properties) != len(inst.Properties) {
		t.Fatalf("decoded %+v", got)
	}
	for _, pv := range inst.Properties {
		gv, _ := got.Get(pv.Name)
		want := pv.Value
		if !gv.Equal(want) && !(pv.Name == "RInf" && strings.Contains(gv.String(), "Inf")) {
			t.Errorf("%s: got %s %s, want %s %s", pv.Name, gv.TypeName(), gv, want.TypeName(), want)
		}
	}
}
