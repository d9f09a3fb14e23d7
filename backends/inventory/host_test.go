package inventory

import (
	"testing"

	"github.com/virtbridge/virtbridge/backends"
)

// TestSameHost: figures that move all the time (free memory, pool sizes)
// are not a host change; anything else about pools and networks is.
func TestSameHost(t *testing.T) {
	base := func() backends.Host {
		return backends.Host{Hostname: "h", MemoryFreeKiB: 1,
			StoragePools: []backends.StoragePool{{Name: "default", Path: "/p", Active: true, CapacityB: 10, AllocationB: 2, AvailableB: 8}},
			Networks:     []backends.Network{{Name: "default", Bridge: "virbr0", Forward: "nat", Active: true}}}
	}
	a := base()
	for _, c := range []struct {
		what string
		edit func(*backends.Host)
		same bool
	}{
		{"free memory", func(h *backends.Host) { h.MemoryFreeKiB = 7 }, true},
		{"pool sizes", func(h *backends.Host) {
			h.StoragePools[0].CapacityB, h.StoragePools[0].AllocationB, h.StoragePools[0].AvailableB = 20, 5, 15
		}, true},
		{"pool stopped", func(h *backends.Host) { h.StoragePools[0].Active = false }, false},
		{"pool autostart", func(h *backends.Host) { h.StoragePools[0].Autostart = true }, false},
		{"pool added", func(h *backends.Host) { h.StoragePools = append(h.StoragePools, backends.StoragePool{Name: "x"}) }, false},
		{"network stopped", func(h *backends.Host) { h.Networks[0].Active = false }, false},
		{"network removed", func(h *backends.Host) { h.Networks = nil }, false},
	} {
		b := base()
		c.edit(&b)
		if got := sameHost(a, b); got != c.same {
			t.Errorf("%s: sameHost = %v, want %v", c.what, got, c.same)
		}
	}
	if a.StoragePools[0].AllocationB != 2 {
		t.Error("sameHost changed its argument's pools")
	}
}
