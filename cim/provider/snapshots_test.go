package provider

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestSnapshots: VM → SnapshotOfVirtualSystem → a VSSD per snapshot that
// virsh snapshot-list shows, with its name, description and time; the
// current one is the VM's LastAppliedSnapshot.
func TestSnapshots(t *testing.T) {
	s := schema(t)
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 12, Seed: 12, Snapshots: 3})
	snap := bed.Inventory.Snapshot()
	w := walker{t, s.At(snap, time.Now())}
	total := 0
	for _, p := range bed.Plan {
		d, _ := snap.Domain(p.UUID)
		vm, _ := s.VirtualSystem(d, time.Now())
		want := virshNames(virsh(t, bed, "snapshot-list", p.Name, "--name"))
		total += len(want)
		snaps := w.assoc(vm.Path, "CIM_SnapshotOfVirtualSystem", "CIM_VirtualSystemSettingData")
		var names []string
		for _, vssd := range snaps {
			name, _ := strconv.Unquote(prop(vssd, "ElementName"))
			names = append(names, name)
			i := slices.IndexFunc(p.Snapshots, func(sn testbed.Snapshot) bool { return sn.Name == name })
			if i < 0 {
				t.Fatalf("%s: snapshot %q not planned", p.Name, name)
			}
			sn := p.Snapshots[i]
			ts, _ := cim.NewTimestamp(sn.Created)
			if prop(vssd, "InstanceID") != strconv.Quote("VB:"+p.UUID+"/snapshot/"+name) ||
				prop(vssd, "CreationTime") != cim.DatetimeValue(ts).String() ||
				prop(vssd, "VirtualSystemIdentifier") != strconv.Quote(p.UUID) {
				t.Errorf("%s: snapshot VSSD %v, want %+v", p.Name, vssd, sn)
			}
			if sn.Description != "" && prop(vssd, "Description") != strconv.Quote(sn.Description) {
				t.Errorf("%s/%s: Description %s, want %q", p.Name, name, prop(vssd, "Description"), sn.Description)
			}
			if got, err := w.v.Get(vssd.Path); err != nil || !got.Equal(vssd) {
				t.Errorf("Get(%s): %v", vssd.Path.String(), err)
			}
			if back := w.assoc(vssd.Path, "CIM_SnapshotOfVirtualSystem", ""); len(back) != 1 || !back[0].Path.Equal(vm.Path) {
				t.Errorf("%s/%s: back to %v", p.Name, name, back)
			}
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s: snapshots %v, virsh lists %v", p.Name, names, want)
		}
		last := w.assoc(vm.Path, "CIM_LastAppliedSnapshot", "")
		if len(want) == 0 {
			if len(last) != 0 {
				t.Errorf("%s: last applied %v without snapshots", p.Name, last)
			}
			continue
		}
		current := strings.TrimSpace(virsh(t, bed, "snapshot-current", p.Name, "--name"))
		if len(last) != 1 || prop(last[0], "ElementName") != strconv.Quote(current) {
			t.Errorf("%s: last applied %v, virsh's current is %s", p.Name, last, current)
		}
	}
	if total == 0 {
		t.Fatal("the test bed has no snapshots")
	}
	if all := w.enum("CIM_VirtualSystemSettingData"); len(all) != len(bed.Plan)+total {
		t.Errorf("%d VSSDs, want %d state VSSDs and %d snapshots", len(all), len(bed.Plan), total)
	}
}
