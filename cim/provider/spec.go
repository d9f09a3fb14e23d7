package provider

import (
	"fmt"
	"net"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Reading what clients send: embedded VSSDs and RASDs turned into the
// backend's specs, the inverse of settings.go's mapping (disk Address =
// target, NIC Address = MAC, pools by PoolID).

// defaultMemKiB is a new system's memory when its settings give none:
// the memory template's Default (templates.go), 1 GiB.
const defaultMemKiB = 1 << 20

// unitBytes are the programmatic units (DSP0004 Annex C) accepted for
// memory and disk sizes, in bytes.
var unitBytes = map[string]uint64{
	"byte": 1, "bytes": 1,
	"byte*2^10": 1 << 10, "kilobytes": 1 << 10, "kib": 1 << 10,
	"byte*2^20": 1 << 20, "megabytes": 1 << 20, "mib": 1 << 20,
	"byte*2^30": 1 << 30, "gigabytes": 1 << 30, "gib": 1 << 30,
}

// bytesOf is a RASD's VirtualQuantity in bytes, using
// VirtualQuantityUnits, else AllocationUnits, else def.
func bytesOf(r *cim.Instance, def string) (uint64, bool, error) {
	q, ok, err := quantity(r, "VirtualQuantity")
	if !ok || err != nil {
		return 0, false, err
	}
	unit := def
	for _, name := range []string{"VirtualQuantityUnits", "AllocationUnits"} {
		if u, ok := strProp(r, name); ok && u != "" {
			unit = u
			break
		}
	}
	m, ok := unitBytes[strings.ToLower(strings.ReplaceAll(unit, " ", ""))]
	if !ok {
		return 0, false, fmt.Errorf("%s: unit %q not understood (use byte, byte*2^10, byte*2^20 or byte*2^30): %w", r.ClassName, unit, cim.ErrInvalidParameter)
	}
	return q * m, true, nil
}

func strProp(r *cim.Instance, name string) (string, bool) {
	v, ok := r.Get(name)
	if !ok || v.IsNull() {
		return "", false
	}
	if s, ok := v.Str(); ok {
		return s, true
	}
	if ss, ok := v.StringSlice(); ok && len(ss) > 0 {
		return ss[0], true
	}
	return "", false
}

func str2uint(r *cim.Instance, name string) (uint64, bool) {
	v, ok := r.Get(name)
	if !ok || v.IsNull() {
		return 0, false
	}
	if u, ok := v.Uint(); ok {
		return u, true
	}
	if i, ok := v.Int(); ok && i >= 0 {
		return uint64(i), true
	}
	if s, ok := v.Str(); ok {
		if x, err := cim.ParseScalar(cim.TypeUint64, s); err == nil {
			u, _ := x.Uint()
			return u, true
		}
	}
	return 0, false
}

// quantity reads a count or size: absent (or NULL) is not ok; anything
// but a non-negative integer, such as a negative memory size, is an
// error naming the property, not a silent default.
func quantity(r *cim.Instance, name string) (uint64, bool, error) {
	v, ok := r.Get(name)
	if !ok || v.IsNull() {
		return 0, false, nil
	}
	if n, ok := str2uint(r, name); ok {
		return n, true, nil
	}
	return 0, false, fmt.Errorf("%s: %s %s is not a count (a non-negative integer): %w", r.ClassName, name, v, cim.ErrInvalidParameter)
}

// resourceKind names what a RASD allocates, from its ResourceType.
func resourceKind(r *cim.Instance) (string, error) {
	t, ok := str2uint(r, "ResourceType")
	if !ok {
		return "", fmt.Errorf("%s: ResourceType is missing: %w", r.ClassName, cim.ErrInvalidParameter)
	}
	switch t {
	case 3:
		return "processor", nil
	case 4:
		return "memory", nil
	case 17, 31:
		return "disk", nil
	case 15, 16:
		return "dvd", nil
	case 10, 33:
		return "ethernet", nil
	}
	return "", fmt.Errorf("%s: ResourceType %d is not one this agent allocates (3 processor, 4 memory, 31 disk, 16 DVD, 10 Ethernet): %w", r.ClassName, t, cim.ErrInvalidParameter)
}

// diskSpec reads a storage RASD.
func diskSpec(r *cim.Instance, cdrom bool) (backends.DiskSpec, error) {
	d := backends.DiskSpec{Device: backends.DiskDeviceDisk, Bus: "virtio"}
	if cdrom {
		d.Device, d.Bus, d.ReadOnly = backends.DiskDeviceCDROM, "sata", true
	}
	d.Source, _ = strProp(r, "HostResource")
	if d.Source == "" && !cdrom {
		return d, fmt.Errorf("%s: a disk needs HostResource, the path of its image: %w", r.ClassName, cim.ErrInvalidParameter)
	}
	d.Target, _ = strProp(r, "Address")
	if d.Target == "" {
		d.Target, _ = strProp(r, "AddressOnParent")
	}
	if strings.HasPrefix(d.Target, "hd") || strings.HasPrefix(d.Target, "sd") {
		d.Bus = "sata"
	}
	return d, nil
}

// nicSpec reads an Ethernet RASD: the network from PoolID or Connection.
func nicSpec(r *cim.Instance) (backends.NICSpec, error) {
	n := backends.NICSpec{Model: "virtio"}
	n.MAC, _ = strProp(r, "Address")
	n.MAC = strings.ToLower(n.MAC)
	if hw, err := net.ParseMAC(n.MAC); err == nil && len(hw) == 6 {
		n.MAC = hw.String() // the form the inventory and RASD paths use
	}
	if m, ok := strProp(r, "ResourceSubType"); ok && m != "" {
		n.Model = m
	}
	if id, ok := strProp(r, "PoolID"); ok {
		if name, ok := strings.CutPrefix(id, poolPrefix+"network/"); ok {
			n.Network = name
		}
	}
	if n.Network == "" {
		n.Network, _ = strProp(r, "Connection")
	}
	if n.Network == "" {
		return n, fmt.Errorf("%s: a NIC needs a network: PoolID %snetwork/NAME or Connection NAME: %w", r.ClassName, poolPrefix, cim.ErrInvalidParameter)
	}
	return n, nil
}

// domainSpec builds a new domain from a VSSD and its RASDs (DSP1042
// DefineSystem): the name from ElementName, one processor and one memory
// RASD at most (defaults: the templates' Default), disks and NICs.
func domainSpec(vssd *cim.Instance, rasds []*cim.Instance) (backends.DomainSpec, error) {
	spec := backends.DomainSpec{VCPUs: 1, MemoryKiB: defaultMemKiB}
	spec.Name, _ = strProp(vssd, "ElementName")
	if spec.Name == "" {
		return spec, fmt.Errorf("SystemSettings: ElementName, the new system's name, is required: %w", cim.ErrInvalidParameter)
	}
	seen := map[string]bool{}
	for _, r := range rasds {
		kind, err := resourceKind(r)
		if err != nil {
			return spec, err
		}
		if (kind == "processor" || kind == "memory") && seen[kind] {
			return spec, fmt.Errorf("ResourceSettings: two %s RASDs: %w", kind, cim.ErrInvalidParameter)
		}
		seen[kind] = true
		switch kind {
		case "processor":
			for _, q := range []struct {
				name string
				to   *int
			}{{"VirtualQuantity", &spec.VCPUs}, {"Limit", &spec.MaxVCPUs}} {
				n, ok, err := quantity(r, q.name)
				if err != nil {
					return spec, err
				}
				if ok {
					*q.to = int(min(n, 1<<20))
				}
			}
		case "memory":
			b, ok, err := bytesOf(r, "byte*2^10")
			if err != nil {
				return spec, err
			}
			if ok {
				spec.MemoryKiB = b >> 10
			}
		case "disk", "dvd":
			d, err := diskSpec(r, kind == "dvd")
			if err != nil {
				return spec, err
			}
			spec.Disks = append(spec.Disks, d)
		case "ethernet":
			n, err := nicSpec(r)
			if err != nil {
				return spec, err
			}
			spec.NICs = append(spec.NICs, n)
		}
	}
	if spec.VCPUs < 1 || spec.MemoryKiB < 1 {
		return spec, fmt.Errorf("ResourceSettings: a system needs at least one vCPU and some memory: %w", cim.ErrInvalidParameter)
	}
	spec.MaxMemKiB = spec.MemoryKiB
	return spec, nil
}
