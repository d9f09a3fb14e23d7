// Package virt assembles what the CIM protocols serve from the inventory:
// the implementation namespace (cim/provider's profiles) and the interop
// namespace (cim/interop), with the classes of mof/ loaded into both,
// behind one broker.
package virt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/interop"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
	"github.com/virtbridge/virtbridge/cim/provider"
	"github.com/virtbridge/virtbridge/mof"
)

// Interop is the interop namespace; clients look for profiles there
// (DSP1033).
const Interop = "root/interop"

// Config says what to serve.
type Config struct {
	// Namespace is the implementation namespace, e.g. root/virtualization.
	Namespace string
	// Version is the agent's, shown by CIM_ObjectManager.
	Version string
	// MaxEnumerations and EnumerationTimeout bound pull enumerations (see
	// broker.Config); zero takes the broker's defaults.
	MaxEnumerations    int
	EnumerationTimeout time.Duration
	// Ops, if set, lets clients modify what the provider allows
	// (ModifyInstance, WS-Man Put).
	Ops backends.Operations
	// Indications, if set, serves the indication service (DSP1054) in the
	// interop namespace; Assemble fills in what it shares with the rest
	// (classes, schema, inventory, host).
	Indications *indication.Config
}

// Agent is what Assemble builds: the broker and, when configured, the
// indication service, which the caller runs (Run) beside the servers.
type Agent struct {
	Broker      *broker.Broker
	Indications *indication.Service
}

// New returns a broker answering every operation from the inventory
// snapshot current when the operation starts.
func New(cfg Config, inv *inventory.Inventory) (*broker.Broker, error) {
	a, err := Assemble(cfg, inv)
	if err != nil {
		return nil, err
	}
	return a.Broker, nil
}

// Assemble builds the broker and the indication service.
func Assemble(cfg Config, inv *inventory.Inventory) (*Agent, error) {
	repo := cim.NewRepository()
	for _, ns := range []string{cfg.Namespace, Interop} {
		if _, err := cimmof.Load(mof.FS, mof.Files, repo, ns); err != nil {
			return nil, fmt.Errorf("loading the CIM classes into %s: %w", ns, err)
		}
	}
	schema := provider.Schema{Repo: repo, Namespace: cfg.Namespace}
	if cfg.Ops != nil {
		schema.Jobs = provider.NewJobs(1000, 10*time.Minute)
	}
	ic := interop.Config{Repo: repo, Namespace: Interop, Impl: cfg.Namespace,
		Namespaces: []string{Interop, cfg.Namespace}, Product: "virtbridge", Version: cfg.Version}
	host := inv.Snapshot().Host.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	svc, err := indications(cfg, repo, schema, inv, host)
	if err != nil {
		return nil, err
	}
	var modify func(context.Context, string, cim.ObjectPath, map[string]cim.Value) error
	if cfg.Ops != nil || svc != nil {
		modify = func(ctx context.Context, ns string, path cim.ObjectPath, changes map[string]cim.Value) error {
			switch {
			case svc != nil && strings.EqualFold(ns, Interop):
				return svc.Modify(ctx, path, changes)
			case cfg.Ops == nil || !strings.EqualFold(ns, cfg.Namespace):
				return fmt.Errorf("nothing in %s can be modified: %w", ns, cim.ErrNotSupported)
			}
			return schema.At(inv.Snapshot(), time.Now()).Modify(ctx, cfg.Ops, path, changes)
		}
	}
	var invoke func(context.Context, string, cim.ObjectPath, string, map[string]cim.Value) (cim.Value, map[string]cim.Value, error)
	if cfg.Ops != nil {
		env := provider.Env{Ops: cfg.Ops, Current: inv.Snapshot}
		invoke = func(ctx context.Context, ns string, path cim.ObjectPath, method string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
			if !strings.EqualFold(ns, cfg.Namespace) {
				return cim.Value{}, nil, fmt.Errorf("%s.%s in %s is not implemented: %w", path.ClassName, method, ns, cim.ErrNotSupported)
			}
			return schema.At(inv.Snapshot(), time.Now()).Invoke(ctx, env, path, method, in)
		}
	}
	bc := broker.Config{
		Repo: repo, Host: host, MaxEnumerations: cfg.MaxEnumerations, DefaultTimeout: cfg.EnumerationTimeout,
		Modify: modify, Invoke: invoke,
		Open: func() map[string]broker.Source {
			snap := inv.Snapshot()
			view := schema.At(snap, time.Now())
			var interop broker.Source = ic.At(view, snap.Host.Hostname)
			if svc != nil {
				interop = union{interop, svc}
			}
			return map[string]broker.Source{cfg.Namespace: view, Interop: interop}
		},
	}
	if svc != nil {
		bc.Write = svc
	}
	return &Agent{Broker: broker.New(bc), Indications: svc}, nil
}
