package query

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		lang, text string
		wantLang   string
		class      string
		alias      string
		props      []string
	}{
		{"WQL", "SELECT * FROM CIM_ComputerSystem", WQL, "CIM_ComputerSystem", "", nil},
		{"wql", "select * from cim_computersystem where name = 'x'", WQL, "cim_computersystem", "", nil},
		{"WQL", "SELECT Name, EnabledState, name FROM CIM_System", WQL, "CIM_System", "", []string{"Name", "EnabledState"}},
		{"CQL", "SELECT * FROM CIM_System", CQL, "CIM_System", "", nil},
		{"dmtf:cql", "SELECT cs.Name, cs.EnabledState FROM CIM_ComputerSystem cs WHERE cs.Name = 'x'", CQL, "CIM_ComputerSystem", "cs", []string{"Name", "EnabledState"}},
		{"DMTF:CQL", "SELECT cs.* FROM CIM_ComputerSystem AS cs", CQL, "CIM_ComputerSystem", "cs", nil},
		{"DMTF:CQL", "SELECT cs.Name, cs.* FROM CIM_ComputerSystem cs", CQL, "CIM_ComputerSystem", "cs", nil},
		{"DMTF:CQL", "SELECT CIM_ComputerSystem.Name FROM CIM_ComputerSystem", CQL, "CIM_ComputerSystem", "", []string{"Name"}},
		{"DMTF:CQL", "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
			"SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState",
			CQL, "CIM_InstModification", "", nil},
		{"WQL", `SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA "Win32_Service"`, WQL, "__InstanceModificationEvent", "", nil},
		{"WQL", `SELECT * FROM X WHERE a = 0x1F OR a = -7 OR a = +3 OR a = 1.5e3 OR a = -.5 OR a = 18446744073709551615 OR a = -9223372036854775808`, WQL, "X", "", nil},
		{"WQL", `SELECT * FROM X WHERE a = 'it''s' AND b = "say \"hi\"\n" AND c = TRUE AND d = false AND e IS NOT NULL AND f IS NULL`, WQL, "X", "", nil},
		{"WQL", "SELECT * FROM X WHERE NOT (a = 1 OR NOT b LIKE 'x%') AND c NOT LIKE '_' AND d != 2 AND e <= 3 AND f >= 4 AND g < 5 AND h > 6", WQL, "X", "", nil},
		{"WQL", "SELECT * FROM X WHERE a.select.from = 1 AND Cls::b = c.Cls2::d", WQL, "X", "", nil},
		{"WQL", "SELECT * FROM X WHERE\t(\r\n(a=1))", WQL, "X", "", nil},
	} {
		q, err := Parse(tc.lang, tc.text)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tc.lang, tc.text, err)
			continue
		}
		if q.Language != tc.wantLang || q.Class != tc.class || q.Alias != tc.alias || !slices.Equal(q.Properties, tc.props) {
			t.Errorf("Parse(%q, %q) = %q %q %q %q, want %q %q %q %q", tc.lang, tc.text,
				q.Language, q.Class, q.Alias, q.Properties, tc.wantLang, tc.class, tc.alias, tc.props)
		}
	}
}

