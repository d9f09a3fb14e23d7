package provider

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/mof"
)

const ns = "root/virtualization"

func schema(t *testing.T) Schema { return schemaB(t) }

func schemaB(t testing.TB) Schema {
	t.Helper()
	repo := cim.NewRepository()
	if _, err := cimmof.Load(mof.FS, mof.Files, repo, ns); err != nil {
		t.Fatalf("loading mof/: %v", err)
	}
	return Schema{Repo: repo, Namespace: ns}
}

// TestVirtualSystems maps a real test-driver test bed and checks every VM
// as DSP1057 says, against the generator's plan.
func TestVirtualSystems(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 30, Seed: 9})
	plan, inv := bed.Plan, bed.Inventory
	snap := inv.Snapshot()
	want := map[string]struct {
		enabled   uint16
		available []uint16
	}{
		testbed.StateRunning: {2, []uint16{3, 4, 6, 9, 10, 11}},
		testbed.StatePaused:  {9, []uint16{2, 3, 4, 6, 11}},
		testbed.StateShutOff: {3, []uint16{2}},
	}
	for _, p := range plan {
		d, ok := snap.Domain(p.UUID)
		if !ok {
			t.Fatalf("%s missing", p.Name)
		}
		inst, err := s.VirtualSystem(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		get := func(name string) cim.Value {
			v, ok := inst.Get(name)
			if !ok {
				t.Fatalf("%s: no %s", p.Name, name)
			}
			return v
		}
		if get("Name").String() != `"`+p.UUID+`"` || get("ElementName").String() != `"`+p.Name+`"` {
			t.Errorf("%s: Name %s ElementName %s", p.Name, get("Name"), get("ElementName"))
		}
		w := want[p.State]
		if got := get("EnabledState").String(); got != itoa(w.enabled) {
			t.Errorf("%s (%s): EnabledState %s, want %d", p.Name, p.State, got, w.enabled)
		}
		if got := get("AvailableRequestedStates").String(); got != arr(w.available) {
			t.Errorf("%s (%s): AvailableRequestedStates %s, want %s", p.Name, p.State, got, arr(w.available))
		}
		// The BIOS UUID as DSP1052 identifies a system; the test driver's
		// is the domain UUID.
		if got, want := get("OtherIdentifyingInfo").String()+" "+get("IdentifyingDescriptions").String(), `{"`+p.UUID+`"} {"CIM:GUID"}`; got != want {
			t.Errorf("%s: identifying info %s, want %s", p.Name, got, want)
		}
		if !strings.Contains(inst.Path.String(), `Name="`+p.UUID+`"`) || inst.Path.ClassName != "VB_ComputerSystem" {
			t.Errorf("path %s", inst.Path.String())
		}
	}
}

func itoa(x uint16) string { return strings.TrimSpace(cim.Uint16(x).String()) }

func arr(xs []uint16) string { return uint16s(xs).String() }

