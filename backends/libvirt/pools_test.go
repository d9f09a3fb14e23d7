package libvirt

import (
	"log/slog"
	"testing"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

func TestNetworkFromXML(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want backends.Network
	}{
		{`<network><name>iso</name><uuid>D3DB4F07-E71B-43E5-B076-9E11EBDF41DC</uuid><bridge name='virbr9' stp='on'/></network>`,
			backends.Network{Name: "iso", UUID: "d3db4f07-e71b-43e5-b076-9e11ebdf41dc", Bridge: "virbr9"}},
		// libvirt's own test:///default network: <forward/> means NAT.
		{`<network><name>default</name><bridge name='virbr0'/><forward/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>`,
			backends.Network{Name: "default", Bridge: "virbr0", Forward: "nat"}},
		{`<network><name>host</name><forward mode='bridge'/><bridge name='br0'/></network>`,
			backends.Network{Name: "host", Bridge: "br0", Forward: "bridge"}},
		// macvtap passthrough: no bridge at all.
		{`<network><name>direct</name><forward mode='passthrough'><interface dev='eth1'/></forward></network>`,
			backends.Network{Name: "direct", Forward: "passthrough"}},
	} {
		got, err := networkFromXML(c.doc)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %+v, %v\nwant %+v", c.doc, got, err, c.want)
		}
	}
	if _, err := networkFromXML("<network"); err == nil {
		t.Error("truncated XML parsed")
	}
}

func TestPoolFromXML(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want backends.StoragePool
	}{
		{`<pool type='dir'><name>images</name><uuid>DFE224CB-28FB-8DD0-C4B2-64EB3F0F4566</uuid><capacity unit='bytes'>5</capacity><target><path>/var/lib/libvirt/images</path></target></pool>`,
			backends.StoragePool{Name: "images", UUID: "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566", Type: "dir", Path: "/var/lib/libvirt/images"}},
		// Network pools have no target path.
		{`<pool type='rbd'><name>ceph</name><source><name>rbd</name><host name='mon1'/></source></pool>`,
			backends.StoragePool{Name: "ceph", Type: "rbd"}},
	} {
		got, err := poolFromXML(c.doc)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %+v, %v\nwant %+v", c.doc, got, err, c.want)
		}
	}
}

func TestPoolActive(t *testing.T) {
	for s, want := range map[lv.StoragePoolState]bool{
		lv.STORAGE_POOL_INACTIVE: false, lv.STORAGE_POOL_BUILDING: false, lv.STORAGE_POOL_RUNNING: true,
		lv.STORAGE_POOL_DEGRADED: true, lv.STORAGE_POOL_INACCESSIBLE: true,
	} {
		if poolActive(s) != want {
			t.Errorf("poolActive(%d) = %v", s, !want)
		}
	}
}

// TestHostOnDefaultConnection: libvirt's built-in test:///default host has
// one dir pool and one NAT network.
func TestHostOnDefaultConnection(t *testing.T) {
	b := &Backend{uri: "test:///default", log: slog.New(slog.DiscardHandler), conn: testConnect(t)}
	h, err := b.Host(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantPool := backends.StoragePool{Name: "default-pool", UUID: "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566", Type: "dir",
		Path: "/default-pool", Active: true, CapacityB: 100 << 30, AvailableB: 100 << 30}
	if len(h.StoragePools) != 1 || h.StoragePools[0] != wantPool {
		t.Errorf("pools %+v, want %+v", h.StoragePools, wantPool)
	}
	wantNet := backends.Network{Name: "default", UUID: "dd8fe884-6c02-601e-7551-cca97df1c5df", Bridge: "virbr0", Forward: "nat", Active: true}
	if len(h.Networks) != 1 || h.Networks[0] != wantNet {
		t.Errorf("networks %+v, want %+v", h.Networks, wantNet)
	}
}
