package wsman

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/cim/virt"
)

// TestInvokeRepeatedParameters: DSP0230 writes an array parameter as one
// element per value; repeated embedded instances arrive as an array of
// instances (DefineSystem with a memory and a processor RASD defines a
// system with both), and elements of different kinds are refused.
func TestInvokeRepeatedParameters(t *testing.T) {
	bed := libvirttest.NewBed(t, smallBed)
	br, err := virt.New(virt.Config{Namespace: testNamespace, Version: "t", Ops: bed.Backend}, bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	bed.Run(t)
	e := &env{t: t, bed: bed, br: br, h: &Handler{Broker: br, Namespace: testNamespace, Product: "virtbridge", Version: "t"}}
	const svc = "VB_VirtualSystemManagementService"
	uri := VendorPrefix + svc
	sels := []Selector{{Name: "CreationClassName", Value: svc}, {Name: "Name", Value: "Virtual System Management Service"},
		{Name: "SystemCreationClassName", Value: "VB_ComputerSystem"}, {Name: "SystemName", Value: bed.Inventory.Snapshot().Host.Hostname}}
	embedded := func(class, props string) string {
		return `<q:` + class + ` xmlns:q="` + VendorPrefix + class + `">` + props + `</q:` + class + `>`
	}
	define := func(params string) *reply {
		return e.op(req{action: uri + "/DefineSystem", resource: uri, selectors: sels,
			body: `<p:DefineSystem_INPUT xmlns:p="` + uri + `">` + params + `</p:DefineSystem_INPUT>`}.String())
	}
	vssd := `<p:SystemSettings>` + embedded("VB_VirtualSystemSettingData", `<q:ElementName>two-rasds</q:ElementName>`) + `</p:SystemSettings>`
	mem := `<p:ResourceSettings>` + embedded("VB_MemoryAllocationSettingData", `<q:ResourceType>4</q:ResourceType><q:VirtualQuantity>256</q:VirtualQuantity><q:AllocationUnits>byte*2^20</q:AllocationUnits>`) + `</p:ResourceSettings>`
	cpu := `<p:ResourceSettings>` + embedded("VB_ProcessorAllocationSettingData", `<q:ResourceType>3</q:ResourceType><q:VirtualQuantity>2</q:VirtualQuantity>`) + `</p:ResourceSettings>`

	r := define(vssd + mem + cpu)
	mustOK(t, r, uri+"/DefineSystemResponse")
	if b := r.body(); b == nil || b.Kid(b.Space, "ReturnValue") == nil || text(b.Kid(b.Space, "ReturnValue")) != "0" {
		t.Fatalf("DefineSystem: %s", r.raw)
	}
	d, ok := bed.Inventory.Snapshot().DomainByName("two-rasds")
	if !ok || d.MemoryKiB != 256<<10 || d.VCPUs != 2 {
		t.Fatalf("defined from two RASDs: %+v (found %v), want 256 MiB and 2 vCPUs", d, ok)
	}

	// Two disks added: two ResourceSettings in, two
	// ResultingResourceSettings EPRs out.
	dir := t.TempDir()
	var disks string
	for _, target := range []string{"vda", "vdb"} {
		img := filepath.Join(dir, target+".img")
		if err := os.WriteFile(img, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		disks += `<p:ResourceSettings>` + embedded("VB_StorageAllocationSettingData", `<q:ResourceType>31</q:ResourceType><q:Address>`+target+`</q:Address><q:HostResource>`+img+`</q:HostResource>`) + `</p:ResourceSettings>`
	}
	vssdEPR := `<p:AffectedConfiguration><wsa:Address>` + anonymous + `</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>` + VendorPrefix + `VB_VirtualSystemSettingData</wsman:ResourceURI>` +
		selectorSetXML([]Selector{{Name: "InstanceID", Value: "VB:" + d.UUID}}) + `</wsa:ReferenceParameters></p:AffectedConfiguration>`
	r = e.op(req{action: uri + "/AddResourceSettings", resource: uri, selectors: sels,
		body: `<p:AddResourceSettings_INPUT xmlns:p="` + uri + `">` + vssdEPR + disks + `</p:AddResourceSettings_INPUT>`}.String())
	mustOK(t, r, uri+"/AddResourceSettingsResponse")
	var ids []string
	for _, k := range r.body().Kids {
		if k.Name == "ResultingResourceSettings" {
			for _, s := range k.Kid(nsWSA, "ReferenceParameters").Kid(nsWSMan, "SelectorSet").Kids {
				if name, _ := s.Attr("Name"); name == "InstanceID" {
					ids = append(ids, text(s))
				}
			}
		}
	}
	if want := []string{"VB:" + d.UUID + "/disk/vda", "VB:" + d.UUID + "/disk/vdb"}; !slices.Equal(ids, want) {
		t.Errorf("ResultingResourceSettings name %v, want %v:\n%s", ids, want, r.raw)
	}

	// Text and an embedded instance under one name: refused, nothing defined.
	n := bed.Inventory.Snapshot().Len()
	vssd2 := `<p:SystemSettings>` + embedded("VB_VirtualSystemSettingData", `<q:ElementName>mixed</q:ElementName>`) + `</p:SystemSettings>`
	f := mustFault(t, define(vssd2+mem+`<p:ResourceSettings>512</p:ResourceSettings>`), faultInvalidParameter, "")
	if !strings.Contains(f.reason, "parameter ResourceSettings") {
		t.Errorf("mixed array: the reason %q does not name the parameter", f.reason)
	}
	if bed.Inventory.Snapshot().Len() != n {
		t.Errorf("a refused DefineSystem defined a domain")
	}
}
