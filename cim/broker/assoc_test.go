package broker_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/virt"
)

// devicesOf is what the inventory says d's devices are, as
// "class/DeviceID" of the VB_ device classes, sorted.
func devicesOf(d *backends.Domain) []string {
	var out []string
	for _, c := range d.VCPUInfo {
		out = append(out, "VB_Processor/cpu"+strconv.Itoa(c.Number))
	}
	out = append(out, "VB_Memory/memory")
	for _, k := range d.Disks {
		out = append(out, "VB_LogicalDisk/"+k.Target)
	}
	for _, n := range d.NICs {
		out = append(out, "VB_EthernetPort/"+n.MAC)
	}
	slices.Sort(out)
	return out
}

// deviceIDs names devices as devicesOf does, checking each belongs to d.
func deviceIDs(t *testing.T, d *backends.Domain, paths []cim.ObjectPath) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		if keyStr(p, "SystemName") != d.UUID || keyStr(p, "SystemCreationClassName") != "VB_ComputerSystem" {
			t.Errorf("device %s is not %s's", p.String(), d.Name)
		}
		out = append(out, p.ClassName+"/"+keyStr(p, "DeviceID"))
	}
	slices.Sort(out)
	return out
}

func paths(insts []*cim.Instance) []cim.ObjectPath {
	out := make([]cim.ObjectPath, len(insts))
	for i, inst := range insts {
		out[i] = inst.Path
	}
	return out
}

// checkAssociators runs Associators and AssociatorNames with af, wants the
// same objects from both, full paths, and returns the paths.
func (f *fixture) checkAssociators(t *testing.T, namespace string, obj cim.ObjectPath, af broker.AssocFilter) []cim.ObjectPath {
	t.Helper()
	insts := f.associators(namespace, obj, af)
	names := f.associatorNames(namespace, obj, af)
	if a, b := identities(insts, instPath), identities(names, samePath); !slices.Equal(a, b) {
		t.Errorf("Associators(%+v) and AssociatorNames differ:\n%v\n%v", af, a, b)
	}
	seen := map[string]bool{}
	for _, inst := range insts {
		if inst.Path.Host != f.host || inst.Path.Namespace == "" {
			t.Errorf("Associators(%+v): path %s is not full", af, inst.Path.String())
		}
		if !strings.EqualFold(inst.ClassName, inst.Path.ClassName) {
			t.Errorf("instance of %s at %s", inst.ClassName, inst.Path.String())
		}
		id := identity(inst.Path)
		if seen[id] {
			t.Errorf("Associators(%+v): %s twice", af, id)
		}
		seen[id] = true
	}
	for _, p := range names {
		if p.Host != f.host || p.Namespace == "" {
			t.Errorf("AssociatorNames(%+v): path %s is not full", af, p.String())
		}
	}
	return paths(insts)
}

// checkReferences runs References and ReferenceNames with af and wants the
// same associations, each referring to obj.
func (f *fixture) checkReferences(t *testing.T, namespace string, obj cim.ObjectPath, af broker.AssocFilter) []*cim.Instance {
	t.Helper()
	insts := f.references(namespace, obj, af)
	names := f.referenceNames(namespace, obj, af)
	if a, b := identities(insts, instPath), identities(names, samePath); !slices.Equal(a, b) {
		t.Errorf("References(%+v) and ReferenceNames differ:\n%v\n%v", af, a, b)
	}
	for _, a := range insts {
		if a.Path.Host != f.host || a.Path.Namespace == "" {
			t.Errorf("References(%+v): path %s is not full", af, a.Path.String())
		}
		refers := false
		for _, pv := range a.Properties {
			if r, ok := pv.Value.Ref(); ok && identity(r) == identity(obj) && (af.Role == "" || strings.EqualFold(af.Role, pv.Name)) {
				refers = true
			}
		}
		if !refers {
			t.Errorf("References(%+v): %s does not refer to %s as %q", af, a.Path.String(), obj.String(), af.Role)
		}
	}
	return insts
}

