package libvirt

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// snapshotXML is the part of a snapshot's XML the model needs; the copy of
// the domain's XML inside it is skipped.
type snapshotXML struct {
	Name         string `xml:"name"`
	Description  string `xml:"description"`
	State        string `xml:"state"`
	CreationTime int64  `xml:"creationTime"`
	Parent       struct {
		Name string `xml:"name"`
	} `xml:"parent"`
}

// diskSnapshot is the <state> of a disk-only snapshot taken while the
// domain ran: libvirt records no domain state for it.
const diskSnapshot = "disk-snapshot"

// snapshotStates maps the <state> names of snapshot XML (virDomainSnapshotState,
// which extends virDomainState) onto libvirt's domain states, so they go
// through the same stateTable as a domain's own state.
var snapshotStates = map[string]lv.DomainState{
	"nostate":     lv.DOMAIN_NOSTATE,
	"running":     lv.DOMAIN_RUNNING,
	"blocked":     lv.DOMAIN_BLOCKED,
	"paused":      lv.DOMAIN_PAUSED,
	"shutdown":    lv.DOMAIN_SHUTDOWN,
	"shutoff":     lv.DOMAIN_SHUTOFF,
	"crashed":     lv.DOMAIN_CRASHED,
	"pmsuspended": lv.DOMAIN_PMSUSPENDED,
}

// snapshotFromXML reads one snapshot's XML.
func snapshotFromXML(doc string) (backends.Snapshot, error) {
	var x snapshotXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return backends.Snapshot{}, fmt.Errorf("parsing snapshot XML: %w", err)
	}
	s := backends.Snapshot{Name: x.Name, Description: x.Description, Parent: x.Parent.Name,
		Created: time.Unix(x.CreationTime, 0).UTC(), DiskOnly: x.State == diskSnapshot}
	if ds, ok := snapshotStates[x.State]; ok {
		s.State, _ = state(ds, 0)
	}
	return s, nil
}

// snapshots reads every snapshot of d, oldest first; nil when it has none,
// so a domain read alone compares equal to one read in bulk.
func snapshots(d *lv.Domain) ([]backends.Snapshot, error) {
	const op = "read snapshots"
	name, _ := d.GetName() // cached in the handle: no round trip
	list, err := d.ListAllSnapshots(0)
	if err != nil {
		return nil, wrap(op, name, err)
	}
	defer func() {
		for i := range list {
			_ = list[i].Free()
		}
	}()
	if len(list) == 0 {
		return nil, nil
	}
	// One call names the current snapshot, instead of IsCurrent on each.
	current := ""
	if cur, err := d.SnapshotCurrent(0); err == nil {
		current, _ = cur.GetName()
		_ = cur.Free()
	} else if werr := wrap(op, name, err); !errors.Is(werr, backends.ErrNotFound) {
		return nil, werr
	}
	out := make([]backends.Snapshot, 0, len(list))
	for i := range list {
		doc, err := list[i].GetXMLDesc(0)
		if err != nil {
			werr := wrap(op, name, err)
			if errors.Is(werr, backends.ErrNotFound) {
				continue // deleted since the listing
			}
			return nil, werr
		}
		s, err := snapshotFromXML(doc)
		if err != nil {
			return nil, &backends.Error{Op: op, Target: name, Kind: backends.ErrInternal, Err: err}
		}
		s.Current = s.Name == current
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.SortFunc(out, func(a, b backends.Snapshot) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}
