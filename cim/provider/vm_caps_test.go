package provider

import (
	"slices"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestVMCapabilities: VM → ElementCapabilities → its
// EnabledLogicalElementCapabilities, whose RequestedStatesSupported are
// the state table's requests, of which the VM's AvailableRequestedStates
// are the ones its state allows (DSP1057).
func TestVMCapabilities(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 9, Seed: 7})
	snap := bed.Inventory.Snapshot()
	w := walker{t, s.At(snap, time.Now())}
	uint16sOf := func(i *cim.Instance, name string) []uint16 {
		val, _ := i.Get(name)
		var out []uint16
		for _, e := range val.Elems() {
			x, _ := e.Uint()
			out = append(out, uint16(x))
		}
		return out
	}
	for _, p := range bed.Plan {
		d, _ := snap.Domain(p.UUID)
		vm, _ := s.VirtualSystem(d, time.Now())
		caps := w.assoc(vm.Path, "CIM_ElementCapabilities", "")
		if len(caps) != 1 || caps[0].ClassName != "VB_EnabledLogicalElementCapabilities" || prop(caps[0], "InstanceID") != `"VB:caps/`+p.UUID+`"` {
			t.Fatalf("%s: capabilities %v", p.Name, caps)
		}
		supported := uint16sOf(caps[0], "RequestedStatesSupported")
		if !slices.Equal(supported, []uint16{2, 3, 4, 6, 9, 10, 11}) {
			t.Errorf("%s: RequestedStatesSupported %v", p.Name, supported)
		}
		available := uint16sOf(vm, "AvailableRequestedStates")
		if len(available) == 0 || slices.ContainsFunc(available, func(x uint16) bool { return !slices.Contains(supported, x) }) {
			t.Errorf("%s (%s): AvailableRequestedStates %v not within %v", p.Name, p.State, available, supported)
		}
		if back := w.assoc(caps[0].Path, "CIM_ElementCapabilities", ""); len(back) != 1 || !back[0].Path.Equal(vm.Path) {
			t.Errorf("%s: capabilities back to %v", p.Name, back)
		}
		if got, err := w.v.Get(caps[0].Path); err != nil || !got.Equal(caps[0]) {
			t.Errorf("Get(%s): %v", caps[0].Path.String(), err)
		}
	}
	if all := w.enum("CIM_EnabledLogicalElementCapabilities"); len(all) != len(bed.Plan)+1 {
		t.Errorf("%d EnabledLogicalElementCapabilities, want one per VM and the management capabilities", len(all))
	}
}
