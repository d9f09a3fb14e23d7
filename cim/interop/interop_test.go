package interop_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/interop"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/cim/provider"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/mof"
)

const (
	impl = "root/virtualization"
	ns   = virt.Interop
)

type fixture struct {
	t    *testing.T
	snap *inventory.Snapshot
	b    *broker.Broker
	host string
}

// newFixture serves a real test-driver bed with pools, so that every
// profile has central instances.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 8, Seed: 5, Pools: 3, Networks: 2})
	b, err := virt.New(virt.Config{Namespace: impl, Version: "1.2.3-test"}, bed.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	snap := bed.Inventory.Snapshot()
	return &fixture{t: t, snap: snap, b: b, host: snap.Host.Hostname}
}

func (f *fixture) enumerate(namespace, class string) []*cim.Instance {
	f.t.Helper()
	var out []*cim.Instance
	if err := f.b.EnumerateInstances(namespace, class, true, func(inst *cim.Instance) error {
		out = append(out, inst)
		return nil
	}); err != nil {
		f.t.Fatalf("EnumerateInstances(%s, %s): %v", namespace, class, err)
	}
	return out
}

func str(inst *cim.Instance, name string) string {
	v, _ := inst.Get(name)
	s, _ := v.Str()
	return s
}

func keyStr(p cim.ObjectPath, name string) string {
	v, _ := p.Key(name)
	s, _ := v.Str()
	return s
}

func ref(t *testing.T, inst *cim.Instance, name string) cim.ObjectPath {
	t.Helper()
	v, ok := inst.Get(name)
	p, isRef := v.Ref()
	if !ok || !isRef {
		t.Fatalf("%s: %s is not a reference: %s", inst.Path.String(), name, v)
	}
	return p
}

// keys is a path's key names, sorted.
func keys(p cim.ObjectPath) []string {
	var out []string
	for _, k := range p.Keys {
		out = append(out, k.Name)
	}
	slices.Sort(out)
	return out
}

func profileID(p cim.ObjectPath) string {
	return strings.TrimPrefix(keyStr(p, "InstanceID"), "VB:profile/")
}

var wantProfiles = map[string][2]string{
	"DSP1033": {"Profile Registration", "1.0.0"},
	"DSP1042": {"System Virtualization", "1.0.0"},
	"DSP1057": {"Virtual System", "1.0.0"},
	"DSP1041": {"Resource Allocation", "1.1.0"},
	"DSP1043": {"Allocation Capabilities", "1.0.0"},
	"DSP1044": {"Processor Resource Virtualization", "1.0.0"},
	"DSP1045": {"Memory Resource Virtualization", "1.0.0"},
	"DSP1047": {"Storage Resource Virtualization", "1.0.0"},
	"DSP1050": {"Ethernet Port Resource Virtualization", "1.0.0"},
}

// TestRegisteredProfiles: one CIM_RegisteredProfile per profile, each
// readable by its path.
func TestRegisteredProfiles(t *testing.T) {
	f := newFixture(t)
	profiles := f.enumerate(ns, "CIM_RegisteredProfile")
	if len(profiles) != len(wantProfiles) {
		t.Fatalf("%d profiles, want %d", len(profiles), len(wantProfiles))
	}
	for _, p := range profiles {
		id := profileID(p.Path)
		want, ok := wantProfiles[id]
		if !ok {
			t.Errorf("unexpected profile %s", p.Path.String())
			continue
		}
		org, _ := p.Get("RegisteredOrganization")
		adv, _ := p.Get("AdvertiseTypes")
		if str(p, "RegisteredName") != want[0] || str(p, "RegisteredVersion") != want[1] || org.String() != cim.Uint16(2).String() ||
			adv.String() != "{2}" || str(p, "ElementName") != want[0] {
			t.Errorf("%s: %q %q org %s advertise %s", id, str(p, "RegisteredName"), str(p, "RegisteredVersion"), org, adv)
		}
		if p.ClassName != "CIM_RegisteredProfile" || !slices.Equal(keys(p.Path), []string{"InstanceID"}) || p.Path.Namespace != ns || p.Path.Host != f.host {
			t.Errorf("profile path %s", p.Path.String())
		}
		got, err := f.b.GetInstance(ns, p.Path)
		if err != nil || !got.Equal(p) {
			t.Errorf("GetInstance(%s) = %v, %v", p.Path.String(), got, err)
		}
	}
	// The superclass finds them too.
	if n := len(f.enumerate(ns, "CIM_RegisteredSpecification")); n != len(wantProfiles) {
		t.Errorf("CIM_RegisteredSpecification: %d", n)
	}
	bogus := profiles[0].Path.WithKey("InstanceID", cim.String("VB:profile/DSP0000"))
	_, err := f.b.GetInstance(ns, bogus)
	if !errors.Is(err, cim.ErrNotFound) {
		t.Errorf("GetInstance(%s): %v", bogus.String(), err)
	}
}

