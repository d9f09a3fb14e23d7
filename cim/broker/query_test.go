package broker_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
)

func (f *fixture) query(lang, text string) []*cim.Instance {
	f.t.Helper()
	var out []*cim.Instance
	if err := f.b.ExecQuery(ns, lang, text, func(inst *cim.Instance) error {
		out = append(out, inst)
		return nil
	}); err != nil {
		f.t.Fatalf("ExecQuery(%s, %q): %v", lang, text, err)
	}
	return out
}

// virshUUIDs lists the UUIDs of the domains in one state, as virsh sees
// the test driver.
func (f *fixture) virshUUIDs(stateFlag string) []string {
	f.t.Helper()
	out := strings.Fields(f.virsh("list", stateFlag, "--uuid"))
	slices.Sort(out)
	return out
}

func names(insts []*cim.Instance) []string {
	var out []string
	for _, inst := range insts {
		out = append(out, str(inst, "Name"))
	}
	slices.Sort(out)
	return out
}

// TestExecQuery: WHERE selects what virsh says, and the select list
// projects.
func TestExecQuery(t *testing.T) {
	f := standard(t)
	running := f.virshUUIDs("--state-running")
	shutOff := f.virshUUIDs("--state-shutoff")
	paused := f.virshUUIDs("--state-paused")
	if len(running) == 0 || len(shutOff) == 0 || len(paused) == 0 || len(running)+len(shutOff)+len(paused) != f.snap.Len() {
		t.Fatalf("the bed's states: %d running, %d shut off, %d paused of %d", len(running), len(shutOff), len(paused), f.snap.Len())
	}
	withHost := slices.Sorted(slices.Values(append(slices.Clone(running), f.host)))

	for _, tc := range []struct {
		lang, text string
		want       []string
		props      []string // nil for all
	}{
		// The host is enabled too.
		{"WQL", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState = 2", withHost, []string{"Name", "EnabledState"}},
		{"WQL", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState = 2 AND Name <> '" + f.host + "'", running, []string{"Name", "EnabledState"}},
		{"wql", "select name from vb_computersystem where enabledstate = 2 and caption = 'virtual machine'", running, []string{"Name"}},
		{"DMTF:CQL", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState = 2 AND Caption = 'Virtual Machine'", running, []string{"Name", "EnabledState"}},
		{"DMTF:CQL", "SELECT cs.Name FROM CIM_ComputerSystem cs WHERE cs.EnabledState = 3", shutOff, []string{"Name"}},
		{"CQL", "SELECT * FROM CIM_ComputerSystem WHERE EnabledState = 9", paused, nil},
		{"WQL", "SELECT * FROM CIM_ComputerSystem WHERE EnabledState <> 2", slices.Sorted(slices.Values(append(slices.Clone(shutOff), paused...))), nil},
		{"WQL", "SELECT Name FROM CIM_ComputerSystem WHERE EnabledState = 2 OR EnabledState = 3 OR EnabledState = 9", names(f.enumerate(ns, "CIM_ComputerSystem", true)), []string{"Name"}},
		{"WQL", "SELECT Name FROM CIM_ComputerSystem WHERE Name ISA 'X'", nil, []string{"Name"}},
		{"WQL", "SELECT Name FROM CIM_ComputerSystem WHERE Name = '" + f.host + "'", []string{f.host}, []string{"Name"}},
	} {
		got := f.query(tc.lang, tc.text)
		if n := names(got); !slices.Equal(n, tc.want) {
			t.Errorf("%s %q:\n got %v\nwant %v", tc.lang, tc.text, n, tc.want)
		}
		for _, inst := range got {
			if inst.ClassName != "VB_ComputerSystem" || keyStr(inst.Path, "Name") != str(inst, "Name") {
				t.Errorf("%q: instance %s at %s", tc.text, inst.ClassName, inst.Path.String())
			}
			checkFull(t, inst.Path, f.host, ns)
			if tc.props == nil {
				if len(inst.Properties) < 20 {
					t.Errorf("%q: SELECT * gave %d properties", tc.text, len(inst.Properties))
				}
				continue
			}
			var props []string
			for _, pv := range inst.Properties {
				props = append(props, pv.Name)
			}
			slices.Sort(props)
			want := slices.Sorted(slices.Values(tc.props))
			if !slices.Equal(props, want) {
				t.Errorf("%q: properties %v, want %v", tc.text, props, want)
			}
		}
	}
	// The projection holds the instance's values.
	for _, inst := range f.query("WQL", "SELECT ElementName, EnabledState FROM CIM_ComputerSystem WHERE Caption = 'Virtual Machine'") {
		d, ok := f.snap.Domain(keyStr(inst.Path, "Name"))
		es, _ := inst.Get("EnabledState")
		if u, _ := es.Uint(); !ok || str(inst, "ElementName") != d.Name || u != enabledState(t, d.State) {
			t.Errorf("%s: ElementName %q EnabledState %s", inst.Path.String(), str(inst, "ElementName"), es)
		}
	}
}

// TestExecQueryErrors: what ExecQuery and OpenQueryInstances refuse, and
// with which error.
func TestExecQueryErrors(t *testing.T) {
	f := standard(t)
	for _, tc := range []struct {
		namespace, lang, text string
		kind                  cim.ErrorKind
	}{
		{ns, "WQL", "SELECT FROM", cim.ErrInvalidQuery},
		{ns, "WQL", "SELECT * FROM CIM_ComputerSystem WHERE", cim.ErrInvalidQuery},
		{ns, "WQL", "SELECT * FROM CIM_ComputerSystem WHERE EnabledState = = 2", cim.ErrInvalidQuery},
		{ns, "DMTF:CQL", "SELECT * FROM", cim.ErrInvalidQuery},
		{ns, "WQL", "SELECT * FROM XX_NoSuchClass", cim.ErrInvalidQuery},
		{ns, "WQL", "SELECT NoSuchProperty FROM CIM_ComputerSystem", cim.ErrInvalidQuery},
		{ns, "XQL", "SELECT * FROM CIM_ComputerSystem", cim.ErrQueryLanguage},
		{ns, "", "SELECT * FROM CIM_ComputerSystem", cim.ErrQueryLanguage},
		{ns, "SQL", "garbage", cim.ErrQueryLanguage},
		{"root/nowhere", "WQL", "SELECT * FROM CIM_ComputerSystem", cim.ErrInvalidNamespace},
	} {
		n := 0
		err := f.b.ExecQuery(tc.namespace, tc.lang, tc.text, func(*cim.Instance) error { n++; return nil })
		wantKind(t, "ExecQuery("+tc.lang+", "+tc.text+")", err, tc.kind)
		if n != 0 {
			t.Errorf("ExecQuery(%q) emitted %d before failing", tc.text, n)
		}
		_, err = f.b.OpenQueryInstances(tc.namespace, tc.lang, tc.text, broker.PullOptions{Kind: broker.Instances, MaxObjectCount: 10}, func(*cim.Instance) error { return nil })
		wantKind(t, "OpenQueryInstances("+tc.lang+", "+tc.text+")", err, tc.kind)
	}
	if n := f.openCount(t); n != 0 {
		t.Errorf("%d enumerations left open by failed opens", n)
	}
}

// TestOpenQueryInstances pulls a query's result in pages.
func TestOpenQueryInstances(t *testing.T) {
	f := standard(t)
	want := f.query("WQL", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState <> 2")
	got := f.pullAll(t, broker.Instances, 2, func(o broker.PullOptions, emit func(*cim.Instance) error) (broker.Page, error) {
		return f.b.OpenQueryInstances(ns, "WQL", "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE EnabledState <> 2", o, emit)
	})
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("pulled %d, ExecQuery %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Errorf("item %d: pulled %v, queried %v", i, got[i], want[i])
		}
	}
}
