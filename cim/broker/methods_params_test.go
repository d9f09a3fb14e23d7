package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/mof"
)

// TestInvokeParameters: embedded instances must be of the class the
// parameter's EmbeddedInstance qualifier names, or a subclass; a single
// value for an array parameter arrives as an array of one.
func TestInvokeParameters(t *testing.T) {
	repo := cim.NewRepository()
	if _, err := cimmof.Load(mof.FS, mof.Files, repo, ns); err != nil {
		t.Fatal(err)
	}
	var got map[string]cim.Value
	b := broker.New(broker.Config{Repo: repo,
		Open: func() map[string]broker.Source { return map[string]broker.Source{ns: nil} },
		Invoke: func(_ context.Context, _ string, _ cim.ObjectPath, _ string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
			got = in
			return cim.Uint32(0), nil, nil
		}})
	svc := cim.ObjectPath{ClassName: "VB_VirtualSystemManagementService"}
	inst := func(class string) cim.Value {
		return cim.InstanceValue(&cim.Instance{ClassName: class, Properties: []cim.PropertyValue{{Name: "ElementName", Value: cim.String("x")}}})
	}
	call := func(method string, in map[string]cim.Value) error {
		got = nil
		_, _, err := b.Invoke(t.Context(), ns, svc, method, in)
		return err
	}

	// Right classes: a VSSD subclass, and one RASD given alone for the
	// array parameter.
	if err := call("DefineSystem", map[string]cim.Value{"SystemSettings": inst("VB_VirtualSystemSettingData"), "ResourceSettings": inst("VB_MemoryAllocationSettingData")}); err != nil {
		t.Fatalf("DefineSystem with a VSSD and a RASD: %v", err)
	}
	if rs := got["ResourceSettings"]; !rs.IsArray() || rs.Len() != 1 || rs.Type() != cim.TypeInstance {
		t.Errorf("one RASD for an array parameter arrived as %s %s, want an array of one instance", rs.TypeName(), rs)
	}
	ref := cim.Ref(cim.ObjectPath{ClassName: "VB_StorageAllocationSettingData", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:x/disk/vdb")}}})
	if err := call("RemoveResourceSettings", map[string]cim.Value{"ResourceSettings": ref}); err != nil {
		t.Fatal(err)
	}
	if rs := got["ResourceSettings"]; !rs.IsArray() || rs.Len() != 1 || rs.Type() != cim.TypeReference {
		t.Errorf("one reference for a reference array arrived as %s %s", rs.TypeName(), rs)
	}

	// Wrong classes, alone or among right ones, and unknown ones.
	two, _ := cim.Array(cim.TypeInstance, inst("VB_MemoryAllocationSettingData"), inst("VB_ComputerSystem"))
	for _, c := range []struct {
		what, method string
		in           map[string]cim.Value
		want         string
	}{
		{"a RASD as the system settings", "DefineSystem", map[string]cim.Value{"SystemSettings": inst("VB_MemoryAllocationSettingData")},
			"parameter SystemSettings: embedded VB_MemoryAllocationSettingData is not a CIM_VirtualSystemSettingData"},
		{"a computer system among the RASDs", "AddResourceSettings", map[string]cim.Value{"ResourceSettings": two},
			"parameter ResourceSettings: embedded VB_ComputerSystem is not a CIM_ResourceAllocationSettingData"},
		{"a class nobody defined", "ModifySystemSettings", map[string]cim.Value{"SystemSettings": inst("XX_Settings")},
			"parameter SystemSettings: embedded instance of class XX_Settings, which namespace " + ns + " does not have"},
	} {
		err := call(c.method, c.in)
		if !errors.Is(err, cim.ErrInvalidParameter) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want invalid parameter saying %q", c.what, err, c.want)
		}
		if got != nil {
			t.Errorf("%s: the method ran", c.what)
		}
	}
}
