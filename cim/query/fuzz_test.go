package query

import (
	"errors"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// FuzzParse: Parse never panics and fails only with ErrInvalidQuery;
// what parses evaluates and projects without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM CIM_ComputerSystem",
		"SELECT Name, EnabledState FROM Virt_ComputerSystem WHERE Name = 'vm1' AND EnabledState <> 3",
		"SELECT cs.Name, cs.* FROM Virt_ComputerSystem AS cs WHERE cs ISA CIM_System OR cs.Settings.Memory > 0x10",
		"SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
			"SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState",
		`SELECT * FROM X WHERE NOT (ElementName LIKE 'W%b_\\%' OR Tags NOT LIKE "p%") AND Description IS NULL`,
		"SELECT * FROM X WHERE InstallDate < '20250101000000.000000+000' AND Uptime >= '00000001000000.******:000'",
		`SELECT * FROM X WHERE Host = 'CIM_ComputerSystem.Name="host1",CreationClassName="CIM_ComputerSystem"'`,
		"SELECT * FROM X WHERE Temperature < -.5e1 OR NumberOfBlocks = 18446744073709551615 OR Load != 1.5 OR Enabled = TRUE",
		"SELECT * FROM X WHERE OperationalStatus = OperationalStatus AND Letter = 'x' AND NULL IS NULL",
		"SELECT * FROM X WHERE ((((a = 1))))",
		"SELECT * FROM X WHERE a = 'unterminated",
	} {
		f.Add(false, s)
		f.Add(true, s)
	}
	inst := testSystem(f)
	isa := testIsA(f)
	f.Fuzz(func(t *testing.T, cql bool, text string) {
		lang := "WQL"
		if cql {
			lang = "DMTF:CQL"
		}
		q, err := Parse(lang, text)
		if err != nil {
			if !errors.Is(err, cim.ErrInvalidQuery) {
				t.Fatalf("Parse(%q, %q): %v does not wrap ErrInvalidQuery", lang, text, err)
			}
			return
		}
		if q.Class == "" || q.Language != lang {
			t.Fatalf("Parse(%q, %q) = %+v", lang, text, q)
		}
		q.Match(inst, isa)
		q.Match(inst, nil)
		if p := q.Project(inst); p == nil || len(p.Properties) > len(inst.Properties) {
			t.Fatalf("Project = %+v", p)
		}
	})
}
