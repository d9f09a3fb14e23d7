package mof

import (
	"fmt"
	"strings"
)

// Order returns files sorted so that each comes after the files declaring
// what it uses: its superclasses, the classes of its references (in
// properties and parameters) and of its EmbeddedInstance qualifiers, the
// classes of its instances, and its qualifiers. Names declared by none of
// files are taken to be in the repository already. Otherwise files keep
// their given order. A dependency cycle is an error naming the files in it.
func Order(files []*File) ([]*File, error) {
	definer := map[string]int{}
	for i, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *QualifierDecl:
				addDef(definer, "qualifier "+d.Name, i)
			case *ClassDecl:
				addDef(definer, "class "+d.Name, i)
			}
		}
	}
	deps := make([]map[int]string, len(files)) // file → files it needs, with why
	for i, f := range files {
		deps[i] = map[int]string{}
		for _, need := range needs(f) {
			if j, ok := definer[strings.ToLower(need)]; ok && j != i {
				deps[i][j] = need
			}
		}
	}
	out := make([]*File, 0, len(files))
	done := make([]bool, len(files))
	for len(out) < len(files) {
		next := -1
		for i := range files {
			if !done[i] && ready(deps[i], done) {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, cycleError(files, deps, done)
		}
		done[next] = true
		out = append(out, files[next])
	}
	return out, nil
}

func addDef(definer map[string]int, name string, i int) {
	key := strings.ToLower(name)
	if _, ok := definer[key]; !ok {
		definer[key] = i
	}
}

func ready(deps map[int]string, done []bool) bool {
	for j := range deps {
		if !done[j] {
			return false
		}
	}
	return true
}

func cycleError(files []*File, deps []map[int]string, done []bool) error {
	var parts []string
	for i, f := range files {
		if done[i] {
			continue
		}
		for j := range files {
			if why, ok := deps[i][j]; ok && !done[j] {
				parts = append(parts, fmt.Sprintf("%s needs %s from %s", f.Name, why, files[j].Name))
				break
			}
		}
	}
	return fmt.Errorf("ordering MOF files: dependency cycle: %s", strings.Join(parts, "; "))
}

// needs lists what file f uses, as "class X" and "qualifier Y".
func needs(f *File) []string {
	var out []string
	quals := func(qs []*Qualifier) {
		for _, q := range qs {
			out = append(out, "qualifier "+q.Name)
			if strings.EqualFold(q.Name, "EmbeddedInstance") && q.Value != nil && q.Value.Kind == LitString {
				out = append(out, "class "+q.Value.Str)
			}
		}
	}
	typ := func(t Type) {
		if t.RefClass != "" {
			out = append(out, "class "+t.RefClass)
		}
	}
	var inst func(d *InstanceDecl)
	inst = func(d *InstanceDecl) {
		quals(d.Qualifiers)
		out = append(out, "class "+d.ClassName)
		for _, pv := range d.Properties {
			quals(pv.Qualifiers)
			if pv.Value != nil && pv.Value.Kind == LitInstance {
				inst(pv.Value.Instance)
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ClassDecl:
			quals(d.Qualifiers)
			if d.SuperClass != "" {
				out = append(out, "class "+d.SuperClass)
			}
			for _, p := range d.Properties {
				quals(p.Qualifiers)
				typ(p.Type)
			}
			for _, m := range d.Methods {
				quals(m.Qualifiers)
				typ(m.Type)
				for _, p := range m.Parameters {
					quals(p.Qualifiers)
					typ(p.Type)
				}
			}
		case *InstanceDecl:
			inst(d)
		}
	}
	return out
}
