package libvirt_test

import (
	"cmp"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// virshSnapshotState is how virsh names a snapshot's state.
func virshSnapshotState(s backends.Snapshot) string {
	if s.DiskOnly {
		return "disk-snapshot"
	}
	return map[backends.State]string{backends.StateRunning: "running", backends.StatePaused: "paused",
		backends.StateShutOff: "shutoff", backends.StateBlocked: "blocked", backends.StateShuttingDown: "shutdown",
		backends.StateCrashed: "crashed", backends.StatePMSuspended: "pmsuspended"}[s.State]
}

// virshCurrent is `snapshot-current --name`, "" when there is none.
func virshCurrent(t *testing.T, uri, dom string) string {
	t.Helper()
	out, err := exec.Command("virsh", "-q", "-c", uri, "snapshot-current", dom, "--name").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && strings.Contains(string(ee.Stderr), "no current snapshot") {
			return ""
		}
		t.Fatalf("virsh snapshot-current %s: %v", dom, err)
	}
	return strings.TrimSpace(string(out))
}

// TestSnapshotsMatchVirsh: every domain's snapshots, as the backend reads
// them in bulk and one by one, are what virsh reports.
func TestSnapshotsMatchVirsh(t *testing.T) {
	needVirsh(t)
	uri, node := writeNode(t, testbed.Options{Domains: 12, Seed: 4, Snapshots: 4})
	b, err := libvirt.Open(t.Context(), uri, libvirt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	doms, err := b.Domains(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(doms) != len(node.Domains) {
		t.Fatalf("%d domains, planned %d", len(doms), len(node.Domains))
	}
	seen := map[string]bool{}
	for _, d := range doms {
		rows := table(virsh(t, uri, "snapshot-list", d.Name, "--parent"))
		if len(d.Snapshots) != len(rows) {
			t.Errorf("%s: %d snapshots, virsh lists %d", d.Name, len(d.Snapshots), len(rows))
		}
		current := virshCurrent(t, uri, d.Name)
		for j, s := range d.Snapshots {
			row := rows[s.Name]
			want := []string{s.Name, s.Created.Format("2006-01-02"), s.Created.Format("15:04:05"), s.Created.Format("-0700"), virshSnapshotState(s)}
			if s.Parent != "" {
				want = append(want, s.Parent)
			}
			if !slices.Equal(row, want) {
				t.Errorf("%s: snapshot %+v\n   is %q\n virsh %q", d.Name, s, want, row)
			}
			if s.Current != (s.Name == current) {
				t.Errorf("%s/%s: current %v, snapshot-current %q", d.Name, s.Name, s.Current, current)
			}
			info := keyValues(virsh(t, uri, "snapshot-info", d.Name, s.Name))
			if info["Current"] != yesNo(s.Current) || info["State"] != virshSnapshotState(s) {
				t.Errorf("%s/%s: current %v state %q, snapshot-info %v", d.Name, s.Name, s.Current, virshSnapshotState(s), info)
			}
			var x libvirtxml.DomainSnapshot
			if err := x.Unmarshal(virsh(t, uri, "snapshot-dumpxml", d.Name, s.Name)); err != nil {
				t.Fatal(err)
			}
			if s.Description != x.Description {
				t.Errorf("%s/%s: description %q, snapshot-dumpxml %q", d.Name, s.Name, s.Description, x.Description)
			}
			if j > 0 {
				prev := d.Snapshots[j-1]
				if c := cmp.Or(prev.Created.Compare(s.Created), strings.Compare(prev.Name, s.Name)); c >= 0 {
					t.Errorf("%s: %s listed before %s: not oldest first", d.Name, prev.Name, s.Name)
				}
				seen["same time"] = seen["same time"] || prev.Created.Equal(s.Created)
			}
			seen["disk only"] = seen["disk only"] || s.DiskOnly && s.State == backends.StateUnknown
			seen["reverted"] = seen["reverted"] || s.Current && j < len(d.Snapshots)-1
			seen["description"] = seen["description"] || s.Description != ""
		}
		one, err := b.Domain(t.Context(), d.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one.Snapshots, d.Snapshots) {
			t.Errorf("%s: read alone %+v, in bulk %+v", d.Name, one.Snapshots, d.Snapshots)
		}
	}
	for _, want := range []string{"same time", "disk only", "reverted", "description"} {
		if !seen[want] {
			t.Errorf("no snapshot shows %q: the test bed should have one", want)
		}
	}
}

// TestSnapshotCreatedAtRuntime: a snapshot taken on the backend's own
// connection is in the domain's next read, and in the inventory once an
// event has it re-read the domain.
func TestSnapshotCreatedAtRuntime(t *testing.T) {
	uri, node := writeNode(t, testbed.Options{Domains: 3, Seed: 1, Snapshots: 2})
	r := startRig(t, uri, eventsOnly, libvirt.Options{})
	planned := node.Domains[1] // paused, with one snapshot
	if planned.State != testbed.StatePaused || len(planned.Snapshots) != 1 {
		t.Fatalf("test bed changed: %+v", planned)
	}
	c, err := libvirt.Conn(r.b)
	if err != nil {
		t.Fatal(err)
	}
	dom, err := c.LookupDomainByUUIDString(planned.UUID)
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	snap, err := dom.CreateSnapshotXML(`<domainsnapshot><name>runtime</name><description>taken &amp; kept</description></domainsnapshot>`, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Free()
	after := time.Now().Add(time.Second)

	d, err := r.b.Domain(t.Context(), planned.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Snapshots) != 2 {
		t.Fatalf("after the snapshot: %+v", d.Snapshots)
	}
	first, got := d.Snapshots[0], d.Snapshots[1]
	if first.Name != planned.Snapshots[0].Name || first.Current {
		t.Errorf("planned snapshot now %+v", first)
	}
	if got.Name != "runtime" || got.Description != "taken & kept" || got.Parent != first.Name || !got.Current ||
		got.State != backends.StatePaused || got.DiskOnly {
		t.Errorf("runtime snapshot %+v, want current, paused, child of %s", got, first.Name)
	}
	if got.Created.Before(before) || got.Created.After(after) {
		t.Errorf("runtime snapshot created %v, want between %v and %v", got.Created, before, after)
	}

	// The inventory learns it with the domain's next event.
	if old, _ := r.inv.Snapshot().Domain(planned.UUID); len(old.Snapshots) != 1 {
		t.Fatalf("inventory had %d snapshots before any event", len(old.Snapshots))
	}
	if err := r.b.Resume(t.Context(), planned.UUID); err != nil {
		t.Fatal(err)
	}
	ch := r.waitFor(t, "resume", stateChange(planned.UUID, backends.StateRunning))
	if !reflect.DeepEqual(ch.After.Snapshots, d.Snapshots) {
		t.Errorf("inventory after the event: %+v, want %+v", ch.After.Snapshots, d.Snapshots)
	}
	if now, _ := r.inv.Snapshot().Domain(planned.UUID); len(now.Snapshots) != 2 {
		t.Errorf("inventory snapshot has %d snapshots", len(now.Snapshots))
	}
}
