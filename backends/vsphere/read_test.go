package vsphere_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

func TestReadESX(t *testing.T) { testRead(t, newSim(t, simulator.ESX()), "") }

// TestReadVCenterClusterHost reads a host of a cluster: only the cluster's
// VMs placed on it are its domains.
func TestReadVCenterClusterHost(t *testing.T) {
	s := newSim(t, simulator.VPX())
	testRead(t, s, s.hostOf(t, "DC0_C0_RP0_VM0"))
}

// testRead compares the backend's host and domains with govmomi's reading
// of the same simulator.
func testRead(t *testing.T, s *sim, hostName string) {
	opts := s.opts()
	opts.Host = hostName
	b := s.open(t, opts)
	ctx := ctxT(t)
	ref := s.host(t, hostName)

	h, err := b.Host(ctx)
	check(t, "Host", err)
	hw := ref.Summary.Hardware
	if h.Hostname != ref.Name || h.UUID != strings.ToLower(hw.Uuid) || h.CPUModel != hw.CpuModel ||
		h.CPUs != int(hw.NumCpuThreads) || h.CPUSockets != int(hw.NumCpuPkgs) || h.MemoryTotalKiB != uint64(hw.MemorySize)/1024 {
		t.Errorf("host %+v\ndoes not match govmomi's %+v", h, hw)
	}
	if p := ref.Summary.Config.Product; h.HypervisorType != p.Name || h.HypervisorVersion != p.Version {
		t.Errorf("hypervisor %q %q, want %q %q", h.HypervisorType, h.HypervisorVersion, p.Name, p.Version)
	}
	if ref.Runtime.BootTime != nil && !h.BootTime.Equal(*ref.Runtime.BootTime) {
		t.Errorf("boot time %v, want %v", h.BootTime, *ref.Runtime.BootTime)
	}
	var dss []mo.Datastore
	check(t, "datastores", property.DefaultCollector(s.ref.Client).Retrieve(ctx, ref.Datastore, []string{"summary"}, &dss))
	if len(h.StoragePools) != len(dss) || len(dss) == 0 {
		t.Fatalf("%d storage pools, want the %d datastores", len(h.StoragePools), len(dss))
	}
	for _, ds := range dss {
		i := slices.IndexFunc(h.StoragePools, func(p backends.StoragePool) bool { return p.Name == ds.Summary.Name })
		if i < 0 {
			t.Errorf("datastore %s missing", ds.Summary.Name)
			continue
		}
		p := h.StoragePools[i]
		if p.CapacityB != uint64(ds.Summary.Capacity) || p.AvailableB != uint64(ds.Summary.FreeSpace) ||
			p.Type != strings.ToLower(ds.Summary.Type) || !p.Active {
			t.Errorf("pool %+v does not match datastore %+v", p, ds.Summary)
		}
	}
	// The simulator does not mark a switch's uplink port group as such
	// (vCenter does, and the backend leaves it out): ignore it both sides.
	var ents []types.ObjectContent
	check(t, "networks", property.DefaultCollector(s.ref.Client).Retrieve(ctx, ref.Network, []string{"name"}, &ents))
	var netNames, got []string
	for _, e := range ents {
		if name := e.PropSet[0].Val.(string); !strings.Contains(name, "DVUplinks") {
			netNames = append(netNames, name)
		}
	}
	slices.Sort(netNames)
	for _, n := range h.Networks {
		if !strings.Contains(n.Name, "DVUplinks") {
			got = append(got, n.Name)
		}
	}
	if !slices.Equal(got, netNames) {
		t.Errorf("networks %q, want %q", got, netNames)
	}

	doms, err := b.Domains(ctx)
	check(t, "Domains", err)
	want := s.onHost(t, ref.Name)
	if len(doms) != len(want) || len(want) == 0 {
		t.Fatalf("%d domains, want the %d VMs on %s", len(doms), len(want), ref.Name)
	}
	for _, vm := range want {
		i := slices.IndexFunc(doms, func(d backends.Domain) bool { return d.UUID == strings.ToLower(vm.Config.InstanceUuid) })
		if i < 0 {
			t.Errorf("VM %s (%s) missing", vm.Name, vm.Config.InstanceUuid)
			continue
		}
		compareVM(t, &doms[i], &vm, h)
		one, err := b.Domain(ctx, doms[i].UUID)
		check(t, "Domain", err)
		if !one.SameConfig(&doms[i]) {
			t.Errorf("Domain(%s) = %+v\nlisted as %+v", vm.Name, one, doms[i])
		}
	}
	_, err = b.Domain(ctx, "00000000-0000-0000-0000-000000000000")
	wantKind(t, "unknown UUID", err, backends.ErrNotFound)
	counters, err := b.Counters(ctx)
	if err != nil || len(counters) != 0 {
		t.Errorf("Counters = %v, %v; vSphere has none", counters, err)
	}
}