// TestAssociatorsOfVM narrows a VM's associators with each filter and
// checks the result against the inventory.
func TestAssociatorsOfVM(t *testing.T) {
	f := standard(t)
	for _, d := range f.snap.Domains()[:4] {
		vm := vmPath(d)
		devices := devicesOf(d)
		all := f.checkAssociators(t, ns, vm, broker.AssocFilter{})
		// Devices, VSSD, capabilities, host, and the profile.
		if want := len(devices) + 4; len(all) != want {
			t.Errorf("%s: %d associators, want %d: %v", d.Name, len(all), want, identities(all, samePath))
		}
		for _, af := range []broker.AssocFilter{
			{AssocClass: "CIM_SystemDevice"},
			{AssocClass: "VB_SystemDevice"},
			{AssocClass: "CIM_Component"},
			{ResultClass: "CIM_LogicalDevice"},
			{Role: "GroupComponent"},
			{ResultRole: "PartComponent"},
			{AssocClass: "CIM_SystemDevice", Role: "groupcomponent", ResultRole: "PARTCOMPONENT", ResultClass: "CIM_ManagedSystemElement"},
		} {
			if got := deviceIDs(t, d, f.checkAssociators(t, ns, vm, af)); !slices.Equal(got, devices) {
				t.Errorf("%s %+v: %v, want %v", d.Name, af, got, devices)
			}
		}
		procs := f.checkAssociators(t, ns, vm, broker.AssocFilter{AssocClass: "CIM_SystemDevice", ResultClass: "CIM_Processor"})
		if len(procs) != len(d.VCPUInfo) || len(procs) == 0 {
			t.Errorf("%s: %d processors, inventory has %d vCPUs", d.Name, len(procs), len(d.VCPUInfo))
		}
		for _, p := range procs {
			if p.ClassName != "VB_Processor" {
				t.Errorf("ResultClass CIM_Processor gave %s", p.String())
			}
		}
		// The wrong role, or a result class the association cannot reach,
		// gives nothing.
		for _, af := range []broker.AssocFilter{
			{AssocClass: "CIM_SystemDevice", Role: "PartComponent"},
			{AssocClass: "CIM_SystemDevice", ResultRole: "GroupComponent"},
			{AssocClass: "CIM_SystemDevice", Role: "Antecedent"},
			{AssocClass: "CIM_SystemDevice", ResultClass: "CIM_ComputerSystem"},
			{AssocClass: "CIM_HostedDependency", Role: "Antecedent"},
			{AssocClass: "CIM_HostedDependency", ResultRole: "Dependent"},
			{Role: "NoSuchRole"},
			{ResultRole: "NoSuchRole"},
			{AssocClass: "CIM_ConcreteJob"}, // not an association at all
		} {
			if got := f.checkAssociators(t, ns, vm, af); len(got) != 0 {
				t.Errorf("%s %+v: %v, want none", d.Name, af, identities(got, samePath))
			}
		}
		// The host, through HostedDependency where the VM is Dependent.
		for _, af := range []broker.AssocFilter{
			{AssocClass: "CIM_HostedDependency"},
			{Role: "Dependent"},
			{ResultRole: "Antecedent", ResultClass: "CIM_System"},
			{AssocClass: "CIM_Dependency", Role: "Dependent", ResultRole: "Antecedent", ResultClass: "CIM_ComputerSystem"},
		} {
			got := f.checkAssociators(t, ns, vm, af)
			if len(got) != 1 || identity(got[0]) != identity(f.hostPath()) {
				t.Errorf("%s %+v: %v, want the host", d.Name, af, identities(got, samePath))
			}
		}
		// Settings and capabilities.
		for af, want := range map[broker.AssocFilter]string{
			{AssocClass: "CIM_ElementSettingData"}:                          `VB_VirtualSystemSettingData.InstanceID="VB:` + d.UUID + `"`,
			{AssocClass: "CIM_SettingsDefineState", Role: "ManagedElement"}: `VB_VirtualSystemSettingData.InstanceID="VB:` + d.UUID + `"`,
			{ResultClass: "CIM_Capabilities"}:                               `VB_EnabledLogicalElementCapabilities.InstanceID="VB:caps/` + d.UUID + `"`,
			{ResultClass: "CIM_RegisteredProfile"}:                          `CIM_RegisteredProfile.InstanceID="VB:profile/DSP1057"`,
		} {
			got := f.checkAssociators(t, ns, vm, af)
			if len(got) != 1 || !strings.HasSuffix(got[0].String(), ":"+want) {
				t.Errorf("%s %+v: %v, want %s", d.Name, af, identities(got, samePath), want)
			}
		}
	}
}

