package agent

import (
	"fmt"
	"slices"
	"sort"

	"github.com/gosnmp/gosnmp"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// View is a named MIB view, a minimal VACM (RFC 3415 §5, without masks):
// an OID is in the view when the longest subtree among Included and
// Excluded that contains it is an included one.
type View struct {
	Included, Excluded []mib.OID
}

type viewEntry struct {
	oid     mib.OID
	include bool
}

// view is a View prepared for lookups.
type view struct {
	entries []viewEntry // sorted by OID
	// bounds are the OIDs where membership can change: each subtree's
	// root and the OID right after it, sorted and unique.
	bounds []mib.OID
}

func newView(v View) (*view, error) {
	w := &view{}
	for _, o := range v.Included {
		w.entries = append(w.entries, viewEntry{slices.Clone(o), true})
	}
	for _, o := range v.Excluded {
		w.entries = append(w.entries, viewEntry{slices.Clone(o), false})
	}
	slices.SortFunc(w.entries, func(a, b viewEntry) int { return a.oid.Compare(b.oid) })
	for i := 1; i < len(w.entries); i++ {
		if w.entries[i].oid.Compare(w.entries[i-1].oid) == 0 {
			return nil, fmt.Errorf("subtree %s is listed twice", w.entries[i].oid)
		}
	}
	for _, e := range w.entries {
		w.bounds = append(w.bounds, e.oid)
		if after, ok := e.oid.AfterSubtree(); ok {
			w.bounds = append(w.bounds, after)
		}
	}
	slices.SortFunc(w.bounds, mib.OID.Compare)
	w.bounds = slices.CompactFunc(w.bounds, func(a, b mib.OID) bool { return a.Compare(b) == 0 })
	return w, nil
}

// contains reports whether o is in the view. Views hold a handful of
// subtrees, so a scan is cheaper than anything cleverer.
func (w *view) contains(o mib.OID) bool {
	best, in := -1, false
	for _, e := range w.entries {
		if len(e.oid) > best && o.HasPrefix(e.oid) {
			best, in = len(e.oid), e.include
		}
	}
	return in
}

// nextBound is the first OID after o where membership may change.
func (w *view) nextBound(o mib.OID) (mib.OID, bool) {
	i := sort.Search(len(w.bounds), func(i int) bool { return w.bounds[i].Compare(o) > 0 })
	if i == len(w.bounds) {
		return nil, false
	}
	return w.bounds[i], true
}

// next is GETNEXT through the view: the first instance after o that the
// view shows. Outside the view it jumps to the next boundary instead of
// stepping through every hidden instance, so each step passes a boundary.
func (w *view) next(m mib.MIB, o mib.OID) (mib.Varbind, bool) {
	for {
		vb, ok := m.Next(o)
		if !ok || vb.OID.Compare(o) <= 0 {
			return mib.Varbind{}, false // the end, or a MIB going backwards
		}
		if w.contains(vb.OID) {
			return vb, true
		}
		b, ok := w.nextBound(vb.OID)
		if !ok {
			return mib.Varbind{}, false
		}
		// Next(b) starts after b, so b itself may be the answer.
		if w.contains(b) {
			if g := m.Get(b); !g.Exception() && g.Type != gosnmp.Null {
				g.OID = b
				return g, true
			}
		}
		o = b
	}
}
