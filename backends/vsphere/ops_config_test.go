package vsphere_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// newDisk makes an empty .vmdk on the simulator's datastore.
func (s *sim) newDisk(t *testing.T, name string) string {
	t.Helper()
	ctx := ctxT(t)
	dc, err := find.NewFinder(s.ref.Client).DefaultDatacenter(ctx)
	check(t, "datacenter", err)
	path := "[LocalDS_0] vbtest/" + name
	_ = object.NewFileManager(s.ref.Client).MakeDirectory(ctx, "[LocalDS_0] vbtest", dc, true)
	task, err := object.NewVirtualDiskManager(s.ref.Client).CreateVirtualDisk(ctx, path, dc, &types.FileBackedVirtualDiskSpec{
		VirtualDiskSpec: types.VirtualDiskSpec{DiskType: "thin", AdapterType: "lsiLogic"}, CapacityKb: 1024})
	check(t, "create disk", err)
	check(t, "create disk", task.Wait(ctx))
	return path
}

// devices reads a VM's devices through govmomi.
func (s *sim) devices(t *testing.T, uuid string) object.VirtualDeviceList {
	t.Helper()
	vm, ok := s.vm(t, uuid)
	if !ok {
		t.Fatalf("VM %s is gone", uuid)
	}
	return vm.Config.Hardware.Device
}

func fileOf(d types.BaseVirtualDevice) string {
	if b, ok := d.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
		return b.GetVirtualDeviceFileBackingInfo().FileName
	}
	return ""
}

func TestDefineAndUndefine(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	disk := s.newDisk(t, "boot.vmdk")
	spec := backends.DomainSpec{Name: "made", Title: "made by the agent", VCPUs: 2, MemoryKiB: 256 * 1024,
		Disks: []backends.DiskSpec{{Source: disk}, {Device: backends.DiskDeviceCDROM, Bus: "sata"}},
		NICs:  []backends.NICSpec{{Network: "VM Network", MAC: "00:50:56:01:02:03"}}, BootOrder: []string{"cdrom", "hd"}}
	uuid, err := b.Define(ctx, spec)
	check(t, "Define", err)
	vm, ok := s.vm(t, uuid)
	if !ok {
		t.Fatalf("Define returned %s, which govmomi does not find", uuid)
	}
	c := vm.Config
	l := object.VirtualDeviceList(c.Hardware.Device)
	if vm.Name != "made" || c.Hardware.NumCPU != 2 || c.Hardware.MemoryMB != 256 || c.Annotation != spec.Title {
		t.Errorf("defined VM %s: %d vCPUs, %d MiB, notes %q", vm.Name, c.Hardware.NumCPU, c.Hardware.MemoryMB, c.Annotation)
	}
	disks := l.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 || fileOf(disks[0]) != disk || len(l.SelectByType((*types.VirtualCdrom)(nil))) != 1 {
		t.Errorf("defined VM's drives: %v", l)
	}
	nics := l.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) != 1 || nics[0].(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().MacAddress != "00:50:56:01:02:03" {
		t.Errorf("defined VM's NICs: %v", nics)
	}
	if c.BootOptions == nil || len(c.BootOptions.BootOrder) != 2 {
		t.Errorf("boot order %+v", c.BootOptions)
	}
	d, err := b.Domain(ctx, uuid)
	check(t, "Domain", err)
	if d.State != backends.StateShutOff || len(d.Disks) != 2 || d.NICs[0].Network != "VM Network" || d.NICs[0].Model != "vmxnet3" {
		t.Errorf("defined domain %+v", d)
	}

	for _, tc := range []struct {
		name string
		mod  func(*backends.DomainSpec)
		kind error
	}{
		{"same name", func(sp *backends.DomainSpec) {}, backends.ErrConflict},
		{"odd memory", func(sp *backends.DomainSpec) { sp.Name, sp.MemoryKiB = "odd", 1000 }, backends.ErrInvalidArgument},
		{"no name", func(sp *backends.DomainSpec) { sp.Name = "" }, backends.ErrInvalidArgument},
		{"no such port group", func(sp *backends.DomainSpec) { sp.Name, sp.NICs = "lost", []backends.NICSpec{{Network: "nowhere"}} }, backends.ErrNotFound},
		{"no such disk", func(sp *backends.DomainSpec) {
			sp.Name, sp.Disks = "diskless", []backends.DiskSpec{{Source: "[LocalDS_0] vbtest/none.vmdk"}}
		}, backends.ErrNotFound},
		{"bad target", func(sp *backends.DomainSpec) {
			sp.Name, sp.Disks = "x", []backends.DiskSpec{{Source: disk, Target: "vda"}}
		}, backends.ErrInvalidArgument},
	} {
		sp := spec
		sp.NICs = nil
		tc.mod(&sp)
		_, err := b.Define(ctx, sp)
		wantKind(t, tc.name, err, tc.kind)
	}

	awaitEvent(t, b, "the new VM", func(ev backends.Event) bool { return ev.Kind == backends.EventDefined && ev.UUID == uuid })
	check(t, "start", b.Start(ctx, uuid))
	wantKind(t, "undefine a running VM", b.Undefine(ctx, uuid, backends.UndefineOptions{}), backends.ErrInvalidState)
	check(t, "destroy", b.Destroy(ctx, uuid))
	check(t, "Undefine", b.Undefine(ctx, uuid, backends.UndefineOptions{}))
	if _, ok := s.vm(t, uuid); ok {
		t.Error("the VM is still registered")
	}
	_, err = b.Domain(ctx, uuid)
	wantKind(t, "Domain after Undefine", err, backends.ErrNotFound)
}

