package virt

import (
	"errors"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/provider"
)

// indications builds the indication service cfg asks for (nil when it
// asks for none) and hooks it to the jobs.
func indications(cfg Config, repo *cim.Repository, schema provider.Schema, inv *inventory.Inventory, host string) (*indication.Service, error) {
	if cfg.Indications == nil {
		return nil, nil
	}
	ic := *cfg.Indications
	ic.Repo, ic.Schema, ic.Interop, ic.Inventory, ic.Host = repo, schema, Interop, inv, host
	svc, err := indication.New(ic)
	if err != nil {
		return nil, err
	}
	if schema.Jobs != nil {
		schema.Jobs.Watch(svc.JobWatcher)
	}
	return svc, nil
}

// union is one namespace served by several sources: root/interop's
// profiles and its indication subscriptions.
type union []broker.Source

func (u union) Enumerate(class string, emit func(*cim.Instance) error) error {
	for _, s := range u {
		if err := s.Enumerate(class, emit); err != nil && !errors.Is(err, cim.ErrInvalidClass) {
			return err
		}
	}
	return nil
}

func (u union) Get(path cim.ObjectPath) (*cim.Instance, error) {
	var err error
	for _, s := range u {
		var inst *cim.Instance
		if inst, err = s.Get(path); err == nil || !errors.Is(err, cim.ErrNotFound) {
			return inst, err
		}
	}
	return nil, err
}

func (u union) References(source cim.ObjectPath, assocClass string, emit func(*cim.Instance) error) error {
	for _, s := range u {
		if err := s.References(source, assocClass, emit); err != nil {
			return err
		}
	}
	return nil
}
