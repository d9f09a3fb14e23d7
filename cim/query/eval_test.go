package query

import (
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

const testNS = "root/test"

// testIsA returns an IsA over a real repository holding a small class
// hierarchy.
func testIsA(t testing.TB) IsA {
	t.Helper()
	r := cim.NewRepository()
	for _, c := range []*cim.Class{
		{Name: "CIM_ManagedElement"},
		{Name: "CIM_System", SuperClass: "CIM_ManagedElement"},
		{Name: "CIM_ComputerSystem", SuperClass: "CIM_System"},
		{Name: "Virt_ComputerSystem", SuperClass: "CIM_ComputerSystem"},
		{Name: "CIM_SettingData", SuperClass: "CIM_ManagedElement"},
		{Name: "Virt_Settings", SuperClass: "CIM_SettingData"},
		{Name: "CIM_Indication"},
		{Name: "CIM_InstIndication", SuperClass: "CIM_Indication"},
		{Name: "CIM_InstModification", SuperClass: "CIM_InstIndication"},
	} {
		if err := r.AddClass(testNS, c); err != nil {
			t.Fatal(err)
		}
	}
	return func(name, ancestor string) bool { return r.IsA(testNS, name, ancestor) }
}

// must is for test fixtures, which are known to be valid.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testSystem is a Virt_ComputerSystem with a property of every kind.
func testSystem(t testing.TB) *cim.Instance {
	host := must(cim.ParseObjectPath(`CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="host1"`))
	settings := &cim.Instance{ClassName: "Virt_Settings", Properties: []cim.PropertyValue{{Name: "Memory", Value: cim.Uint64(4096)}}}
	return &cim.Instance{
		ClassName: "Virt_ComputerSystem",
		Path:      cim.ObjectPath{Namespace: testNS, ClassName: "Virt_ComputerSystem", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String("vm1")}}},
		Properties: []cim.PropertyValue{
			{Name: "Name", Value: cim.String("vm1")},
			{Name: "ElementName", Value: cim.String("Web Server")},
			{Name: "Pct", Value: cim.String("50%_x")},
			{Name: "EnabledState", Value: cim.Uint16(2)},
			{Name: "OperationalStatus", Value: must(cim.Array(cim.TypeUint16, cim.Uint16(2), cim.Uint16(6)))},
			{Name: "Empty", Value: must(cim.Array(cim.TypeUint16))},
			{Name: "Holes", Value: must(cim.Array(cim.TypeUint16, cim.Null(cim.TypeUint16), cim.Uint16(9)))},
			{Name: "NumberOfBlocks", Value: cim.Uint64(1<<63 + 5)},
			{Name: "Temperature", Value: cim.Sint8(-5)},
			{Name: "Load", Value: cim.Real32(0.75)},
			{Name: "Enabled", Value: cim.Bool(true)},
			{Name: "Description", Value: cim.Null(cim.TypeString)},
			{Name: "InstallDate", Value: cim.DatetimeValue(must(cim.ParseDatetime("20240315123045.000000+060")))},
			{Name: "Uptime", Value: cim.DatetimeValue(must(cim.ParseDatetime("00000001020304.000000:000")))},
			{Name: "Host", Value: cim.Ref(host)},
			{Name: "Letter", Value: cim.Char16('x')},
			{Name: "Tags", Value: cim.Strings("prod", "Web")},
			{Name: "Settings", Value: cim.InstanceValue(settings)},
		},
	}
}

