package broker_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// virsh runs virsh against the bed's node file: an independent reading of
// the same test driver.
func (f *fixture) virsh(args ...string) string {
	f.t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", "test://" + f.bed.Path}, args...)...).CombinedOutput()
	if err != nil {
		f.t.Skipf("virsh %v: %v: %s", args, err, out)
	}
	return string(out)
}

// enabledState is DSP1057's EnabledState of a domain state as the bed has
// them (running 2, paused 9, shut off 3).
func enabledState(t *testing.T, st backends.State) uint64 {
	t.Helper()
	switch st {
	case backends.StateRunning, backends.StateBlocked:
		return 2
	case backends.StatePaused:
		return 9
	case backends.StateShutOff:
		return 3
	}
	t.Fatalf("unexpected state %v in the bed", st)
	return 0
}

// TestEnumerateInstancesPolymorphic: CIM_ComputerSystem lists the host and
// every VM, each as VB_ComputerSystem with the values the inventory has.
func TestEnumerateInstancesPolymorphic(t *testing.T) {
	f := standard(t)
	for _, class := range []string{"CIM_ComputerSystem", "cim_computersystem", "CIM_System", "VB_ComputerSystem"} {
		insts := f.enumerate(ns, class, true)
		if len(insts) != 1+f.snap.Len() {
			t.Fatalf("%s: %d instances, want the host and %d VMs", class, len(insts), f.snap.Len())
		}
		byName := map[string]*cim.Instance{}
		for _, inst := range insts {
			if inst.ClassName != "VB_ComputerSystem" || inst.Path.ClassName != "VB_ComputerSystem" {
				t.Errorf("%s: instance of %s, path %s", class, inst.ClassName, inst.Path.String())
			}
			checkFull(t, inst.Path, f.host, ns)
			if keyStr(inst.Path, "Name") != str(inst, "Name") || keyStr(inst.Path, "CreationClassName") != "VB_ComputerSystem" {
				t.Errorf("path %s does not match the instance's keys", inst.Path.String())
			}
			byName[str(inst, "Name")] = inst
		}
		host := byName[f.host]
		if host == nil || str(host, "Caption") != "Hosting Computer System" {
			t.Fatalf("%s: no host %q among %d instances", class, f.host, len(insts))
		}
		for _, d := range f.snap.Domains() {
			inst := byName[d.UUID]
			if inst == nil {
				t.Errorf("%s: VM %s (%s) missing", class, d.Name, d.UUID)
				continue
			}
			es, _ := inst.Get("EnabledState")
			if str(inst, "ElementName") != d.Name || es.String() != cim.Uint16(uint16(enabledState(t, d.State))).String() {
				t.Errorf("VM %s: ElementName %q EnabledState %s, domain is %s in state %v", d.UUID, str(inst, "ElementName"), es, d.Name, d.State)
			}
		}
	}
	// The bed's plan, straight from the generator, agrees.
	names := map[string]bool{}
	for _, inst := range f.enumerate(ns, "CIM_ComputerSystem", true) {
		names[str(inst, "ElementName")+"/"+str(inst, "Name")] = true
	}
	for _, p := range f.bed.Plan {
		if !names[p.Name+"/"+p.UUID] {
			t.Errorf("planned domain %s %s not enumerated", p.Name, p.UUID)
		}
	}
}

