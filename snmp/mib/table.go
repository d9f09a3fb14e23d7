package mib

import (
	"context"
	"slices"
	"sort"

	"github.com/gosnmp/gosnmp"
)

// Column is one column of a table of rows R.
type Column[R any] struct {
	ID   uint32
	Type gosnmp.Asn1BER
	// Get returns the value for a row; nil means the row has no value in
	// this column. A nil Get makes the column not-accessible (an index).
	Get func(R) any
	// Test and Commit are nil for a read-only column.
	Test   func(r R, vb Varbind) gosnmp.SNMPError
	Commit func(ctx context.Context, r R, vb Varbind) error
}

type tableRow[R any] struct {
	index OID
	r     R
}

// Table is a conceptual table: instances are Entry.column.index.
type Table[R any] struct {
	entry OID
	cols  []Column[R] // sorted by ID, accessible ones only
	rows  []tableRow[R]
}

// NewTable indexes rows by index(r) and sorts them, so Next is a binary
// search. Rows with equal indexes keep the first.
func NewTable[R any](entry OID, cols []Column[R], rows []R, index func(R) OID) *Table[R] {
	t := &Table[R]{entry: entry}
	for _, c := range cols {
		if c.Get != nil {
			t.cols = append(t.cols, c)
		}
	}
	slices.SortFunc(t.cols, func(a, b Column[R]) int { return int(a.ID) - int(b.ID) })
	t.rows = make([]tableRow[R], len(rows))
	for i, r := range rows {
		t.rows[i] = tableRow[R]{index: index(r), r: r}
	}
	slices.SortStableFunc(t.rows, func(a, b tableRow[R]) int { return a.index.Compare(b.index) })
	t.rows = slices.CompactFunc(t.rows, func(a, b tableRow[R]) bool { return a.index.Compare(b.index) == 0 })
	return t
}

// Root implements Subtree.
func (t *Table[R]) Root() OID { return t.entry }

// Len is the number of rows.
func (t *Table[R]) Len() int { return len(t.rows) }

func (t *Table[R]) col(id uint32) (int, bool) {
	i := sort.Search(len(t.cols), func(i int) bool { return t.cols[i].ID >= id })
	return i, i < len(t.cols) && t.cols[i].ID == id
}

func (t *Table[R]) row(index OID) (int, bool) {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].index.Compare(index) >= 0 })
	return i, i < len(t.rows) && t.rows[i].index.Compare(index) == 0
}

func (t *Table[R]) cell(ci, ri int) (Varbind, bool) {
	c := &t.cols[ci]
	v := c.Get(t.rows[ri].r)
	if v == nil {
		return Varbind{}, false
	}
	return Varbind{OID: t.entry.Append(c.ID).Append(t.rows[ri].index...), Type: c.Type, Value: v}, true
}

// Get implements Subtree.
func (t *Table[R]) Get(oid OID) Varbind {
	if len(oid) <= len(t.entry) {
		return noSuchObject(oid)
	}
	ci, ok := t.col(oid[len(t.entry)])
	if !ok {
		return noSuchObject(oid)
	}
	ri, ok := t.row(oid[len(t.entry)+1:])
	if !ok {
		return noSuchInstance(oid)
	}
	if vb, ok := t.cell(ci, ri); ok {
		return vb
	}
	return noSuchInstance(oid)
}

// Next implements Subtree.
func (t *Table[R]) Next(oid OID) (Varbind, bool) {
	ci, ri := 0, 0
	switch {
	case oid.Compare(t.entry) < 0:
	case !oid.HasPrefix(t.entry):
		return Varbind{}, false
	case len(oid) > len(t.entry):
		var exact bool
		ci, exact = t.col(oid[len(t.entry)])
		if exact {
			rest := oid[len(t.entry)+1:]
			ri = sort.Search(len(t.rows), func(i int) bool { return t.rows[i].index.Compare(rest) > 0 })
		}
	}
	for ; ci < len(t.cols); ci, ri = ci+1, 0 {
		for ; ri < len(t.rows); ri++ {
			if vb, ok := t.cell(ci, ri); ok {
				return vb, true
			}
		}
	}
	return Varbind{}, false
}

// Test implements Subtree.
func (t *Table[R]) Test(vb Varbind) gosnmp.SNMPError {
	if len(vb.OID) <= len(t.entry)+1 {
		return gosnmp.NotWritable
	}
	ci, ok := t.col(vb.OID[len(t.entry)])
	if !ok {
		return gosnmp.NotWritable
	}
	c := &t.cols[ci]
	if c.Test == nil {
		return gosnmp.NotWritable
	}
	ri, ok := t.row(vb.OID[len(t.entry)+1:])
	if !ok {
		return gosnmp.NoCreation // rows come from the hypervisor, not from SET
	}
	if vb.Type != c.Type {
		return gosnmp.WrongType
	}
	return c.Test(t.rows[ri].r, vb)
}

// Commit implements Subtree.
func (t *Table[R]) Commit(ctx context.Context, vb Varbind) error {
	ci, _ := t.col(vb.OID[len(t.entry)])
	ri, _ := t.row(vb.OID[len(t.entry)+1:])
	return t.cols[ci].Commit(ctx, t.rows[ri].r, vb)
}
