package testbed

import (
	"fmt"
	"time"

	"libvirt.org/go/libvirtxml"
)

// MaxSnapshots bounds Options.Snapshots.
const MaxSnapshots = 8

// Snapshot states as virsh prints them (snapshot-list, snapshot-info).
const (
	SnapshotRunning = "running"
	SnapshotPaused  = "paused"
	SnapshotShutOff = "shutoff"
	SnapshotDisk    = "disk-snapshot" // disks only; libvirt keeps no domain state
)

// Snapshot is a generated domain snapshot as virsh shows it.
type Snapshot struct {
	Name, Description string
	Parent            string    // "" for the root
	State             string    // one of the Snapshot* states
	Created           time.Time // UTC, whole seconds
	Current           bool
}

// snapshotEpoch is the first snapshot's creation time (2023-11-14).
const snapshotEpoch = 1700000000

// snapshotHours offsets snapshot j from the first. The third and fourth
// share a time, so readers must break the tie (by name).
var snapshotHours = [MaxSnapshots]int64{0, 1, 2, 2, 3, 5, 8, 13}

// planSnapshots gives domain i i%(most+1) snapshots, so domains with none,
// one and several alternate. They form a tree: the third branches off the
// first, the others follow the one before. Even domains are at their
// latest snapshot, odd ones were reverted to an earlier one. Nothing is
// drawn from the domain's random stream, which keeps domains as they were.
func planSnapshots(i, most int, d *Domain) []Snapshot {
	n := i % (most + 1)
	if n == 0 {
		return nil
	}
	cur := n - 1
	if i%2 == 1 {
		cur = (n - 1) / 2
	}
	out := make([]Snapshot, n)
	for j := range out {
		s := Snapshot{Name: fmt.Sprintf("snap-%d", j+1), Current: j == cur,
			Created: time.Unix(snapshotEpoch+int64(i)+snapshotHours[j]*3600, 0).UTC()}
		switch j {
		case 0:
		case 2:
			s.Parent = out[0].Name
		default:
			s.Parent = out[j-1].Name
		}
		switch j % 3 {
		case 0:
			s.State = snapshotState(d.State)
		case 1:
			s.State = SnapshotShutOff
		case 2:
			s.State = SnapshotDisk
		}
		if j%2 == 0 {
			s.Description = fmt.Sprintf("before change %d <%s & co>", j+1, d.Name)
		}
		out[j] = s
	}
	return out
}

func snapshotState(domainState string) string {
	switch domainState {
	case StateRunning:
		return SnapshotRunning
	case StatePaused:
		return SnapshotPaused
	}
	return SnapshotShutOff
}

// testSnapshot is a <test:domainsnapshot>: snapshot XML as libvirt stores
// it internally, which the test driver parses in redefine mode
// (testParseDomainSnapshots). <active> marks the current snapshot and is
// required; the <domain> copy is optional but libvirt logs a warning on
// stderr without one.
type testSnapshot struct {
	Name         string             `xml:"name"`
	Description  string             `xml:"description,omitempty"`
	State        string             `xml:"state"`
	Parent       *snapshotParent    `xml:"parent"`
	CreationTime int64              `xml:"creationTime"`
	Active       int                `xml:"active"`
	Domain       *libvirtxml.Domain `xml:"domain"`
}

type snapshotParent struct {
	Name string `xml:"name"`
}

func snapshotsXML(d Domain) []testSnapshot {
	if len(d.Snapshots) == 0 {
		return nil
	}
	// The smallest domain libvirt takes: snapshots of the test driver
	// restore nothing from it.
	dom := &libvirtxml.Domain{Type: "test", Name: d.Name, UUID: d.UUID,
		Memory: &libvirtxml.DomainMemory{Value: uint(d.MaxMemoryKiB), Unit: "KiB"},
		VCPU:   &libvirtxml.DomainVCPU{Value: uint(d.MaxVCPUs)},
		OS:     &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Type: "hvm"}}}
	out := make([]testSnapshot, len(d.Snapshots))
	for j, s := range d.Snapshots {
		out[j] = testSnapshot{Name: s.Name, Description: s.Description, State: s.State,
			CreationTime: s.Created.Unix(), Domain: dom}
		if s.Parent != "" {
			out[j].Parent = &snapshotParent{Name: s.Parent}
		}
		if s.Current {
			out[j].Active = 1
		}
	}
	return out
}
