package cim

import (
	"strings"
	"testing"
)

// FuzzParseDatetime: what parses formats back to the same 25 characters,
// and converts to time.Time or time.Duration and back when significant.
func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{
		"20240315123045.123456+060", "19991231235959.000000-300", "20240229000000.000001-000",
		"00000001020304.000005:000", "99999999235959.999999:000", "2024031512****.******+000",
		"20240315123045.12****-060", "**************.******+000", "00000010******.******:000",
		"20241315123045.123456+060", "2024**15123045.123456+060", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDatetime(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDatetime(%q).String() = %q", s, d)
		}
		if again, err := ParseDatetime(d.String()); err != nil || again != d {
			t.Fatalf("reparse of %q: %v, %v", s, again, err)
		}
		if d.Precision() != 20 {
			return
		}
		if d.IsInterval() {
			dur, err := d.Duration()
			if err != nil {
				return // too long for a Duration
			}
			if back, err := NewInterval(dur); err != nil || back != d {
				t.Fatalf("NewInterval(%v) = %q, %v; want %q", dur, back, err, s)
			}
			return
		}
		tm, err := d.Time()
		if err != nil {
			t.Fatalf("Time() of %q: %v", s, err)
		}
		back, err := NewTimestamp(tm)
		if want := strings.Replace(s, "-000", "+000", 1); err != nil || back.String() != want {
			t.Fatalf("NewTimestamp(%v) = %q, %v; want %q", tm, back, err, want)
		}
	})
}

// FuzzParseObjectPath: the typed form is lossless; the untyped form is
// stable after one round (it cannot tell a string from a datetime, nor a
// string that reads as a path from a reference); both name the same thing.
func FuzzParseObjectPath(f *testing.F) {
	for _, s := range []string{
		`//vmhost/root/virtualization:CIM_ComputerSystem.CreationClassName="X",Name="Y"`,
		`/root/cimv2:CIM_Foo.S="a\"b\\c",Id=5,Neg=-3,Big=18446744073709551615,R=1.5,F=TRUE`,
		`/root/virtualization:CIM_ElementSettingData.ManagedElement="//h/root/virtualization:CIM_ComputerSystem.CreationClassName=\"X\",Name=\"Y\"",SettingData="/r:C.K=1"`,
		`//h:5989/root/virtualization/(instance)Test.Ch=(char16)"c",Flag=(boolean)true,R32=(real32)0.25,Sys=(reference)"/r/(instance)C.K=(uint8)1",When=(datetime)"20240315123045.123456+060"`,
		`https://[fe80::1]:5989/interop:CIM_Foo`, `CIM_Foo.Id=1`, `//h/root/cimv2`, `/(namespace)`, `/r/(namespace)`, `/r/(class)C`,
		`/r:C.K="x`, `/r:C.K=1,k=2`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseObjectPath(s)
		if err != nil {
			return
		}
		typed := p.TypedString()
		pt, err := ParseObjectPath(typed)
		if err != nil {
			t.Fatalf("reparse of typed %q (from %q): %v", typed, s, err)
		}
		if pt.TypedString() != typed || !pt.Equal(p) {
			t.Fatalf("typed round trip of %q: %q", typed, pt.TypedString())
		}
		p1, err := ParseObjectPath(p.String())
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", p.String(), s, err)
		}
		p2, err := ParseObjectPath(p1.String())
		if err != nil || p2.String() != p1.String() || !p2.Equal(p1) {
			t.Fatalf("untyped form of %q unstable: %q then %q (%v)", s, p1, p2, err)
		}
	})
}