func TestMatch(t *testing.T) {
	inst := testSystem(t)
	isa := testIsA(t)
	const both, wql, cql = 0, 1, 2
	for _, tc := range []struct {
		lang  int // both, wql or cql
		where string
		want  bool
	}{
		{both, "Name = 'vm1'", true},
		{both, `name = "vm1"`, true},
		{wql, "Name = 'VM1'", true},
		{cql, "Name = 'VM1'", false},
		{wql, "Name < 'VM2' AND Name > 'VM0'", true},
		{both, "Name <> 'vm1'", false},

		// Numbers across widths and reals.
		{both, "EnabledState = 2", true},
		{both, "EnabledState = 2.0", true},
		{both, "EnabledState = 0x2", true},
		{both, "EnabledState > 1 AND EnabledState < 3", true},
		{both, "EnabledState != 3", true},
		{both, "EnabledState >= 3", false},
		{both, "NumberOfBlocks > 9223372036854775807", true},
		{both, "NumberOfBlocks = 9223372036854775813", true},
		{both, "NumberOfBlocks > -1", true},
		{both, "Temperature = -5 AND Temperature < 0", true},
		{both, "Temperature < EnabledState", true},
		{both, "Temperature > NumberOfBlocks", false},
		{both, "Load >= 0.75 AND Load < 1", true},
		{both, "Load = 0.7", false},

		// Booleans have = and <> only.
		{both, "Enabled = TRUE", true},
		{both, "Enabled = false", false},
		{both, "NOT Enabled = FALSE", true},
		{both, "Enabled < TRUE", false},
		{both, "NOT (Enabled < TRUE)", false},

		// NULL, missing and mismatched types are unknown, negated or not.
		{both, "Description IS NULL", true},
		{both, "Description IS NOT NULL", false},
		{both, "Description = 'x'", false},
		{both, "NOT (Description = 'x')", false},
		{both, "Description <> 'x'", false},
		{both, "NoSuchProperty IS NULL", true},
		{both, "NoSuchProperty = 1 OR NOT NoSuchProperty = 1", false},
		{both, "Name IS NOT NULL", true},
		{both, "Description = 'x' OR Name = 'vm1'", true},
		{both, "NOT (Description = 'x' AND Name = 'zz')", true},
		{both, "NOT (Description = 'x' OR Name = 'zz')", false},
		{both, "Name = 5", false},
		{both, "NOT Name = 5", false},
		{both, "EnabledState = '2'", false},
		{both, "Settings = 1 OR Settings <> 1", false},
		{both, "NULL IS NULL", true},
		{both, "NULL = NULL", false},
		{both, "1 = 1", true},
		{wql, "'a' = 'A'", true},

		// Datetimes, chronologically.
		{both, "InstallDate = '20240315113045.000000+000'", true},
		{both, "InstallDate < '20250101000000.000000+000'", true},
		{both, "'20250101000000.000000+000' > InstallDate", true},
		{both, "InstallDate > '2024' OR NOT InstallDate > '2024'", false},
		{both, "Uptime > '00000001000000.000000:000'", true},
		{both, "Uptime < '00000001020304.000001:000'", true},
		{both, "Uptime = InstallDate OR Uptime <> InstallDate", false},

		// References, by canonical path.
		{both, `Host = 'cim_computersystem.name="host1",CREATIONCLASSNAME="CIM_ComputerSystem"'`, true},
		{both, `Host = 'CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="host2"'`, false},
		{both, `Host <> 'not a path' OR Host = 'not a path'`, false},
		{both, "Host < 'x'", false},
		{both, "Host ISA CIM_System", true},
		{both, "Host ISA Virt_ComputerSystem", false},

		// char16 as a one-character string.
		{both, "Letter = 'x' AND Letter < 'y'", true},
		{wql, "Letter = 'X'", true},
		{cql, "Letter = 'X'", false},

		// Arrays: ANY element against a scalar.
		{both, "OperationalStatus = 6", true},
		{both, "OperationalStatus = 3", false},
		{both, "NOT OperationalStatus = 3", true},
		{both, "OperationalStatus > 5", true},
		{both, "Empty = 1", false},
		{both, "NOT Empty = 1", true},
		{both, "Empty IS NULL", false},
		{both, "Holes = 9", true},
		{both, "Holes = 8 OR NOT Holes = 8", false},
		{wql, "Tags = 'web'", true},
		{cql, "Tags = 'web'", false},
		{both, "Tags LIKE 'p%'", true},
		{both, "OperationalStatus = OperationalStatus", true},
		{both, "OperationalStatus <> Empty", true},
		{both, "OperationalStatus < OperationalStatus", false},

		// LIKE.
		{both, "ElementName LIKE 'Web%'", true},
		{wql, "ElementName LIKE 'web%'", true},
		{cql, "ElementName LIKE 'web%'", false},
		{both, "ElementName LIKE '%Serv_r'", true},
		{both, "ElementName LIKE '%%S%v%%'", true},
		{both, "ElementName LIKE 'Web'", false},
		{both, "ElementName LIKE 'Web Server_'", false},
		{both, "ElementName NOT LIKE 'x%'", true},
		{both, "ElementName LIKE '%'", true},
		{both, "Description LIKE '%' OR Description NOT LIKE '%'", false},
		{both, `Pct LIKE '50\\%\\_x'`, true},
		{both, `Pct LIKE '50\\%'`, false},
		{both, `Pct LIKE '5_%'`, true},
		{both, "Letter LIKE '_'", true},
		{both, "EnabledState LIKE '2' OR EnabledState NOT LIKE '2'", false},

		// Embedded instances and scoped paths.
		{both, "Settings.Memory = 4096", true},
		{both, "Settings.Virt_Settings::Memory = 4096", true},
		{both, "Settings.CIM_SettingData::Memory = 4096", true},
		{both, "Settings.CIM_System::Memory = 4096", false},
		{both, "Settings.Missing IS NULL AND Name.Foo IS NULL AND Settings.Memory.X IS NULL", true},
		{both, "Settings ISA Virt_Settings AND Settings ISA 'CIM_ManagedElement'", true},
		{both, "Settings ISA CIM_System", false},
		{both, "Name ISA CIM_System OR NOT Name ISA CIM_System", false},
		{both, "CIM_ComputerSystem::Name = 'vm1'", true},
		{both, "CIM_Indication::Name = 'vm1'", false},

		// Precedence: NOT over AND over OR.
		{both, "Name = 'zz' AND EnabledState = 2 OR Enabled = TRUE", true},
		{both, "Name = 'zz' AND (EnabledState = 2 OR Enabled = TRUE)", false},
		{both, "NOT Name = 'zz' AND Enabled = FALSE", false},
		{both, "Enabled = TRUE OR Name = 'zz' AND Enabled = FALSE", true},

		// CQL names the instance by its class or alias; WQL reads
		// embedded instances.
		{cql, "cs.Name = 'vm1' AND Virt_ComputerSystem.Name = 'vm1'", true},
		{cql, "cs ISA CIM_System AND Virt_ComputerSystem ISA CIM_ComputerSystem", true},
		{cql, "cs ISA CIM_Indication", false},
		{cql, "cs IS NOT NULL", true},
		{cql, "cs = 1 OR cs <> 1", false},
		{wql, "cs.Name IS NULL", true},
	} {
		for _, lang := range []string{"WQL", "DMTF:CQL"} {
			if tc.lang == wql && lang != "WQL" || tc.lang == cql && lang != "DMTF:CQL" {
				continue
			}
			from := "Virt_ComputerSystem"
			if lang == "DMTF:CQL" {
				from += " cs"
			}
			text := "SELECT * FROM " + from + " WHERE " + tc.where
			q, err := Parse(lang, text)
			if err != nil {
				t.Errorf("Parse(%s, %q): %v", lang, text, err)
				continue
			}
			if got := q.Match(inst, isa); got != tc.want {
				t.Errorf("%s %q: Match = %v, want %v", lang, tc.where, got, tc.want)
			}
		}
	}
}

