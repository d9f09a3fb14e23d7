package mof

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// The DMTF CIM Schema 2.41 subset under shared/reference/cim (see its
// README): 81 class files, qualifiers.mof and qualifiers_optional.mof. The
// master cim_schema_2.41.0.mof files include ~1,400 absent files and are
// skipped; the order comes from Order instead.

const dmtfNS = "root/cimv2"

// reference finds shared/reference/cim: $VIRTBRIDGE_REFERENCE, then
// ../shared/reference beside the repository, then /work/shared/reference.
func reference(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("VIRTBRIDGE_REFERENCE")}
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..") // cim/mof → repository root
		cands = append(cands, filepath.Join(root, "..", "shared", "reference"))
	}
	cands = append(cands, "/work/shared/reference")
	for _, c := range cands {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(c, "cim", "CIM241")); err == nil && fi.IsDir() {
			return filepath.Join(c, "cim")
		}
	}
	t.Skip("DMTF CIM schema not found (set VIRTBRIDGE_REFERENCE to shared/reference)")
	return ""
}

// loadDMTF parses every MOF file of the subset, given in reverse name
// order so that Order has work to do, and compiles them in the order it
// computes.
func loadDMTF(t *testing.T) (*cim.Repository, []*File) {
	t.Helper()
	fsys := os.DirFS(reference(t))
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && path.Ext(p) == ".mof" && path.Base(p) != "cim_schema_2.41.0.mof" {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(names)
	var files []*File
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(name, src)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ordered, err := Order(files)
	if err != nil {
		t.Fatal(err)
	}
	repo := cim.NewRepository()
	insts, err := Compile(fsys, repo, dmtfNS, ordered...)
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 0 {
		t.Errorf("the schema declared %d instances", len(insts))
	}
	return repo, ordered
}

func dmtfClass(t *testing.T, repo *cim.Repository, name string) *cim.Class {
	t.Helper()
	c, err := repo.Class(dmtfNS, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func classNamesOf(cs []*cim.Class) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func propNamesOf[T interface{ *cim.Property | *cim.Parameter }](ps []T) []string {
	var out []string
	for _, p := range ps {
		switch p := any(p).(type) {
		case *cim.Property:
			out = append(out, p.Name)
		case *cim.Parameter:
			out = append(out, p.Name)
		}
	}
	return out
}

func TestDMTFLoad(t *testing.T) {
	repo, ordered := loadDMTF(t)
	if len(ordered) != 83 {
		t.Errorf("%d files, want 81 classes and 2 qualifier files", len(ordered))
	}
	classes, _ := repo.Classes(dmtfNS)
	if len(classes) != 81 {
		t.Errorf("%d classes, want 81", len(classes))
	}
	decls, _ := repo.QualifierDecls(dmtfNS)
	if len(decls) != 56+14 {
		t.Errorf("%d qualifier declarations, want 56 standard and 14 optional", len(decls))
	}
	// One class per file, named as the file.
	pos := map[string]int{}
	for i, f := range ordered {
		pos[strings.ToLower(f.Name)] = i
		base := strings.TrimSuffix(path.Base(f.Name), ".mof")
		if !strings.HasPrefix(base, "CIM_") {
			continue
		}
		if c, err := repo.Class(dmtfNS, base); err != nil || c.Name != base {
			t.Errorf("%s: class %v, %v", f.Name, c, err)
		}
	}
	// Order put the qualifiers first and every superclass before its subclasses.
	for _, c := range classes {
		file := func(class string) int {
			for name, i := range pos {
				if strings.HasSuffix(name, "/"+strings.ToLower(class)+".mof") {
					return i
				}
			}
			t.Fatalf("no file for %s", class)
			return 0
		}
		if pos["cim241/dmtf/qualifiers.mof"] > file(c.Name) {
			t.Errorf("%s ordered before qualifiers.mof", c.Name)
		}
		if c.SuperClass != "" && file(c.SuperClass) > file(c.Name) {
			t.Errorf("%s ordered before its superclass %s", c.Name, c.SuperClass)
		}
	}
	// The root classes are exactly those the MOF declares without superclass.
	var want []string
	for _, f := range ordered {
		for _, d := range f.Decls {
			if c, ok := d.(*ClassDecl); ok && c.SuperClass == "" {
				want = append(want, c.Name)
			}
		}
	}
	roots, _ := repo.Subclasses(dmtfNS, "", false)
	if got := classNamesOf(roots); !slices.Equal(got, want) || !slices.Contains(got, "CIM_ManagedElement") || !slices.Contains(got, "CIM_ElementSettingData") {
		t.Errorf("root classes %v, want %v", got, want)
	}
}

func TestDMTFComputerSystem(t *testing.T) {
	repo, _ := loadDMTF(t)
	chain, err := repo.SuperClasses(dmtfNS, "cim_computersystem")
	want := []string{"CIM_System", "CIM_EnabledLogicalElement", "CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"}
	if err != nil || !slices.Equal(chain, want) {
		t.Errorf("superclass chain %v, %v; want %v", chain, err, want)
	}
	cs := dmtfClass(t, repo, "CIM_ComputerSystem")
	// 4 + 10 + 0 + 7 properties from the ancestors, CIM_System's 8 less its
	// override of Name, CIM_ComputerSystem's 5 less its override of NameFormat.
	if len(cs.Properties) != 32 {
		t.Errorf("%d properties, want 32: %v", len(cs.Properties), propNamesOf(cs.Properties))
	}
	keys := cs.Keys()
	if got := propNamesOf(keys); !slices.Equal(got, []string{"Name", "CreationClassName"}) {
		t.Errorf("keys %v, want Name and CreationClassName", got)
	}
	for _, k := range keys {
		if k.Type != cim.TypeString || k.ClassOrigin != "CIM_System" || !k.Propagated {
			t.Errorf("key %s: %s from %s (propagated %v)", k.Name, k.TypeName(), k.ClassOrigin, k.Propagated)
		}
		if ml, _ := k.Qualifiers.Get("MaxLen"); !ml.Value.Equal(cim.Uint32(256)) {
			t.Errorf("key %s MaxLen %s, want 256", k.Name, ml.Value)
		}
	}
	for name, origin := range map[string]string{
		"InstanceID": "CIM_ManagedElement", "OperationalStatus": "CIM_ManagedSystemElement",
		"EnabledState": "CIM_EnabledLogicalElement", "NameFormat": "CIM_ComputerSystem", "Dedicated": "CIM_ComputerSystem",
	} {
		if p := cs.Property(name); p == nil || p.ClassOrigin != origin || p.Propagated != (origin != "CIM_ComputerSystem") {
			t.Errorf("%s: %+v, want class origin %s", name, p, origin)
		}
	}
	if d := cs.Property("Dedicated"); d.Type != cim.TypeUint16 || !d.Array {
		t.Errorf("Dedicated is %s, want uint16[]", d.TypeName())
	}
	if cs.IsAbstract() || !dmtfClass(t, repo, "CIM_ManagedElement").IsAbstract() || !dmtfClass(t, repo, "CIM_System").IsAbstract() {
		t.Error("Abstract is Restricted: ManagedElement and System are abstract, ComputerSystem is not")
	}
	if v, _ := cs.Qualifiers.Str("Version"); v != "2.36.0" {
		t.Errorf("Version %q", v)
	}

	es := cs.Property("EnabledState")
	if !es.Value.Equal(cim.Uint16(5)) {
		t.Errorf("EnabledState default %s, want 5 (Not Applicable)", es.Value)
	}
	wantVM := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11..32767", "32768..65535"}
	wantValues := []string{"Unknown", "Other", "Enabled", "Disabled", "Shutting Down", "Not Applicable", "Enabled but Offline",
		"In Test", "Deferred", "Quiesce", "Starting", "DMTF Reserved", "Vendor Reserved"}
	if !slices.Equal(es.ValueMap(), wantVM) || !slices.Equal(es.Values(), wantValues) {
		t.Errorf("EnabledState ValueMap %q Values %q", es.ValueMap(), es.Values())
	}
	if vm, _ := es.Qualifiers.Get("ValueMap"); !vm.Propagated || vm.Flavor != cim.EnableOverride|cim.ToSubclass {
		t.Errorf("EnabledState ValueMap qualifier %+v, want propagated with the declared flavor", vm)
	}
	if vs, _ := es.Qualifiers.Get("Values"); vs.Flavor&cim.Translatable == 0 {
		t.Error("Values lost its Translatable flavor")
	}

	deep, _ := repo.Subclasses(dmtfNS, "CIM_ManagedElement", true)
	names := classNamesOf(deep)
	for _, n := range []string{"CIM_ComputerSystem", "CIM_System", "CIM_VirtualSystemSettingData", "CIM_ConcreteJob", "CIM_VirtualSystemMigrationService"} {
		if !slices.Contains(names, n) {
			t.Errorf("deep subclasses of CIM_ManagedElement lack %s", n)
		}
	}
	if slices.Contains(names, "CIM_ManagedElement") || slices.Contains(names, "CIM_ElementSettingData") {
		t.Error("deep subclasses of CIM_ManagedElement hold itself or an association")
	}
	direct, _ := repo.Subclasses(dmtfNS, "CIM_System", false)
	if got := classNamesOf(direct); !slices.Equal(got, []string{"CIM_ComputerSystem"}) {
		t.Errorf("direct subclasses of CIM_System %v", got)
	}
}

func TestDMTFRequestStateChange(t *testing.T) {
	repo, _ := loadDMTF(t)
	m := dmtfClass(t, repo, "CIM_EnabledLogicalElement").Method("RequestStateChange")
	if m == nil || m.Type != cim.TypeUint32 || m.Array {
		t.Fatalf("RequestStateChange %+v, want a uint32 method", m)
	}
	if got := propNamesOf(m.Parameters); !slices.Equal(got, []string{"RequestedState", "Job", "TimeoutPeriod"}) {
		t.Errorf("parameters %v", got)
	}
	rs, job, timeout := m.Parameter("RequestedState"), m.Parameter("Job"), m.Parameter("TimeoutPeriod")
	if rs.Type != cim.TypeUint16 || !rs.In() || rs.Out() {
		t.Errorf("RequestedState %s in=%v out=%v", rs.TypeName(), rs.In(), rs.Out())
	}
	if job.Type != cim.TypeReference || job.RefClass != "CIM_ConcreteJob" || job.In() || !job.Out() {
		t.Errorf("Job %s in=%v out=%v", job.TypeName(), job.In(), job.Out())
	}
	if timeout.Type != cim.TypeDatetime || !timeout.In() || timeout.Out() {
		t.Errorf("TimeoutPeriod %s in=%v out=%v", timeout.TypeName(), timeout.In(), timeout.Out())
	}
	if got := rs.Qualifiers.Strings("ValueMap"); !slices.Equal(got, []string{"2", "3", "4", "6", "7", "8", "9", "10", "11", "..", "32768..65535"}) {
		t.Errorf("RequestedState ValueMap %q", got)
	}
	wantVM := []string{"0", "1", "2", "3", "4", "5", "6", "..", "4096", "4097", "4098", "4099", "4100..32767", "32768..65535"}
	if !slices.Equal(m.ValueMap(), wantVM) {
		t.Errorf("return ValueMap %q\nwant %q", m.ValueMap(), wantVM)
	}
	vals := m.Values()
	if len(vals) != len(wantVM) || vals[0] != "Completed with No Error" || vals[8] != "Method Parameters Checked - Job Started" || vals[13] != "Vendor Specific" {
		t.Errorf("return Values %q", vals)
	}
	inherited := dmtfClass(t, repo, "CIM_ComputerSystem").Method("requeststatechange")
	if inherited == nil || inherited.ClassOrigin != "CIM_EnabledLogicalElement" || !inherited.Propagated || !slices.Equal(inherited.ValueMap(), wantVM) {
		t.Errorf("CIM_ComputerSystem.RequestStateChange %+v", inherited)
	}
}

func TestDMTFDefineSystem(t *testing.T) {
	repo, _ := loadDMTF(t)
	vsms := dmtfClass(t, repo, "CIM_VirtualSystemManagementService")
	if vsms.SuperClass != "CIM_Service" {
		t.Errorf("superclass %s", vsms.SuperClass)
	}
	m := vsms.Method("DefineSystem")
	if got := propNamesOf(m.Parameters); !slices.Equal(got, []string{"SystemSettings", "ResourceSettings", "ReferenceConfiguration", "ResultingSystem", "Job"}) {
		t.Fatalf("DefineSystem parameters %v", got)
	}
	for _, tc := range []struct {
		name, typ, class string
		in, out          bool
	}{
		{"SystemSettings", "instance", "CIM_VirtualSystemSettingData", true, false},
		{"ResourceSettings", "instance[]", "CIM_ResourceAllocationSettingData", true, false},
		{"ReferenceConfiguration", "CIM_VirtualSystemSettingData REF", "", true, false},
		{"ResultingSystem", "CIM_ComputerSystem REF", "", false, true},
		{"Job", "CIM_ConcreteJob REF", "", false, true},
	} {
		p := m.Parameter(tc.name)
		if p.TypeName() != tc.typ || p.EmbeddedClass != tc.class || p.In() != tc.in || p.Out() != tc.out {
			t.Errorf("%s: %s of %q in=%v out=%v; want %s of %q in=%v out=%v",
				tc.name, p.TypeName(), p.EmbeddedClass, p.In(), p.Out(), tc.typ, tc.class, tc.in, tc.out)
		}
	}
	if ei, _ := m.Parameter("SystemSettings").Qualifiers.Str("EmbeddedInstance"); ei != "CIM_VirtualSystemSettingData" {
		t.Errorf("SystemSettings EmbeddedInstance qualifier %q", ei)
	}
	for _, name := range []string{"DestroySystem", "AddResourceSettings", "ModifyResourceSettings", "ModifySystemSettings", "RemoveResourceSettings", "RequestStateChange", "StartService"} {
		if vsms.Method(name) == nil {
			t.Errorf("no method %s", name)
		}
	}
	job := dmtfClass(t, repo, "CIM_ConcreteJob").Property("TimeBeforeRemoval")
	d, _ := job.Value.Datetime()
	if dur, err := d.Duration(); err != nil || dur.String() != "5m0s" {
		t.Errorf("CIM_ConcreteJob.TimeBeforeRemoval default %s = %v, %v", job.Value, dur, err)
	}
}

func TestDMTFAssociations(t *testing.T) {
	repo, _ := loadDMTF(t)
	esd := dmtfClass(t, repo, "CIM_ElementSettingData")
	if !esd.IsAssociation() || esd.SuperClass != "" {
		t.Errorf("CIM_ElementSettingData association=%v superclass %q", esd.IsAssociation(), esd.SuperClass)
	}
	keys := esd.Keys()
	if len(keys) != 2 || keys[0].Name != "ManagedElement" || keys[0].RefClass != "CIM_ManagedElement" ||
		keys[1].Name != "SettingData" || keys[1].RefClass != "CIM_SettingData" {
		t.Errorf("keys %v", propNamesOf(keys))
	}
	for _, k := range keys {
		if k.Type != cim.TypeReference {
			t.Errorf("key %s is %s", k.Name, k.TypeName())
		}
	}
	if got := esd.Property("IsDefault").ValueMap(); !slices.Equal(got, []string{"0", "1", "2"}) {
		t.Errorf("IsDefault ValueMap %q", got)
	}

	sc := dmtfClass(t, repo, "CIM_SystemComponent")
	if sc.SuperClass != "CIM_Component" || !sc.IsAssociation() || sc.IsAbstract() || !dmtfClass(t, repo, "CIM_Component").IsAbstract() {
		t.Errorf("CIM_SystemComponent : %s association=%v abstract=%v", sc.SuperClass, sc.IsAssociation(), sc.IsAbstract())
	}
	gc := sc.Property("GroupComponent")
	key, _ := gc.Qualifiers.Get("Key")
	agg, _ := gc.Qualifiers.Get("Aggregate")
	if gc.RefClass != "CIM_System" || gc.ClassOrigin != "CIM_SystemComponent" || !key.Propagated || agg.Propagated {
		t.Errorf("GroupComponent %s from %s; Key %+v Aggregate %+v", gc.TypeName(), gc.ClassOrigin, key, agg)
	}
	if pc := sc.Property("PartComponent"); pc.RefClass != "CIM_ManagedSystemElement" || !pc.IsKey() {
		t.Errorf("PartComponent %s key=%v", pc.TypeName(), pc.IsKey())
	}
	deps, _ := repo.Subclasses(dmtfNS, "CIM_Dependency", true)
	for _, n := range []string{"CIM_HostedService", "CIM_HostedDependency", "CIM_ElementAllocatedFromPool", "CIM_ResourceAllocationFromPool"} {
		if !slices.Contains(classNamesOf(deps), n) {
			t.Errorf("deep subclasses of CIM_Dependency lack %s", n)
		}
	}
	if !repo.IsA(dmtfNS, "CIM_SystemDevice", "CIM_Component") || !repo.IsA(dmtfNS, "CIM_HostedService", "CIM_Dependency") {
		t.Error("IsA: SystemDevice is a Component, HostedService a Dependency")
	}
}

func TestDMTFQualifierDecls(t *testing.T) {
	repo, _ := loadDMTF(t)
	for _, tc := range []struct {
		name    string
		typ     string
		def     string
		scopes  cim.Scope
		flavors cim.Flavor
	}{
		{"Key", "boolean", "false", cim.ScopeProperty | cim.ScopeReference, cim.DisableOverride | cim.ToSubclass},
		{"Association", "boolean", "false", cim.ScopeAssociation, cim.DisableOverride | cim.ToSubclass},
		{"Abstract", "boolean", "false", cim.ScopeClass | cim.ScopeAssociation | cim.ScopeIndication, cim.EnableOverride | cim.Restricted},
		{"Description", "string", "null", cim.ScopeAny, cim.EnableOverride | cim.ToSubclass | cim.Translatable},
		{"In", "boolean", "true", cim.ScopeParameter, cim.DisableOverride | cim.ToSubclass},
		{"ValueMap", "string[]", "null", cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter, cim.EnableOverride | cim.ToSubclass},
		{"MaxLen", "uint32", "null", cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter, cim.EnableOverride | cim.ToSubclass},
		{"Min", "uint32", "0", cim.ScopeReference, cim.EnableOverride | cim.ToSubclass},
		{"MaxValue", "sint64", "null", cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter, cim.EnableOverride | cim.ToSubclass},
		{"ArrayType", "string", `"Bag"`, cim.ScopeProperty | cim.ScopeParameter, cim.DisableOverride | cim.ToSubclass},
		{"PropertyUsage", "string", `"CurrentContext"`, cim.ScopeProperty, cim.EnableOverride | cim.ToSubclass},
	} {
		d, err := repo.QualifierDecl(dmtfNS, strings.ToUpper(tc.name))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d.Name != tc.name || d.Default.TypeName() != tc.typ || d.Default.String() != tc.def || d.Scopes != tc.scopes || d.Flavor != tc.flavors {
			t.Errorf("%s: %s = %s, Scope(%s) Flavor(%s)", tc.name, d.Default.TypeName(), d.Default, d.Scopes, d.Flavor)
		}
	}
}