// TestReferencedProfiles: System Virtualization (Dependent) references
// every component profile (Antecedent), and both ends exist.
func TestReferencedProfiles(t *testing.T) {
	f := newFixture(t)
	refs := f.enumerate(ns, "CIM_ReferencedProfile")
	var antecedents []string
	for _, r := range refs {
		ante, dep := ref(t, r, "Antecedent"), ref(t, r, "Dependent")
		if profileID(dep) != "DSP1042" {
			t.Errorf("%s: Dependent %s, want System Virtualization", r.Path.String(), dep.String())
		}
		antecedents = append(antecedents, profileID(ante))
		for _, end := range []cim.ObjectPath{ante, dep} {
			if end.Namespace != ns {
				t.Errorf("end %s lacks the interop namespace", end.String())
			}
			if _, err := f.b.GetInstance(ns, end); err != nil {
				t.Errorf("end %s: %v", end.String(), err)
			}
		}
		if !slices.Equal(keys(r.Path), []string{"Antecedent", "Dependent"}) {
			t.Errorf("ReferencedProfile keys %v", keys(r.Path))
		}
		got, err := f.b.GetInstance(ns, r.Path)
		if err != nil || !got.Equal(r) {
			t.Errorf("GetInstance(%s) = %v, %v", r.Path.String(), got, err)
		}
	}
	slices.Sort(antecedents)
	if want := []string{"DSP1041", "DSP1043", "DSP1044", "DSP1045", "DSP1047", "DSP1050", "DSP1057"}; !slices.Equal(antecedents, want) {
		t.Errorf("referenced profiles %v, want %v", antecedents, want)
	}
	// A client may give the reference keys with a host, without their
	// namespace, or spelled otherwise: they still name the same ends.
	r := refs[0]
	ante := ref(t, r, "Antecedent")
	for name, mod := range map[string]func(p cim.ObjectPath) cim.ObjectPath{
		"no namespace":  func(p cim.ObjectPath) cim.ObjectPath { p.Namespace = ""; return p },
		"a host":        func(p cim.ObjectPath) cim.ObjectPath { p.Host = "elsewhere.example"; return p },
		"leading slash": func(p cim.ObjectPath) cim.ObjectPath { p.Namespace = "/root/interop"; return p },
		"class case":    func(p cim.ObjectPath) cim.ObjectPath { p.ClassName = "cim_registeredprofile"; return p },
	} {
		p := r.Path.WithKey("Antecedent", cim.Ref(mod(ante)))
		if got, err := f.b.GetInstance(ns, p); err != nil || !got.Equal(r) {
			t.Errorf("%s: GetInstance(%s) = %v, %v", name, p.String(), got, err)
		}
	}
	other := r.Path.WithKey("Antecedent", cim.Ref(ante.WithKey("InstanceID", cim.String("VB:profile/DSP1042"))))
	if _, err := f.b.GetInstance(ns, other); !errors.Is(err, cim.ErrNotFound) {
		t.Errorf("GetInstance(%s): %v, want not found", other.String(), err)
	}
}

