package mof

import (
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Pos is a position in a MOF file; Line and Col count from 1, Col in
// characters.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// File is a parsed MOF file: its declarations in order.
type File struct {
	Name  string
	Decls []Decl
}

// Decl is one of *Pragma, *QualifierDecl, *ClassDecl, *InstanceDecl.
type Decl interface{ Position() Pos }

// Pragma is "#pragma Name(Value)", as include("CIM_Foo.mof"),
// locale("en_US") or namespace("root/cimv2").
type Pragma struct {
	Pos
	Name  string
	Value string
}

// QualifierDecl is "Qualifier Name : type = default, Scope(...), Flavor(...);".
type QualifierDecl struct {
	Pos
	Name      string
	Type      cim.Type
	Array     bool
	ArraySize int
	Default   *Literal // nil when not given
	Scopes    cim.Scope
	Flavor    cim.Flavor
}

// Qualifier is a qualifier in a "[...]" list; Value is nil when not
// given, as in [Key].
type Qualifier struct {
	Pos
	Name   string
	Value  *Literal
	Flavor cim.Flavor // flavors given after ':'
}

// Type is a declared data type. RefClass is set for "Class REF".
type Type struct {
	Type      cim.Type
	RefClass  string
	Array     bool
	ArraySize int
}

// ClassDecl is a class declaration ("association" and "indication"
// declarations of DSP0221 3.0 have the qualifier added).
type ClassDecl struct {
	Pos
	Qualifiers []*Qualifier
	Name       string
	SuperClass string
	Properties []*PropertyDecl
	Methods    []*MethodDecl
}

// PropertyDecl is a property or reference of a class.
type PropertyDecl struct {
	Pos
	Qualifiers []*Qualifier
	Type       Type
	Name       string
	Default    *Literal // nil when not given
}

// MethodDecl is a method; Type is its return type.
type MethodDecl struct {
	Pos
	Qualifiers []*Qualifier
	Type       Type
	Name       string
	Parameters []*ParamDecl
}

// ParamDecl is a method parameter.
type ParamDecl struct {
	Pos
	Qualifiers []*Qualifier
	Type       Type
	Name       string
	Default    *Literal // DSP0221 3.0 allows one
}

// InstanceDecl is "instance of Class [as $Alias] { Prop = value; ... };".
// As a value (an embedded instance) it has no alias.
type InstanceDecl struct {
	Pos
	Qualifiers []*Qualifier
	ClassName  string
	Alias      string // without the '$'
	Properties []*PropertyValue
}

// PropertyValue is one "Name = value;" of an instance.
type PropertyValue struct {
	Pos
	Qualifiers []*Qualifier
	Name       string
	Value      *Literal
}

// LiteralKind tells what a Literal holds.
type LiteralKind int

// The literal kinds.
const (
	LitNull LiteralKind = iota
	LitInteger
	LitReal
	LitString
	LitChar
	LitBool
	LitArray
	LitAlias
	LitInstance
)

// Literal is a value as written: an integer (as sign and magnitude, so
// that all of uint64 and sint64 fit), real, string (adjacent strings
// concatenated), char16, boolean, null, array "{...}", alias "$Name", or an
// embedded "instance of".
type Literal struct {
	Pos
	Kind     LiteralKind
	Neg      bool
	Mag      uint64
	Real     float64
	Str      string // also the alias name
	Char     rune
	Bool     bool
	Elems    []*Literal
	Instance *InstanceDecl
}

// Position returns p; the declarations embed Pos to be Decls.
func (p Pos) Position() Pos { return p }