// TestEnumerateInstancesShallow: DeepInheritance=false keeps only the
// properties of the class asked for.
func TestEnumerateInstancesShallow(t *testing.T) {
	f := standard(t)
	cs, err := f.b.GetClass(ns, "CIM_ComputerSystem", false)
	if err != nil {
		t.Fatal(err)
	}
	deep := f.enumerate(ns, "CIM_ComputerSystem", true)
	shallow := f.enumerate(ns, "CIM_ComputerSystem", false)
	if len(deep) != len(shallow) {
		t.Fatalf("deep %d instances, shallow %d", len(deep), len(shallow))
	}
	for i, inst := range shallow {
		if _, ok := deep[i].Get("OnTimeInMilliseconds"); !ok {
			t.Fatalf("deep instance %s lacks VB_ComputerSystem's OnTimeInMilliseconds", deep[i].Path.String())
		}
		if _, ok := inst.Get("OnTimeInMilliseconds"); ok {
			t.Errorf("shallow %s keeps OnTimeInMilliseconds, which CIM_ComputerSystem does not have", inst.Path.String())
		}
		if len(inst.Properties) != len(cs.Properties) {
			t.Errorf("shallow %s has %d properties, CIM_ComputerSystem %d", inst.Path.String(), len(inst.Properties), len(cs.Properties))
		}
		for _, pv := range inst.Properties {
			if cs.Property(pv.Name) == nil {
				t.Errorf("shallow %s has %s", inst.Path.String(), pv.Name)
			}
			dv, _ := deep[i].Get(pv.Name)
			if !dv.Equal(pv.Value) {
				t.Errorf("%s.%s: shallow %s, deep %s", inst.Path.String(), pv.Name, pv.Value, dv)
			}
		}
		if inst.ClassName != "VB_ComputerSystem" || !inst.Path.Equal(deep[i].Path) {
			t.Errorf("shallow instance %s of %s, deep %s", inst.Path.String(), inst.ClassName, deep[i].Path.String())
		}
	}
	// The deep instances the broker handed out are not changed by the
	// shallow enumeration.
	again := f.enumerate(ns, "CIM_ComputerSystem", true)
	for i := range again {
		if len(again[i].Properties) != len(deep[i].Properties) {
			t.Fatalf("enumerating shallow changed the instances")
		}
	}
	// Names are names whatever the depth.
	var paths []cim.ObjectPath
	if err := f.b.EnumerateInstanceNames(ns, "CIM_ComputerSystem", func(p cim.ObjectPath) error {
		paths = append(paths, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(identities(paths, samePath), identities(deep, instPath)) {
		t.Errorf("EnumerateInstanceNames differs from EnumerateInstances")
	}
}

// TestGetInstance: by the concrete class, by a superclass with the
// subclass in CreationClassName, and the errors.
func TestGetInstance(t *testing.T) {
	f := standard(t)
	d := f.domain(backends.StateRunning)
	for _, p := range []cim.ObjectPath{
		vmPath(d),
		{ClassName: "CIM_ComputerSystem", Keys: []cim.KeyBinding{
			{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")},
			{Name: "Name", Value: cim.String(d.UUID)}}},
		{ClassName: "CIM_System", Namespace: "/Root/Virtualization/", Keys: []cim.KeyBinding{
			{Name: "Name", Value: cim.String(d.UUID)},
			{Name: "creationclassname", Value: cim.String("vb_computersystem")}}},
	} {
		inst, err := f.b.GetInstance(ns, p)
		if err != nil {
			t.Fatalf("GetInstance(%s): %v", p.String(), err)
		}
		if inst.ClassName != "VB_ComputerSystem" || str(inst, "Name") != d.UUID || str(inst, "ElementName") != d.Name {
			t.Errorf("GetInstance(%s) = %s %s %s", p.String(), inst.ClassName, str(inst, "Name"), str(inst, "ElementName"))
		}
		checkFull(t, inst.Path, f.host, ns)
		if !inst.Path.Equal(cim.ObjectPath{Host: f.host, Namespace: ns, ClassName: "VB_ComputerSystem", Keys: vmPath(d).Keys}) {
			t.Errorf("GetInstance(%s): path %s", p.String(), inst.Path.String())
		}
	}
	host, err := f.b.GetInstance(ns, f.hostPath())
	if err != nil || str(host, "Name") != f.host {
		t.Errorf("GetInstance(host) = %v, %v", host, err)
	}

	_, err = f.b.GetInstance(ns, vmPath(&backends.Domain{UUID: "00000000-0000-0000-0000-000000000000"}))
	wantKind(t, "unknown VM", err, cim.ErrNotFound)
	// A superclass path naming itself as CreationClassName names nothing
	// served.
	p := vmPath(d)
	p.ClassName = "CIM_ComputerSystem"
	p = p.WithKey("CreationClassName", cim.String("CIM_ComputerSystem"))
	_, err = f.b.GetInstance(ns, p)
	wantKind(t, "CIM_ComputerSystem as its own creation class", err, cim.ErrNotFound)
	_, err = f.b.GetInstance(ns, cim.ObjectPath{ClassName: "VB_ComputerSystem"})
	wantKind(t, "class path", err, cim.ErrInvalidParameter)
	_, err = f.b.GetInstance(ns, cim.ObjectPath{ClassName: "XX_NoSuchClass", Keys: vmPath(d).Keys})
	wantKind(t, "unknown class", err, cim.ErrInvalidClass)
	_, err = f.b.GetInstance("root/nowhere", vmPath(d))
	wantKind(t, "unknown namespace", err, cim.ErrInvalidNamespace)
}

// TestGetProperty reads properties of a VM, a NULL one, and one the class
// does not have.
func TestGetProperty(t *testing.T) {
	f := standard(t)
	for _, d := range f.snap.Domains() {
		v, err := f.b.GetProperty(ns, vmPath(d), "EnabledState")
		if err != nil {
			t.Fatal(err)
		}
		if u, ok := v.Uint(); !ok || u != enabledState(t, d.State) || v.Type() != cim.TypeUint16 {
			t.Errorf("%s (%v): EnabledState %s", d.Name, d.State, v)
		}
		v, err = f.b.GetProperty(ns, vmPath(d), "elementname")
		if s, _ := v.Str(); err != nil || s != d.Name {
			t.Errorf("%s: ElementName %s, %v", d.Name, v, err)
		}
	}
	d := f.domain(backends.StateShutOff)
	// Declared by the class but not set: NULL of its type.
	v, err := f.b.GetProperty(ns, vmPath(d), "PrimaryOwnerContact")
	if err != nil || !v.IsNull() || v.Type() != cim.TypeString {
		t.Errorf("PrimaryOwnerContact = %s (%s), %v; want a NULL string", v, v.TypeName(), err)
	}
	v, err = f.b.GetProperty(ns, vmPath(d), "OperationalStatus")
	if err != nil || !v.IsArray() || v.Type() != cim.TypeUint16 || v.Len() == 0 {
		t.Errorf("OperationalStatus = %s, %v", v, err)
	}
	_, err = f.b.GetProperty(ns, vmPath(d), "NoSuchProperty")
	wantKind(t, "GetProperty(NoSuchProperty)", err, cim.ErrNoSuchProperty)
	_, err = f.b.GetProperty(ns, vmPath(&backends.Domain{UUID: "x"}), "Name")
	wantKind(t, "GetProperty of an unknown VM", err, cim.ErrNotFound)
	_, err = f.b.GetProperty("root/cimv2", vmPath(d), "Name")
	wantKind(t, "GetProperty in an unknown namespace", err, cim.ErrInvalidNamespace)
}

func classNamesOf(t *testing.T, f *fixture, class string, deep bool) []string {
	t.Helper()
	var names []string
	if err := f.b.EnumerateClassNames(ns, class, deep, func(n string) error {
		names = append(names, n)
		return nil
	}); err != nil {
		t.Fatalf("EnumerateClassNames(%q, %v): %v", class, deep, err)
	}
	var classes []string
	if err := f.b.EnumerateClasses(ns, class, deep, false, func(c *cim.Class) error {
		classes = append(classes, c.Name)
		return nil
	}); err != nil {
		t.Fatalf("EnumerateClasses(%q, %v): %v", class, deep, err)
	}
	if !slices.Equal(names, classes) {
		t.Errorf("EnumerateClassNames(%q) %v, EnumerateClasses %v", class, names, classes)
	}
	return names
}

// TestEnumerateClasses: direct subclasses without DeepInheritance, every
// descendant with it.
func TestEnumerateClasses(t *testing.T) {
	f := standard(t)
	repo := f.b.Repo()
	if got := classNamesOf(t, f, "CIM_ComputerSystem", false); !slices.Equal(got, []string{"VB_ComputerSystem"}) {
		t.Errorf("subclasses of CIM_ComputerSystem: %v", got)
	}
	if got := classNamesOf(t, f, "VB_ComputerSystem", true); len(got) != 0 {
		t.Errorf("subclasses of VB_ComputerSystem: %v", got)
	}
	shallow := classNamesOf(t, f, "CIM_System", false)
	deep := classNamesOf(t, f, "CIM_System", true)
	if !slices.Contains(shallow, "CIM_ComputerSystem") || slices.Contains(shallow, "VB_ComputerSystem") {
		t.Errorf("direct subclasses of CIM_System: %v", shallow)
	}
	if !slices.Contains(deep, "CIM_ComputerSystem") || !slices.Contains(deep, "VB_ComputerSystem") || len(deep) <= len(shallow) {
		t.Errorf("all subclasses of CIM_System: %v (direct %v)", deep, shallow)
	}
	for _, n := range shallow {
		c, _ := repo.Class(ns, n)
		if c == nil || !strings.EqualFold(c.SuperClass, "CIM_System") {
			t.Errorf("%s is listed as a direct subclass of CIM_System", n)
		}
	}
	for _, n := range deep {
		if !repo.IsA(ns, n, "CIM_System") || strings.EqualFold(n, "CIM_System") {
			t.Errorf("%s listed among the subclasses of CIM_System", n)
		}
	}
	// The roots, and every class.
	roots := classNamesOf(t, f, "", false)
	all := classNamesOf(t, f, "", true)
	every, _ := repo.Classes(ns)
	if len(all) != len(every) {
		t.Errorf("deep enumeration from the root: %d classes, the namespace has %d", len(all), len(every))
	}
	for _, n := range roots {
		c, _ := repo.Class(ns, n)
		if c == nil || c.SuperClass != "" {
			t.Errorf("root class %s has superclass", n)
		}
	}
	if !slices.Contains(roots, "CIM_ManagedElement") || slices.Contains(roots, "CIM_ComputerSystem") {
		t.Errorf("root classes: %v", roots)
	}
	// Errors.
	err := f.b.EnumerateClassNames(ns, "XX_Nothing", true, func(string) error { return nil })
	wantKind(t, "EnumerateClassNames(XX_Nothing)", err, cim.ErrInvalidClass)
	err = f.b.EnumerateClasses("nowhere", "", true, false, func(*cim.Class) error { return nil })
	wantKind(t, "EnumerateClasses(nowhere)", err, cim.ErrInvalidNamespace)
	// LocalOnly through EnumerateClasses.
	if err := f.b.EnumerateClasses(ns, "CIM_ComputerSystem", false, true, func(c *cim.Class) error {
		for _, p := range c.Properties {
			if p.Propagated {
				t.Errorf("EnumerateClasses LocalOnly: %s.%s is propagated", c.Name, p.Name)
			}
		}
		if c.Property("OnTimeInMilliseconds") == nil {
			t.Errorf("EnumerateClasses LocalOnly dropped %s's own property", c.Name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestGetClass: LocalOnly drops what the class inherits and keeps what it
// defines or overrides; the repository's class is not changed.
func TestGetClass(t *testing.T) {
	f := standard(t)
	full, err := f.b.GetClass(ns, "vb_computersystem", false)
	if err != nil {
		t.Fatal(err)
	}
	if full.Name != "VB_ComputerSystem" || full.SuperClass != "CIM_ComputerSystem" {
		t.Fatalf("GetClass: %s : %s", full.Name, full.SuperClass)
	}
	if p := full.Property("Name"); p == nil || !p.Propagated || !p.IsKey() {
		t.Fatalf("VB_ComputerSystem.Name: %+v", p)
	}
	if full.Method("RequestStateChange") == nil {
		t.Fatal("VB_ComputerSystem inherits no RequestStateChange")
	}
	local, err := f.b.GetClass(ns, "VB_ComputerSystem", true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range local.Properties {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"OnTimeInMilliseconds"}) || len(local.Methods) != 0 {
		t.Errorf("VB_ComputerSystem LocalOnly: properties %v, %d methods", names, len(local.Methods))
	}
	if local.Name != full.Name || local.SuperClass != full.SuperClass {
		t.Errorf("LocalOnly changed the class's name: %s : %s", local.Name, local.SuperClass)
	}
	// CIM_ComputerSystem overrides NameFormat: local, though CIM_System
	// has it too.
	cs, err := f.b.GetClass(ns, "CIM_ComputerSystem", true)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Property("NameFormat") == nil || cs.Property("Name") != nil || cs.Property("ElementName") != nil {
		t.Errorf("CIM_ComputerSystem LocalOnly properties: %d", len(cs.Properties))
	}
	for _, p := range cs.Properties {
		if p.Propagated || p.ClassOrigin != "CIM_ComputerSystem" {
			t.Errorf("CIM_ComputerSystem LocalOnly: %s from %s (propagated %v)", p.Name, p.ClassOrigin, p.Propagated)
		}
	}
	again, _ := f.b.GetClass(ns, "VB_ComputerSystem", false)
	if len(again.Properties) != len(full.Properties) || len(again.Properties) < 20 {
		t.Errorf("GetClass after LocalOnly: %d properties, before %d", len(again.Properties), len(full.Properties))
	}
	// Both namespaces have the classes.
	if _, err := f.b.GetClass(interop, "CIM_RegisteredProfile", false); err != nil {
		t.Error(err)
	}
	_, err = f.b.GetClass(ns, "XX_NoSuchClass", false)
	wantKind(t, "GetClass(XX_NoSuchClass)", err, cim.ErrInvalidClass)
	_, err = f.b.GetClass("root/nothing", "CIM_ComputerSystem", false)
	wantKind(t, "GetClass in root/nothing", err, cim.ErrInvalidNamespace)
}

// TestNamespaces: the served namespaces, found whatever their spelling.
func TestNamespaces(t *testing.T) {
	f := standard(t)
	if got := f.b.Namespaces(); !slices.Equal(got, []string{interop, ns}) {
		t.Errorf("Namespaces() = %v", got)
	}
	for _, spelling := range []string{"root/virtualization", "/root/virtualization", "ROOT/Virtualization/"} {
		if got := len(f.enumerate(spelling, "CIM_ComputerSystem", true)); got != 1+f.snap.Len() {
			t.Errorf("%q: %d systems", spelling, got)
		}
	}
	for _, bad := range []string{"", "root", "root/virtualization/x", "interop", "root/cimv2"} {
		err := f.b.EnumerateInstances(bad, "CIM_ComputerSystem", true, func(*cim.Instance) error { return nil })
		wantKind(t, "EnumerateInstances in "+bad, err, cim.ErrInvalidNamespace)
		err = f.b.EnumerateInstanceNames(bad, "CIM_ComputerSystem", func(cim.ObjectPath) error { return nil })
		wantKind(t, "EnumerateInstanceNames in "+bad, err, cim.ErrInvalidNamespace)
	}
	err := f.b.EnumerateInstances(ns, "XX_Nothing", true, func(*cim.Instance) error { return nil })
	wantKind(t, "EnumerateInstances(XX_Nothing)", err, cim.ErrInvalidClass)
	// A class the namespace has but serves no instances of.
	if got := f.enumerate(ns, "CIM_ConcreteJob", true); len(got) != 0 {
		t.Errorf("CIM_ConcreteJob: %d instances", len(got))
	}
	// The implementation classes exist in root/interop too but have no
	// instances there.
	if got := f.enumerate(interop, "CIM_ComputerSystem", true); len(got) != 0 {
		t.Errorf("root/interop CIM_ComputerSystem: %d instances", len(got))
	}
}

// TestEmitErrorStops: an error from emit ends the operation with it.
func TestEmitErrorStops(t *testing.T) {
	f := standard(t)
	stop := cim.ErrServerIsShuttingDown
	n := 0
	err := f.b.EnumerateInstances(ns, "CIM_ComputerSystem", true, func(*cim.Instance) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("emit error: %v after %d instances", err, n)
	}
}