// TestElementConformsToProfile: one per central instance, each with both
// ends resolvable, and each readable by its path.
func TestElementConformsToProfile(t *testing.T) {
	f := newFixture(t)
	ectps := f.enumerate(ns, "CIM_ElementConformsToProfile")
	byProfile := map[string][]string{}
	for _, e := range ectps {
		std, el := ref(t, e, "ConformantStandard"), ref(t, e, "ManagedElement")
		id := profileID(std)
		if el.Host != "" {
			t.Errorf("ManagedElement %s names a host", el.String())
		}
		wantNS := impl
		if id == "DSP1033" {
			wantNS = ns
		}
		if el.Namespace != wantNS {
			t.Errorf("%s: ManagedElement %s, want namespace %s", id, el.String(), wantNS)
		}
		if _, err := f.b.GetInstance(ns, el); err != nil {
			t.Errorf("%s: element %s: %v", id, el.String(), err)
		}
		byProfile[id] = append(byProfile[id], el.ClassName+"/"+keyStr(el, "Name")+keyStr(el, "InstanceID"))
		got, err := f.b.GetInstance(ns, e.Path)
		if err != nil || !got.Equal(e) {
			t.Errorf("GetInstance(%s) = %v, %v", e.Path.String(), got, err)
		}
		// Asked in the implementation namespace, with the interop
		// namespace in the path.
		p := e.Path
		p.Host = ""
		if got, err := f.b.GetInstance(impl, p); err != nil || !got.Equal(e) {
			t.Errorf("GetInstance(%s) from %s = %v, %v", p.String(), impl, got, err)
		}
	}
	if got := byProfile["DSP1042"]; !slices.Equal(got, []string{"VB_ComputerSystem/" + f.host}) {
		t.Errorf("DSP1042 central instances: %v, want the host", got)
	}
	if got := byProfile["DSP1033"]; len(got) != 1 || !strings.HasPrefix(got[0], "CIM_ObjectManager/virtbridge:") {
		t.Errorf("DSP1033 central instances: %v", got)
	}
	var vms []string
	for _, d := range f.snap.Domains() {
		vms = append(vms, "VB_ComputerSystem/"+d.UUID)
	}
	if got := slices.Sorted(slices.Values(byProfile["DSP1057"])); !slices.Equal(got, vms) {
		t.Errorf("DSP1057 central instances: %v, want the VMs %v", got, vms)
	}
	pools := f.enumerate(impl, "CIM_ResourcePool")
	caps := f.enumerate(impl, "CIM_AllocationCapabilities")
	if len(byProfile["DSP1041"]) != len(pools) || len(pools) == 0 || len(byProfile["DSP1043"]) != len(caps) || len(caps) == 0 {
		t.Errorf("DSP1041: %d of %d pools; DSP1043: %d of %d capabilities", len(byProfile["DSP1041"]), len(pools), len(byProfile["DSP1043"]), len(caps))
	}
	for _, id := range []string{"DSP1044", "DSP1045", "DSP1047", "DSP1050"} {
		if len(byProfile[id]) == 0 {
			t.Errorf("%s has no central pool", id)
		}
	}

	// Paths that pair a profile with what is not its central instance
	// name nothing.
	conf := ectps[0]
	host := cim.ObjectPath{Namespace: impl, ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(f.host)}}}
	vm := host.WithKey("Name", cim.String(f.snap.Domains()[0].UUID))
	prof := func(id string) cim.Value {
		return cim.Ref(cim.ObjectPath{Namespace: ns, ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:profile/" + id)}}})
	}
	for _, tc := range []struct {
		name      string
		std, elem cim.Value
	}{
		{"VM as a host", prof("DSP1042"), cim.Ref(vm)},
		{"host as a VM", prof("DSP1057"), cim.Ref(host)},
		{"unknown VM", prof("DSP1057"), cim.Ref(vm.WithKey("Name", cim.String("nope")))},
		{"unknown profile", prof("DSP9999"), cim.Ref(vm)},
		{"host as object manager", prof("DSP1033"), cim.Ref(host)},
		{"string ends", cim.String("x"), cim.String("y")},
	} {
		p := conf.Path.WithKey("ConformantStandard", tc.std).WithKey("ManagedElement", tc.elem)
		if _, err := f.b.GetInstance(ns, p); !errors.Is(err, cim.ErrNotFound) {
			t.Errorf("%s: GetInstance(%s): %v, want not found", tc.name, p.String(), err)
		}
	}
	// And the true pairs are found, the element also by its superclass
	// and without namespace.
	super := vm
	super.ClassName, super.Namespace = "CIM_ComputerSystem", ""
	for _, tc := range []struct {
		id   string
		elem cim.ObjectPath
	}{{"DSP1042", host}, {"DSP1057", vm}, {"DSP1057", super}} {
		elem := tc.elem
		p := conf.Path.WithKey("ConformantStandard", prof(tc.id)).WithKey("ManagedElement", cim.Ref(elem))
		got, err := f.b.GetInstance(ns, p)
		if err != nil {
			t.Errorf("GetInstance(%s): %v", p.String(), err)
			continue
		}
		if e := ref(t, got, "ManagedElement"); keyStr(e, "Name") != keyStr(elem, "Name") {
			t.Errorf("GetInstance(%s) = element %s", p.String(), e.String())
		}
	}
}

// TestObjectManagerAndNamespaces: the keys of CIM_ObjectManager and
// CIM_Namespace, which point at the host system and at each other.
func TestObjectManagerAndNamespaces(t *testing.T) {
	f := newFixture(t)
	oms := f.enumerate(ns, "CIM_ObjectManager")
	if len(oms) != 1 {
		t.Fatalf("%d object managers", len(oms))
	}
	om := oms[0]
	if got := keys(om.Path); !slices.Equal(got, []string{"CreationClassName", "Name", "SystemCreationClassName", "SystemName"}) {
		t.Errorf("CIM_ObjectManager keys %v", got)
	}
	for k, want := range map[string]string{
		"CreationClassName": "CIM_ObjectManager", "Name": "virtbridge:" + f.host,
		"SystemCreationClassName": "VB_ComputerSystem", "SystemName": f.host,
	} {
		if keyStr(om.Path, k) != want || str(om, k) != want {
			t.Errorf("CIM_ObjectManager %s = %q (path %q), want %q", k, str(om, k), keyStr(om.Path, k), want)
		}
	}
	if str(om, "Description") != "virtbridge 1.2.3-test" {
		t.Errorf("object manager description %q", str(om, "Description"))
	}
	// Its system is the host of the implementation namespace.
	sys := cim.ObjectPath{Namespace: impl, ClassName: str(om, "SystemCreationClassName"), Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String(str(om, "SystemCreationClassName"))},
		{Name: "Name", Value: cim.String(str(om, "SystemName"))}}}
	if host, err := f.b.GetInstance(ns, sys); err != nil || str(host, "Caption") != "Hosting Computer System" {
		t.Errorf("the object manager's system %s: %v, %v", sys.String(), host, err)
	}
	if got, err := f.b.GetInstance(ns, om.Path); err != nil || !got.Equal(om) {
		t.Errorf("GetInstance(%s) = %v, %v", om.Path.String(), got, err)
	}
	// CIM_WBEMService and CIM_Service find it too.
	if n := len(f.enumerate(ns, "CIM_Service")); n != 1 {
		t.Errorf("CIM_Service in root/interop: %d", n)
	}

	nss := f.enumerate(ns, "CIM_Namespace")
	var names []string
	for _, n := range nss {
		names = append(names, str(n, "Name"))
		if got := keys(n.Path); !slices.Equal(got, []string{"CreationClassName", "Name", "ObjectManagerCreationClassName", "ObjectManagerName", "SystemCreationClassName", "SystemName"}) {
			t.Errorf("CIM_Namespace keys %v", got)
		}
		for k, want := range map[string]string{
			"CreationClassName": "CIM_Namespace", "Name": str(n, "Name"),
			"ObjectManagerCreationClassName": "CIM_ObjectManager", "ObjectManagerName": str(om, "Name"),
			"SystemCreationClassName": "VB_ComputerSystem", "SystemName": f.host,
		} {
			if keyStr(n.Path, k) != want {
				t.Errorf("CIM_Namespace %s: %s = %q, want %q", str(n, "Name"), k, keyStr(n.Path, k), want)
			}
		}
		if got, err := f.b.GetInstance(ns, n.Path); err != nil || !got.Equal(n) {
			t.Errorf("GetInstance(%s) = %v, %v", n.Path.String(), got, err)
		}
	}
	slices.Sort(names)
	if served := f.b.Namespaces(); !slices.Equal(names, served) {
		t.Errorf("CIM_Namespace names %v, the broker serves %v", names, served)
	}
	// The object manager conforms to Profile Registration.
	var profiles []string
	if err := f.b.AssociatorNames(ns, om.Path, broker.AssocFilter{AssocClass: "CIM_ElementConformsToProfile"}, func(p cim.ObjectPath) error {
		profiles = append(profiles, profileID(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(profiles, []string{"DSP1033"}) {
		t.Errorf("object manager's profiles %v", profiles)
	}
}

// TestView exercises the View directly over a provider view of the same
// inventory: its errors, and References from each kind of object.
func TestView(t *testing.T) {
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 4, Seed: 5})
	repo := cim.NewRepository()
	for _, n := range []string{impl, ns} {
		if _, err := cimmof.Load(mof.FS, mof.Files, repo, n); err != nil {
			t.Fatal(err)
		}
	}
	snap := bed.Inventory.Snapshot()
	pv := provider.Schema{Repo: repo, Namespace: impl}.At(snap, time.Now())
	cfg := interop.Config{Repo: repo, Namespace: ns, Impl: impl, Namespaces: []string{ns, impl}, Product: "virtbridge", Version: "t"}
	v := cfg.At(pv, snap.Host.Hostname)

	if err := v.Enumerate("XX_Nothing", func(*cim.Instance) error { return nil }); !errors.Is(err, cim.ErrInvalidClass) {
		t.Errorf("Enumerate(XX_Nothing): %v", err)
	}
	n := 0
	if err := v.Enumerate("CIM_ComputerSystem", func(*cim.Instance) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Enumerate(CIM_ComputerSystem) in interop: %d, %v", n, err)
	}
	if _, err := v.Get(cim.ObjectPath{ClassName: "CIM_ComputerSystem", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String("x")}}}); !errors.Is(err, cim.ErrNotFound) {
		t.Errorf("Get of a class not served: %v", err)
	}
	// An emit error stops the walk and comes back.
	stop := errors.New("stop")
	n = 0
	if err := v.Enumerate("CIM_ElementConformsToProfile", func(*cim.Instance) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Enumerate with failing emit: %v after %d", err, n)
	}

	refsOf := func(p cim.ObjectPath, assocClass string) []string {
		var out []string
		if err := v.References(p, assocClass, func(a *cim.Instance) error {
			out = append(out, a.ClassName)
			return nil
		}); err != nil {
			t.Fatalf("References(%s): %v", p.String(), err)
		}
		return out
	}
	d := snap.Domains()[0]
	vm := cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(d.UUID)}}}
	if got := refsOf(vm, ""); !slices.Equal(got, []string{"CIM_ElementConformsToProfile"}) {
		t.Errorf("references of a VM: %v", got)
	}
	if got := refsOf(vm, "CIM_ReferencedProfile"); len(got) != 0 {
		t.Errorf("ReferencedProfile of a VM: %v", got)
	}
	// A path of another namespace is not the implementation's.
	other := vm
	other.Namespace = "root/elsewhere"
	if got := refsOf(other, ""); len(got) != 0 {
		t.Errorf("references of a VM of root/elsewhere: %v", got)
	}
	withNS := vm
	withNS.Namespace = "/" + impl
	if got := refsOf(withNS, "CIM_ElementConformsToProfile"); len(got) != 1 {
		t.Errorf("references of %s: %v", withNS.String(), got)
	}
	sv := cim.ObjectPath{ClassName: "CIM_RegisteredProfile", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:profile/DSP1042")}}}
	got := refsOf(sv, "")
	if c := countOf(got, "CIM_ReferencedProfile"); c != 7 || countOf(got, "CIM_ElementConformsToProfile") != 1 {
		t.Errorf("references of DSP1042: %v", got)
	}
	if got := refsOf(sv, "CIM_ElementConformsToProfile"); !slices.Equal(got, []string{"CIM_ElementConformsToProfile"}) {
		t.Errorf("ElementConformsToProfile of DSP1042: %v", got)
	}
	vs := sv.WithKey("InstanceID", cim.String("VB:profile/DSP1057"))
	if got := refsOf(vs, ""); countOf(got, "CIM_ReferencedProfile") != 1 || countOf(got, "CIM_ElementConformsToProfile") != len(snap.Domains()) {
		t.Errorf("references of DSP1057: %v", got)
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}
