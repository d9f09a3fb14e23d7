package mib

import (
	"context"
	"slices"
	"sort"

	"github.com/gosnmp/gosnmp"
)

// Scalar is one scalar object; its only instance is OID.0.
type Scalar struct {
	OID  OID
	Type gosnmp.Asn1BER
	Get  func() any
	// Test and Commit are nil for a read-only object.
	Test   func(vb Varbind) gosnmp.SNMPError
	Commit func(ctx context.Context, vb Varbind) error
}

// Scalars is a group of scalar objects under one root.
type Scalars struct {
	root OID
	objs []Scalar // sorted by OID
}

// NewScalars groups objects under root.
func NewScalars(root OID, objs ...Scalar) *Scalars {
	s := &Scalars{root: root, objs: slices.Clone(objs)}
	slices.SortFunc(s.objs, func(a, b Scalar) int { return a.OID.Compare(b.OID) })
	return s
}

// Root implements Subtree.
func (s *Scalars) Root() OID { return s.root }

func (s *Scalars) find(oid OID) (*Scalar, bool) {
	if len(oid) == 0 {
		return nil, false
	}
	obj := oid[:len(oid)-1]
	i := sort.Search(len(s.objs), func(i int) bool { return s.objs[i].OID.Compare(obj) >= 0 })
	if i < len(s.objs) && s.objs[i].OID.Compare(obj) == 0 {
		return &s.objs[i], oid[len(oid)-1] == 0
	}
	return nil, false
}

// Get implements Subtree.
func (s *Scalars) Get(oid OID) Varbind {
	o, inst := s.find(oid)
	switch {
	case o != nil && inst:
		return Varbind{OID: oid, Type: o.Type, Value: o.Get()}
	case o != nil || s.objectPrefix(oid):
		return noSuchInstance(oid)
	}
	return noSuchObject(oid)
}

// objectPrefix reports whether oid lies under one of the objects (e.g.
// sysDescr.1 or sysDescr.0.0): an object exists, that instance does not.
func (s *Scalars) objectPrefix(oid OID) bool {
	for _, o := range s.objs {
		if oid.HasPrefix(o.OID) {
			return true
		}
	}
	return false
}

// Next implements Subtree.
func (s *Scalars) Next(oid OID) (Varbind, bool) {
	i := sort.Search(len(s.objs), func(i int) bool { return s.objs[i].OID.Append(0).Compare(oid) > 0 })
	if i < len(s.objs) {
		o := &s.objs[i]
		inst := o.OID.Append(0)
		return Varbind{OID: inst, Type: o.Type, Value: o.Get()}, true
	}
	return Varbind{}, false
}

// Test implements Subtree.
func (s *Scalars) Test(vb Varbind) gosnmp.SNMPError {
	o, inst := s.find(vb.OID)
	switch {
	case o == nil || !inst:
		if o != nil && o.Test != nil || s.objectPrefix(vb.OID) {
			return gosnmp.NoCreation
		}
		return gosnmp.NotWritable
	case o.Test == nil:
		return gosnmp.NotWritable
	case vb.Type != o.Type:
		return gosnmp.WrongType
	}
	return o.Test(vb)
}

// Commit implements Subtree.
func (s *Scalars) Commit(ctx context.Context, vb Varbind) error {
	o, _ := s.find(vb.OID)
	return o.Commit(ctx, vb)
}

// Each makes every scalar its own subtree, for scalars that share no root
// of their own (sysDescr ... sysORLastChange sit beside sysORTable).
func Each(objs ...Scalar) []Subtree {
	out := make([]Subtree, len(objs))
	for i, o := range objs {
		out[i] = NewScalars(o.OID, o)
	}
	return out
}
