package mib

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/gosnmp/gosnmp"
)

// MIB is what the agent's dispatcher serves: one consistent view of every
// object, typically built once per inventory snapshot.
type MIB interface {
	// Get returns the instance at oid, or a varbind typed NoSuchObject or
	// NoSuchInstance (RFC 3416 §4.2.1).
	Get(oid OID) Varbind
	// Next returns the first instance after oid in lexicographic order;
	// false at the end of the MIB (RFC 3416 §4.2.2).
	Next(oid OID) (Varbind, bool)
	// Set validates every varbind and then applies them all, or applies
	// none (RFC 3416 §4.2.5). It returns NoError and 0, or the error
	// status and the 1-based index of the varbind that caused it.
	Set(ctx context.Context, vbs []Varbind) (gosnmp.SNMPError, int)
}

// Subtree serves every instance under Root. A Tree holds subtrees that do
// not overlap.
type Subtree interface {
	Root() OID
	Get(oid OID) Varbind
	// Next returns the first instance under Root after oid (oid may lie
	// before Root).
	Next(oid OID) (Varbind, bool)
	// Test is phase one of a Set: may vb be written? Type, access and value
	// are checked here, so Commit should not fail.
	Test(vb Varbind) gosnmp.SNMPError
	// Commit is phase two: apply a tested varbind.
	Commit(ctx context.Context, vb Varbind) error
}

// Tree is a MIB made of subtrees, kept sorted by root.
type Tree struct {
	subs []Subtree
}

var _ MIB = (*Tree)(nil)

// NewTree sorts the subtrees and checks that none contains another.
func NewTree(subs ...Subtree) (*Tree, error) {
	t := &Tree{subs: slices.Clone(subs)}
	slices.SortFunc(t.subs, func(a, b Subtree) int { return a.Root().Compare(b.Root()) })
	for i := 1; i < len(t.subs); i++ {
		if t.subs[i].Root().HasPrefix(t.subs[i-1].Root()) {
			return nil, fmt.Errorf("mib: subtree %s lies inside %s", t.subs[i].Root(), t.subs[i-1].Root())
		}
	}
	return t, nil
}

// Subtrees returns the tree's subtrees, to build a larger tree from.
func (t *Tree) Subtrees() []Subtree { return slices.Clone(t.subs) }

// owner finds the subtree whose root is a prefix of oid.
func (t *Tree) owner(oid OID) (int, bool) {
	i := sort.Search(len(t.subs), func(i int) bool { return t.subs[i].Root().Compare(oid) > 0 })
	if i > 0 && oid.HasPrefix(t.subs[i-1].Root()) {
		return i - 1, true
	}
	return i, false
}

// Get implements MIB.
func (t *Tree) Get(oid OID) Varbind {
	i, ok := t.owner(oid)
	if !ok {
		return noSuchObject(oid)
	}
	return t.subs[i].Get(oid)
}

// Next implements MIB.
func (t *Tree) Next(oid OID) (Varbind, bool) {
	i, _ := t.owner(oid)
	for ; i < len(t.subs); i++ {
		if vb, ok := t.subs[i].Next(oid); ok {
			return vb, true
		}
	}
	return Varbind{}, false
}

// Set implements MIB.
func (t *Tree) Set(ctx context.Context, vbs []Varbind) (gosnmp.SNMPError, int) {
	owners := make([]Subtree, len(vbs))
	for k, vb := range vbs {
		i, ok := t.owner(vb.OID)
		if !ok {
			// Nothing here could ever be created (RFC 3416 §4.2.5 (3)).
			return gosnmp.NoCreation, k + 1
		}
		owners[k] = t.subs[i]
		if st := owners[k].Test(vb); st != gosnmp.NoError {
			return st, k + 1
		}
	}
	for k, vb := range vbs {
		if err := owners[k].Commit(ctx, vb); err != nil {
			return gosnmp.CommitFailed, k + 1
		}
	}
	return gosnmp.NoError, 0
}
