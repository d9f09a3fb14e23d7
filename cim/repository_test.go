package cim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

const testNS = "root/test"

// testRepo declares the qualifiers the tests use, as qualifiers.mof does.
func testRepo(t *testing.T) *Repository {
	t.Helper()
	r := NewRepository()
	for _, d := range []QualifierDecl{
		{Name: "Key", Type: TypeBoolean, Default: Bool(false), Scopes: ScopeProperty | ScopeReference, Flavor: DisableOverride | ToSubclass},
		{Name: "Abstract", Type: TypeBoolean, Default: Bool(false), Scopes: ScopeClass | ScopeAssociation | ScopeIndication, Flavor: EnableOverride | Restricted},
		{Name: "Association", Type: TypeBoolean, Default: Bool(false), Scopes: ScopeAssociation, Flavor: DisableOverride | ToSubclass},
		{Name: "Description", Type: TypeString, Scopes: ScopeAny, Flavor: EnableOverride | ToSubclass | Translatable},
		{Name: "Override", Type: TypeString, Scopes: ScopeProperty | ScopeReference | ScopeMethod, Flavor: EnableOverride | Restricted},
		{Name: "EmbeddedInstance", Type: TypeString, Scopes: ScopeProperty | ScopeMethod | ScopeParameter},
		{Name: "EmbeddedObject", Type: TypeBoolean, Default: Bool(false), Scopes: ScopeProperty | ScopeMethod | ScopeParameter, Flavor: DisableOverride | ToSubclass},
		{Name: "In", Type: TypeBoolean, Default: Bool(true), Scopes: ScopeParameter, Flavor: DisableOverride | ToSubclass},
		{Name: "Out", Type: TypeBoolean, Default: Bool(false), Scopes: ScopeParameter, Flavor: DisableOverride | ToSubclass},
		{Name: "ValueMap", Type: TypeString, Array: true, Scopes: ScopeProperty | ScopeMethod | ScopeParameter},
		{Name: "MaxLen", Type: TypeUint32, Scopes: ScopeProperty | ScopeMethod | ScopeParameter},
	} {
		if err := r.AddQualifierDecl(testNS, d); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func q(name string, v ...Value) Qualifier {
	if len(v) == 0 {
		return Qualifier{Name: name}
	}
	return Qualifier{Name: name, Value: v[0]}
}

func prop(name string, t Type, quals ...Qualifier) *Property {
	return &Property{Name: name, DataType: DataType{Type: t}, Qualifiers: quals}
}

func ref(name, class string, quals ...Qualifier) *Property {
	return &Property{Name: name, DataType: DataType{Type: TypeReference, RefClass: class}, Qualifiers: quals}
}

// testClasses builds a small hierarchy shaped like CIM_ManagedElement,
// CIM_System, CIM_ComputerSystem and an association.
func testClasses(t *testing.T) *Repository {
	t.Helper()
	r := testRepo(t)
	status := prop("Status", TypeUint16, q("ValueMap", Strings("0", "2")))
	status.Value = Uint16(2)
	for _, c := range []*Class{
		{Name: "Test_Element", Qualifiers: Qualifiers{q("Abstract"), q("Description", String("base"))},
			Properties: []*Property{prop("InstanceID", TypeString), prop("Caption", TypeString, q("MaxLen", Uint32(64)))}},
		{Name: "Test_Job", SuperClass: "Test_Element"},
		{Name: "Test_Settings", SuperClass: "Test_Element"},
		{Name: "Test_System", SuperClass: "Test_Element",
			Properties: []*Property{prop("CreationClassName", TypeString, q("Key")), prop("Name", TypeString, q("Key")), status},
			Methods: []*Method{{Name: "RequestStateChange", DataType: DataType{Type: TypeUint32}, Parameters: []*Parameter{
				{Name: "RequestedState", DataType: DataType{Type: TypeUint16}, Qualifiers: Qualifiers{q("In")}},
				{Name: "Job", DataType: DataType{Type: TypeReference, RefClass: "test_job"}, Qualifiers: Qualifiers{q("In", Bool(false)), q("Out")}},
				{Name: "Settings", DataType: DataType{Type: TypeString, Array: true}, Qualifiers: Qualifiers{q("EmbeddedInstance", String("Test_Settings"))}},
			}}}},
		{Name: "Test_Computer", SuperClass: "test_system", Properties: []*Property{
			{Name: "Status", DataType: DataType{Type: TypeUint16}, Value: Uint16(5), Qualifiers: Qualifiers{q("Override", String("Status")), q("Description", String("overridden"))}},
			prop("Name", TypeString, q("Override", String("Name")), q("MaxLen", Uint32(32))),
			{Name: "Extra", DataType: DataType{Type: TypeInstance, EmbeddedClass: "Test_Settings"}},
		}},
		{Name: "Test_Assoc", Qualifiers: Qualifiers{q("Association")},
			Properties: []*Property{ref("Antecedent", "Test_System", q("Key")), ref("Dependent", "Test_Element", q("Key"))}},
		{Name: "Test_SubAssoc", SuperClass: "Test_Assoc",
			Properties: []*Property{ref("Antecedent", "Test_Computer", q("Override", String("Antecedent")))}},
	} {
		if err := r.AddClass(testNS, c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func mustClass(t *testing.T, r *Repository, name string) *Class {
	t.Helper()
	c, err := r.Class(testNS, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names[T any](xs []T, name func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, name(x))
	}
	return out
}

func propNames(ps []*Property) []string { return names(ps, func(p *Property) string { return p.Name }) }
func classNames(cs []*Class) []string   { return names(cs, func(c *Class) string { return c.Name }) }

func TestInheritance(t *testing.T) {
	r := testClasses(t)
	c := mustClass(t, r, "TEST_computer")
	if c.Name != "Test_Computer" || c.SuperClass != "Test_System" {
		t.Errorf("class %s : %s, want the declared spelling Test_Computer : Test_System", c.Name, c.SuperClass)
	}
	if got := propNames(c.Properties); !slices.Equal(got, []string{"InstanceID", "Caption", "CreationClassName", "Name", "Status", "Extra"}) {
		t.Errorf("properties %v", got)
	}
	for _, tc := range []struct {
		name, origin string
		propagated   bool
	}{
		{"InstanceID", "Test_Element", true}, {"CreationClassName", "Test_System", true},
		{"Name", "Test_Computer", false}, {"Status", "Test_Computer", false}, {"Extra", "Test_Computer", false},
	} {
		p := c.Property(strings.ToLower(tc.name))
		if p.ClassOrigin != tc.origin || p.Propagated != tc.propagated {
			t.Errorf("%s: class origin %s propagated %v, want %s %v", tc.name, p.ClassOrigin, p.Propagated, tc.origin, tc.propagated)
		}
	}
	// The override keeps the inherited Key and adds its own MaxLen.
	name := c.Property("Name")
	key, _ := name.Qualifiers.Get("Key")
	if !name.IsKey() || !key.Propagated || key.Flavor != DisableOverride|ToSubclass {
		t.Errorf("Name's Key qualifier %+v, want inherited DisableOverride|ToSubclass", key)
	}
	if ml, _ := name.Qualifiers.Get("MaxLen"); !ml.Value.Equal(Uint32(32)) || ml.Propagated {
		t.Errorf("Name's MaxLen %+v, want own 32", ml)
	}
	if _, ok := name.Qualifiers.Get("Override"); !ok {
		t.Error("Name lost its own Override qualifier")
	}
	status := c.Property("Status")
	if !status.Value.Equal(Uint16(5)) || !slices.Equal(status.ValueMap(), []string{"0", "2"}) {
		t.Errorf("Status default %s ValueMap %v, want 5 and the inherited {0, 2}", status.Value, status.ValueMap())
	}
	if d, _ := status.Qualifiers.Str("Description"); d != "overridden" {
		t.Errorf("Status Description %q", d)
	}
	if got := propNames(c.Keys()); !slices.Equal(got, []string{"CreationClassName", "Name"}) {
		t.Errorf("keys %v", got)
	}
	// Abstract is Restricted; Description is ToSubclass.
	if c.IsAbstract() || !mustClass(t, r, "Test_Element").IsAbstract() {
		t.Error("Abstract passed to a subclass, or is missing on its class")
	}
	if d, _ := c.Qualifiers.Get("Description"); d.Value.String() != `"base"` || !d.Propagated {
		t.Errorf("class Description %+v, want the inherited one", d)
	}
	extra := c.Property("Extra")
	if ei, _ := extra.Qualifiers.Str("EmbeddedInstance"); ei != "Test_Settings" || extra.EmbeddedClass != "Test_Settings" {
		t.Errorf("Extra: TypeInstance should imply EmbeddedInstance(\"Test_Settings\"), got %q", ei)
	}
}

func TestInheritedMethod(t *testing.T) {
	r := testClasses(t)
	m := mustClass(t, r, "Test_Computer").Method("requeststatechange")
	if m == nil || m.ClassOrigin != "Test_System" || !m.Propagated || m.Type != TypeUint32 {
		t.Fatalf("RequestStateChange = %+v, want uint32 propagated from Test_System", m)
	}
	rs, job, settings := m.Parameter("RequestedState"), m.Parameter("job"), m.Parameter("Settings")
	if !rs.In() || rs.Out() || job.In() || !job.Out() || !settings.In() {
		t.Errorf("In/Out: RequestedState %v/%v Job %v/%v Settings %v/%v", rs.In(), rs.Out(), job.In(), job.Out(), settings.In(), settings.Out())
	}
	if job.RefClass != "Test_Job" || job.TypeName() != "Test_Job REF" {
		t.Errorf("Job is %s, want Test_Job REF in the declared spelling", job.TypeName())
	}
	if settings.Type != TypeInstance || !settings.Array || settings.EmbeddedClass != "Test_Settings" {
		t.Errorf("Settings is %s of %q, want an array of embedded Test_Settings", settings.TypeName(), settings.EmbeddedClass)
	}
}

func TestAssociationInheritance(t *testing.T) {
	r := testClasses(t)
	sub := mustClass(t, r, "Test_SubAssoc")
	if !sub.IsAssociation() {
		t.Error("Association (ToSubclass) did not pass to the subclass")
	}
	ante := sub.Property("Antecedent")
	if ante.RefClass != "Test_Computer" || !ante.IsKey() || ante.ClassOrigin != "Test_SubAssoc" {
		t.Errorf("Antecedent %s key=%v origin %s", ante.TypeName(), ante.IsKey(), ante.ClassOrigin)
	}
	if got := propNames(sub.References()); !slices.Equal(got, []string{"Antecedent", "Dependent"}) {
		t.Errorf("references %v", got)
	}
}

func TestSubclasses(t *testing.T) {
	r := testClasses(t)
	for _, tc := range []struct {
		name string
		deep bool
		want []string
	}{
		{"Test_Element", false, []string{"Test_Job", "Test_Settings", "Test_System"}},
		{"test_element", true, []string{"Test_Job", "Test_Settings", "Test_System", "Test_Computer"}},
		{"Test_Computer", true, nil},
		{"", false, []string{"Test_Element", "Test_Assoc"}},
		{"", true, []string{"Test_Element", "Test_Job", "Test_Settings", "Test_System", "Test_Computer", "Test_Assoc", "Test_SubAssoc"}},
	} {
		got, err := r.Subclasses("ROOT/Test", tc.name, tc.deep)
		if err != nil || !slices.Equal(classNames(got), tc.want) {
			t.Errorf("Subclasses(%q, deep=%v) = %v, %v; want %v", tc.name, tc.deep, classNames(got), err, tc.want)
		}
	}
	chain, err := r.SuperClasses(testNS, "Test_Computer")
	if err != nil || !slices.Equal(chain, []string{"Test_System", "Test_Element"}) {
		t.Errorf("SuperClasses = %v, %v", chain, err)
	}
	if !r.IsA(testNS, "Test_Computer", "TEST_ELEMENT") || !r.IsA(testNS, "Test_Computer", "Test_Computer") || r.IsA(testNS, "Test_Job", "Test_System") {
		t.Error("IsA is wrong")
	}
	if _, err := r.Subclasses(testNS, "Nope", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("Subclasses of a missing class: %v", err)
	}
	if _, err := r.Class("root/nope", "Test_Element"); !errors.Is(err, ErrInvalidNamespace) {
		t.Errorf("Class in a missing namespace: %v", err)
	}
	if _, err := r.Class(testNS, "Nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing class: %v", err)
	}
	if err := r.CreateNamespace("root/interop"); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateNamespace("ROOT/interop"); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("CreateNamespace twice: %v", err)
	}
	for _, ns := range []string{"", "root//x", "root/", "root/(x)", "root x"} {
		if err := r.CreateNamespace(ns); !errors.Is(err, ErrInvalidNamespace) {
			t.Errorf("CreateNamespace(%q): %v", ns, err)
		}
		if err := r.AddClass(ns, &Class{Name: "X"}); !errors.Is(err, ErrInvalidNamespace) {
			t.Errorf("AddClass in %q: %v", ns, err)
		}
	}
	if got := r.Namespaces(); !slices.Equal(got, []string{"root/interop", "root/test"}) {
		t.Errorf("Namespaces() = %v", got)
	}
}

func TestAddClassErrors(t *testing.T) {
	for _, tc := range []struct {
		c    *Class
		want string
		kind error
	}{
		{&Class{Name: "X", SuperClass: "Nope"}, "superclass Nope", ErrInvalidSuperclass},
		{&Class{Name: "TEST_ELEMENT"}, "already exists", ErrAlreadyExists},
		{&Class{Name: "9X"}, "invalid class name", nil},
		{&Class{Name: "X", Qualifiers: Qualifiers{q("Bogus")}}, "qualifier Bogus is not declared", nil},
		{&Class{Name: "X", Qualifiers: Qualifiers{q("Key")}}, "qualifier Key is not allowed on a class", nil},
		{&Class{Name: "X", Properties: []*Property{prop("P", TypeString, q("Abstract"))}}, "property P: qualifier Abstract is not allowed on a property", nil},
		{&Class{Name: "X", Properties: []*Property{ref("R", "Test_Job", q("MaxLen", Uint32(1)))}}, "not allowed on a reference", nil},
		{&Class{Name: "X", Properties: []*Property{prop("P", TypeString, q("MaxLen", String("x")))}}, "qualifier MaxLen is uint32, value is string", nil},
		{&Class{Name: "X", Properties: []*Property{prop("P", TypeString, q("MaxLen"))}}, "qualifier MaxLen needs a uint32 value", nil},
		{&Class{Name: "X", Properties: []*Property{prop("P", TypeString, q("Key"), q("key"))}}, "given twice", nil},
		{&Class{Name: "X", Properties: []*Property{prop("P", TypeString), prop("p", TypeUint8)}}, "property p: defined twice", nil},
		{&Class{Name: "X", Properties: []*Property{{Name: "P", DataType: DataType{Type: TypeUint8}, Value: String("x")}}}, "default value is string, property is uint8", nil},
		{&Class{Name: "X", Properties: []*Property{ref("R", "Nope")}}, `reference class: class "Nope"`, ErrNotFound},
		{&Class{Name: "X", Properties: []*Property{prop("S", TypeString, q("EmbeddedInstance", String("Nope")))}}, "EmbeddedInstance class", ErrNotFound},
		{&Class{Name: "X", SuperClass: "Test_System", Properties: []*Property{prop("Name", TypeString)}}, "without the Override qualifier", nil},
		{&Class{Name: "X", SuperClass: "Test_System", Properties: []*Property{prop("Name", TypeString, q("Override", String("Caption")))}}, "must name the feature itself", nil},
		{&Class{Name: "X", SuperClass: "Test_System", Properties: []*Property{prop("Nope", TypeString, q("Override", String("Nope")))}}, "no such feature", nil},
		{&Class{Name: "X", SuperClass: "Test_System", Properties: []*Property{prop("Status", TypeUint32, q("Override", String("Status")))}}, "changes the type from uint16 to uint32", nil},
		{&Class{Name: "X", SuperClass: "Test_System", Properties: []*Property{prop("Name", TypeString, q("Override", String("Name")), q("Key", Bool(false)))}}, "qualifier Key is DisableOverride", nil},
		{&Class{Name: "X", SuperClass: "Test_Assoc", Properties: []*Property{ref("Antecedent", "Test_Job", q("Override", String("Antecedent")))}}, "not a subclass", nil},
		{&Class{Name: "X", SuperClass: "Test_System", Methods: []*Method{{Name: "RequestStateChange", DataType: DataType{Type: TypeUint32}}}}, "method RequestStateChange: redefines", nil},
		{&Class{Name: "X", Methods: []*Method{{Name: "M", DataType: DataType{Type: TypeUint32}, Parameters: []*Parameter{{Name: "A", DataType: DataType{Type: TypeUint8}}, {Name: "a", DataType: DataType{Type: TypeUint8}}}}}}, "parameter a: defined twice", nil},
		{&Class{Name: "X", Methods: []*Method{{Name: "M", DataType: DataType{Type: TypeUint32}, Qualifiers: Qualifiers{q("Key")}}}}, "not allowed on a method", nil},
	} {
		r := testClasses(t)
		err := r.AddClass(testNS, tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.kind != nil && !errors.Is(err, tc.kind)) {
			t.Errorf("AddClass(%s): error %v, want %q (%v)", tc.c.Name, err, tc.want, tc.kind)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "adding class "+tc.c.Name+" to root/test: ") {
			t.Errorf("error %q does not say what was being done", err)
		}
	}
}

func TestInstances(t *testing.T) {
	r := testClasses(t)
	c := mustClass(t, r, "Test_Computer")
	inst := c.NewInstance()
	if v, _ := inst.Get("status"); !v.Equal(Uint16(5)) {
		t.Errorf("new instance Status = %s, want the default 5", v)
	}
	if v, _ := inst.Get("Name"); !v.IsNull() || v.Type() != TypeString {
		t.Errorf("new instance Name = %s (%s), want a NULL string", v, v.TypeName())
	}
	if _, err := c.InstancePath(inst, "h", testNS); err == nil || !strings.Contains(err.Error(), "key CreationClassName is NULL") {
		t.Errorf("InstancePath with NULL keys: %v", err)
	}
	inst.Set("CreationClassName", String("Test_Computer"))
	inst.Set("name", String("vm-1"))
	p, err := c.InstancePath(inst, "h", testNS)
	if err != nil || p.String() != `//h/root/test:Test_Computer.CreationClassName="Test_Computer",Name="vm-1"` {
		t.Errorf("InstancePath = %s, %v", p, err)
	}
	if err := c.Validate(inst); err != nil {
		t.Error(err)
	}
	inst.Set("Status", Uint32(5))
	if err := c.Validate(inst); err == nil || !strings.Contains(err.Error(), "property Status is uint16, value is uint32") {
		t.Errorf("Validate with a uint32 Status: %v", err)
	}
	inst.Set("Status", Uint16(5))
	inst.Set("Bogus", Uint32(5))
	if err := c.Validate(inst); err == nil || !strings.Contains(err.Error(), "no property Bogus") {
		t.Errorf("Validate with an unknown property: %v", err)
	}
}

func TestNormalizePath(t *testing.T) {
	r := testRepo(t)
	err := r.AddClass(testNS, &Class{Name: "Test_Keyed", Properties: []*Property{
		prop("Id", TypeUint16, q("Key")), prop("When", TypeDatetime, q("Key")), prop("C", TypeChar16, q("Key")), prop("Other", TypeString),
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := mustClass(t, r, "Test_Keyed")
	p := mustPath(t, `/root/test:test_keyed.when="20240101000000.000000+000",id=5,c="x"`)
	n, err := c.NormalizePath(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `/root/test/(instance)Test_Keyed.C=(char16)"x",Id=(uint16)5,When=(datetime)"20240101000000.000000+000"`
	if n.TypedString() != want || !n.Equal(p) {
		t.Errorf("NormalizePath = %s\nwant            %s", n.TypedString(), want)
	}
	for in, msg := range map[string]string{
		`/root/test:Test_Keyed.Id=5,When="20240101000000.000000+000"`:            "has 3 keys, path has 2",
		`/root/test:Test_Keyed.Id=5,When="20240101000000.000000+000",Other="x"`:  "key C missing",
		`/root/test:Test_Keyed.Id=65536,When="20240101000000.000000+000",C="x"`:  "65536 out of range for uint16",
		`/root/test:Test_Keyed.Id=5,When="yesterday",C="x"`:                      "parsing datetime",
		`/root/test:Test_Keyed.Id="5",When="20240101000000.000000+000",C="x"`:    "does not convert to uint16",
		`/root/test:Test_Keyed.Id=5,When="20240101000000.000000+000",C="xy"`:     "2 characters",
		`/root/test:Test_Keyed.Id=TRUE,When="20240101000000.000000+000",C="x"`:   "does not convert",
		`/root/test:Test_Keyed.Id=-1,When="20240101000000.000000+000",C="x"`:     "-1 out of range",
		`/root/test:Test_Keyed.Id=5.0,When="20240101000000.000000+000",C="x"`:    "does not convert",
		`/root/test:Test_Keyed.Id=5,When="20240101000000.000000+000",C=":C.K=1"`: "does not convert to char16",
	} {
		if _, err := c.NormalizePath(mustPath(t, in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("NormalizePath(%s): %v, want %q", in, err, msg)
		}
	}
}

// TestConcurrentReaders reads while classes are added; run with -race.
func TestConcurrentReaders(t *testing.T) {
	r := testClasses(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if _, err := r.Class(testNS, "Test_Computer"); err != nil {
					t.Error(err)
					return
				}
				if _, err := r.Subclasses(testNS, "Test_Element", true); err != nil {
					t.Error(err)
					return
				}
				r.IsA(testNS, fmt.Sprintf("Test_Gen%d_%d", g, i), "Test_Element")
			}
		}()
	}
	for i := range 100 {
		if err := r.AddClass(testNS, &Class{Name: fmt.Sprintf("Test_Gen%d", i), SuperClass: "Test_Element"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	subs, _ := r.Subclasses(testNS, "Test_Element", false)
	if len(subs) != 103 {
		t.Errorf("%d direct subclasses of Test_Element, want 103", len(subs))
	}
}
