package provider

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

// associationClasses are the association classes served: their instances
// are enumerated (EnumerateInstances, WS-Man Enumerate) and fetched by
// path (GetInstance, WS-Transfer Get), not only reached through
// References.
var associationClasses = []string{
	classSystemDevice, classSettingsDefines, classElementSetting, classVSSDComponent,
	classHostedService, classHostedDep, classElementCaps, classHostedPool, classEAFP,
	classRAFP, classSDC, classSnapshotOf, classLastApplied, classAffectedJob,
}

// associationProvider serves one association class. Enumeration walks
// every object that has such associations (the host, each VM, each pool,
// each job), keeping each instance once: some are met from both ends.
// Get asks the association's first end for its associations and picks
// the one at the path.
func associationProvider(class string) classProvider {
	return classProvider{
		enumerate: func(v *View, emit func(*cim.Instance) error) error {
			seen := map[string]bool{}
			sink := &refSink{v: v, assocClass: class, all: true, emit: func(inst *cim.Instance) error {
				k := canon(inst.Path)
				if seen[k] {
					return nil
				}
				seen[k] = true
				return emit(inst)
			}}
			if err := v.hostAssociations(true, sink); err != nil {
				return err
			}
			for _, d := range v.snap.Domains() {
				if err := v.vmAssociations(d, sink); err != nil {
					return err
				}
				vm := v.systemPath(d.UUID)
				if err := v.jobAssociations(vm, sink); err != nil {
					return err
				}
			}
			for _, p := range hostPools(&v.snap.Host) {
				for _, role := range []poolRole{rolePool, roleCaps} {
					if err := v.poolAssociations(p, role, sink); err != nil {
						return err
					}
				}
			}
			return nil
		},
		get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
			notFound := fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
			for _, k := range p.Keys {
				end, ok := k.Value.Ref()
				if !ok {
					continue
				}
				var found *cim.Instance
				err := v.References(end, class, func(inst *cim.Instance) error {
					if samePath(inst.Path, p) {
						found = inst
					}
					return nil
				})
				if err != nil || found != nil {
					return found, err
				}
			}
			return nil, notFound
		},
	}
}

// providerFor is the provider of a concrete class: the providers table,
// or an association class's.
func providerFor(class string) (classProvider, bool) {
	if p, ok := providers[strings.ToLower(class)]; ok {
		return p, true
	}
	for _, c := range associationClasses {
		if strings.EqualFold(c, class) {
			return associationProvider(c), true
		}
	}
	return classProvider{}, false
}