// TestRequestedStateOp is DSP1057 §8.1.1's answer for each request, for
// a domain whose backend does everything and for one that cannot pause
// (vSphere's).
func TestRequestedStateOp(t *testing.T) {
	noPause := backends.PowerOpsOf(backends.OpSuspend, backends.OpResume)
	cases := []struct {
		req         uint16
		from        backends.State
		unsupported backends.PowerOps
		op          backends.PowerOp
		verdict     requestVerdict
	}{
		{2, backends.StateShutOff, 0, backends.OpStart, requestOK},
		{2, backends.StatePaused, 0, backends.OpResume, requestOK},
		{2, backends.StateRunning, 0, 0, requestInvalidChange}, // 4097
		{9, backends.StateRunning, 0, backends.OpSuspend, requestOK},
		{9, backends.StateShutOff, 0, 0, requestInvalidChange},
		{3, backends.StatePaused, 0, backends.OpDestroy, requestOK},
		{6, backends.StateRunning, 0, backends.OpManagedSave, requestOK},
		{10, backends.StateRunning, 0, backends.OpReboot, requestOK},
		{11, backends.StatePaused, 0, backends.OpReset, requestOK},
		{7, backends.StateRunning, 0, 0, requestUnknown}, // not a value offered: 5
		// Without pause: Quiesce in no state, Enabled still by start.
		{9, backends.StateRunning, noPause, 0, requestUnsupported},
		{9, backends.StateShutOff, noPause, 0, requestUnsupported},
		{2, backends.StateShutOff, noPause, backends.OpStart, requestOK},
		{2, backends.StateRunning, noPause, 0, requestInvalidChange},
		{6, backends.StateRunning, noPause, backends.OpManagedSave, requestOK},
		{7, backends.StateRunning, noPause, 0, requestUnknown},
	}
	for _, c := range cases {
		d := &backends.Domain{State: c.from, Unsupported: c.unsupported}
		op, v := requestedStateOp(c.req, d)
		if op != c.op || v != c.verdict {
			t.Errorf("RequestedState %d from %v without %v: %v, verdict %d; want %v, %d", c.req, c.from, c.unsupported.List(), op, v, c.op, c.verdict)
		}
	}
	if got := requestedStatesSupported(&backends.Domain{}); !slices.Equal(got, []uint16{2, 3, 4, 6, 9, 10, 11}) {
		t.Errorf("RequestedStatesSupported %v", got)
	}
	if got := requestedStatesSupported(&backends.Domain{Unsupported: noPause}); !slices.Equal(got, []uint16{2, 3, 4, 6, 10, 11}) {
		t.Errorf("RequestedStatesSupported without pause %v", got)
	}
	if got := availableRequestedStates(&backends.Domain{State: backends.StateRunning, Unsupported: noPause}); !slices.Equal(got, []uint16{3, 4, 6, 10, 11}) {
		t.Errorf("AvailableRequestedStates of a running VM without pause %v", got)
	}
}

// TestEnumerateAndGet: polymorphic enumeration and lookup by key over a
// real test bed.
func TestEnumerateAndGet(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 12, Seed: 4})
	plan, inv := bed.Plan, bed.Inventory
	v := s.At(inv.Snapshot(), time.Now())
	var names []string
	for _, class := range []string{"CIM_ComputerSystem", "CIM_System", "VB_ComputerSystem"} {
		names = names[:0]
		err := v.Enumerate(class, func(inst *cim.Instance) error {
			n, _ := inst.Get("Name")
			s, _ := n.Str()
			names = append(names, s)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != len(plan)+1 || names[0] != inv.Snapshot().Host.Hostname {
			t.Fatalf("%s: %d instances (%v), want the host and %d VMs", class, len(names), names, len(plan))
		}
	}
	for _, p := range plan {
		if !slices.Contains(names, p.UUID) {
			t.Errorf("%s missing from the enumeration", p.UUID)
		}
	}
	// Get by key, as a client would send it: untyped, upper-case UUID.
	vm := plan[3]
	got, err := v.Get(mustPath(t, `root/virtualization:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="`+strings.ToUpper(vm.UUID)+`"`))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := got.Get("ElementName"); n.String() != `"`+vm.Name+`"` {
		t.Errorf("Get returned %s", n)
	}
	for path, want := range map[string]error{
		`root/virtualization:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="00000000-0000-4000-8000-000000000000"`: cim.ErrNotFound,
		`root/virtualization:VB_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="` + vm.UUID + `"`:                     cim.ErrNotFound,
		`root/virtualization:No_Such_Class.Name="x"`: cim.ErrInvalidClass,
	} {
		if _, err := v.Get(mustPath(t, path)); !errors.Is(err, want) {
			t.Errorf("Get(%s): %v, want %v", path, err, want)
		}
	}
	if err := v.Enumerate("No_Such_Class", func(*cim.Instance) error { return nil }); !errors.Is(err, cim.ErrInvalidClass) {
		t.Errorf("Enumerate of an unknown class: %v", err)
	}
}

func mustPath(t *testing.T, s string) cim.ObjectPath {
	t.Helper()
	p, err := cim.ParseObjectPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
