package libvirt

import (
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// TestSnapshotFromXML: every <state> libvirt writes in snapshot XML maps
// through the domain state table; disk-snapshot has no domain state.
func TestSnapshotFromXML(t *testing.T) {
	states := map[string]backends.State{
		"nostate": backends.StateUnknown, "running": backends.StateRunning, "blocked": backends.StateBlocked,
		"paused": backends.StatePaused, "shutdown": backends.StateShuttingDown, "shutoff": backends.StateShutOff,
		"crashed": backends.StateCrashed, "pmsuspended": backends.StatePMSuspended, "disk-snapshot": backends.StateUnknown,
	}
	if len(snapshotStates)+1 != len(states) {
		t.Errorf("snapshotStates has %d names, libvirt %d besides disk-snapshot", len(snapshotStates), len(states)-1)
	}
	for name, want := range states {
		doc := `<domainsnapshot><name>s</name><state>` + name + `</state><creationTime>1700000000</creationTime>
<parent><name>p</name></parent><description>a &amp; b</description>
<domain type='kvm'><name>d</name><devices><disk><source file='/x'/></disk></devices></domain></domainsnapshot>`
		got, err := snapshotFromXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		wantSnap := backends.Snapshot{Name: "s", Description: "a & b", Parent: "p", State: want,
			Created: time.Unix(1700000000, 0).UTC(), DiskOnly: name == diskSnapshot}
		if got != wantSnap {
			t.Errorf("state %s:\n got %+v\nwant %+v", name, got, wantSnap)
		}
	}
	if _, err := snapshotFromXML("<domainsnapshot><name>"); err == nil {
		t.Error("truncated XML parsed")
	}
}
