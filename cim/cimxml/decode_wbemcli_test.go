package cimxml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// vm0001 is the instance every wbemcli request names.
const vm0001 = `/root/virtualization:CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="vm0001"`

func wbemcliRequests(t *testing.T) []capture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir(t), "wire", "wbemcli-requests.log"))
	if err != nil {
		t.Fatal(err)
	}
	caps := splitCaptures(t, string(b))
	if len(caps) != 26 {
		t.Fatalf("found %d requests in the capture, want 26", len(caps))
	}
	return caps
}

func TestDecodeWbemcliCapture(t *testing.T) {
	seen := map[string]int{}
	for i, c := range wbemcliRequests(t) {
		req, err := DecodeRequest(strings.NewReader(c.body))
		if err != nil {
			t.Fatalf("request %d (%s): %v", i, c.headers["cimmethod"], err)
		}
		seen[req.Method]++
		if req.Method != c.headers["cimmethod"] || req.MessageID != "4711" || req.Namespace != "root/virtualization" {
			t.Errorf("request %d: method %q id %q namespace %q", i, req.Method, req.MessageID, req.Namespace)
		}
		checkWbemcli(t, i, req)
	}
	want := map[string]int{
		"EnumerateInstanceNames": 1, "GetInstance": 5, "Associators": 1, "AssociatorNames": 1,
		"References": 1, "ReferenceNames": 1, "GetClass": 7, "EnumerateClassNames": 1,
		"EnumerateClasses": 1, "GetProperty": 1, "DeleteInstance": 1, "RequestStateChange": 1,
		"SetProperty": 1, "ModifyInstance": 1, "CreateInstance": 1, "EnumerateInstances": 1,
	}
	for m, n := range want {
		if seen[m] != n {
			t.Errorf("%s decoded %d times, want %d", m, seen[m], n)
		}
	}
}

// checkWbemcli asserts the parameters of each kind of request.
func checkWbemcli(t *testing.T, i int, req *Request) {
	t.Helper()
	wantBool := func(name string, want bool) {
		t.Helper()
		got, err := req.Bool(name, !want)
		if err != nil || got != want {
			t.Errorf("request %d %s: %s = %v, %v; want %v", i, req.Method, name, got, err, want)
		}
	}
	wantClass := func(name, want string) {
		t.Helper()
		if got, _ := req.ClassName(name); got != want {
			t.Errorf("request %d %s: %s = %q, want %q", i, req.Method, name, got, want)
		}
	}
	wantPath := func(name string) {
		t.Helper()
		p, ok := req.Param(name)
		if !ok || p.Kind != ParamInstanceName || p.Path.String() != "/:"+vm0001[len("/root/virtualization:"):] {
			t.Errorf("request %d %s: %s = %+v", i, req.Method, name, p)
			return
		}
		for _, k := range p.Path.Keys {
			if k.Value.Type() != cim.TypeString {
				t.Errorf("request %d: key %s is %s", i, k.Name, k.Value.TypeName())
			}
		}
	}
	switch req.Method {
	case "EnumerateInstanceNames":
		wantClass("ClassName", "CIM_ComputerSystem")
	case "EnumerateInstances":
		wantClass("ClassName", "CIM_ComputerSystem")
		wantBool("DeepInheritance", true)
		wantBool("LocalOnly", false)
		wantBool("IncludeQualifiers", false)
		wantBool("IncludeClassOrigin", true)
	case "GetInstance":
		wantPath("InstanceName")
		wantBool("LocalOnly", false)
		wantBool("IncludeQualifiers", false)
		wantBool("IncludeClassOrigin", true)
		if pl, ok := req.PropertyList(); ok && strings.Join(pl, ",") != "Name,EnabledState" {
			t.Errorf("request %d: PropertyList %q", i, pl)
		}
	case "Associators", "AssociatorNames":
		wantPath("ObjectName")
		wantClass("AssocClass", "CIM_SystemDevice")
		if req.Method == "Associators" {
			wantClass("ResultClass", "CIM_Processor")
			wantBool("IncludeClassOrigin", true)
		}
	case "References":
		wantPath("ObjectName")
		wantClass("ResultClass", "CIM_SystemDevice")
		wantBool("IncludeQualifiers", false)
	case "ReferenceNames", "DeleteInstance":
		wantPath(map[bool]string{true: "ObjectName", false: "InstanceName"}[req.Method == "ReferenceNames"])
	case "GetClass":
		wantClass("ClassName", "CIM_ComputerSystem")
		wantBool("LocalOnly", false)
		wantBool("IncludeQualifiers", true)
		wantBool("IncludeClassOrigin", true)
	case "EnumerateClassNames":
		wantBool("DeepInheritance", true)
		if len(req.Params) != 1 {
			t.Errorf("request %d: %d params", i, len(req.Params))
		}
	case "EnumerateClasses":
		wantBool("DeepInheritance", true)
		wantBool("IncludeQualifiers", false)
	case "GetProperty", "SetProperty":
		wantPath("InstanceName")
		s, _ := req.String("PropertyName")
		nv, _ := req.String("NewValue")
		if (req.Method == "GetProperty" && s != "EnabledState") || (req.Method == "SetProperty" && (s != "ElementName" || nv != "foo")) {
			t.Errorf("request %d: PropertyName %q NewValue %q", i, s, nv)
		}
	case "RequestStateChange":
		if req.Intrinsic || req.Target == nil || req.Target.String() != vm0001 {
			t.Errorf("request %d: target %v intrinsic %v", i, req.Target, req.Intrinsic)
		}
		// Untyped PARAMVALUE: the provider types it from the method.
		if s, _ := req.String("RequestedState"); s != "3" {
			t.Errorf("request %d: RequestedState %q", i, s)
		}
	case "ModifyInstance":
		p, _ := req.Param("ModifiedInstance")
		if p.Kind != ParamInstance || p.Path == nil || p.Instance.Path.String() != "/:"+vm0001[len("/root/virtualization:"):] {
			t.Fatalf("request %d: ModifiedInstance %+v", i, p)
		}
		es, _ := p.Instance.Get("EnabledState")
		en, _ := p.Instance.Get("ElementName")
		if !es.Equal(cim.Uint16(2)) || !en.Equal(cim.String("bar")) || len(p.Instance.Properties) != 4 {
			t.Errorf("request %d: instance %+v", i, p.Instance)
		}
	case "CreateInstance":
		p, _ := req.Param("NewInstance")
		if p.Kind != ParamInstance || p.Instance.ClassName != "CIM_ComputerSystem" {
			t.Fatalf("request %d: NewInstance %+v", i, p)
		}
		name, _ := p.Instance.Get("Name")
		if !name.Equal(cim.String("x")) || len(p.Instance.Properties) != 2 {
			t.Errorf("request %d: instance %+v", i, p.Instance)
		}
	default:
		t.Errorf("request %d: unexpected method %s", i, req.Method)
	}
}
