package mof

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// compiler adds declarations to a repository.
type compiler struct {
	fsys  fs.FS
	repo  *cim.Repository
	ns    string // changed by #pragma namespace for what follows
	alias map[string]cim.ObjectPath
	insts []*cim.Instance
	stack []string // files being included, to catch include cycles
}

// Compile adds the declarations of files, in order, to repo: qualifier
// declarations and classes to namespace ns (or the one a #pragma namespace
// names, for the declarations after it), and returns the instances
// declared. A #pragma include is read from fsys relative to the including
// file; fsys may be nil when there are none. Compilation stops at the first
// error, which carries the file, line and column; what was added before it
// stays in repo.
func Compile(fsys fs.FS, repo *cim.Repository, ns string, files ...*File) ([]*cim.Instance, error) {
	c := &compiler{fsys: fsys, repo: repo, ns: ns, alias: map[string]cim.ObjectPath{}}
	for _, f := range files {
		if err := c.file(f); err != nil {
			return nil, err
		}
	}
	return c.insts, nil
}

// Load parses the named files of fsys and compiles them, in order, into
// repo (see Compile).
func Load(fsys fs.FS, files []string, repo *cim.Repository, ns string) ([]*cim.Instance, error) {
	c := &compiler{fsys: fsys, repo: repo, ns: ns, alias: map[string]cim.ObjectPath{}}
	for _, name := range files {
		if err := c.include(path.Clean(name), nil); err != nil {
			return nil, err
		}
	}
	return c.insts, nil
}

// include reads, parses and compiles the file name; from is the include
// pragma, nil for a top-level file.
func (c *compiler) include(name string, from *Pragma) error {
	fail := func(format string, args ...any) error {
		err := fmt.Errorf(format, args...)
		if from != nil {
			return &Error{Pos: from.Pos, Err: err}
		}
		return err
	}
	if c.fsys == nil {
		return fail("including %s: no file system to read it from", name)
	}
	if slices.Contains(c.stack, name) {
		return fail("including %s: include cycle through %s", name, strings.Join(c.stack, ", "))
	}
	src, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		return fail("reading MOF: %w", err)
	}
	f, err := Parse(name, src)
	if err != nil {
		return err
	}
	return c.file(f)
}

func (c *compiler) file(f *File) error {
	c.stack = append(c.stack, f.Name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	for _, d := range f.Decls {
		if err := c.decl(d); err != nil {
			return err
		}
	}
	return nil
}

func (c *compiler) decl(d Decl) error {
	var err error
	switch d := d.(type) {
	case *Pragma:
		return c.pragma(d)
	case *QualifierDecl:
		err = c.qualifierDecl(d)
	case *ClassDecl:
		err = c.class(d)
	case *InstanceDecl:
		err = c.instance(d)
	}
	var me *Error
	if err != nil && !errors.As(err, &me) {
		err = &Error{Pos: d.Position(), Err: err}
	}
	return err
}

func (c *compiler) pragma(d *Pragma) error {
	switch strings.ToLower(d.Name) {
	case "include":
		name := path.Join(path.Dir(d.File), strings.ReplaceAll(d.Value, `\`, "/"))
		return c.include(name, d)
	case "namespace":
		c.ns = d.Value
	}
	return nil // locale and pragmas of other compilers change nothing here
}

func (c *compiler) qualifierDecl(d *QualifierDecl) error {
	qd := cim.QualifierDecl{Name: d.Name, Type: d.Type, Array: d.Array, ArraySize: d.ArraySize, Scopes: d.Scopes, Flavor: d.Flavor}
	if d.Default != nil {
		v, err := c.value(d.Default, d.Type, d.Array)
		if err != nil {
			return fmt.Errorf("qualifier %s default: %w", d.Name, err)
		}
		qd.Default = v
	}
	return c.repo.AddQualifierDecl(c.ns, qd)
}

func (c *compiler) class(d *ClassDecl) error {
	cls := &cim.Class{Name: d.Name, SuperClass: d.SuperClass}
	var err error
	if cls.Qualifiers, err = c.qualifiers(d.Qualifiers); err != nil {
		return err
	}
	for _, pd := range d.Properties {
		p := &cim.Property{Name: pd.Name}
		if p.Qualifiers, err = c.qualifiers(pd.Qualifiers); err != nil {
			return err
		}
		p.DataType = dataTypeOf(pd.Type, p.Qualifiers)
		if pd.Default != nil {
			if p.Value, err = c.value(pd.Default, p.Type, p.Array); err != nil {
				return errorAt(pd.Default.Pos, "property %s default: %w", pd.Name, err)
			}
		}
		cls.Properties = append(cls.Properties, p)
	}
	for _, md := range d.Methods {
		m := &cim.Method{Name: md.Name}
		if m.Qualifiers, err = c.qualifiers(md.Qualifiers); err != nil {
			return err
		}
		m.DataType = dataTypeOf(md.Type, m.Qualifiers)
		for _, pd := range md.Parameters {
			prm := &cim.Parameter{Name: pd.Name}
			if prm.Qualifiers, err = c.qualifiers(pd.Qualifiers); err != nil {
				return err
			}
			prm.DataType = dataTypeOf(pd.Type, prm.Qualifiers)
			m.Parameters = append(m.Parameters, prm)
		}
		cls.Methods = append(cls.Methods, m)
	}
	return c.repo.AddClass(c.ns, cls)
}

// dataTypeOf returns the type declared, with a string qualified
// EmbeddedInstance or EmbeddedObject made the embedded type, so that
// default values are read as such.
func dataTypeOf(t Type, quals cim.Qualifiers) cim.DataType {
	d := cim.DataType{Type: t.Type, Array: t.Array, ArraySize: t.ArraySize, RefClass: t.RefClass}
	if d.Type != cim.TypeString {
		return d
	}
	if ec, ok := quals.Str("EmbeddedInstance"); ok {
		d.Type, d.EmbeddedClass = cim.TypeInstance, ec
	} else if quals.Has("EmbeddedObject") {
		d.Type = cim.TypeObject
	}
	return d
}

// qualifiers reads qualifier values as their declarations type them; the
// repository checks scope and flavor.
func (c *compiler) qualifiers(qs []*Qualifier) (cim.Qualifiers, error) {
	out := make(cim.Qualifiers, 0, len(qs))
	for _, q := range qs {
		decl, err := c.repo.QualifierDecl(c.ns, q.Name)
		if err != nil {
			return nil, errorAt(q.Pos, "qualifier %s is not declared in namespace %s", q.Name, c.ns)
		}
		cq := cim.Qualifier{Name: q.Name, Flavor: q.Flavor}
		if q.Value != nil {
			// A scalar given to an array qualifier is a one-element array.
			array := decl.Array && q.Value.Kind == LitArray
			if cq.Value, err = c.value(q.Value, decl.Type, array); err != nil {
				return nil, errorAt(q.Value.Pos, "qualifier %s: %w", q.Name, err)
			}
		}
		out = append(out, cq)
	}
	return out, nil
}