func TestParseErrors(t *testing.T) {
	deep := func(open, close string, n int) string {
		return "SELECT * FROM X WHERE " + strings.Repeat(open, n) + "a = 1" + strings.Repeat(close, n)
	}
	for _, tc := range []struct{ lang, text, want string }{
		{"WQL", "", `invalid query: at 1: expected SELECT, found end of query`},
		{"WQL", "SELECT FROM X", `at 8: expected "*" or a property name, found "FROM"`},
		{"WQL", "SELECT * X", `at 10: expected FROM after "*", found "X"`},
		{"WQL", "SELECT *, Name FROM X", `at 9: expected FROM after "*", found ","`},
		{"WQL", "SELECT a b FROM X", `at 10: expected "," or FROM, found "b"`},
		{"WQL", "SELECT * FROM", `at 14: expected a class name after FROM, found end of query`},
		{"WQL", "SELECT * FROM WHERE", `at 15: expected a class name after FROM, found "WHERE"`},
		{"WQL", "SELECT * FROM X WHERE", `at 22: expected a condition after "WHERE", found end of query`},
		{"WQL", "SELECT * FROM X WHERE )", `at 23: expected a condition after "WHERE", found ")"`},
		{"WQL", "SELECT * FROM CIM_X WHERE Name = AND x = 1", `invalid query: at 34: expected a value after "=", found "AND"`},
		{"WQL", "SELECT * FROM X WHERE Name 'a'", `at 28: expected a comparison operator, IS, ISA or LIKE after "Name", found "'a'"`},
		{"WQL", "SELECT * FROM X WHERE Name", `expected a comparison operator, IS, ISA or LIKE after "Name", found end of query`},
		{"WQL", "SELECT * FROM X WHERE (a = 1", `at 29: expected AND, OR or ")", found end of query`},
		{"WQL", "SELECT * FROM X WHERE a = 1)", `at 28: expected AND, OR or end of query, found ")"`},
		{"WQL", "SELECT * FROM X WHERE a = 1 b = 2", `at 29: expected AND, OR or end of query, found "b"`},
		{"WQL", "SELECT * FROM X cs", `at 17: expected WHERE or end of query, found "cs"`},
		{"WQL", "SELECT cs.Name FROM X", `at 10: expected "," or FROM, found "."`},
		{"DMTF:CQL", "SELECT y.Name FROM X cs", `at 8: "y" in the select list is neither the FROM class nor its alias`},
		{"DMTF:CQL", "SELECT cs. FROM X cs", `at 12: expected a property name or "*" after ".", found "FROM"`},
		{"DMTF:CQL", "SELECT * FROM X AS WHERE", `at 20: expected an alias after "AS", found "WHERE"`},
		{"DMTF:CQL", "SELECT * FROM X cs y", `at 20: expected WHERE or end of query, found "y"`},
		{"WQL", "SELECT * FROM X WHERE a IS 5", `at 28: expected NULL after "IS", found "5"`},
		{"WQL", "SELECT * FROM X WHERE a IS NOT 5", `at 32: expected NULL after "NOT", found "5"`},
		{"WQL", "SELECT * FROM X WHERE a ISA 5", `at 29: expected a class name after "ISA", found "5"`},
		{"WQL", "SELECT * FROM X WHERE a ISA 'not a name'", `expected a class name after "ISA", found "'not a name'"`},
		{"WQL", "SELECT * FROM X WHERE a LIKE 5", `at 30: expected a string pattern after "LIKE", found "5"`},
		{"WQL", "SELECT * FROM X WHERE a NOT = 5", `at 29: expected LIKE after "NOT", found "="`},
		{"WQL", "SELECT * FROM X WHERE a. = 1", `at 26: expected a property name after ".", found "="`},
		{"WQL", "SELECT * FROM X WHERE C:: = 1", `at 27: expected a property name after "::", found "="`},
		{"WQL", "SELECT * FROM X WHERE a = 'abc", `at 27: unterminated string`},
		{"WQL", `SELECT * FROM X WHERE a = 'a\qb'`, `at 29: unknown escape "\q" in string`},
		{"WQL", "SELECT * FROM X WHERE a = #", `at 27: unexpected character "#"`},
		{"WQL", "SELECT * FROM X WHERE a : b", `at 25: unexpected character ":"`},
		{"WQL", "SELECT * FROM X WHERE a = - 1", `at 27: unexpected character "-"`},
		{"WQL", "SELECT * FROM X WHERE a = 12ab", `at 27: malformed number "12a"`},
		{"WQL", "SELECT * FROM X WHERE a = 0x", `at 27: malformed number "0x"`},
		{"WQL", "SELECT * FROM X WHERE a = 0xG", `at 27: malformed number "0xG"`},
		{"WQL", "SELECT * FROM X WHERE a = 18446744073709551616", `at 27: integer 18446744073709551616 out of range`},
		{"WQL", "SELECT * FROM X WHERE a = -9223372036854775809", `at 27: integer -9223372036854775809 out of range`},
		{"WQL", "SELECT * FROM X WHERE a = 1e999", `at 27: real 1e999 out of range`},
		{"WQL", deep("(", ")", 100), ""},
		{"WQL", deep("(", ")", 101), `at 123: expression nested deeper than 100 levels`},
		{"WQL", deep("NOT ", "", 100), ""},
		{"WQL", deep("NOT ", "", 101), `at 423: expression nested deeper than 100 levels`},
		{"WQL", deep("NOT (", ")", 60), `expression nested deeper than 100 levels`},
		{"WQL", "SELECT * FROM X WHERE a = '" + strings.Repeat("x", 64<<10) + "'", `invalid query: query of 65564 bytes is longer than the limit of 65536`},
	} {
		_, err := Parse(tc.lang, tc.text)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Parse(%q, %.60q): %v", tc.lang, tc.text, err)
		case tc.want == "":
		case err == nil:
			t.Errorf("Parse(%q, %.60q) succeeded, want error %q", tc.lang, tc.text, tc.want)
		case !strings.Contains(err.Error(), tc.want) || !errors.Is(err, cim.ErrInvalidQuery):
			t.Errorf("Parse(%q, %.60q) = %q, want an ErrInvalidQuery containing %q", tc.lang, tc.text, err, tc.want)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	for _, lang := range []string{"", "SQL", "CQL:DMTF", "DMTF:CQL:Basic", " WQL"} {
		_, err := Parse(lang, "SELECT * FROM X")
		if !errors.Is(err, cim.ErrQueryLanguage) || errors.Is(err, cim.ErrInvalidQuery) {
			t.Errorf("Parse(%q) = %v, want ErrQueryLanguage", lang, err)
		}
	}
	// The language is checked before the text.
	if _, err := Parse("XQL", "garbage"); !errors.Is(err, cim.ErrQueryLanguage) {
		t.Errorf("Parse(XQL, garbage) = %v, want ErrQueryLanguage", err)
	}
}

func TestCheckNamesUnknownProperties(t *testing.T) {
	props := map[string][]string{
		"CIM_InstModification": {"SourceInstance", "PreviousInstance", "IndicationTime"},
		"CIM_ComputerSystem":   {"Name", "EnabledState"},
	}
	resolve := func(class, prop string) (bool, bool) {
		ps, ok := props[class]
		return ok, ok && slices.Contains(ps, prop)
	}
	for _, c := range []struct{ q, bad string }{
		{"SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState", ""},
		{"SELECT IndicationTime FROM CIM_InstModification", ""},
		{"SELECT Nope FROM CIM_InstModification", "no property Nope"},
		{"SELECT * FROM CIM_InstModification WHERE Missing = 1", "no property Missing"},
		{"SELECT * FROM CIM_InstModification WHERE SourceInstance.CIM_ComputerSystem::Uptime > 1", "CIM_ComputerSystem has no property Uptime"},
		{"SELECT * FROM CIM_InstModification WHERE SourceInstance.CIM_Nothing::X = 1", "CIM_Nothing is not a class"},
		{"SELECT * FROM CIM_InstModification WHERE SourceInstance.Anything = 1", ""},
	} {
		q, err := Parse("WQL", c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		err = q.Check(resolve)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s: %v", c.q, err)
		case c.bad != "" && (err == nil || !errors.Is(err, cim.ErrInvalidQuery) || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%s: %v, want an invalid query naming %q", c.q, err, c.bad)
		}
	}
}
