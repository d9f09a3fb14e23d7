// Package broker is the protocol-neutral CIM object manager: the DSP0200
// intrinsic operations (classes, instances, associations, queries and pull
// enumerations) over the namespaces' sources. CIM-XML and WS-Management
// decode their requests into these calls and encode what they return;
// neither knows the other exists.
package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// Source answers for one namespace at one state of the inventory.
type Source interface {
	// Enumerate streams the instances of class and its subclasses;
	// cim.ErrInvalidClass for a class the namespace does not have.
	Enumerate(class string, emit func(*cim.Instance) error) error
	// Get returns the instance at path; cim.ErrNotFound when there is none.
	Get(path cim.ObjectPath) (*cim.Instance, error)
	// References streams the association instances, of assocClass or a
	// subclass ("" for any), one of whose references is source. A source
	// may be given a path of another namespace (an interop namespace
	// answers for central instances everywhere); it emits nothing for
	// paths it does not know.
	References(source cim.ObjectPath, assocClass string, emit func(*cim.Instance) error) error
}

// Config configures a Broker.
type Config struct {
	Repo *cim.Repository
	// Host names this system in full instance paths.
	Host string
	// Open returns the sources of every namespace served, by name, at the
	// current state. It is called once per operation (and once per pull
	// enumeration), so an operation sees one consistent snapshot.
	Open func() map[string]Source
	// MaxEnumerations bounds the open pull enumeration contexts (default
	// 256); DefaultTimeout is their inactivity timeout when the client
	// gives none (default 2 min) and MaxTimeout the longest it may ask for
	// (default 30 min).
	MaxEnumerations            int
	DefaultTimeout, MaxTimeout time.Duration
	// Modify, if set, applies property changes to the instance at path of
	// namespace ns through the hypervisor (ModifyInstance, WS-Man Put); nil
	// means nothing can be modified.
	Modify func(ctx context.Context, ns string, path cim.ObjectPath, changes map[string]cim.Value) error
	// Invoke, if set, runs a method whose class, parameters and target
	// the broker has checked, with the parameters converted to their
	// declared types; nil means no method is implemented.
	Invoke func(ctx context.Context, ns string, path cim.ObjectPath, method string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error)
	// Write, if set, creates and deletes instances (see write.go); nil
	// means the instances served are all the agent's own.
	Write Writer
}

// Broker runs the operations. It is safe for concurrent use.
type Broker struct {
	cfg   Config
	enums *enumerations
}

// New returns a broker over cfg.
func New(cfg Config) *Broker {
	if cfg.MaxEnumerations <= 0 {
		cfg.MaxEnumerations = 256
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 2 * time.Minute
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 30 * time.Minute
	}
	return &Broker{cfg: cfg, enums: newEnumerations(cfg.MaxEnumerations)}
}

// Close ends every open enumeration.
func (b *Broker) Close() { b.enums.closeAll() }

// Repo is the class repository.
func (b *Broker) Repo() *cim.Repository { return b.cfg.Repo }

// session is one operation's view of every namespace.
type session struct {
	b    *Broker
	srcs map[string]Source
	ns   string // the request's namespace, as the repository spells it
	src  Source
}

// open resolves the request namespace ns (case-insensitive, surrounding
// slashes ignored) and takes the current state.
func (b *Broker) open(ns string) (*session, error) {
	key := normNamespace(ns)
	srcs := b.cfg.Open()
	for name, src := range srcs {
		if normNamespace(name) == key {
			return &session{b: b, srcs: srcs, ns: name, src: src}, nil
		}
	}
	return nil, fmt.Errorf("namespace %q is not served here (served: %s): %w", ns, strings.Join(b.Namespaces(), ", "), cim.ErrInvalidNamespace)
}

// Namespaces lists the namespaces served.
func (b *Broker) Namespaces() []string {
	var out []string
	for name := range b.cfg.Open() {
		out = append(out, name)
	}
	sortStrings(out)
	return out
}

func normNamespace(ns string) string { return strings.ToLower(strings.Trim(ns, "/")) }

// sourceFor is the source of the namespace path p names, the request's
// when p names none.
func (s *session) sourceFor(p cim.ObjectPath) (Source, string, error) {
	if p.Namespace == "" || normNamespace(p.Namespace) == normNamespace(s.ns) {
		return s.src, s.ns, nil
	}
	for name, src := range s.srcs {
		if normNamespace(name) == normNamespace(p.Namespace) {
			return src, name, nil
		}
	}
	return nil, "", fmt.Errorf("namespace %q of %s is not served here: %w", p.Namespace, p.String(), cim.ErrNotFound)
}

// class returns the class called name in the request namespace,
// cim.ErrInvalidClass when there is none.
func (s *session) class(name string) (*cim.Class, error) {
	c, err := s.b.cfg.Repo.Class(s.ns, name)
	if err != nil {
		return nil, fmt.Errorf("no class %q in namespace %s: %w", name, s.ns, cim.ErrInvalidClass)
	}
	return c, nil
}

// full gives inst (a shallow copy) a path with host and namespace, as
// Associators, References and the pull operations return them.
func (s *session) full(inst *cim.Instance, ns string) *cim.Instance {
	c := *inst
	c.Path = s.fullPath(inst.Path, ns)
	return &c
}

func (s *session) fullPath(p cim.ObjectPath, ns string) cim.ObjectPath {
	if p.Namespace == "" {
		p.Namespace = ns
	}
	if p.Host == "" {
		p.Host = s.b.cfg.Host
	}
	return p
}
