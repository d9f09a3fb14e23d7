package cim

import (
	"math"
	"strings"
	"testing"
)

func mustPath(t *testing.T, s string) ObjectPath {
	t.Helper()
	p, err := ParseObjectPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParsePathUntyped(t *testing.T) {
	p := mustPath(t, `//vmhost.example.com/root/virtualization:CIM_ComputerSystem.Name="vm-1",CreationClassName="Virt_ComputerSystem"`)
	if p.Host != "vmhost.example.com" || p.Namespace != "root/virtualization" || p.ClassName != "CIM_ComputerSystem" {
		t.Errorf("parsed host %q namespace %q class %q", p.Host, p.Namespace, p.ClassName)
	}
	if len(p.Keys) != 2 || p.Keys[0].Name != "Name" || !p.Keys[0].Value.Equal(String("vm-1")) {
		t.Errorf("keys %v, want Name first as given", p.Keys)
	}
	if v, ok := p.Key("creationclassname"); !ok || !v.Equal(String("Virt_ComputerSystem")) {
		t.Errorf("Key(creationclassname) = %v, %v", v, ok)
	}
	// Printing sorts keys by name.
	want := `//vmhost.example.com/root/virtualization:CIM_ComputerSystem.CreationClassName="Virt_ComputerSystem",Name="vm-1"`
	if p.String() != want {
		t.Errorf("String() = %s\nwant       %s", p, want)
	}
	if !p.IsInstance() || p.IsClass() {
		t.Error("an instance path is not an instance path")
	}
}

func TestParsePathKeyKinds(t *testing.T) {
	p := mustPath(t, `/root/cimv2:CIM_Foo.S="a\"b\\c\d",Id=5,Neg=-3,Big=18446744073709551615,R=1.5,E=2E3,F=true,G=FALSE`)
	for name, want := range map[string]Value{
		"S":   String(`a"b\c\d`), // a backslash before anything else stays
		"Id":  Sint64(5),
		"Neg": Sint64(-3),
		"Big": Uint64(math.MaxUint64),
		"R":   Real64(1.5),
		"E":   Real64(2000),
		"F":   Bool(true),
		"G":   Bool(false),
	} {
		if v, ok := p.Key(name); !ok || !v.Equal(want) || v.Type() != want.Type() {
			t.Errorf("key %s = %s (%s), want %s (%s)", name, v, v.TypeName(), want, want.TypeName())
		}
	}
	want := `/root/cimv2:CIM_Foo.Big=18446744073709551615,E=2000.0,F=TRUE,G=FALSE,Id=5,Neg=-3,R=1.5,S="a\"b\\c\\d"`
	if p.String() != want {
		t.Errorf("String() = %s\nwant       %s", p, want)
	}
}

func TestParsePathReferenceKeys(t *testing.T) {
	vm := `//h/root/virtualization:CIM_ComputerSystem.CreationClassName=\"X\",Name=\"Y\"`
	sd := `root/virtualization:CIM_VirtualSystemSettingData.InstanceID=\"a:b\"`
	p := mustPath(t, `/root/virtualization:CIM_ElementSettingData.ManagedElement="`+vm+`",SettingData="`+sd+`"`)
	me, _ := p.Key("ManagedElement")
	ref, ok := me.Ref()
	if !ok || ref.Host != "h" || ref.ClassName != "CIM_ComputerSystem" || len(ref.Keys) != 2 {
		t.Fatalf("ManagedElement = %s (%s), want a reference to CIM_ComputerSystem on h", me, me.TypeName())
	}
	sv, _ := p.Key("SettingData")
	sref, _ := sv.Ref()
	if id, _ := sref.Key("InstanceID"); !id.Equal(String("a:b")) || sref.Namespace != "root/virtualization" {
		t.Errorf("SettingData = %s, want InstanceID a:b in root/virtualization", sv)
	}
	// Nested paths print in full form, escaped once more per level.
	want := `/root/virtualization:CIM_ElementSettingData.ManagedElement="` + vm +
		`",SettingData="/root/virtualization:CIM_VirtualSystemSettingData.InstanceID=\"a:b\""`
	if p.String() != want {
		t.Errorf("String() = %s\nwant       %s", p, want)
	}
	if again := mustPath(t, p.String()); !again.Equal(p) || again.String() != p.String() {
		t.Errorf("reparsed %s", again)
	}
	// A quoted value that is not an instance path stays a string.
	q := mustPath(t, `/r:C.A="x.y=z",B="CIM_Foo"`)
	for _, k := range q.Keys {
		if k.Value.Type() != TypeString {
			t.Errorf("key %s is %s, want string", k.Name, k.Value.TypeName())
		}
	}
}

func TestPathTyped(t *testing.T) {
	inner := ObjectPath{Namespace: "root/virtualization", ClassName: "CIM_ComputerSystem",
		Keys: []KeyBinding{{"Name", String("vm-1")}, {"CreationClassName", String("X")}}}
	dt := mustDatetime(t, "20240315123045.123456+060")
	p := ObjectPath{Host: "h:5989", Namespace: "root/virtualization", ClassName: "Test_Keys", Keys: []KeyBinding{
		{"U16", Uint16(5)}, {"S8", Sint8(-5)}, {"Str", String(`q"\`)}, {"Flag", Bool(true)},
		{"When", DatetimeValue(dt)}, {"Ch", Char16('c')}, {"R32", Real32(0.25)}, {"Sys", Ref(inner)},
	}}
	want := `//h:5989/root/virtualization/(instance)Test_Keys.Ch=(char16)"c",Flag=(boolean)true,R32=(real32)0.25,S8=(sint8)-5,` +
		`Str=(string)"q\"\\",Sys=(reference)"/root/virtualization/(instance)CIM_ComputerSystem.CreationClassName=(string)\"X\",Name=(string)\"vm-1\"",` +
		`U16=(uint16)5,When=(datetime)"20240315123045.123456+060"`
	if got := p.TypedString(); got != want {
		t.Fatalf("TypedString() = %s\nwant            %s", got, want)
	}
	back := mustPath(t, want)
	for _, k := range p.Keys {
		v, ok := back.Key(k.Name)
		if !ok || !v.Equal(k.Value) {
			t.Errorf("typed round trip of %s: got %s (%s), want %s (%s)", k.Name, v, v.TypeName(), k.Value, k.Value.TypeName())
		}
	}
	// The untyped form loses the types but names the same instance.
	untyped := mustPath(t, p.String())
	if !untyped.Equal(p) {
		t.Errorf("untyped %s does not equal typed %s", untyped, p)
	}
	for s, want := range map[string]ObjectPath{
		"//h/root/cimv2/(class)CIM_Foo": {Host: "h", Namespace: "root/cimv2", ClassName: "CIM_Foo"},
		"/root/cimv2/(namespace)":       {Namespace: "root/cimv2"},
		"//h/(namespace)":               {Host: "h"},
		"/(instance)C.K=(uint8)1":       {ClassName: "C", Keys: []KeyBinding{{"K", Uint8(1)}}},
	} {
		got := mustPath(t, s)
		if !got.Equal(want) || got.TypedString() != s {
			t.Errorf("ParseObjectPath(%q) = %#v, TypedString %q", s, got, got.TypedString())
		}
	}
}

func TestPathForms(t *testing.T) {
	for in, want := range map[string]string{
		`CIM_Foo.Id=1`:                              `/:CIM_Foo.Id=1`,
		`/:CIM_Foo.Id=1`:                            `/:CIM_Foo.Id=1`,
		`root/cimv2:CIM_Foo.Id=1`:                   `/root/cimv2:CIM_Foo.Id=1`,
		`http://h:5988/root/cimv2:CIM_Foo.Id=1`:     `//h:5988/root/cimv2:CIM_Foo.Id=1`,
		`https://[fe80::1]:5989/interop:CIM_Foo`:    `//[fe80::1]:5989/interop:CIM_Foo`,
		`//h/root/cimv2`:                            `//h/root/cimv2`,
		`/root/cimv2`:                               `/root/cimv2`,
		`CIM_Foo`:                                   `/:CIM_Foo`,
		`/root/cimv2:CIM_Foo`:                       `/root/cimv2:CIM_Foo`,
		`//h/interop:CIM_Foo.B="\\",A="é"`:          `//h/interop:CIM_Foo.A="é",B="\\"`,
		`/r:CIM_Foo.Id=+7`:                          `/r:CIM_Foo.Id=7`,
		`/r:CIM_Foo.Id=-9223372036854775808,X=0.0`:  `/r:CIM_Foo.Id=-9223372036854775808,X=0.0`,
		`/r:CIM_Foo.V=1e300`:                        `/r:CIM_Foo.V=1.0e+300`,
		`/r:CIM_Foo.V=-0.5`:                         `/r:CIM_Foo.V=-0.5`,
		`/r:Ünïcode_Class.Naïve="x"`:                `/r:Ünïcode_Class.Naïve="x"`,
		`/r:CIM_Foo.Id=18446744073709551615,Z=TRUE`: `/r:CIM_Foo.Id=18446744073709551615,Z=TRUE`,
	} {
		p := mustPath(t, in)
		if p.String() != want {
			t.Errorf("ParseObjectPath(%q).String() = %q, want %q", in, p, want)
		}
		if again := mustPath(t, p.String()); !again.Equal(p) {
			t.Errorf("%q: reparse of %q differs", in, p)
		}
	}
}

func TestPathEqual(t *testing.T) {
	a := mustPath(t, `//HOST/Root/CIMV2:cim_foo.NAME="x",id=5`)
	b := mustPath(t, `//host/root/cimv2:CIM_Foo.Id=5,Name="x"`)
	if !a.Equal(b) {
		t.Errorf("%s != %s: names are case-insensitive", a, b)
	}
	typed := ObjectPath{Host: "host", Namespace: "root/cimv2", ClassName: "CIM_Foo", Keys: []KeyBinding{{"Name", String("x")}, {"Id", Uint16(5)}}}
	if !a.Equal(typed) {
		t.Errorf("%s != %s: an untyped 5 names the uint16 5", a, typed)
	}
	if c := mustPath(t, `//host/root/cimv2:CIM_Foo.Id=5,Name="X"`); a.Equal(c) {
		t.Errorf("%s == %s: key values are case-sensitive", a, c)
	}
	if d := mustPath(t, `//other/root/cimv2:CIM_Foo.Id=5,Name="x"`); a.Equal(d) {
		t.Error("paths on different hosts are equal")
	}
	w := a.WithKey("name", String("y"))
	if v, _ := w.Key("Name"); !v.Equal(String("y")) || len(w.Keys) != 2 {
		t.Errorf("WithKey replaced badly: %s", w)
	}
	if v, _ := a.Key("Name"); !v.Equal(String("x")) {
		t.Error("WithKey changed the original")
	}
}

func TestParsePathErrors(t *testing.T) {
	for in, want := range map[string]string{
		``:                               "expected class name",
		`/`:                              "empty path",
		`//`:                             "empty host",
		`///r:C`:                         "empty host",
		`/root//x:C`:                     "empty segment",
		`/r:C.`:                          "expected key name",
		`/r:C.K`:                         "expected '='",
		`/r:C.K=`:                        "expected a quoted string, number or boolean",
		`/r:C.K="x`:                      "unterminated string",
		`/r:C.K=abc`:                     "expected a quoted string, number or boolean",
		`/r:C.K=1,k=2`:                   "bound twice",
		`/r:C.K=1;`:                      "expected a quoted string, number or boolean",
		`/r:C.K="a"x`:                    "expected ','",
		`/r:C.K=99999999999999999999`:    "out of range",
		`/r:C.K=--1`:                     "expected a quoted string",
		`/r:1C`:                          "expected class name",
		`/r:C K=1`:                       "expected '.'",
		`/r/(instance)C`:                 "has no keys",
		`/r/(class)C.K=(uint8)1`:         "has keys",
		`/r/(instance)C.K=5`:             `expected "(type)"`,
		`/r/(instance)C.K=(uint8)256`:    "256 out of range for uint8",
		`/r/(instance)C.K=(real32)1e39`:  "bad real32",
		`/r/(instance)C.K=(flag)1`:       "unknown key type",
		`/r/(instance)C.K=(boolean)yes`:  "expected true or false",
		`/r/(instance)C.K=(char16)"ab"`:  "2 characters",
		`/r/(instance)C.K=(datetime)"x"`: "parsing datetime",
		`/r/(bogus)C`:                    "expected (namespace), (class) or (instance)",
		`/r/(namespace)x`:                "unexpected",
		`/r C`:                           "expected ':' or \"/(\"",
	} {
		_, err := ParseObjectPath(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseObjectPath(%q) error %v, want %q", in, err, want)
		}
	}
}

func TestLocal(t *testing.T) {
	ref := ObjectPath{Host: "h2", Namespace: "root/interop", ClassName: "CIM_IndicationFilter", Keys: []KeyBinding{{Name: "Name", Value: String("f")}}}
	p := ObjectPath{Host: "h1", Namespace: "root/interop", ClassName: "CIM_IndicationSubscription", Keys: []KeyBinding{{Name: "Filter", Value: Ref(ref)}}}
	l := p.Local()
	r, _ := l.Keys[0].Value.Ref()
	if l.Host != "" || l.Namespace != "" || r.Host != "" || r.Namespace != "" || r.ClassName != "CIM_IndicationFilter" {
		t.Fatalf("Local() = %s", l)
	}
	if p.Host != "h1" || ref.Host != "h2" {
		t.Fatal("Local changed its receiver")
	}
	q := p
	q.Host = "elsewhere"
	if !p.Local().Equal(q.Local()) || p.Equal(q) {
		t.Error("Local does not make paths addressed by other hosts equal")
	}
}