// TestAssociatorsOfHost: the host reaches every VM through
// HostedDependency as Antecedent.
func TestAssociatorsOfHost(t *testing.T) {
	f := standard(t)
	var want []string
	for _, d := range f.snap.Domains() {
		want = append(want, identity(vmPath(d)))
	}
	slices.Sort(want)
	for _, af := range []broker.AssocFilter{
		// HostedService is a HostedDependency too, to the services: the
		// result class leaves them out.
		{AssocClass: "CIM_HostedDependency", ResultClass: "CIM_System"},
		{AssocClass: "VB_HostedDependency", Role: "Antecedent"},
		{ResultRole: "Dependent", ResultClass: "CIM_ComputerSystem"},
	} {
		got := f.checkAssociators(t, ns, f.hostPath(), af)
		if ids := identities(got, samePath); !slices.Equal(ids, want) {
			t.Errorf("host %+v: %d systems, want the %d VMs", af, len(ids), len(want))
		}
	}
	if got := f.checkAssociators(t, ns, f.hostPath(), broker.AssocFilter{AssocClass: "CIM_HostedDependency", Role: "Dependent"}); len(got) != 0 {
		t.Errorf("host as Dependent: %v", identities(got, samePath))
	}
	// The host is the central instance of System Virtualization.
	got := f.checkAssociators(t, ns, f.hostPath(), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile"})
	if len(got) != 1 || keyStr(got[0], "InstanceID") != "VB:profile/DSP1042" {
		t.Errorf("host's profiles: %v", identities(got, samePath))
	}
	// Its services, through HostedService: every service of the host.
	svcs := f.checkAssociators(t, ns, f.hostPath(), broker.AssocFilter{AssocClass: "CIM_HostedService", Role: "Antecedent", ResultRole: "Dependent"})
	var hosted []cim.ObjectPath
	for _, s := range f.enumerate(ns, "CIM_Service", true) {
		if keyStr(s.Path, "SystemName") == f.host {
			hosted = append(hosted, s.Path)
		}
	}
	if got := identities(svcs, samePath); !slices.Equal(got, identities(hosted, samePath)) || len(got) == 0 {
		t.Errorf("host's services: %v, want %v", got, identities(hosted, samePath))
	}
}

// TestReferencesOfVM narrows a VM's references with ResultClass and Role.
func TestReferencesOfVM(t *testing.T) {
	f := standard(t)
	d := f.domain(backends.StatePaused)
	vm := vmPath(d)
	devices := devicesOf(d)
	all := f.checkReferences(t, ns, vm, broker.AssocFilter{})
	counts := classNames(all)
	want := map[string]int{
		"VB_SystemDevice": len(devices), "VB_SettingsDefineState": 1, "VB_ElementSettingData": 1,
		"VB_ElementCapabilities": 1, "VB_HostedDependency": 1, "CIM_ElementConformsToProfile": 1,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("references of %s: %v, want %v", d.Name, counts, want)
	}
	for _, a := range all {
		wantNS := ns
		if a.ClassName == "CIM_ElementConformsToProfile" {
			wantNS = interop
		}
		checkFull(t, a.Path, f.host, wantNS)
	}
	for _, tc := range []struct {
		af   broker.AssocFilter
		want int
	}{
		{broker.AssocFilter{ResultClass: "CIM_SystemDevice"}, len(devices)},
		{broker.AssocFilter{ResultClass: "CIM_SystemDevice", Role: "GroupComponent"}, len(devices)},
		{broker.AssocFilter{ResultClass: "CIM_SystemDevice", Role: "PartComponent"}, 0},
		{broker.AssocFilter{Role: "GroupComponent"}, len(devices)},
		{broker.AssocFilter{Role: "ManagedElement"}, 4}, // SettingsDefineState, ElementSettingData, ElementCapabilities, ElementConformsToProfile
		{broker.AssocFilter{ResultClass: "CIM_HostedDependency", Role: "Dependent"}, 1},
		{broker.AssocFilter{ResultClass: "CIM_HostedDependency", Role: "Antecedent"}, 0},
		{broker.AssocFilter{ResultClass: "CIM_Dependency"}, 1},
		{broker.AssocFilter{ResultClass: "CIM_ElementConformsToProfile"}, 1},
		{broker.AssocFilter{ResultClass: "CIM_ElementConformsToProfile", Role: "ConformantStandard"}, 0},
		{broker.AssocFilter{Role: "nosuchrole"}, 0},
		// References has no ResultRole: it is ignored.
		{broker.AssocFilter{ResultClass: "CIM_SystemDevice", ResultRole: "NoSuchRole"}, len(devices)},
	} {
		got := f.checkReferences(t, ns, vm, tc.af)
		if len(got) != tc.want {
			t.Errorf("References(%s, %+v): %d, want %d: %v", d.Name, tc.af, len(got), tc.want, classNames(got))
		}
		if tc.af.ResultClass != "" {
			for _, a := range got {
				if !f.b.Repo().IsA(a.Path.Namespace, a.ClassName, tc.af.ResultClass) {
					t.Errorf("References(%+v): %s", tc.af, a.ClassName)
				}
			}
		}
	}
	// The devices of the SystemDevice references are the VM's.
	var parts []cim.ObjectPath
	for _, a := range f.checkReferences(t, ns, vm, broker.AssocFilter{ResultClass: "CIM_SystemDevice"}) {
		v, _ := a.Get("PartComponent")
		p, _ := v.Ref()
		parts = append(parts, p)
	}
	if got := deviceIDs(t, d, parts); !slices.Equal(got, devices) {
		t.Errorf("SystemDevice parts %v, want %v", got, devices)
	}
}

// TestAssociationErrors: what the association operations refuse.
func TestAssociationErrors(t *testing.T) {
	f := standard(t)
	vm := vmPath(f.snap.Domains()[0])
	none := func(*cim.Instance) error { return nil }
	noPath := func(cim.ObjectPath) error { return nil }
	for _, tc := range []struct {
		name      string
		namespace string
		obj       cim.ObjectPath
		af        broker.AssocFilter
		kind      cim.ErrorKind
	}{
		{"unknown namespace", "root/nowhere", vm, broker.AssocFilter{}, cim.ErrInvalidNamespace},
		{"unknown AssocClass", ns, vm, broker.AssocFilter{AssocClass: "XX_Nothing"}, cim.ErrInvalidClass},
		{"unknown ResultClass", ns, vm, broker.AssocFilter{ResultClass: "XX_Nothing"}, cim.ErrInvalidClass},
		{"unknown object", ns, vmPath(&backends.Domain{UUID: "nope"}), broker.AssocFilter{}, cim.ErrNotFound},
		{"unknown object class", ns, cim.ObjectPath{ClassName: "XX_Nothing", Keys: vm.Keys}, broker.AssocFilter{}, cim.ErrInvalidClass},
		{"class path", ns, cim.ObjectPath{ClassName: "VB_ComputerSystem"}, broker.AssocFilter{}, cim.ErrNotSupported},
	} {
		wantKind(t, tc.name+": Associators", f.b.Associators(tc.namespace, tc.obj, tc.af, none), tc.kind)
		wantKind(t, tc.name+": AssociatorNames", f.b.AssociatorNames(tc.namespace, tc.obj, tc.af, noPath), tc.kind)
		if tc.af.AssocClass == "" {
			wantKind(t, tc.name+": References", f.b.References(tc.namespace, tc.obj, tc.af, none), tc.kind)
			wantKind(t, tc.name+": ReferenceNames", f.b.ReferenceNames(tc.namespace, tc.obj, tc.af, noPath), tc.kind)
		}
	}
}

// profilePath is the CIM_RegisteredProfile of DSP id.
func profilePath(id string) cim.ObjectPath {
	return cim.ObjectPath{Namespace: interop, ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{
		{Name: "InstanceID", Value: cim.String("VB:profile/" + id)},
	}}
}

// TestCrossNamespace walks from the profiles in root/interop to their
// central instances in root/virtualization and back.
func TestCrossNamespace(t *testing.T) {
	f := standard(t)
	var vms []string
	for _, d := range f.snap.Domains() {
		vms = append(vms, identity(vmPath(d)))
	}
	slices.Sort(vms)

	// Profile → ElementConformsToProfile → every VM.
	for _, af := range []broker.AssocFilter{
		{AssocClass: "CIM_ElementConformsToProfile"},
		{AssocClass: "CIM_ElementConformsToProfile", Role: "ConformantStandard", ResultRole: "ManagedElement"},
		{ResultClass: "CIM_ComputerSystem"},
		{ResultRole: "ManagedElement", ResultClass: "VB_ComputerSystem"},
	} {
		got := f.checkAssociators(t, interop, profilePath("DSP1057"), af)
		if ids := identities(got, samePath); !slices.Equal(ids, vms) {
			t.Errorf("DSP1057 %+v: %d elements, want the %d VMs", af, len(ids), len(vms))
		}
		for _, p := range got {
			checkFull(t, p, f.host, ns)
		}
	}
	insts := f.associators(interop, profilePath("DSP1057"), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile"})
	for _, inst := range insts {
		d, ok := f.snap.Domain(str(inst, "Name"))
		if !ok || str(inst, "ElementName") != d.Name {
			t.Errorf("conformant element %s is no VM of the inventory", inst.Path.String())
		}
	}
	if got := f.checkAssociators(t, interop, profilePath("DSP1057"), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile", Role: "ManagedElement"}); len(got) != 0 {
		t.Errorf("DSP1057 as ManagedElement: %v", identities(got, samePath))
	}
	// The profile path may come without namespace and in any case.
	bare := profilePath("DSP1042")
	bare.Namespace = ""
	bare.ClassName = "cim_registeredprofile"
	got := f.checkAssociators(t, "/ROOT/interop", bare, broker.AssocFilter{ResultClass: "CIM_ComputerSystem"})
	if len(got) != 1 || identity(got[0]) != identity(f.hostPath()) {
		t.Errorf("DSP1042's central instances: %v, want the host", identities(got, samePath))
	}
	got = f.checkAssociators(t, interop, profilePath("DSP1033"), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile"})
	if len(got) != 1 || got[0].ClassName != "CIM_ObjectManager" || keyStr(got[0], "SystemName") != f.host {
		t.Errorf("DSP1033's central instance: %v, want the object manager", identities(got, samePath))
	}
	checkFull(t, got[0], f.host, interop)

	// ElementConformsToProfile references of a profile live in
	// root/interop and name the VMs of root/virtualization.
	refs := f.checkReferences(t, interop, profilePath("DSP1057"), broker.AssocFilter{ResultClass: "CIM_ElementConformsToProfile", Role: "ConformantStandard"})
	if len(refs) != len(vms) {
		t.Errorf("DSP1057: %d ElementConformsToProfile, want %d", len(refs), len(vms))
	}
	for _, a := range refs {
		checkFull(t, a.Path, f.host, interop)
		v, _ := a.Get("ManagedElement")
		p, _ := v.Ref()
		if !strings.EqualFold(p.Namespace, ns) || !slices.Contains(vms, identity(p)) {
			t.Errorf("ManagedElement %s", p.String())
		}
		// Each can be read back by its path.
		inst, err := f.b.GetInstance(interop, a.Path)
		if err != nil || !inst.Equal(a) {
			t.Errorf("GetInstance(%s) = %v, %v", a.Path.String(), inst, err)
		}
	}

	// And back: VM → ElementConformsToProfile → DSP1057, asked in
	// root/virtualization.
	for _, d := range f.snap.Domains() {
		refs := f.checkReferences(t, ns, vmPath(d), broker.AssocFilter{ResultClass: "CIM_ElementConformsToProfile", Role: "ManagedElement"})
		if len(refs) != 1 {
			t.Fatalf("%s: %d ElementConformsToProfile", d.Name, len(refs))
		}
		v, _ := refs[0].Get("ConformantStandard")
		p, _ := v.Ref()
		if identity(p) != identity(profilePath("DSP1057")) || !strings.EqualFold(p.Namespace, interop) {
			t.Errorf("%s conforms to %s", d.Name, p.String())
		}
		got := f.checkAssociators(t, ns, vmPath(d), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile", ResultRole: "ConformantStandard"})
		if len(got) != 1 || identity(got[0]) != identity(profilePath("DSP1057")) {
			t.Errorf("%s's profiles: %v", d.Name, identities(got, samePath))
		}
		checkFull(t, got[0], f.host, interop)
	}
	// A VM path asked in root/interop, with its namespace.
	vm := vmPath(f.snap.Domains()[0])
	vm.Namespace = ns
	got = f.checkAssociators(t, interop, vm, broker.AssocFilter{ResultClass: "CIM_RegisteredProfile"})
	if len(got) != 1 || keyStr(got[0], "InstanceID") != "VB:profile/DSP1057" {
		t.Errorf("VM from root/interop: %v", identities(got, samePath))
	}

	// ReferencedProfile: System Virtualization references the component
	// profiles, each referenced by it.
	comps := f.checkAssociators(t, interop, profilePath("DSP1042"), broker.AssocFilter{AssocClass: "CIM_ReferencedProfile", Role: "Dependent", ResultRole: "Antecedent"})
	var ids []string
	for _, p := range comps {
		ids = append(ids, strings.TrimPrefix(keyStr(p, "InstanceID"), "VB:profile/"))
	}
	slices.Sort(ids)
	if want := []string{"DSP1041", "DSP1043", "DSP1044", "DSP1045", "DSP1047", "DSP1050", "DSP1057"}; !slices.Equal(ids, want) {
		t.Errorf("profiles referenced by DSP1042: %v, want %v", ids, want)
	}
	if got := f.checkAssociators(t, interop, profilePath("DSP1042"), broker.AssocFilter{AssocClass: "CIM_ReferencedProfile", Role: "Antecedent"}); len(got) != 0 {
		t.Errorf("DSP1042 as Antecedent: %v", identities(got, samePath))
	}
	for _, id := range ids {
		got := f.checkAssociators(t, interop, profilePath(id), broker.AssocFilter{AssocClass: "CIM_ReferencedProfile", Role: "Antecedent"})
		if len(got) != 1 || keyStr(got[0], "InstanceID") != "VB:profile/DSP1042" {
			t.Errorf("%s is referenced by %v", id, identities(got, samePath))
		}
	}
}

// TestCrossNamespacePools: the resource profiles' central instances are
// the pools of the right resource type.
func TestCrossNamespacePools(t *testing.T) {
	f := newFixture(t, testbed.Options{Domains: 6, Seed: 3, Pools: 2, Networks: 2}, virt.Config{})
	pools := f.enumerate(ns, "CIM_ResourcePool", true)
	if len(pools) == 0 {
		t.Fatal("no resource pools")
	}
	byType := map[uint64][]string{}
	var all []string
	for _, p := range pools {
		v, _ := p.Get("ResourceType")
		rt, _ := v.Uint()
		byType[rt] = append(byType[rt], identity(p.Path))
		all = append(all, identity(p.Path))
	}
	slices.Sort(all)
	for id, types := range map[string][]uint64{"DSP1044": {3}, "DSP1045": {4}, "DSP1047": {17, 19, 31}, "DSP1050": {10, 33}} {
		var want []string
		for _, rt := range types {
			want = append(want, byType[rt]...)
		}
		slices.Sort(want)
		got := identities(f.checkAssociators(t, interop, profilePath(id), broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile"}), samePath)
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: %v, want the pools of types %v: %v", id, got, types, want)
		}
	}
	if got := identities(f.checkAssociators(t, interop, profilePath("DSP1041"), broker.AssocFilter{ResultClass: "CIM_ResourcePool"}), samePath); !slices.Equal(got, all) {
		t.Errorf("DSP1041: %d pools, want all %d", len(got), len(all))
	}
}
