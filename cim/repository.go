package cim

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Repository holds namespaces of qualifier declarations and resolved
// classes. It is safe for concurrent use; what it returns is shared and
// must not be modified.
type Repository struct {
	mu  sync.RWMutex
	nss map[string]*namespace // by lower-case name
}

type namespace struct {
	name    string
	quals   map[string]*QualifierDecl
	qorder  []*QualifierDecl
	classes map[string]*Class
	order   []*Class
	// subs lists direct subclasses by lower-case superclass name, in the
	// order added; "" lists the root classes.
	subs map[string][]*Class
}

// NewRepository returns an empty repository.
func NewRepository() *Repository {
	return &Repository{nss: make(map[string]*namespace)}
}

// CreateNamespace adds an empty namespace. Adding a qualifier declaration
// or class creates its namespace too.
func (r *Repository) CreateNamespace(ns string) error {
	if !validNamespace(ns) {
		return fmt.Errorf("creating namespace %q: %w", ns, ErrInvalidNamespace)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.nss[strings.ToLower(ns)]; ok {
		return fmt.Errorf("creating namespace %s: %w", ns, ErrAlreadyExists)
	}
	r.ensure(ns)
	return nil
}

// validNamespace reports whether ns is a namespace name: names of letters,
// digits and '_' joined by '/'.
func validNamespace(ns string) bool {
	return ns != "" && scanNamespace(ns) == len(ns) && checkNamespace(ns) == nil
}

func (r *Repository) ensure(ns string) *namespace {
	key := strings.ToLower(ns)
	n := r.nss[key]
	if n == nil {
		n = &namespace{name: ns, quals: map[string]*QualifierDecl{}, classes: map[string]*Class{}, subs: map[string][]*Class{}}
		r.nss[key] = n
	}
	return n
}

// Namespaces returns the namespace names, sorted.
func (r *Repository) Namespaces() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, n := range r.nss {
		out = append(out, n.name)
	}
	slices.Sort(out)
	return out
}

// get returns namespace ns; the caller holds r.mu.
func (r *Repository) get(ns string) (*namespace, error) {
	n := r.nss[strings.ToLower(ns)]
	if n == nil {
		return nil, fmt.Errorf("namespace %s: %w", ns, ErrInvalidNamespace)
	}
	return n, nil
}

// inNamespace runs f on namespace ns under the read lock.
func inNamespace[T any](r *Repository, ns string, f func(*namespace) (T, error)) (T, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.get(ns)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(n)
}

