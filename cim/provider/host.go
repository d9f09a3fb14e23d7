package provider

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// DSP1042 System Virtualization: the host's management service, its
// capabilities, and the associations that tie them and the VMs to the host.
const (
	classVSMS           = "VB_VirtualSystemManagementService"
	classVSMC           = "VB_VirtualSystemManagementCapabilities"
	classHostedService  = "VB_HostedService"
	classHostedDep      = "VB_HostedDependency"
	classElementCaps    = "VB_ElementCapabilities"
	vsmsName            = "Virtual System Management Service"
	vsmcID              = "VB:VirtualSystemManagementCapabilities"
	virtualSystemPrefix = "DMTF:"
)

// ManagementService is the host's VB_VirtualSystemManagementService.
func (s Schema) ManagementService(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classVSMS)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classComputerSystem))
	inst.Set("SystemName", cim.String(h.Hostname))
	inst.Set("CreationClassName", cim.String(classVSMS))
	inst.Set("Name", cim.String(vsmsName))
	inst.Set("ElementName", cim.String(vsmsName))
	inst.Set("EnabledState", cim.Uint16(enabledEnabled))
	inst.Set("HealthState", cim.Uint16(healthOK))
	inst.Set("OperationalStatus", uint16s([]uint16{opOK}))
	return s.finish(classVSMS, inst)
}

// ManagementCapabilities is VB_VirtualSystemManagementCapabilities: the
// methods listed are the method table's (all synchronous); none while
// issue 6, and the capabilities must tell the truth until then.
func (s Schema) ManagementCapabilities(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classVSMC)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(vsmcID))
	inst.Set("ElementName", cim.String("Virtual System Management Capabilities"))
	inst.Set("VirtualSystemTypesSupported", cim.Strings(virtualSystemPrefix+"hvm"))
	inst.Set("SynchronousMethodsSupported", uint16s(s.vsmcMethods()))
	inst.Set("AsynchronousMethodsSupported", uint16s([]uint16{}))
	return s.finish(classVSMC, inst)
}

func (v *View) isHost(p cim.ObjectPath) bool {
	switch strings.ToLower(p.ClassName) {
	case strings.ToLower(classComputerSystem):
		return keyString(p, "Name") == v.snap.Host.Hostname
	case strings.ToLower(classVSMS):
		return keyString(p, "SystemName") == v.snap.Host.Hostname
	case strings.ToLower(classVSMC):
		return keyString(p, "InstanceID") == vsmcID
	case strings.ToLower(classSnapshotSvc):
		return keyString(p, "SystemName") == v.snap.Host.Hostname
	case strings.ToLower(classSnapshotCaps):
		return keyString(p, "InstanceID") == snapshotCapsID
	case strings.ToLower(classMigrationSvc):
		return keyString(p, "SystemName") == v.snap.Host.Hostname
	case strings.ToLower(classMigrationCaps):
		return keyString(p, "InstanceID") == migrationCapsID
	}
	return false
}

// hostAssociations are HostedService (host–services), ElementCapabilities
// (service–capabilities) and, when fromHost, HostedDependency to every VM
// and HostedResourcePool to every pool: the host's answer grows with the
// host, because the host does have every VM.
func (v *View) hostAssociations(fromHost bool, sink *refSink) error {
	host, err := v.s.HostSystem(v.snap.Host)
	if err != nil {
		return err
	}
	for _, svc := range []struct {
		service, caps func(Schema, backends.Host) (*cim.Instance, error)
	}{
		{Schema.ManagementService, Schema.ManagementCapabilities},
		{Schema.SnapshotService, Schema.SnapshotServiceCapabilities},
		{Schema.MigrationService, Schema.MigrationCapabilities},
	} {
		service, err := svc.service(v.s, v.snap.Host)
		if err != nil {
			return err
		}
		caps, err := svc.caps(v.s, v.snap.Host)
		if err != nil {
			return err
		}
		if err := sink.add(v.s.association(classHostedService, "Antecedent", host.Path, "Dependent", service.Path)); err != nil {
			return err
		}
		if err := sink.add(v.s.association(classElementCaps, "ManagedElement", service.Path, "Capabilities", caps.Path)); err != nil {
			return err
		}
	}
	if !fromHost {
		return nil
	}
	if sink.wants(classHostedDep) {
		for _, d := range v.snap.Domains() {
			if err := sink.add(v.hostedDependency(host.Path, d)); err != nil {
				return err
			}
		}
	}
	if sink.wants(classHostedPool) {
		for _, p := range hostPools(&v.snap.Host) {
			pp, err := v.s.poolPath(p.id())
			if err != nil {
				return err
			}
			if err := sink.add(v.s.association(classHostedPool, "GroupComponent", host.Path, "PartComponent", pp)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *View) hostedDependency(host cim.ObjectPath, d *backends.Domain) (*cim.Instance, error) {
	vm, err := v.s.VirtualSystem(d, v.now)
	if err != nil {
		return nil, err
	}
	return v.s.association(classHostedDep, "Antecedent", host, "Dependent", vm.Path)
}

// hostProvider serves a host-wide singleton class.
func hostProvider(build func(Schema, backends.Host) (*cim.Instance, error)) classProvider {
	return classProvider{
		enumerate: func(v *View, emit func(*cim.Instance) error) error {
			inst, err := build(v.s, v.snap.Host)
			if err != nil {
				return err
			}
			return emit(inst)
		},
		get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
			inst, err := build(v.s, v.snap.Host)
			if err != nil {
				return nil, err
			}
			if !samePath(inst.Path, p) {
				return nil, fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
			}
			return inst, nil
		},
	}
}
