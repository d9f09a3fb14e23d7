package provider

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// Checks the management service makes before it changes anything, and
// the undoing of a change made of several backend calls when a later one
// fails: a refused request leaves the system as it was.

// hostLimits refuses a system the host could never run: more vCPUs than
// it has CPUs or more memory than it has, the maxima its allocation
// capabilities advertise (templates.go). Figures the backend does not
// know (0) bound nothing.
func (v *View) hostLimits(vcpus, maxVCPUs int, memKiB uint64) error {
	h := v.snap.Host
	if n := max(vcpus, maxVCPUs); h.CPUs > 0 && n > h.CPUs {
		return fmt.Errorf("ResourceSettings: %d vCPUs is over the host's %d CPUs (the processor pool's maximum): %w", n, h.CPUs, cim.ErrInvalidParameter)
	}
	if h.MemoryTotalKiB > 0 && memKiB > h.MemoryTotalKiB {
		return fmt.Errorf("ResourceSettings: %d KiB of memory is over the host's %d KiB (the memory pool's maximum): %w", memKiB, h.MemoryTotalKiB, cim.ErrInvalidParameter)
	}
	return nil
}

// checkDevices refuses disks and NICs that cannot join d (nil for a new
// system): a disk target d or the request uses already, a MAC address
// some system of the host or the request uses already, a network the
// host does not have (when the backend lists networks at all).
func (v *View) checkDevices(d *backends.Domain, disks []backends.DiskSpec, nics []backends.NICSpec) error {
	targets := map[string]bool{}
	if d != nil {
		for _, x := range d.Disks {
			targets[x.Target] = true
		}
	}
	for _, x := range disks {
		if x.Target != "" && targets[x.Target] {
			return fmt.Errorf("ResourceSettings: disk Address %s is taken; the system already has a disk %s: %w", x.Target, x.Target, cim.ErrInvalidParameter)
		}
		targets[x.Target] = true
	}
	macs := map[string]string{} // MAC → the system using it
	for _, o := range v.snap.Domains() {
		for _, n := range o.NICs {
			macs[strings.ToLower(n.MAC)] = o.Name
		}
	}
	for _, n := range nics {
		if n.MAC == "" {
			continue
		}
		hw, err := net.ParseMAC(n.MAC)
		if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
			return fmt.Errorf("ResourceSettings: Ethernet Address %q is not a unicast MAC address: %w", n.MAC, cim.ErrInvalidParameter)
		}
		mac := hw.String()
		if who, taken := macs[mac]; taken {
			return fmt.Errorf("ResourceSettings: Ethernet Address %s is a duplicate MAC address, in use by system %q: %w", mac, who, cim.ErrInvalidParameter)
		}
		macs[mac] = "this request"
	}
	if nets := v.snap.Host.Networks; len(nets) > 0 {
		for _, n := range nics {
			if n.Network != "" && !slices.ContainsFunc(nets, func(x backends.Network) bool { return x.Name == n.Network }) {
				return fmt.Errorf("ResourceSettings: the host has no network %q (PoolID %snetwork/NAME or Connection NAME): %w", n.Network, poolPrefix, cim.ErrInvalidParameter)
			}
		}
	}
	return nil
}

// newMAC picks a MAC address no system of the host uses, in the range
// the backend takes as manually assigned (QEMU's 52:54:00 block when it
// names none), so that a NIC added without one can be named, returned
// and, if need be, removed again.
func (v *View) newMAC(taken map[string]bool) string {
	for _, d := range v.snap.Domains() {
		for _, n := range d.NICs {
			taken[strings.ToLower(n.MAC)] = true
		}
	}
	first, last := macNumber("52:54:00:00:00:00"), macNumber("52:54:00:ff:ff:ff")
	if r := v.snap.Host.ManualMACs; macNumber(r.First) > 0 && macNumber(r.Last) >= macNumber(r.First) {
		first, last = macNumber(r.First), macNumber(r.Last)
	}
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		n := first + binary.BigEndian.Uint64(b[:])%(last-first+1)
		mac := fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		if !taken[mac] {
			taken[mac] = true
			return mac
		}
	}
}

// macNumber is a colon-form MAC as a number, 0 when it is not one.
func macNumber(mac string) uint64 {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return 0
	}
	var n uint64
	for _, b := range hw {
		n = n<<8 | uint64(b)
	}
	return n
}

// allOf holds when every one of checks holds for the snapshot.
func allOf(checks []func(*inventory.Snapshot) bool) func(*inventory.Snapshot) bool {
	return func(s *inventory.Snapshot) bool {
		for _, ok := range checks {
			if !ok(s) {
				return false
			}
		}
		return true
	}
}

// step is one backend change of a method, and how to take it back.
type step struct {
	do, undo func(context.Context) error
}

// apply runs steps in order. When one fails, the ones done are undone,
// last first, and the error says if that failed too.
func apply(ctx context.Context, steps []step) error {
	for i, s := range steps {
		err := s.do(ctx)
		if err == nil {
			continue
		}
		// Undo even if ctx has ended: the caller was told nothing yet.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		var undo []error
		for j := i - 1; j >= 0; j-- {
			if steps[j].undo != nil {
				if uerr := steps[j].undo(uctx); uerr != nil {
					undo = append(undo, uerr)
				}
			}
		}
		cancel()
		if len(undo) > 0 {
			err = fmt.Errorf("%w (undoing the earlier changes failed: %v)", err, errors.Join(undo...))
		}
		return cimError(err)
	}
	return nil
}