// AddQualifierDecl declares a qualifier in namespace ns, replacing any
// declaration of the same name.
func (r *Repository) AddQualifierDecl(ns string, d QualifierDecl) error {
	if !ValidName(d.Name) || !d.Type.Valid() || d.Type == TypeReference || d.Type.IsEmbedded() {
		return fmt.Errorf("declaring qualifier %q: invalid name or type %s", d.Name, d.Type)
	}
	if !d.Default.IsValid() {
		d.Default = Value{typ: d.Type, array: d.Array}
	}
	if d.Default.typ != d.Type || d.Default.array != d.Array {
		return fmt.Errorf("declaring qualifier %s: default is %s, want %s", d.Name, d.Default.TypeName(), d.typeName())
	}
	if d.Scopes == 0 {
		return fmt.Errorf("declaring qualifier %s: no scope", d.Name)
	}
	d.Flavor = d.Flavor.Resolve()
	if !validNamespace(ns) {
		return fmt.Errorf("declaring qualifier %s in %q: %w", d.Name, ns, ErrInvalidNamespace)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ensure(ns)
	key := strings.ToLower(d.Name)
	if old := n.quals[key]; old != nil {
		i := slices.Index(n.qorder, old)
		n.qorder = slices.Delete(n.qorder, i, i+1)
	}
	n.quals[key] = &d
	n.qorder = append(n.qorder, &d)
	return nil
}

// QualifierDecl returns the declaration of qualifier name in ns.
func (r *Repository) QualifierDecl(ns, name string) (*QualifierDecl, error) {
	return inNamespace(r, ns, func(n *namespace) (*QualifierDecl, error) {
		d := n.quals[strings.ToLower(name)]
		if d == nil {
			return nil, fmt.Errorf("qualifier %s in %s: %w", name, ns, ErrNotFound)
		}
		return d, nil
	})
}

// QualifierDecls returns the qualifier declarations of ns in the order
// declared.
func (r *Repository) QualifierDecls(ns string) ([]*QualifierDecl, error) {
	return inNamespace(r, ns, func(n *namespace) ([]*QualifierDecl, error) {
		return slices.Clone(n.qorder), nil
	})
}

// Class returns the resolved class name in ns.
func (r *Repository) Class(ns, name string) (*Class, error) {
	return inNamespace(r, ns, func(n *namespace) (*Class, error) {
		c := n.classes[strings.ToLower(name)]
		if c == nil {
			return nil, fmt.Errorf("class %s in %s: %w", name, ns, ErrNotFound)
		}
		return c, nil
	})
}

// Classes returns every class of ns in the order added.
func (r *Repository) Classes(ns string) ([]*Class, error) {
	return inNamespace(r, ns, func(n *namespace) ([]*Class, error) {
		return slices.Clone(n.order), nil
	})
}

// Subclasses returns the subclasses of class name in ns, the direct ones
// or (deep) all descendants depth first, each level in the order added. An
// empty name stands for the root: its direct subclasses are the classes
// without superclass. The class itself is not included.
func (r *Repository) Subclasses(ns, name string, deep bool) ([]*Class, error) {
	return inNamespace(r, ns, func(n *namespace) ([]*Class, error) {
		if name != "" && n.classes[strings.ToLower(name)] == nil {
			return nil, fmt.Errorf("subclasses of %s in %s: %w", name, ns, ErrNotFound)
		}
		var out []*Class
		var walk func(key string)
		walk = func(key string) {
			for _, c := range n.subs[key] {
				out = append(out, c)
				if deep {
					walk(strings.ToLower(c.Name))
				}
			}
		}
		walk(strings.ToLower(name))
		return out, nil
	})
}

// SuperClasses returns the superclass chain of class name, nearest first.
func (r *Repository) SuperClasses(ns, name string) ([]string, error) {
	return inNamespace(r, ns, func(n *namespace) ([]string, error) {
		c := n.classes[strings.ToLower(name)]
		if c == nil {
			return nil, fmt.Errorf("superclasses of %s in %s: %w", name, ns, ErrNotFound)
		}
		var out []string
		for c.SuperClass != "" {
			c = n.classes[strings.ToLower(c.SuperClass)]
			out = append(out, c.Name)
		}
		return out, nil
	})
}

// IsA reports whether class name in ns is ancestor or one of its
// subclasses.
func (r *Repository) IsA(ns, name, ancestor string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.get(ns)
	return err == nil && n.isA(name, ancestor)
}

func (n *namespace) isA(name, ancestor string) bool {
	for c := n.classes[strings.ToLower(name)]; c != nil; c = n.classes[strings.ToLower(c.SuperClass)] {
		if strings.EqualFold(c.Name, ancestor) {
			return true
		}
		if c.SuperClass == "" {
			break
		}
	}
	return false
}

// Keys returns the key properties of class name in ns.
func (r *Repository) Keys(ns, name string) ([]*Property, error) {
	c, err := r.Class(ns, name)
	if err != nil {
		return nil, err
	}
	return c.Keys(), nil
}

// AddClass resolves c against its superclass and adds it to ns. c holds
// its own properties and methods; the stored class has the inherited ones
// too (see Class). AddClass checks that the superclass, the classes of
// references and of EmbeddedInstance qualifiers exist (or are c itself),
// that every qualifier is declared, in scope and of the declared type,
// that DisableOverride qualifiers keep their inherited value, and that a
// property or method redefined from the superclass carries Override.
func (r *Repository) AddClass(ns string, c *Class) error {
	if !validNamespace(ns) {
		return fmt.Errorf("adding class %s to %s: %w", c.Name, ns, ErrInvalidNamespace)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ensure(ns)
	rc, err := n.resolve(c)
	if err != nil {
		return fmt.Errorf("adding class %s to %s: %w", c.Name, ns, err)
	}
	n.classes[strings.ToLower(rc.Name)] = rc
	n.order = append(n.order, rc)
	key := strings.ToLower(rc.SuperClass)
	n.subs[key] = append(n.subs[key], rc)
	return nil
}
