package mof

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/virtbridge/virtbridge/cim"
)

const testQualifiers = `
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
`

// testFS is a schema split over files that include each other with paths
// relative to the including file.
func testFS() fstest.MapFS {
	return fstest.MapFS{
		"schema/all.mof": {Data: []byte(`#pragma include ("qualifiers.mof")
#pragma include ("Core/Test_Base.mof")
#pragma include ("Core/Test_Thing.mof")
`)},
		"schema/qualifiers.mof":     {Data: []byte(testQualifiers)},
		"schema/Core/Test_Base.mof": {Data: []byte(`[Abstract, Description("base")] class Test_Base { [Key] string Id; };`)},
		"schema/Core/Test_Thing.mof": {Data: []byte(`#pragma include ("../Core/Test_Settings.mof")
class Test_Thing : Test_Base {
    [Override("Id"), MaxLen(16)] string Id;
    uint16 States[] = {2, 3};
    datetime Timeout = "00000000000500.000000:000";
    [EmbeddedInstance("Test_Settings")] string Settings;
    [ValueMap {"0", ".."}] uint32 Go([In] uint16 How, [EmbeddedInstance("Test_Settings")] string S,
        [In(false), Out] Test_Thing REF Result);
};
[Association] class Test_Link { [Key] Test_Base REF A; [Key] Test_Base REF B; };
`)},
		"schema/Core/Test_Settings.mof": {Data: []byte(`class Test_Settings : Test_Base { string Value; };`)},
	}
}

func TestLoadIncludes(t *testing.T) {
	repo := cim.NewRepository()
	if _, err := Load(testFS(), []string{"schema/all.mof"}, repo, "root/test"); err != nil {
		t.Fatal(err)
	}
	classes, _ := repo.Classes("root/test")
	var names []string
	for _, c := range classes {
		names = append(names, c.Name)
	}
	if want := []string{"Test_Base", "Test_Settings", "Test_Thing", "Test_Link"}; !slices.Equal(names, want) {
		t.Errorf("classes %v, want %v", names, want)
	}
	thing, err := repo.Class("root/test", "Test_Thing")
	if err != nil {
		t.Fatal(err)
	}
	id := thing.Property("Id")
	if !id.IsKey() || id.ClassOrigin != "Test_Thing" {
		t.Errorf("Id key=%v origin %s", id.IsKey(), id.ClassOrigin)
	}
	if ml, _ := id.Qualifiers.Get("MaxLen"); !ml.Value.Equal(cim.Uint32(16)) {
		t.Errorf("MaxLen %s", ml.Value)
	}
	states := thing.Property("States").Value
	if want, _ := cim.Array(cim.TypeUint16, cim.Uint16(2), cim.Uint16(3)); !states.Equal(want) {
		t.Errorf("States default %s (%s)", states, states.TypeName())
	}
	timeout, _ := thing.Property("Timeout").Value.Datetime()
	if d, err := timeout.Duration(); err != nil || d.Minutes() != 5 {
		t.Errorf("Timeout default %v, %v", d, err)
	}
	if s := thing.Property("Settings"); s.Type != cim.TypeInstance || s.EmbeddedClass != "Test_Settings" {
		t.Errorf("Settings is %s of %q", s.TypeName(), s.EmbeddedClass)
	}
	m := thing.Method("Go")
	if !slices.Equal(m.ValueMap(), []string{"0", ".."}) || m.Parameter("S").Type != cim.TypeInstance ||
		m.Parameter("Result").RefClass != "Test_Thing" || m.Parameter("Result").In() || !m.Parameter("Result").Out() {
		t.Errorf("method Go %+v", m)
	}
	if link, _ := repo.Class("root/test", "Test_Link"); !link.IsAssociation() || len(link.Keys()) != 2 {
		t.Errorf("Test_Link association=%v keys=%d", link.IsAssociation(), len(link.Keys()))
	}
}

