package provider

import (
	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// DSP1041: what is allocated from a pool. ElementAllocatedFromPool ties
// a pool to the VMs' logical devices (vCPUs, memory, disks, NICs), and
// ResourceAllocationFromPool to their RASDs.
const (
	classHostedPool = "VB_HostedResourcePool"
	classEAFP       = "VB_ElementAllocatedFromPool"
	classRAFP       = "VB_ResourceAllocationFromPool"
)

// devicePath is a device's instance path, without making the device.
func (s Schema) devicePath(d *backends.Domain, dev device) (cim.ObjectPath, error) {
	return s.keyPath(dev.class,
		cim.PropertyValue{Name: "SystemCreationClassName", Value: cim.String(classComputerSystem)},
		cim.PropertyValue{Name: "SystemName", Value: cim.String(d.UUID)},
		cim.PropertyValue{Name: "CreationClassName", Value: cim.String(dev.class)},
		cim.PropertyValue{Name: "DeviceID", Value: cim.String(dev.id)})
}

// settingPath is a RASD's instance path, without making the RASD.
func (s Schema) settingPath(d *backends.Domain, st setting) (cim.ObjectPath, error) {
	return s.keyPath(st.class, cim.PropertyValue{Name: "InstanceID", Value: cim.String(settingID(d.UUID, st.part))})
}

func (s Schema) poolPath(id string) (cim.ObjectPath, error) {
	return s.keyPath(classPool, cim.PropertyValue{Name: "InstanceID", Value: cim.String(id)})
}

// allocatedFrom walks every VM for what it draws from pool p (at path pp):
// the one pool answer that grows with the host, because the pool does
// serve every VM.
func (v *View) allocatedFrom(p pool, pp cim.ObjectPath, sink *refSink) error {
	eafp, rafp := sink.wants(classEAFP), sink.wants(classRAFP)
	if !eafp && !rafp {
		return nil
	}
	h, id := &v.snap.Host, p.id()
	for _, d := range v.snap.Domains() {
		if err := v.vmPoolLinks(h, d, eafp, rafp, func(pool string, class string, dep cim.ObjectPath) error {
			if pool != id {
				return nil
			}
			return sink.add(v.s.association(class, "Antecedent", pp, "Dependent", dep))
		}); err != nil {
			return err
		}
	}
	return nil
}

// vmPoolLinks calls link for each device (class EAFP) and each RASD (class
// RAFP) of d that is allocated from a pool, with the pool's InstanceID.
func (v *View) vmPoolLinks(h *backends.Host, d *backends.Domain, eafp, rafp bool, link func(pool, class string, dep cim.ObjectPath) error) error {
	if eafp {
		for _, dev := range devices(d) {
			id := devicePool(h, d, dev)
			if id == "" {
				continue
			}
			dp, err := v.s.devicePath(d, dev)
			if err != nil {
				return err
			}
			if err := link(id, classEAFP, dp); err != nil {
				return err
			}
		}
	}
	if rafp {
		for _, st := range settings(h, d) {
			if st.pool == "" {
				continue
			}
			sp, err := v.s.settingPath(d, st)
			if err != nil {
				return err
			}
			if err := link(st.pool, classRAFP, sp); err != nil {
				return err
			}
		}
	}
	return nil
}

// vmAllocations are d's own EAFP and RAFP instances, for a walk from one
// of its objects.
func (v *View) vmAllocations(d *backends.Domain, sink *refSink) error {
	return v.vmPoolLinks(&v.snap.Host, d, sink.wants(classEAFP), sink.wants(classRAFP), func(pool, class string, dep cim.ObjectPath) error {
		pp, err := v.s.poolPath(pool)
		if err != nil {
			return err
		}
		return sink.add(v.s.association(class, "Antecedent", pp, "Dependent", dep))
	})
}
