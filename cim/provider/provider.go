package provider

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// View answers for one inventory snapshot. Instances are made when asked
// for, from the snapshot's sorted domains: nothing is built per snapshot,
// and a lookup by key is a binary search, not a scan.
type View struct {
	s    Schema
	snap *inventory.Snapshot
	now  time.Time

	useOnce sync.Once
	use     poolUse // see poolUse
}

// At is the provider over one snapshot.
func (s Schema) At(snap *inventory.Snapshot, now time.Time) *View {
	return &View{s: s, snap: snap, now: now}
}

// classProvider makes the instances of one concrete class.
type classProvider struct {
	enumerate func(v *View, emit func(*cim.Instance) error) error
	get       func(v *View, p cim.ObjectPath) (*cim.Instance, error)
}

// providers are the concrete classes served, by lower-case name; a
// constant table, never written after start.
var providers = map[string]classProvider{
	strings.ToLower(classComputerSystem): {enumerateSystems, getSystem},
	strings.ToLower(classProcessor):      deviceProvider(classProcessor),
	strings.ToLower(classMemory):         deviceProvider(classMemory),
	strings.ToLower(classLogicalDisk):    deviceProvider(classLogicalDisk),
	strings.ToLower(classEthernetPort):   deviceProvider(classEthernetPort),
	strings.ToLower(classVSMS):           hostProvider(Schema.ManagementService),
	strings.ToLower(classVSMC):           hostProvider(Schema.ManagementCapabilities),
	strings.ToLower(classVSSD):           settingProvider(classVSSD),
	strings.ToLower(classProcRASD):       settingProvider(classProcRASD),
	strings.ToLower(classMemRASD):        settingProvider(classMemRASD),
	strings.ToLower(classStorageRASD):    settingProvider(classStorageRASD),
	strings.ToLower(classEthernetRASD):   settingProvider(classEthernetRASD),
	strings.ToLower(classVMCaps):         vmCapsProvider,
	strings.ToLower(classSnapshotSvc):    hostProvider(Schema.SnapshotService),
	strings.ToLower(classSnapshotCaps):   hostProvider(Schema.SnapshotServiceCapabilities),
	strings.ToLower(classPool):           poolProvider,
	strings.ToLower(classAllocCaps):      allocCapsProvider,
	strings.ToLower(classJob):            jobProvider,
	strings.ToLower(classMigrationSvc):   hostProvider(Schema.MigrationService),
	strings.ToLower(classMigrationCaps):  hostProvider(Schema.MigrationCapabilities),
}

// Enumerate streams the instances of class and of every subclass
// (DSP0200 §4.5.2.9: CIM_ComputerSystem lists VB_ComputerSystem).
// DeepInheritance only chooses properties, which is the encoder's job.
func (v *View) Enumerate(class string, emit func(*cim.Instance) error) error {
	c, err := v.s.Repo.Class(v.s.Namespace, class)
	if err != nil {
		return fmt.Errorf("enumerating %s: %w", class, cim.ErrInvalidClass)
	}
	subs, err := v.s.Repo.Subclasses(v.s.Namespace, c.Name, true)
	if err != nil {
		return err
	}
	classes := append([]*cim.Class{c}, subs...)
	for _, c := range classes {
		if p, ok := providerFor(c.Name); ok {
			if err := p.enumerate(v, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get returns the instance at path.
func (v *View) Get(path cim.ObjectPath) (*cim.Instance, error) {
	c, err := v.s.Repo.Class(v.s.Namespace, path.ClassName)
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", path.ClassName, cim.ErrInvalidClass)
	}
	p, ok := providerFor(c.Name)
	if !ok {
		return nil, fmt.Errorf("no instance %s: %w", path.String(), cim.ErrNotFound)
	}
	if path, err = c.NormalizePath(path); err != nil {
		return nil, fmt.Errorf("instance path %s: %v: %w", path.String(), err, cim.ErrInvalidParameter)
	}
	return p.get(v, path)
}

func keyString(p cim.ObjectPath, name string) string {
	v, _ := p.Key(name)
	s, _ := v.Str()
	return s
}

// enumerateSystems emits the host first, then the VMs by UUID.
func enumerateSystems(v *View, emit func(*cim.Instance) error) error {
	host, err := v.s.HostSystem(v.snap.Host)
	if err != nil {
		return err
	}
	if err := emit(host); err != nil {
		return err
	}
	for _, d := range v.snap.Domains() {
		inst, err := v.s.VirtualSystem(d, v.now)
		if err != nil {
			return err
		}
		if err := emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func getSystem(v *View, p cim.ObjectPath) (*cim.Instance, error) {
	notFound := fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
	if !strings.EqualFold(keyString(p, "CreationClassName"), classComputerSystem) {
		return nil, notFound
	}
	name := keyString(p, "Name")
	if name == hostName(v.snap) {
		return v.s.HostSystem(v.snap.Host)
	}
	d, ok := v.snap.Domain(strings.ToLower(name))
	if !ok {
		return nil, notFound
	}
	return v.s.VirtualSystem(d, v.now)
}

func hostName(snap *inventory.Snapshot) string { return snap.Host.Hostname }