// TestMatchIndication is the filter of issue 7: a state change of a
// computer system, between the embedded SourceInstance and
// PreviousInstance of a CIM_InstModification.
func TestMatchIndication(t *testing.T) {
	isa := testIsA(t)
	system := func(class string, state uint16, status ...uint16) cim.Value {
		var elems []cim.Value
		for _, s := range status {
			elems = append(elems, cim.Uint16(s))
		}
		return cim.InstanceValue(&cim.Instance{ClassName: class, Properties: []cim.PropertyValue{
			{Name: "EnabledState", Value: cim.Uint16(state)},
			{Name: "OperationalStatus", Value: must(cim.Array(cim.TypeUint16, elems...))},
		}})
	}
	indication := func(src, prev cim.Value) *cim.Instance {
		return &cim.Instance{ClassName: "CIM_InstModification", Properties: []cim.PropertyValue{
			{Name: "SourceInstance", Value: src}, {Name: "PreviousInstance", Value: prev},
		}}
	}
	const (
		stateCQL = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND " +
			"SourceInstance.CIM_ComputerSystem::EnabledState <> PreviousInstance.CIM_ComputerSystem::EnabledState"
		stateWQL = `SELECT * FROM CIM_InstModification WHERE SourceInstance ISA "CIM_ComputerSystem" AND ` +
			"SourceInstance.EnabledState <> PreviousInstance.EnabledState"
		statusCQL = "SELECT * FROM CIM_InstModification WHERE " +
			"SourceInstance.CIM_ComputerSystem::OperationalStatus <> PreviousInstance.CIM_ComputerSystem::OperationalStatus"
	)
	for _, tc := range []struct {
		lang, text string
		inst       *cim.Instance
		want       bool
	}{
		{"DMTF:CQL", stateCQL, indication(system("Virt_ComputerSystem", 2), system("Virt_ComputerSystem", 3)), true},
		{"DMTF:CQL", stateCQL, indication(system("Virt_ComputerSystem", 2), system("Virt_ComputerSystem", 2)), false},
		{"DMTF:CQL", stateCQL, indication(system("Virt_Settings", 2), system("Virt_Settings", 3)), false},
		{"DMTF:CQL", stateCQL, indication(system("Virt_ComputerSystem", 2), cim.Null(cim.TypeInstance)), false},
		{"WQL", stateWQL, indication(system("CIM_ComputerSystem", 2), system("CIM_ComputerSystem", 3)), true},
		{"WQL", stateWQL, indication(system("Virt_Settings", 2), system("Virt_Settings", 3)), false},
		{"DMTF:CQL", statusCQL, indication(system("Virt_ComputerSystem", 2, 2), system("Virt_ComputerSystem", 2, 2, 6)), true},
		{"DMTF:CQL", statusCQL, indication(system("Virt_ComputerSystem", 2, 2, 6), system("Virt_ComputerSystem", 2, 6, 2)), true},
		{"DMTF:CQL", statusCQL, indication(system("Virt_ComputerSystem", 2, 2, 6), system("Virt_ComputerSystem", 2, 2, 6)), false},
	} {
		q := must(Parse(tc.lang, tc.text))
		if got := q.Match(tc.inst, isa); got != tc.want {
			t.Errorf("%s %q on %v: Match = %v, want %v", tc.lang, tc.text, tc.inst.Properties, got, tc.want)
		}
	}
}