// compareVM checks one domain against govmomi's VM.
func compareVM(t *testing.T, d *backends.Domain, vm *mo.VirtualMachine, h backends.Host) {
	t.Helper()
	c := vm.Config
	state := map[types.VirtualMachinePowerState]backends.State{"poweredOn": backends.StateRunning, "poweredOff": backends.StateShutOff, "suspended": backends.StateShutOff}
	if d.Name != vm.Name || d.State != state[vm.Runtime.PowerState] || d.ManagedSave != (vm.Runtime.PowerState == "suspended") ||
		d.VCPUs != int(c.Hardware.NumCPU) || d.MemoryKiB != uint64(c.Hardware.MemoryMB)*1024 || d.Description != c.Annotation ||
		!d.Persistent || d.OSType != "hvm" || len(d.VCPUInfo) != d.VCPUs {
		t.Errorf("domain %+v\ndoes not match VM %s: %s, %d vCPUs, %d MiB", d, vm.Name, vm.Runtime.PowerState, c.Hardware.NumCPU, c.Hardware.MemoryMB)
	}
	// A VM may grow to the host's logical CPUs and memory.
	if d.MaxVCPUs != max(d.VCPUs, h.CPUs) || d.MaxMemKiB != max(d.MemoryKiB, h.MemoryTotalKiB) || h.CPUs == 0 || h.MemoryTotalKiB == 0 {
		t.Errorf("%s: most %d vCPUs and %d KiB; the host has %d CPUs and %d KiB", vm.Name, d.MaxVCPUs, d.MaxMemKiB, h.CPUs, h.MemoryTotalKiB)
	}
	// The guest identity: the BIOS UUID (distinct from the instance UUID)
	// and the configured guest OS; vSphere cannot pause.
	if d.BIOSUUID != strings.ToLower(c.Uuid) || c.Uuid == "" || d.BIOSUUID == d.UUID || d.GuestOS != c.GuestFullName || c.GuestFullName == "" {
		t.Errorf("%s: BIOS UUID %q, guest OS %q; want %q (instance UUID %q), %q", vm.Name, d.BIOSUUID, d.GuestOS, c.Uuid, d.UUID, c.GuestFullName)
	}
	if !d.Unsupported.Has(backends.OpSuspend) || !d.Unsupported.Has(backends.OpResume) || len(d.Unsupported.List()) != 2 {
		t.Errorf("%s: unsupported operations %v, want suspend and resume", vm.Name, d.Unsupported.List())
	}
	if d.State == backends.StateRunning && vm.Runtime.BootTime != nil && !d.StartTime.Equal(*vm.Runtime.BootTime) {
		t.Errorf("%s: start time %v, want %v", vm.Name, d.StartTime, *vm.Runtime.BootTime)
	}
	l := object.VirtualDeviceList(c.Hardware.Device)
	disks := l.SelectByType((*types.VirtualDisk)(nil))
	cds := l.SelectByType((*types.VirtualCdrom)(nil))
	if len(d.Disks) != len(disks)+len(cds) {
		t.Errorf("%s: %d disks, want %d disks and %d CD-ROMs", vm.Name, len(d.Disks), len(disks), len(cds))
	}
	for _, dev := range disks {
		vd := dev.(*types.VirtualDisk)
		file := vd.Backing.(types.BaseVirtualDeviceFileBackingInfo).GetVirtualDeviceFileBackingInfo().FileName
		i := slices.IndexFunc(d.Disks, func(k backends.Disk) bool { return k.Source == file })
		if i < 0 {
			t.Errorf("%s: no disk from %s in %+v", vm.Name, file, d.Disks)
			continue
		}
		k := d.Disks[i]
		var p object.DatastorePath
		p.FromString(file)
		if k.Device != backends.DiskDeviceDisk || k.CapacityB != uint64(vd.CapacityInBytes) || k.Pool != p.Datastore ||
			!strings.HasPrefix(k.Target, k.Bus) || k.Bus == "" || k.Format != "vmdk" {
			t.Errorf("%s: disk %+v does not match %s of %d bytes", vm.Name, k, file, vd.CapacityInBytes)
		}
		if !slices.ContainsFunc(h.StoragePools, func(sp backends.StoragePool) bool { return sp.Name == k.Pool }) {
			t.Errorf("%s: disk pool %q is none of the host's", vm.Name, k.Pool)
		}
	}
	nics := l.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(d.NICs) != len(nics) || len(nics) == 0 {
		t.Errorf("%s: %d NICs, want %d", vm.Name, len(d.NICs), len(nics))
	}
	for _, dev := range nics {
		card := dev.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		i := slices.IndexFunc(d.NICs, func(n backends.NIC) bool { return n.MAC == strings.ToLower(card.MacAddress) })
		if i < 0 {
			t.Errorf("%s: no NIC with MAC %s", vm.Name, card.MacAddress)
			continue
		}
		n := d.NICs[i]
		if n.Network == "" || !slices.ContainsFunc(h.Networks, func(x backends.Network) bool { return x.Name == n.Network }) ||
			n.Model == "" || n.LinkUp != (card.Connectable != nil && card.Connectable.Connected) {
			t.Errorf("%s: NIC %+v, host networks %+v", vm.Name, n, h.Networks)
		}
	}
}
