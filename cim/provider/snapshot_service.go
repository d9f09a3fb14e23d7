package provider

import (
	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// The host's snapshot service and its capabilities (DSP1042's snapshot
// part): where a client finds that snapshots are modelled, hosted by the
// host beside the management service.
const (
	classSnapshotSvc  = "VB_VirtualSystemSnapshotService"
	classSnapshotCaps = "VB_VirtualSystemSnapshotServiceCapabilities"
	snapshotSvcName   = "Virtual System Snapshot Service"
	snapshotCapsID    = "VB:VirtualSystemSnapshotServiceCapabilities"
)

// SnapshotService is the host's VB_VirtualSystemSnapshotService.
func (s Schema) SnapshotService(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classSnapshotSvc)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classComputerSystem))
	inst.Set("SystemName", cim.String(h.Hostname))
	inst.Set("CreationClassName", cim.String(classSnapshotSvc))
	inst.Set("Name", cim.String(snapshotSvcName))
	inst.Set("ElementName", cim.String(snapshotSvcName))
	inst.Set("EnabledState", cim.Uint16(enabledEnabled))
	inst.Set("HealthState", cim.Uint16(healthOK))
	inst.Set("OperationalStatus", uint16s([]uint16{opOK}))
	return s.finish(classSnapshotSvc, inst)
}

// SnapshotServiceCapabilities lists the snapshot methods (all
// synchronous) and full snapshots, or nothing while methods are off.
// Note the DMTF spelling AynchronousMethodsSupported.
func (s Schema) SnapshotServiceCapabilities(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classSnapshotCaps)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(snapshotCapsID))
	inst.Set("ElementName", cim.String("Virtual System Snapshot Service Capabilities"))
	inst.Set("SynchronousMethodsSupported", uint16s(s.snapshotMethodCodes()))
	inst.Set("AynchronousMethodsSupported", uint16s([]uint16{}))
	types := []uint16{}
	if s.Jobs != nil {
		types = []uint16{snapshotFull}
	}
	inst.Set("SnapshotTypesSupported", uint16s(types))
	return s.finish(classSnapshotCaps, inst)
}