func TestCompileInstances(t *testing.T) {
	repo := cim.NewRepository()
	if _, err := Load(testFS(), []string{"schema/all.mof"}, repo, "root/test"); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("inst.mof", []byte(`
instance of Test_Thing as $A { Id = "a"; Settings = instance of Test_Settings { Id = "s"; Value = "v"; }; };
instance of Test_Thing as $b { Id = "b"; States = null; };
instance of Test_Link { A = $A; B = $B; };
#pragma namespace ("root/other")
`))
	if err != nil {
		t.Fatal(err)
	}
	insts, err := Compile(nil, repo, "root/test", f)
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 3 {
		t.Fatalf("%d instances", len(insts))
	}
	a := insts[0]
	if a.Path.String() != `/root/test:Test_Thing.Id="a"` {
		t.Errorf("path of $A: %s", a.Path)
	}
	if v, _ := a.Get("States"); v.String() != "{2, 3}" {
		t.Errorf("States of $A = %s, want the class default", v)
	}
	sv, _ := a.Get("Settings")
	if s, ok := sv.Instance(); !ok || s.ClassName != "Test_Settings" || !s.Path.IsZero() {
		t.Errorf("embedded Settings %s", sv)
	} else if v, _ := s.Get("Value"); !v.Equal(cim.String("v")) {
		t.Errorf("embedded Settings.Value %s", v)
	}
	if v, _ := insts[1].Get("States"); !v.IsNull() || !v.IsArray() {
		t.Errorf("States = null gave %s", v)
	}
	link := insts[2]
	ra, _ := link.Get("A")
	if p, ok := ra.Ref(); !ok || p.String() != `/root/test:Test_Thing.Id="a"` {
		t.Errorf("A = %s", ra)
	}
	if link.Path.String() != `/root/test:Test_Link.A="/root/test:Test_Thing.Id=\"a\"",B="/root/test:Test_Thing.Id=\"b\""` {
		t.Errorf("link path %s", link.Path)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`[Bogus] class X {};`, "c.mof:1:2: qualifier Bogus is not declared in namespace root/test"},
		{`class X : Nope {};`, "c.mof:1:1: adding class X to root/test: superclass Nope: invalid superclass"},
		{"#pragma namespace(\"root//x\")\nclass X {};", "c.mof:2:1: adding class X to root//x: invalid namespace"},
		{"class X {\n  uint8 B = 256; };", "c.mof:2:13: property B default: 256 out of range for uint8"},
		{`class X { uint8 B[] = 1; };`, "c.mof:1:23: property B default: expected a uint8[] value {...}, found an integer"},
		{`class X { datetime D = "soon"; };`, `c.mof:1:24: property D default: parsing datetime "soon"`},
		{`class X { string S = 'c'; };`, "c.mof:1:22: property S default: expected a string value, found a char16"},
		{`class X { Test_Base REF R = $nope; };`, "c.mof:1:29: property R default: alias $nope is not defined"},
		{`[MaxLen("x")] class X {};`, `c.mof:1:9: qualifier MaxLen: expected a uint32 value, found a string`},
		{`class X { [Key] uint8 M(); };`, "c.mof:1:1: adding class X to root/test: method M: qualifier Key is not allowed on a method"},
		{`instance of Nope {};`, "c.mof:1:1: instance of Nope: class Nope in root/test: not found"},
		{`instance of Test_Thing { Nope = 1; };`, "c.mof:1:26: class Test_Thing has no property Nope"},
		{`instance of Test_Thing { Id = 1; };`, "c.mof:1:31: property Id: expected a string value, found an integer"},
		{`instance of Test_Thing as $x { };`, "c.mof:1:1: alias $x: path of Test_Thing instance: key Id is NULL"},
		{`instance of Test_Thing as $x { Id = "1"; }; instance of Test_Thing as $X { Id = "2"; };`, "c.mof:1:45: alias $X defined twice"},
		{`#pragma include ("missing.mof")`, "c.mof:1:1: including missing.mof: no file system to read it from"},
	} {
		repo := cim.NewRepository()
		if _, err := Load(testFS(), []string{"schema/all.mof"}, repo, "root/test"); err != nil {
			t.Fatal(err)
		}
		f, err := Parse("c.mof", []byte(tc.src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		_, err = Compile(nil, repo, "root/test", f)
		var me *Error
		if err == nil || !errors.As(err, &me) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Compile(%q):\n error %v\n want  %s", tc.src, err, tc.want)
		}
		// The cause survives the position, for mapping to CIM status codes.
		for _, kind := range []cim.ErrorKind{cim.ErrInvalidSuperclass, cim.ErrNotFound, cim.ErrInvalidNamespace} {
			if strings.Contains(tc.want, kind.Error()) && !errors.Is(err, kind) {
				t.Errorf("Compile(%q): error %v is not %v", tc.src, err, kind)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"a.mof":   {Data: []byte(`#pragma include ("b.mof")`)},
		"b.mof":   {Data: []byte("\n  #pragma include (\"a.mof\")")},
		"bad.mof": {Data: []byte(`class X {`)},
		"inc.mof": {Data: []byte(`#pragma include ("bad.mof")`)},
	}
	for _, tc := range []struct {
		file, want string
	}{
		{"a.mof", "b.mof:2:3: including a.mof: include cycle through a.mof, b.mof"},
		{"inc.mof", "bad.mof:1:10: expected data type or class name, found end of file"},
		{"none.mof", "reading MOF: open none.mof: file does not exist"},
	} {
		_, err := Load(fsys, []string{tc.file}, cim.NewRepository(), "root/test")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Load(%s):\n error %v\n want  %s", tc.file, err, tc.want)
		}
	}
}

func TestOrder(t *testing.T) {
	parse := func(name, src string) *File {
		f, err := Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	files := []*File{
		parse("link.mof", `[Association] class L { [Key] B REF A; [Key] C REF Z; };`),
		parse("c.mof", `class C : B { [EmbeddedInstance("E")] string S; };`),
		parse("e.mof", `class E { uint8 M([In] B REF R); };`),
		parse("b.mof", `class B { };`),
		parse("q.mof", testQualifiers),
	}
	ordered, err := Order(files)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range ordered {
		names = append(names, f.Name)
	}
	if want := []string{"b.mof", "q.mof", "e.mof", "c.mof", "link.mof"}; !slices.Equal(names, want) {
		t.Errorf("Order = %v, want %v", names, want)
	}
	repo := cim.NewRepository()
	if _, err := Compile(nil, repo, "root/test", ordered...); err != nil {
		t.Fatal(err)
	}
	_, err = Order([]*File{parse("x.mof", `class X : Y { };`), parse("y.mof", `class Y { X REF R; };`)})
	if err == nil || err.Error() != "ordering MOF files: dependency cycle: x.mof needs class Y from y.mof; y.mof needs class X from x.mof" {
		t.Errorf("cycle: %v", err)
	}
}
