package cimxml

import (
	"errors"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// wrap puts an IMETHODCALL body inside the envelope.
func wrap(method, params string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="7" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH>` +
		params + `</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

func decodeErr(t *testing.T, body string) *RequestError {
	t.Helper()
	_, err := DecodeRequest(strings.NewReader(body))
	var re *RequestError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *RequestError", err)
	}
	return re
}

func TestDecodeTypedKeysAndPull(t *testing.T) {
	body := wrap("openenumerateinstances", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="VB_Disk"/></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>100</VALUE></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="FilterQueryLanguage"/>`+
		`<IPARAMVALUE NAME="Ref"><VALUE.REFERENCE><INSTANCENAME CLASSNAME="VB_Disk">`+
		`<KEYBINDING NAME="Index"><KEYVALUE VALUETYPE="numeric" TYPE="uint16">0x10</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="Big"><KEYVALUE VALUETYPE="numeric">18446744073709551615</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="Neg"><KEYVALUE VALUETYPE="numeric">-5</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="R"><KEYVALUE VALUETYPE="numeric">1.5</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="On"><KEYVALUE VALUETYPE="boolean">true</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="When"><KEYVALUE TYPE="datetime">20260102030405.000000+000</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="Sys"><VALUE.REFERENCE><INSTANCEPATH><NAMESPACEPATH><HOST>hv1</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH></NAMESPACEPATH>`+
		`<INSTANCENAME CLASSNAME="CIM_ComputerSystem"><KEYBINDING NAME="Name"><KEYVALUE>vm</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH></VALUE.REFERENCE></KEYBINDING>`+
		`</INSTANCENAME></VALUE.REFERENCE></IPARAMVALUE>`)
	req, err := DecodeRequest(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "OpenEnumerateInstances" || !req.Intrinsic || req.MessageID != "7" {
		t.Errorf("method %q intrinsic %v id %q", req.Method, req.Intrinsic, req.MessageID)
	}
	if n, ok, err := req.Uint32("maxobjectcount"); n != 100 || !ok || err != nil {
		t.Errorf("MaxObjectCount %d %v %v", n, ok, err)
	}
	if p, _ := req.Param("FilterQueryLanguage"); p.Kind != ParamNull {
		t.Errorf("FilterQueryLanguage kind %d", p.Kind)
	}
	p, _ := req.Param("ref")
	when, _ := cim.ParseDatetime("20260102030405.000000+000")
	want := map[string]cim.Value{
		"Index": cim.Uint16(16), "Big": cim.Uint64(1<<64 - 1), "Neg": cim.Sint64(-5),
		"R": cim.Real64(1.5), "On": cim.Bool(true), "When": cim.DatetimeValue(when),
	}
	for k, w := range want {
		if v, _ := p.Path.Key(k); !v.Equal(w) || v.Type() != w.Type() {
			t.Errorf("key %s = %s %s, want %s %s", k, v.TypeName(), v, w.TypeName(), w)
		}
	}
	sys, _ := p.Path.Key("Sys")
	ref, _ := sys.Ref()
	if ref.String() != `//hv1/root:CIM_ComputerSystem.Name="vm"` {
		t.Errorf("Sys = %s", ref)
	}
}

func TestDecodeExtrinsicTyped(t *testing.T) {
	body := `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="8" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="DefineSystem">` +
		`<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH><CLASSNAME NAME="VB_Service"/></LOCALCLASSPATH>` +
		`<PARAMVALUE NAME="Count" PARAMTYPE="uint8"><VALUE>9</VALUE></PARAMVALUE>` +
		`<PARAMVALUE NAME="Names" PARAMTYPE="string"><VALUE.ARRAY><VALUE>a</VALUE><VALUE.NULL/></VALUE.ARRAY></PARAMVALUE>` +
		`<PARAMVALUE NAME="SystemSettings" PARAMTYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="VB_Setting"&gt;&lt;PROPERTY NAME="Mem" TYPE="uint64"&gt;&lt;VALUE&gt;1024&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;</VALUE></PARAMVALUE>` +
		`</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	req, err := DecodeRequest(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Intrinsic || req.Method != "DefineSystem" || req.Namespace != "root/virtualization" || !req.Target.IsClass() || req.Target.ClassName != "VB_Service" {
		t.Errorf("request %+v target %v", req, req.Target)
	}
	if p, _ := req.Param("count"); !p.Value.Equal(cim.Uint8(9)) {
		t.Errorf("Count %s", p.Value)
	}
	want, _ := cim.Array(cim.TypeString, cim.String("a"), cim.Null(cim.TypeString))
	if p, _ := req.Param("Names"); !p.Value.Equal(want) {
		t.Errorf("Names %s", p.Value)
	}
	p, _ := req.Param("SystemSettings")
	inst, ok := p.Value.Instance()
	if !ok || inst.ClassName != "VB_Setting" {
		t.Fatalf("SystemSettings %s", p.Value)
	}
	if m, _ := inst.Get("Mem"); !m.Equal(cim.Uint64(1024)) {
		t.Errorf("Mem %s", m)
	}
}

func TestDecodeRejects(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` +
		wrap("GetClass", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="&lol2;"/></IPARAMVALUE>`)[len(`<?xml version="1.0" encoding="utf-8" ?>`):]
	deep := wrap("GetClass", `<IPARAMVALUE NAME="X">`+strings.Repeat("<VALUE.ARRAY>", 40)+strings.Repeat("</VALUE.ARRAY>", 40)+`</IPARAMVALUE>`)
	ok := `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="CIM_ComputerSystem"/></IPARAMVALUE>`
	for _, tc := range []struct {
		name   string
		body   string
		kind   RequestErrorKind
		header string
	}{
		{"billion laughs", laughs, NotWellFormed, "request-not-well-formed"},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY x SYSTEM "file:///etc/passwd">]><CIM>&x;</CIM>`, NotWellFormed, "request-not-well-formed"},
		{"undeclared entity", wrap("GetClass", `<IPARAMVALUE NAME="ClassName"><VALUE>&x;</VALUE></IPARAMVALUE>`), NotWellFormed, ""},
		{"unclosed", wrap("GetClass", ok)[:200], NotWellFormed, ""},
		{"mismatched end", `<CIM></MESSAGE>`, NotWellFormed, ""},
		{"two roots", wrap("GetClass", ok) + "<CIM/>", NotWellFormed, ""},
		{"deep nesting", deep, NotValid, "request-not-valid"},
		{"unknown element", wrap("GetClass", `<IPARAMVALUE NAME="ClassName"><BOGUS/></IPARAMVALUE>`), NotValid, ""},
		{"unknown element in call", wrap("GetClass", `<BOGUS/>`), NotValid, ""},
		{"missing NAMESPACE", strings.Replace(wrap("GetClass", ok), `<NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/>`, "", 1), NotValid, ""},
		{"missing LOCALNAMESPACEPATH", strings.Replace(wrap("GetClass", ok), `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH>`, "", 1), NotValid, ""},
		{"bad boolean key", wrap("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="X"><KEYBINDING NAME="K"><KEYVALUE VALUETYPE="boolean">yes</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), NotValid, ""},
		{"bad numeric key", wrap("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="X"><KEYBINDING NAME="K"><KEYVALUE VALUETYPE="numeric">12abc</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), NotValid, ""},
		{"key out of range", wrap("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="X"><KEYBINDING NAME="K"><KEYVALUE VALUETYPE="numeric" TYPE="uint8">256</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), NotValid, ""},
		{"unknown VALUETYPE", wrap("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="X"><KEYBINDING NAME="K"><KEYVALUE VALUETYPE="float">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), NotValid, ""},
		{"duplicate param", wrap("GetClass", ok+ok), NotValid, ""},
		{"two calls", strings.Replace(wrap("GetClass", ok), "</SIMPLEREQ>", `<IMETHODCALL NAME="GetClass"/></SIMPLEREQ>`, 1), NotValid, ""},
		{"CIMVERSION", strings.Replace(wrap("GetClass", ok), `CIMVERSION="2.0"`, `CIMVERSION="3.0"`, 1), UnsupportedCIMVersion, "unsupported-cim-version"},
		{"DTDVERSION", strings.Replace(wrap("GetClass", ok), `DTDVERSION="2.0"`, `DTDVERSION="1.1"`, 1), UnsupportedDTDVersion, "unsupported-dtd-version"},
		{"PROTOCOLVERSION", strings.Replace(wrap("GetClass", ok), `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="2.0"`, 1), UnsupportedProtocolVersion, "unsupported-protocol-version"},
		{"unknown intrinsic", wrap("FrobnicateInstances", ok), NotSupported, ""},
		{"namespaced element", `<x:CIM xmlns:x="urn:x"/>`, NotValid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := decodeErr(t, tc.body)
			if re.Kind != tc.kind {
				t.Fatalf("kind %d, want %d: %v", re.Kind, tc.kind, re)
			}
			if tc.header != "" && re.CIMErrorHeader() != tc.header {
				t.Errorf("CIMError header %q, want %q", re.CIMErrorHeader(), tc.header)
			}
			if strings.Contains(re.Error(), "lollol") || strings.Contains(re.Error(), "root:") {
				t.Errorf("entity expanded: %v", re)
			}
		})
	}
}

func TestRequestErrorAnswers(t *testing.T) {
	re := decodeErr(t, wrap("FrobnicateInstances", ""))
	if re.HTTPStatus() != 200 || re.MessageID != "7" || ErrorFor(re).Status != StatusNotSupported {
		t.Errorf("not supported: HTTP %d id %q status %v", re.HTTPStatus(), re.MessageID, ErrorFor(re).Status)
	}
	re = decodeErr(t, "<CIM")
	if re.HTTPStatus() != 400 || re.CIMErrorHeader() != "request-not-well-formed" {
		t.Errorf("not well-formed: HTTP %d %q", re.HTTPStatus(), re.CIMErrorHeader())
	}
	re = decodeErr(t, strings.Replace(wrap("GetClass", ""), `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="9"`, 1))
	if re.HTTPStatus() != 501 {
		t.Errorf("protocol version: HTTP %d", re.HTTPStatus())
	}
}

func TestLimits(t *testing.T) {
	body := wrap("GetClass", strings.Repeat(`<IPARAMVALUE NAME="A"/>`, 1))
	lim := DefaultLimits()
	lim.MaxElements = 5
	if _, err := DecodeRequestLimits(strings.NewReader(body), lim); err == nil {
		t.Error("element limit not enforced")
	}
	lim = DefaultLimits()
	lim.MaxBytes = 64
	_, err := DecodeRequestLimits(strings.NewReader(body), lim)
	var re *RequestError
	if !errors.As(err, &re) || re.Kind != NotValid || !strings.Contains(err.Error(), "size limit") {
		t.Errorf("size limit: %v", err)
	}
	emb := `&lt;INSTANCE CLASSNAME="X"&gt;&lt;/INSTANCE&gt;`
	lim = DefaultLimits()
	lim.MaxEmbed = 0
	embBody := wrap("CreateInstance", `<IPARAMVALUE NAME="I"><INSTANCE CLASSNAME="Y"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="instance"><VALUE>`+emb+`</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`)
	if _, err := DecodeRequestLimits(strings.NewReader(embBody), lim); err == nil {
		t.Error("embedding limit not enforced")
	}
	if _, err := DecodeRequest(strings.NewReader(embBody)); err != nil {
		t.Errorf("one embedded instance: %v", err)
	}
}
