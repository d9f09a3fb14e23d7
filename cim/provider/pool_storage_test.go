package provider

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// TestStorageAndNetworkPools: a pool per libvirt storage pool and network,
// sized as virsh pool-info says; each VM disk comes from the pool holding
// its image (not CD media), each NIC on a network from that network's pool,
// and the storage templates offer what the pool has free (DSP1047, DSP1050).
func TestStorageAndNetworkPools(t *testing.T) {
	s := schema(t)
	opts := testbed.Options{Domains: 15, Seed: 11, Pools: 3, Networks: 3}
	bed := libvirttest.NewBed(t, opts)
	snap := bed.Inventory.Snapshot()
	w := walker{t, s.At(snap, time.Now())}
	pools := map[string]*cim.Instance{}
	for _, p := range w.enum("VB_ResourcePool") {
		pools[strings.Trim(prop(p, "InstanceID"), `"`)] = p
	}
	storageNames := virshNames(virsh(t, bed, "pool-list", "--all", "--name"))
	netNames := virshNames(virsh(t, bed, "net-list", "--all", "--name"))
	if len(pools) != 2+len(storageNames)+len(netNames) || len(storageNames) != opts.Pools || len(netNames) != opts.Networks {
		t.Fatalf("%d pools for %v and %v", len(pools), storageNames, netNames)
	}
	for _, name := range storageNames {
		p := pools["VB:pool/storage/"+name]
		info := virshFields(virsh(t, bed, "pool-info", "--bytes", name))
		got := [5]string{prop(p, "ResourceType"), prop(p, "AllocationUnits"), prop(p, "Capacity"), prop(p, "Reserved"), prop(p, "OperationalStatus")}
		want := [5]string{"31", `"byte"`, info["Capacity"], info["Allocation"], "{2}"}
		if got != want || prop(p, "ElementName") != strconv.Quote(name) || prop(p, "ResourceSubType") != `"dir"` {
			t.Errorf("storage pool %s: %v, want %v", name, got, want)
		}
		avail, _ := strconv.ParseUint(info["Available"], 10, 64)
		tmpl, err := w.v.Get(mustPath(t, `root/virtualization:VB_StorageAllocationSettingData.InstanceID="VB:template/storage/`+name+`/maximum"`))
		if err != nil || prop(tmpl, "VirtualQuantity") != u64(avail>>20<<20) || prop(tmpl, "ResourceType") != "31" {
			t.Errorf("storage pool %s: maximum template %v (%v), want %d bytes free", name, tmpl, err, avail>>20<<20)
		}
	}
	reserved, attached, images := map[string]int{}, map[string]int{}, map[string]int{}
	for _, pl := range bed.Plan {
		d, _ := snap.Domain(pl.UUID)
		for _, k := range pl.Disks {
			want := ""
			if k.Device == "disk" {
				want = "VB:pool/storage/" + k.Pool
				images[k.Pool]++
			}
			dev, err := s.Device(d, device{class: classLogicalDisk, id: k.Target, fill: func(*cim.Instance) {}})
			if err != nil {
				t.Fatal(err)
			}
			checkPool(t, w, dev.Path, "CIM_ElementAllocatedFromPool", pools[want], want)
			rasd := mustPath(t, `root/virtualization:VB_StorageAllocationSettingData.InstanceID="VB:`+pl.UUID+`/disk/`+k.Target+`"`)
			checkPool(t, w, rasd, "CIM_ResourceAllocationFromPool", pools[want], want)
		}
		for _, n := range pl.NICs {
			want := ""
			if n.Network != "" {
				want = "VB:pool/network/" + n.Network
				attached[n.Network]++
				if pl.State != testbed.StateShutOff {
					reserved[n.Network]++
				}
			}
			rasd := mustPath(t, `root/virtualization:VB_EthernetPortAllocationSettingData.InstanceID="VB:`+pl.UUID+`/nic/`+n.MAC+`"`)
			checkPool(t, w, rasd, "CIM_ResourceAllocationFromPool", pools[want], want)
		}
	}
	for _, name := range storageNames {
		got := w.assoc(pools["VB:pool/storage/"+name].Path, "CIM_ElementAllocatedFromPool", "")
		if len(got) != images[name] || images[name] == 0 {
			t.Errorf("storage pool %s: %d disks allocated, want the plan's %d", name, len(got), images[name])
		}
	}
	for _, name := range netNames {
		p := pools["VB:pool/network/"+name]
		if p == nil || prop(p, "ResourceType") != "10" || prop(p, "Reserved") != strconv.Itoa(reserved[name]) || prop(p, "Capacity") != "null" {
			t.Errorf("network %s: pool %v, want %d NICs of active VMs reserved", name, p, reserved[name])
		}
		if got := w.refs(p.Path, "CIM_ElementAllocatedFromPool"); len(got) != attached[name] || attached[name] == 0 {
			t.Errorf("network %s: %d NICs allocated, want the plan's %d", name, len(got), attached[name])
		}
	}
}

// checkPool: the one pool from reaches through assoc is want's, or none
// when want is "".
func checkPool(t *testing.T, w walker, from cim.ObjectPath, assoc string, pool *cim.Instance, want string) {
	t.Helper()
	got := w.assoc(from, assoc, "CIM_ResourcePool")
	switch {
	case want == "" && len(got) != 0:
		t.Errorf("%s: allocated from %v, want no pool", from.String(), got)
	case want != "" && (pool == nil || len(got) != 1 || !got[0].Equal(pool)):
		t.Errorf("%s: allocated from %v, want %s", from.String(), got, want)
	}
}

// TestDiskPool: a volume names its pool; a file belongs to the deepest
// pool directory holding it; CD media and files outside pools have none.
func TestDiskPool(t *testing.T) {
	h := &backends.Host{StoragePools: []backends.StoragePool{
		{Name: "srv", Path: "/srv/"}, {Name: "vm", Path: "/srv/vm"}, {Name: "vol", Path: ""},
	}}
	for _, c := range []struct {
		disk backends.Disk
		want string
	}{
		{backends.Disk{Source: "/srv/vm/a.qcow2", Device: backends.DiskDeviceDisk}, "VB:pool/storage/vm"},
		{backends.Disk{Source: "/srv/b.img", Device: backends.DiskDeviceDisk}, "VB:pool/storage/srv"},
		{backends.Disk{Source: "/srvx/c.img", Device: backends.DiskDeviceDisk}, ""},
		{backends.Disk{Source: "/srv/vm/d.iso", Device: backends.DiskDeviceCDROM}, ""},
		{backends.Disk{Source: "vol/e", Pool: "vol", Volume: "e", Device: backends.DiskDeviceLUN}, "VB:pool/storage/vol"},
		{backends.Disk{Source: "gone/f", Pool: "gone", Volume: "f", Device: backends.DiskDeviceDisk}, ""},
	} {
		if got := diskPool(h, c.disk); got != c.want {
			t.Errorf("%s: pool %q, want %q", c.disk.Source, got, c.want)
		}
	}
	// A full pool still offers its minimum; bounds are whole increments.
	if got := bounded(8<<30, 1<<20, 1000, 1<<20); got != (quantities{1 << 20, 1 << 20, 1 << 20, 1 << 20}) {
		t.Errorf("full pool: %+v", got)
	}
	if got := bounded(1<<20, 64<<10, 3<<20+5, 1024); got != (quantities{1 << 20, 64 << 10, 3 << 20, 1024}) {
		t.Errorf("memory: %+v", got)
	}
}