// TestMatchNilIsA: without an IsA a class is an instance of itself only.
func TestMatchNilIsA(t *testing.T) {
	inst := testSystem(t)
	for where, want := range map[string]bool{
		"Settings ISA virt_settings":             true,
		"Settings ISA CIM_SettingData":           false,
		"Settings.Virt_Settings::Memory = 4096":  true,
		"Settings.CIM_SettingData::Memory > 0":   false,
		"Name = 'vm1'":                           true,
		"Host ISA CIM_ComputerSystem":            true,
		"Host ISA CIM_System OR Name = 'nobody'": false,
	} {
		q := must(Parse("WQL", "SELECT * FROM Virt_ComputerSystem WHERE "+where))
		if got := q.Match(inst, nil); got != want {
			t.Errorf("%q: Match = %v, want %v", where, got, want)
		}
	}
	if q := must(Parse("WQL", "SELECT * FROM X")); !q.Match(inst, nil) || q.Match(nil, nil) {
		t.Error("no WHERE: want every instance and no nil one")
	}
}

func TestProject(t *testing.T) {
	inst := testSystem(t)
	before := testSystem(t)
	q := must(Parse("DMTF:CQL", "SELECT cs.enabledstate, cs.Name, cs.NoSuch FROM Virt_ComputerSystem cs"))
	got := q.Project(inst)
	if got == inst || got.ClassName != "Virt_ComputerSystem" || !got.Path.Equal(inst.Path) {
		t.Fatalf("Project = %+v", got)
	}
	if len(got.Properties) != 2 || got.Properties[0].Name != "Name" || got.Properties[1].Name != "EnabledState" {
		t.Errorf("Project properties = %v, want Name and EnabledState in the instance's order", got.Properties)
	}
	got.Properties[0].Value = cim.String("changed")
	got.Path.Keys[0].Value = cim.String("changed")
	if !inst.Equal(before) {
		t.Error("Project modified its argument")
	}
	star := must(Parse("WQL", "SELECT * FROM Virt_ComputerSystem"))
	if star.Project(inst) != inst {
		t.Error("SELECT *: Project should return the instance itself")
	}
	if q.Project(nil) != nil {
		t.Error("Project(nil) != nil")
	}
}