func TestReconfigure(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	ctx := ctxT(t)
	uuid := strings.ToLower(s.vms(t)[0].Config.InstanceUuid)
	hw := func() types.VirtualHardware { vm, _ := s.vm(t, uuid); return vm.Config.Hardware }

	// Running, without hot plug: refused; for the next boot only: not
	// something vSphere does.
	wantKind(t, "hot vCPUs", b.SetVCPUs(ctx, uuid, 4, backends.ScopeCurrent), backends.ErrInvalidState)
	wantKind(t, "staged vCPUs", b.SetVCPUs(ctx, uuid, 4, backends.ScopeConfig), backends.ErrNotSupported)
	wantKind(t, "zero vCPUs", b.SetVCPUs(ctx, uuid, 0, backends.ScopeCurrent), backends.ErrInvalidArgument)
	check(t, "destroy", b.Destroy(ctx, uuid))
	wantKind(t, "live change of a stopped VM", b.SetMemory(ctx, uuid, 64*1024, backends.ScopeLive), backends.ErrInvalidState)
	check(t, "SetVCPUs", b.SetVCPUs(ctx, uuid, 4, backends.ScopeConfig))
	check(t, "SetMemory", b.SetMemory(ctx, uuid, 128*1024, backends.ScopeCurrent))
	if h := hw(); h.NumCPU != 4 || h.MemoryMB != 128 {
		t.Errorf("after the changes: %d vCPUs, %d MiB", h.NumCPU, h.MemoryMB)
	}
	wantKind(t, "odd memory", b.SetMemory(ctx, uuid, 1000, backends.ScopeConfig), backends.ErrInvalidArgument)

	// Disks: attach at a chosen target, refuse it twice, detach.
	disk := s.newDisk(t, "extra.vmdk")
	check(t, "AttachDisk", b.AttachDisk(ctx, uuid, backends.DiskSpec{Source: disk, Target: "scsi0:5"}, backends.ScopeConfig))
	awaitEvent(t, b, "the disk", deviceEvent(backends.EventDeviceAdded, "scsi0:5"))
	l := s.devices(t, uuid)
	if !slices.ContainsFunc(l, func(d types.BaseVirtualDevice) bool { return fileOf(d) == disk }) {
		t.Fatalf("the disk is not attached: %v", l)
	}
	wantKind(t, "target in use", b.AttachDisk(ctx, uuid, backends.DiskSpec{Source: disk, Target: "scsi0:5"}, backends.ScopeConfig), backends.ErrConflict)
	wantKind(t, "read-only disk", b.AttachDisk(ctx, uuid, backends.DiskSpec{Source: disk, ReadOnly: true}, backends.ScopeConfig), backends.ErrInvalidArgument)
	d, err := b.Domain(ctx, uuid)
	check(t, "Domain", err)
	if !slices.ContainsFunc(d.Disks, func(k backends.Disk) bool { return k.Target == "scsi0:5" && k.Source == disk }) {
		t.Errorf("the domain's disks: %+v", d.Disks)
	}
	check(t, "DetachDisk", b.DetachDisk(ctx, uuid, "scsi0:5", backends.ScopeConfig))
	awaitEvent(t, b, "the disk gone", deviceEvent(backends.EventDeviceRemoved, "scsi0:5"))
	if slices.ContainsFunc(s.devices(t, uuid), func(d types.BaseVirtualDevice) bool { return fileOf(d) == disk }) {
		t.Error("the disk is still attached")
	}
	wantKind(t, "detach a missing disk", b.DetachDisk(ctx, uuid, "scsi0:5", backends.ScopeConfig), backends.ErrNotFound)

	// NICs.
	const mac = "00:50:56:aa:bb:cc"
	check(t, "AttachNIC", b.AttachNIC(ctx, uuid, backends.NICSpec{Network: "VM Network", MAC: mac, Model: "e1000e"}, backends.ScopeConfig))
	awaitEvent(t, b, "the NIC", deviceEvent(backends.EventDeviceAdded, mac))
	nicWith := func(d types.BaseVirtualDevice) bool {
		c, ok := d.(types.BaseVirtualEthernetCard)
		return ok && c.GetVirtualEthernetCard().MacAddress == mac
	}
	if i := slices.IndexFunc(s.devices(t, uuid), nicWith); i < 0 {
		t.Fatal("the NIC is not there")
	} else if _, ok := s.devices(t, uuid)[i].(*types.VirtualE1000e); !ok {
		t.Errorf("NIC model %T, want e1000e", s.devices(t, uuid)[i])
	}
	wantKind(t, "same MAC", b.AttachNIC(ctx, uuid, backends.NICSpec{Network: "VM Network", MAC: mac}, backends.ScopeConfig), backends.ErrConflict)
	wantKind(t, "no network", b.AttachNIC(ctx, uuid, backends.NICSpec{Bridge: "vSwitch0"}, backends.ScopeConfig), backends.ErrInvalidArgument)
	check(t, "DetachNIC", b.DetachNIC(ctx, uuid, strings.ToUpper(mac), backends.ScopeConfig))
	awaitEvent(t, b, "the NIC gone", deviceEvent(backends.EventDeviceRemoved, mac))
	if slices.ContainsFunc(s.devices(t, uuid), nicWith) {
		t.Error("the NIC is still there")
	}
	wantKind(t, "detach a missing NIC", b.DetachNIC(ctx, uuid, mac, backends.ScopeConfig), backends.ErrNotFound)
}
