package conformance

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Raw CIM-XML requests for the indication tests: the subscription
// classes' CreateInstance carries references, which wbemcli's command
// line cannot spell.

var (
	cimErrorCode = regexp.MustCompile(`<ERROR CODE="(\d+)"(?: DESCRIPTION="([^"]*)")?`)
	returnCode   = regexp.MustCompile(`(?s)<RETURNVALUE[^>]*>\s*<VALUE>(\d+)</VALUE>`)
)

// cimPost sends one CIM-XML request as user and returns the body; the
// CIM error code, 0 when there is none.
func (a *agent) cimPost(t *testing.T, user, method, object, call string) (string, int) {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="7" PROTOCOLVERSION="1.0"><SIMPLEREQ>` + call + `</SIMPLEREQ></MESSAGE></CIM>`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+a.cimHTTP+"/cimom", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMOperation", "MethodCall")
	req.Header.Set("CIMMethod", method)
	req.Header.Set("CIMObject", object)
	req.SetBasicAuth(user, map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user])
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %s\n%s", method, resp.Status, out)
	}
	code := 0
	if m := cimErrorCode.FindStringSubmatch(string(out)); m != nil {
		fmt.Sscan(m[1], &code)
	}
	return string(out), code
}

func interopCall(method, params string) string {
	return `<IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="interop"/></LOCALNAMESPACEPATH>` + params + `</IMETHODCALL>`
}

func strProp(name, value string) string {
	return `<PROPERTY NAME="` + name + `" TYPE="string"><VALUE>` + xmlEscape(value) + `</VALUE></PROPERTY>`
}

// named is an INSTANCENAME of a filter or destination called name.
func named(class, name string) string {
	return `<INSTANCENAME CLASSNAME="` + class + `"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">` + name + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
}

// createFilter, createDestination and createSubscription make the three
// instances of a subscription as user; they return the CIM error code.
func (a *agent) createFilter(t *testing.T, user, name, lang, query string) int {
	t.Helper()
	_, code := a.cimPost(t, user, "CreateInstance", "root/interop", interopCall("CreateInstance",
		`<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="CIM_IndicationFilter">`+strProp("Name", name)+strProp("QueryLanguage", lang)+strProp("Query", query)+`</INSTANCE></IPARAMVALUE>`))
	return code
}

func (a *agent) createDestination(t *testing.T, user, name, url string) int {
	t.Helper()
	_, code := a.cimPost(t, user, "CreateInstance", "root/interop", interopCall("CreateInstance",
		`<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML">`+strProp("Name", name)+strProp("Destination", url)+`</INSTANCE></IPARAMVALUE>`))
	return code
}

func (a *agent) createSubscription(t *testing.T, user, filter, handler string) int {
	t.Helper()
	ref := func(prop, class, name string) string {
		return `<PROPERTY.REFERENCE NAME="` + prop + `"><VALUE.REFERENCE>` + named(class, name) + `</VALUE.REFERENCE></PROPERTY.REFERENCE>`
	}
	_, code := a.cimPost(t, user, "CreateInstance", "root/interop", interopCall("CreateInstance",
		`<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="CIM_IndicationSubscription">`+
			ref("Filter", "CIM_IndicationFilter", filter)+ref("Handler", "CIM_ListenerDestinationCIMXML", handler)+
			`<PROPERTY NAME="OnFatalErrorPolicy" TYPE="uint16"><VALUE>2</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`))
	return code
}

// subscribeAll makes filter, destination and subscription called name.
func (a *agent) subscribeAll(t *testing.T, name, lang, query, url string) {
	t.Helper()
	for what, code := range map[string]int{"filter": a.createFilter(t, cimOperator, name, lang, query)} {
		if code != 0 {
			t.Fatalf("creating the %s: CIM error %d", what, code)
		}
	}
	if code := a.createDestination(t, cimOperator, name, url); code != 0 {
		t.Fatalf("creating the destination: CIM error %d", code)
	}
	if code := a.createSubscription(t, cimOperator, name, name); code != 0 {
		t.Fatalf("creating the subscription: CIM error %d", code)
	}
}

// requestState asks VM uuid for a state through RequestStateChange.
func (a *agent) requestState(t *testing.T, uuid string, state int) {
	t.Helper()
	path := `<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH>` +
		`<INSTANCENAME CLASSNAME="VB_ComputerSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">VB_ComputerSystem</KEYVALUE></KEYBINDING>` +
		`<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">` + uuid + `</KEYVALUE></KEYBINDING></INSTANCENAME></LOCALINSTANCEPATH>`
	out, code := a.cimPost(t, cimOperator, "RequestStateChange", `root/virtualization:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="`+uuid+`"`,
		`<METHODCALL NAME="RequestStateChange">`+path+`<PARAMVALUE NAME="RequestedState" PARAMTYPE="uint16"><VALUE>`+fmt.Sprint(state)+`</VALUE></PARAMVALUE></METHODCALL>`)
	if m := returnCode.FindStringSubmatch(out); code != 0 || m == nil || (m[1] != "0" && m[1] != "4096") {
		t.Fatalf("RequestStateChange %d: CIM error %d\n%s", state, code, out)
	}
}

// countInterop counts the instances of class in root/interop.
func (a *agent) countInterop(t *testing.T, class string) int {
	t.Helper()
	out, code := a.cimPost(t, cimViewer, "EnumerateInstanceNames", "root/interop", interopCall("EnumerateInstanceNames",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="`+class+`"/></IPARAMVALUE>`))
	if code != 0 {
		t.Fatalf("EnumerateInstanceNames %s: CIM error %d", class, code)
	}
	// A subscription's reference keys hold INSTANCENAMEs of their own.
	return strings.Count(out, "<INSTANCENAME ") - strings.Count(out, "<VALUE.REFERENCE>")
}
