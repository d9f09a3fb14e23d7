package mof

import (
	"errors"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

const sampleMOF = `// a sample of every construct
#pragma locale ("en_US")
#pragma include ("sub/" "other.mof")

Qualifier Key : boolean = false, Scope(property, reference),
    Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier Fixed : uint8[4] = {1, 2, 3, 4}, Scope(any);
QUALIFIER Policyish : string = null scope(class) policy(restricted);

[Abstract, Description ("A test " "class."): Translatable ToSubclass]
class Test_Thing : Test_Base {
    [Key] string Name;
    uint8 Bytes[] = {0x1F, 101b, 017, -0};
    sint16 Quad[4];
    real64 Ratio = -1.5e2;
    char16 Letter = '\x41';
    boolean Flag = TRUE;
    datetime When = "00000000000500.000000:000";
    string Nothing = NULL;
    [Key] Test_Base REF Parent;
    string[] NewStyle;

    [ValueMap {"0", "1", ".."}]
    uint32 Go([IN] uint16 How, [IN(false), Out] Test_Base REF Result[],
        string Names[] = {"a", "b"});
    uint32 NoArgs();
};

association Test_Link { [Key] Test_Thing REF A; };

instance of Test_Thing as $T {
    Name = "x";
    Inner = instance of Test_Base { Id = 1; };
    Parent = $Other;
};
`

func TestParseSample(t *testing.T) {
	f, err := Parse("sample.mof", []byte(sampleMOF))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Decls) != 9 {
		t.Fatalf("%d declarations, want 9", len(f.Decls))
	}
	if p := f.Decls[1].(*Pragma); p.Name != "include" || p.Value != "sub/other.mof" || p.Line != 3 {
		t.Errorf("include pragma %+v", p)
	}
	key := f.Decls[2].(*QualifierDecl)
	if key.Name != "Key" || key.Type != cim.TypeBoolean || key.Default.Kind != LitBool || key.Default.Bool ||
		key.Scopes != cim.ScopeProperty|cim.ScopeReference || key.Flavor != cim.DisableOverride|cim.ToSubclass {
		t.Errorf("Key declaration %+v", key)
	}
	if vm := f.Decls[3].(*QualifierDecl); !vm.Array || vm.ArraySize != 0 || vm.Default != nil {
		t.Errorf("ValueMap declaration %+v", vm)
	}
	if fx := f.Decls[4].(*QualifierDecl); fx.ArraySize != 4 || len(fx.Default.Elems) != 4 || fx.Scopes != cim.ScopeAny {
		t.Errorf("Fixed declaration %+v", fx)
	}
	if pq := f.Decls[5].(*QualifierDecl); pq.Flavor != cim.Restricted || pq.Default.Kind != LitNull {
		t.Errorf("Policyish declaration %+v", pq)
	}

	c := f.Decls[6].(*ClassDecl)
	if c.Name != "Test_Thing" || c.SuperClass != "Test_Base" || c.Line != 11 || c.Col != 1 {
		t.Errorf("class %s : %s at %d:%d", c.Name, c.SuperClass, c.Line, c.Col)
	}
	desc := c.Qualifiers[1]
	if desc.Value.Str != "A test class." || desc.Flavor != cim.Translatable|cim.ToSubclass {
		t.Errorf("Description %q flavor %v", desc.Value.Str, desc.Flavor)
	}
	props := map[string]*PropertyDecl{}
	for _, p := range c.Properties {
		props[p.Name] = p
	}
	if len(props) != 10 {
		t.Errorf("%d properties, want 10", len(props))
	}
	var mags []uint64
	for _, e := range props["Bytes"].Default.Elems {
		mags = append(mags, e.Mag)
	}
	if !props["Bytes"].Type.Array || len(mags) != 4 || mags[0] != 31 || mags[1] != 5 || mags[2] != 15 || mags[3] != 0 {
		t.Errorf("Bytes %+v = %v", props["Bytes"].Type, mags)
	}
	if q := props["Quad"].Type; q.Type != cim.TypeSint16 || q.ArraySize != 4 {
		t.Errorf("Quad %+v", q)
	}
	if props["Ratio"].Default.Real != -150 || props["Letter"].Default.Char != 'A' || !props["Flag"].Default.Bool ||
		props["When"].Default.Str != "00000000000500.000000:000" || props["Nothing"].Default.Kind != LitNull {
		t.Error("defaults of Ratio, Letter, Flag, When or Nothing misread")
	}
	if r := props["Parent"].Type; r.Type != cim.TypeReference || r.RefClass != "Test_Base" {
		t.Errorf("Parent %+v", r)
	}
	if !props["NewStyle"].Type.Array {
		t.Error("string[] NewStyle is not an array")
	}
	if len(c.Methods) != 2 {
		t.Fatalf("%d methods", len(c.Methods))
	}
	m := c.Methods[0]
	if m.Name != "Go" || m.Type.Type != cim.TypeUint32 || len(m.Parameters) != 3 || len(m.Qualifiers[0].Value.Elems) != 3 {
		t.Fatalf("method %+v", m)
	}
	res := m.Parameters[1]
	if res.Type.RefClass != "Test_Base" || !res.Type.Array || res.Qualifiers[0].Value.Bool || res.Qualifiers[1].Name != "Out" {
		t.Errorf("Result parameter %+v", res)
	}
	if names := m.Parameters[2]; !names.Type.Array || len(names.Default.Elems) != 2 {
		t.Errorf("Names parameter %+v", names)
	}
	if c.Methods[1].Name != "NoArgs" || len(c.Methods[1].Parameters) != 0 {
		t.Errorf("NoArgs %+v", c.Methods[1])
	}

	link := f.Decls[7].(*ClassDecl)
	if link.Qualifiers[0].Name != "Association" || link.Properties[0].Type.RefClass != "Test_Thing" {
		t.Errorf("association keyword %+v", link)
	}
	inst := f.Decls[8].(*InstanceDecl)
	if inst.ClassName != "Test_Thing" || inst.Alias != "T" || len(inst.Properties) != 3 {
		t.Fatalf("instance %+v", inst)
	}
	if in := inst.Properties[1].Value; in.Kind != LitInstance || in.Instance.ClassName != "Test_Base" {
		t.Errorf("embedded instance %+v", in)
	}
	if al := inst.Properties[2].Value; al.Kind != LitAlias || al.Str != "Other" {
		t.Errorf("alias value %+v", al)
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"class X {\n  string Name\n};":                    "e.mof:3:1: expected ';', found \"}\"",
		"class X : { };":                                  "e.mof:1:11: expected superclass name, found \"{\"",
		"class X { Y Name; };":                            "e.mof:1:11: expected data type, found \"Y\" (a class name needs REF)",
		"class X { string; };":                            "e.mof:1:17: expected property or method name, found \";\"",
		"class X { uint8 A[0]; };":                        "e.mof:1:19: array size 0 must be positive",
		"class X { uint8 A = {1, {2}}; };":                "e.mof:1:25: expected value, found \"{\"",
		"class X { uint8 M(uint8 a b); };":                "e.mof:1:27: expected ',' or ')', found \"b\"",
		"[Key class X {};":                                "e.mof:1:6: expected ',' or ']', found \"class\"",
		"[Key : Sometimes] class X {};":                   "e.mof:1:8: expected flavor, found \"Sometimes\"",
		"[Desc(\"a\"] class X {};":                        "e.mof:1:10: expected ')', found \"]\"",
		"Qualifier Q : boolean;":                          "e.mof:1:1: qualifier Q has no Scope",
		"Qualifier Q : widget, Scope(any);":               "e.mof:1:15: expected qualifier data type, found \"widget\"",
		"Qualifier Q : boolean, Scope(things);":           "e.mof:1:30: expected scope (class, association",
		"Qualifier Q : boolean, Scope(any), Flavor(Red);": "e.mof:1:43: expected flavor (EnableOverride",
		"Qualifier Q : boolean, Scope(any) Other;":        "e.mof:1:35: expected Scope, Flavor or ';'",
		"#pragma include(5)":                              "e.mof:1:17: pragma include needs a string",
		"#pragma":                                         "e.mof:1:8: expected pragma name, found end of file",
		"#include(\"x\")":                                 "e.mof:1:2: expected pragma, found \"include\"",
		"instance X {};":                                  "e.mof:1:10: expected of, found \"X\"",
		"instance of X as Y {};":                          "e.mof:1:18: expected alias ($Name), found \"Y\"",
		"instance of X { A = 1 };":                        "e.mof:1:23: expected ';', found \"}\"",
		"instance of X { A = ; };":                        "e.mof:1:21: expected value, found \";\"",
		"instance of X { };":                              "",
		"structure S { };":                                "e.mof:1:1: structure declarations are not supported",
		"widget X;":                                       "e.mof:1:1: expected class, instance or qualifier declaration, found \"widget\"",
		"class X { }":                                     "e.mof:1:12: expected ';', found end of file",
	} {
		_, err := Parse("e.mof", []byte(src))
		if want == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v", src, err)
			}
			continue
		}
		var me *Error
		if err == nil || !errors.As(err, &me) || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("Parse(%q):\n error %v\n want  %s", src, err, want)
		}
	}
}

func TestParseNestingLimit(t *testing.T) {
	src := "instance of A { P = "
	for range maxDepth + 1 {
		src += "instance of A { P = "
	}
	_, err := Parse("deep.mof", []byte(src))
	if err == nil || err.Error() != "deep.mof:1:661: embedded instances nested deeper than 32" {
		t.Errorf("deep nesting: %v", err)
	}
}
