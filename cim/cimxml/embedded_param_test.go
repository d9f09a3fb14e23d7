package cimxml

import (
	"net/http"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// TestEmbeddedParamErrors: an embedded instance that does not parse, as
// escaped text or CDATA, is a bad parameter value, not a bad request:
// CIM_ERR_INVALID_PARAMETER in a METHODRESPONSE, naming the parameter
// (and the property whose value is wrong).
func TestEmbeddedParamErrors(t *testing.T) {
	hb := newHandlerBed(t, 2, nil)
	svc := cim.ObjectPath{Namespace: hns, ClassName: "VB_VirtualSystemManagementService"}
	param := func(name, value string) string {
		return `<PARAMVALUE NAME="` + name + `" PARAMTYPE="string" EmbeddedObject="instance"><VALUE>` + value + `</VALUE></PARAMVALUE>`
	}
	for _, c := range []struct {
		name, param string
		want        []string
	}{
		{"escaped, unfinished", param("SystemSettings", `&lt;INSTANCE CLASSNAME="VB_VirtualSystemSettingData"&gt;&lt;PROPERTY NAME="ElementName" TYPE="string"&gt;`),
			[]string{"parameter SystemSettings", "embedded instance"}},
		{"CDATA, unfinished", param("SystemSettings", `<![CDATA[<INSTANCE CLASSNAME="VB_VirtualSystemSettingData"><PROPERTY NAME="ElementName" TYPE="string">]]>`),
			[]string{"parameter SystemSettings", "embedded instance"}},
		{"CDATA, not XML", param("SystemSettings", `<![CDATA[this is no instance]]>`), []string{"parameter SystemSettings"}},
		{"a value out of its type's range", param("SystemSettings", `<![CDATA[<INSTANCE CLASSNAME="VB_VirtualSystemSettingData"><PROPERTY NAME="VirtualQuantity" TYPE="uint64"><VALUE>-512</VALUE></PROPERTY></INSTANCE>]]>`),
			[]string{"parameter SystemSettings", "VB_VirtualSystemSettingData.VirtualQuantity", "-512"}},
	} {
		res := post(t, hb.url, map[string]string{"CIMMethod": "DefineSystem", "CIMObject": hns}, methodBody(svc, "DefineSystem", c.param))
		if res.status != http.StatusOK {
			t.Errorf("%s: HTTP %d (CIMError %q): %s", c.name, res.status, res.header.Get("CIMError"), res.body)
			continue
		}
		r := parseCIM(t, res)
		if r.errCode != int(StatusInvalidParameter) || !strings.Contains(string(res.body), "<METHODRESPONSE") || r.id != "1002" {
			t.Errorf("%s: want CIM_ERR_INVALID_PARAMETER in a METHODRESPONSE with MESSAGE ID 1002, got code %d id %s:\n%s", c.name, r.errCode, r.id, res.body)
		}
		for _, w := range c.want {
			if !strings.Contains(r.errDesc, w) {
				t.Errorf("%s: the description %q does not say %q", c.name, r.errDesc, w)
			}
		}
	}
	// The request itself broken stays a request error.
	res := post(t, hb.url, map[string]string{"CIMMethod": "DefineSystem", "CIMObject": hns}, strings.Replace(methodBody(svc, "DefineSystem"), "</METHODCALL>", "", 1))
	if res.status != http.StatusBadRequest || res.header.Get("CIMError") != "request-not-well-formed" {
		t.Errorf("a request that is not well-formed: HTTP %d CIMError %q", res.status, res.header.Get("CIMError"))
	}
}
