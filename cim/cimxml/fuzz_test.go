package cimxml

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// FuzzDecodeRequest checks that DecodeRequest never panics, returns either
// a request or a *RequestError, and that what it accepts has a method.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(wrap("GetClass", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="CIM_ComputerSystem"/></IPARAMVALUE>`)))
	f.Add([]byte(wrap("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="X"><PROPERTY NAME="R" TYPE="real32"><VALUE>1.5</VALUE></PROPERTY><PROPERTY.ARRAY NAME="A" TYPE="char16"><VALUE.ARRAY><VALUE>x</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY><PROPERTY.REFERENCE NAME="P"><VALUE.REFERENCE><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="K"><KEYVALUE VALUETYPE="numeric">-1</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE></PROPERTY.REFERENCE></INSTANCE></IPARAMVALUE>`)))
	f.Add([]byte(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="8" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="M"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH><CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="E" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="X"/&gt;</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`))
	if dir := findReference(); dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "wire", "wbemcli-requests.log")); err == nil {
			for _, c := range splitCaptures(f, string(b)) {
				f.Add([]byte(c.body))
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(bytes.NewReader(body))
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if req.Method == "" || req.Namespace == "" || req.Params == nil {
			t.Fatalf("accepted request without method or namespace: %+v", req)
		}
		for _, p := range req.Params {
			if p.Kind == ParamInstance {
				roundTrip(t, p.Instance)
			}
		}
	})
}

// roundTrip encodes inst as a CreateInstance parameter, decodes it and
// wants the same instance back (NaN aside, which is never equal).
func roundTrip(t *testing.T, inst *cim.Instance) {
	t.Helper()
	var body bytes.Buffer
	e := NewEncoder(&body)
	e.raw(`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<IMETHODCALL NAME="CreateInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH>` +
		`<IPARAMVALUE NAME="NewInstance">`)
	e.WriteInstance(inst, Filter{})
	e.raw(`</IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`)
	if err := e.End(); err != nil {
		t.Fatalf("encoding decoded instance: %v", err)
	}
	req, err := DecodeRequest(&body)
	if err != nil {
		t.Fatalf("decoding our encoding: %v\n%s", err, body.String())
	}
	got, _ := req.Param("NewInstance")
	want := *inst
	want.Path = cim.ObjectPath{}
	if !got.Instance.Equal(&want) && !strings.Contains(fmt.Sprint(want.Properties), "NaN") {
		t.Fatalf("round trip changed the instance:\n got %+v\nwant %+v", got.Instance.Properties, want.Properties)
	}
}
