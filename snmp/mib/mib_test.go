package mib

import (
	"context"
	"testing"

	"github.com/gosnmp/gosnmp"
)

type vm struct {
	index uint32
	name  string
	state int
}

// testTree is a scalar group and a two-column table with a writable
// column, under made-up roots.
func testTree(t *testing.T, committed *[]string) *Tree {
	t.Helper()
	rows := []*vm{{3, "c", 1}, {1, "a", 1}, {20, "t", 2}, {2, "b", 1}}
	table := NewTable(MustParse("1.3.9.2.1"), []Column[*vm]{
		{ID: 1, Type: gosnmp.Integer}, // index: not accessible
		{ID: 2, Type: gosnmp.OctetString, Get: func(r *vm) any { return r.name }},
		{ID: 3, Type: gosnmp.Integer, Get: func(r *vm) any { return r.state },
			Test: func(r *vm, vb Varbind) gosnmp.SNMPError {
				if v := vb.Value.(int); v < 1 || v > 3 {
					return gosnmp.WrongValue
				}
				return gosnmp.NoError
			},
			Commit: func(_ context.Context, r *vm, vb Varbind) error {
				*committed = append(*committed, r.name)
				return nil
			}},
		{ID: 4, Type: gosnmp.Integer, Get: func(r *vm) any {
			if r.index == 20 {
				return nil // no value in this row
			}
			return int(r.index) * 10
		}},
	}, rows, func(r *vm) OID { return OID{r.index} })
	scalars := NewScalars(MustParse("1.3.9.1"),
		Scalar{OID: MustParse("1.3.9.1.2"), Type: gosnmp.Integer, Get: func() any { return 2 }},
		Scalar{OID: MustParse("1.3.9.1.1"), Type: gosnmp.OctetString, Get: func() any { return "one" }},
	)
	tree, err := NewTree(table, scalars)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func walk(m MIB) []string {
	var out []string
	oid := OID{}
	for {
		vb, ok := m.Next(oid)
		if !ok {
			return out
		}
		out = append(out, vb.OID.String())
		oid = vb.OID
	}
}

func TestWalkOrder(t *testing.T) {
	got := walk(testTree(t, new([]string)))
	want := []string{"1.3.9.1.1.0", "1.3.9.1.2.0",
		"1.3.9.2.1.2.1", "1.3.9.2.1.2.2", "1.3.9.2.1.2.3", "1.3.9.2.1.2.20",
		"1.3.9.2.1.3.1", "1.3.9.2.1.3.2", "1.3.9.2.1.3.3", "1.3.9.2.1.3.20",
		"1.3.9.2.1.4.1", "1.3.9.2.1.4.2", "1.3.9.2.1.4.3"}
	if len(got) != len(want) {
		t.Fatalf("walk:\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("walk[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestNextFromAnywhere(t *testing.T) {
	tree := testTree(t, new([]string))
	cases := map[string]string{
		"0":                      "1.3.9.1.1.0",
		"1.3.9.1.1":              "1.3.9.1.1.0",
		"1.3.9.1.1.0":            "1.3.9.1.2.0",
		"1.3.9.1.1.0.5":          "1.3.9.1.2.0",
		"1.3.9.1.9":              "1.3.9.2.1.2.1",
		"1.3.9.2":                "1.3.9.2.1.2.1",
		"1.3.9.2.1.1.99":         "1.3.9.2.1.2.1", // the index column is skipped
		"1.3.9.2.1.2.2.7":        "1.3.9.2.1.2.3",
		"1.3.9.2.1.2.4":          "1.3.9.2.1.2.20",
		"1.3.9.2.1.2.20":         "1.3.9.2.1.3.1",
		"1.3.9.2.1.3.3":          "1.3.9.2.1.3.20",
		"1.3.9.2.1.4.3":          "",
		"1.3.9.2.1.4.4294967295": "",
		"2":                      "",
	}
	for from, want := range cases {
		vb, ok := tree.Next(MustParse(from))
		got := ""
		if ok {
			got = vb.OID.String()
		}
		if got != want {
			t.Errorf("Next(%s) = %q, want %q", from, got, want)
		}
	}
}

func TestGetExceptions(t *testing.T) {
	tree := testTree(t, new([]string))
	cases := map[string]gosnmp.Asn1BER{
		"1.3.9.1.1.0":    gosnmp.OctetString,
		"1.3.9.1.1.1":    gosnmp.NoSuchInstance,
		"1.3.9.1.1":      gosnmp.NoSuchInstance,
		"1.3.9.1.7.0":    gosnmp.NoSuchObject,
		"1.3.9.2.1.2.3":  gosnmp.OctetString,
		"1.3.9.2.1.2.4":  gosnmp.NoSuchInstance,
		"1.3.9.2.1.4.20": gosnmp.NoSuchInstance,
		"1.3.9.2.1.9.1":  gosnmp.NoSuchObject,
		"1.3.9.2.1.1.1":  gosnmp.NoSuchObject, // not-accessible
		"1.3.9.3":        gosnmp.NoSuchObject,
		"1.3":            gosnmp.NoSuchObject,
	}
	for oid, want := range cases {
		if got := tree.Get(MustParse(oid)); got.Type != want {
			t.Errorf("Get(%s) type %v, want %v", oid, got.Type, want)
		}
	}
	if vb := tree.Get(MustParse("1.3.9.2.1.4.2")); vb.Value != 20 {
		t.Errorf("value %v", vb.Value)
	}
}

func TestSetTwoPhase(t *testing.T) {
	var committed []string
	tree := testTree(t, &committed)
	vb := func(oid string, typ gosnmp.Asn1BER, v any) Varbind {
		return Varbind{OID: MustParse(oid), Type: typ, Value: v}
	}
	cases := []struct {
		name  string
		vbs   []Varbind
		st    gosnmp.SNMPError
		index int
	}{
		{"ok", []Varbind{vb("1.3.9.2.1.3.1", gosnmp.Integer, 2), vb("1.3.9.2.1.3.20", gosnmp.Integer, 3)}, gosnmp.NoError, 0},
		{"wrong value second", []Varbind{vb("1.3.9.2.1.3.1", gosnmp.Integer, 2), vb("1.3.9.2.1.3.2", gosnmp.Integer, 9)}, gosnmp.WrongValue, 2},
		{"wrong type", []Varbind{vb("1.3.9.2.1.3.1", gosnmp.OctetString, []byte("x"))}, gosnmp.WrongType, 1},
		{"read-only column", []Varbind{vb("1.3.9.2.1.2.1", gosnmp.OctetString, []byte("x"))}, gosnmp.NotWritable, 1},
		{"no such row", []Varbind{vb("1.3.9.2.1.3.5", gosnmp.Integer, 1)}, gosnmp.NoCreation, 1},
		{"read-only scalar", []Varbind{vb("1.3.9.1.2.0", gosnmp.Integer, 1)}, gosnmp.NotWritable, 1},
		{"outside every subtree", []Varbind{vb("1.3.8.1.0", gosnmp.Integer, 1)}, gosnmp.NoCreation, 1},
	}
	for _, c := range cases {
		committed = nil
		st, idx := tree.Set(context.Background(), c.vbs)
		if st != c.st || idx != c.index {
			t.Errorf("%s: %v at %d, want %v at %d", c.name, st, idx, c.st, c.index)
		}
		if c.st != gosnmp.NoError && len(committed) > 0 {
			t.Errorf("%s: failed set committed %v", c.name, committed)
		}
		if c.st == gosnmp.NoError && len(committed) != len(c.vbs) {
			t.Errorf("%s: committed %v", c.name, committed)
		}
	}
}

func TestOverlapRejected(t *testing.T) {
	a := NewScalars(MustParse("1.3.9"))
	b := NewScalars(MustParse("1.3.9.1"))
	if _, err := NewTree(a, b); err == nil {
		t.Fatal("overlapping subtrees accepted")
	}
}

func TestParse(t *testing.T) {
	if o, err := Parse(".1.3.6.1"); err != nil || o.String() != "1.3.6.1" || o.Dotted() != ".1.3.6.1" {
		t.Fatalf("%v %v", o, err)
	}
	for _, bad := range []string{"1..3", "1.x", "1.4294967296", "-1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if next, ok := MustParse("1.3.9").AfterSubtree(); !ok || next.String() != "1.3.10" {
		t.Errorf("AfterSubtree: %v", next)
	}
	if got := IndexString("ab"); got.String() != "2.97.98" {
		t.Errorf("IndexString: %v", got)
	}
}
