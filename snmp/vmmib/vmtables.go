package vmmib

import (
	"context"
	"encoding/hex"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// vmRow is one vmTable row: a domain and its vmIndex.
type vmRow struct {
	index int32
	d     *backends.Domain
}

func vmIndexOID(r *vmRow) mib.OID { return mib.OID{uint32(r.index)} }

// TruthValue (SNMPv2-TC).
func truth(b bool) int {
	if b {
		return 1
	}
	return 2
}

// clamp32 fits a size into Integer32, as VM-MIB's sizes are.
func clamp32(v uint64) int {
	return int(min(v, math.MaxInt32))
}

// uuidOctets is UUIDorZero (RFC 6933): 16 octets, or empty if unparsable.
func uuidOctets(u string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(u, "-", ""))
	if err != nil || len(b) != 16 {
		return []byte{}
	}
	return b
}

// osType is vmOSType (RFC 7666 §6): "the operating system the hypervisor
// assumes to be running when the virtual machine is started", which is
// the configured guest OS when the backend knows it; else the OS type
// libvirt reports ("hvm", "exe"), as before. SnmpAdminString (SIZE
// (0..255)): cut on a character boundary.
func osType(d *backends.Domain) string {
	if d.GuestOS != "" {
		return truncate(d.GuestOS, 255)
	}
	return truncate(d.OSType, 255)
}

// memUnit picks KiB unless the largest size does not fit Integer32 KiB.
func memUnit(d *backends.Domain) uint64 {
	if max(d.MaxMemKiB, d.MemoryKiB) > math.MaxInt32 {
		return 1024 // MiB, in KiB
	}
	return 1
}

func vmScalars(snap *inventory.Snapshot, hvUp, lastChange uint32, enterprise mib.OID, sw *Switches) []mib.Subtree {
	h := snap.Host
	software := h.HypervisorType
	if software == "" {
		software = "unknown"
	}
	return mib.Each(
		mib.Scalar{OID: oidVMHypervisor.Append(1), Type: gosnmp.OctetString, Get: func() any { return software }},
		mib.Scalar{OID: oidVMHypervisor.Append(2), Type: gosnmp.OctetString, Get: func() any { return h.HypervisorVersion }},
		mib.Scalar{OID: oidVMHypervisor.Append(3), Type: gosnmp.ObjectIdentifier, Get: func() any { return enterprise.Append(arcProducts, 2).Dotted() }},
		mib.Scalar{OID: oidVMHypervisor.Append(4), Type: gosnmp.TimeTicks, Get: func() any { return hvUp }},
		mib.Scalar{OID: oidVMNumber, Type: gosnmp.Integer, Get: func() any { return snap.Len() }},
		mib.Scalar{OID: oidVMTableLast, Type: gosnmp.TimeTicks, Get: func() any { return lastChange }},
		switchScalar(oidVMPerVMNotif, &sw.PerVMOff),
		switchScalar(oidVMBulkNotif, &sw.BulkOff),
	)
}

// switchScalar is a writable TruthValue kept in memory only (RFC 7666:
// "MUST NOT persist across re-initialization").
func switchScalar(oid mib.OID, off *atomic.Bool) mib.Scalar {
	return mib.Scalar{OID: oid, Type: gosnmp.Integer,
		Get: func() any { return truth(!off.Load()) },
		Test: func(vb mib.Varbind) gosnmp.SNMPError {
			if v, ok := vb.Value.(int); !ok || (v != 1 && v != 2) {
				return gosnmp.WrongValue
			}
			return gosnmp.NoError
		},
		Commit: func(_ context.Context, vb mib.Varbind) error {
			off.Store(vb.Value.(int) == 2)
			return nil
		},
	}
}

func vmTable(vms []*vmRow) *mib.Table[*vmRow] {
	now := time.Now()
	return mib.NewTable(oidVMEntry, []mib.Column[*vmRow]{
		{ID: colVMName, Type: gosnmp.OctetString, Get: func(r *vmRow) any { return r.d.Name }},
		{ID: colVMUUID, Type: gosnmp.OctetString, Get: func(r *vmRow) any { return uuidOctets(r.d.UUID) }},
		{ID: colVMOSType, Type: gosnmp.OctetString, Get: func(r *vmRow) any { return osType(r.d) }},
		{ID: colVMAdminState, Type: gosnmp.Integer, Get: func(r *vmRow) any { return adminState(r.d) }},
		{ID: colVMOperState, Type: gosnmp.Integer, Get: func(r *vmRow) any { return operState(r.d) }},
		{ID: colVMAutoStart, Type: gosnmp.Integer, Get: func(r *vmRow) any { return truth(r.d.Autostart) + 1 }},
		{ID: colVMPersistent, Type: gosnmp.Integer, Get: func(r *vmRow) any { return truth(r.d.Persistent) + 1 }},
		// Current vCPUs and memory are the configured ones while powered
		// off, as libvirt (and virsh dominfo) report them.
		{ID: colVMCurCPU, Type: gosnmp.Integer, Get: func(r *vmRow) any { return r.d.VCPUs }},
		{ID: colVMMinCPU, Type: gosnmp.Integer, Get: func(*vmRow) any { return -1 }},
		{ID: colVMMaxCPU, Type: gosnmp.Integer, Get: func(r *vmRow) any { return r.d.MaxVCPUs }},
		{ID: colVMMemUnit, Type: gosnmp.Integer, Get: func(r *vmRow) any { return int(memUnit(r.d) * 1024) }},
		{ID: colVMCurMem, Type: gosnmp.Integer, Get: func(r *vmRow) any { return clamp32(r.d.MemoryKiB / memUnit(r.d)) }},
		{ID: colVMMinMem, Type: gosnmp.Integer, Get: func(*vmRow) any { return -1 }},
		{ID: colVMMaxMem, Type: gosnmp.Integer, Get: func(r *vmRow) any { return clamp32(r.d.MaxMemKiB / memUnit(r.d)) }},
		{ID: colVMUpTime, Type: gosnmp.TimeTicks, Get: func(r *vmRow) any {
			if !r.d.State.Active() || r.d.StartTime.IsZero() {
				return uint32(0)
			}
			return centis(now.Sub(r.d.StartTime))
		}},
		{ID: colVMCpuTime, Type: gosnmp.Counter64, Get: func(r *vmRow) any { return uint64(r.d.CPUTime.Microseconds()) }},
	}, vms, vmIndexOID)
}

// cpuRow is one virtual CPU.
type cpuRow struct {
	vm *vmRow
	n  int // 0-based vCPU number
}

func vmCPUTable(vms []*vmRow) *mib.Table[cpuRow] {
	var rows []cpuRow
	for _, v := range vms {
		for i := range v.d.VCPUInfo {
			rows = append(rows, cpuRow{v, i})
		}
	}
	return mib.NewTable(oidVMCpuEntry, []mib.Column[cpuRow]{
		{ID: 2, Type: gosnmp.Counter64, Get: func(r cpuRow) any { return uint64(r.vm.d.VCPUInfo[r.n].Time.Microseconds()) }},
	}, rows, func(r cpuRow) mib.OID { return mib.OID{uint32(r.vm.index), uint32(r.n + 1)} })
}

// storageRow is one virtual disk.
type storageRow struct {
	vm *vmRow
	n  int
}

// VirtualMachineStorageSourceType and IANAStorageMediaType values.
const (
	srcUnknown, srcOther, srcBlock, srcRaw, srcSparse, srcNetwork = 1, 2, 3, 4, 5, 6
)

var mediaTypes = map[backends.DiskDevice]int{
	backends.DiskDeviceDisk: 3, backends.DiskDeviceLUN: 3, backends.DiskDeviceCDROM: 4, backends.DiskDeviceFloppy: 5,
}

func sourceType(d *backends.Disk) int {
	switch {
	case d.Source == "":
		return srcUnknown
	case d.Volume != "":
		return srcOther
	case strings.HasPrefix(d.Source, "/dev/"):
		return srcBlock
	case strings.Contains(d.Source, ":") && !strings.HasPrefix(d.Source, "/"):
		return srcNetwork
	case d.Format == "raw" || d.Format == "":
		return srcRaw
	}
	return srcSparse
}

// mib returns bytes in MiB for vmStorageSizeUnit 1048576, -1 if unknown.
func mibOrUnknown(b uint64) int {
	if b == 0 {
		return -1
	}
	return clamp32(b >> 20)
}

func vmStorageTable(vms []*vmRow) *mib.Table[storageRow] {
	var rows []storageRow
	for _, v := range vms {
		for i := range v.d.Disks {
			rows = append(rows, storageRow{v, i})
		}
	}
	disk := func(r storageRow) *backends.Disk { return &r.vm.d.Disks[r.n] }
	return mib.NewTable(oidVMStorageEntry, []mib.Column[storageRow]{
		{ID: 3, Type: gosnmp.Integer, Get: func(storageRow) any { return 0 }},
		{ID: 4, Type: gosnmp.Integer, Get: func(r storageRow) any { return sourceType(disk(r)) }},
		{ID: 5, Type: gosnmp.OctetString, Get: func(r storageRow) any { return strings.TrimSpace(disk(r).Format + " " + disk(r).Bus) }},
		{ID: 6, Type: gosnmp.OctetString, Get: func(r storageRow) any { return disk(r).Source }},
		{ID: 7, Type: gosnmp.Integer, Get: func(r storageRow) any { return 2 + boolInt(disk(r).ReadOnly) }},
		{ID: 8, Type: gosnmp.Integer, Get: func(r storageRow) any {
			if m, ok := mediaTypes[disk(r).Device]; ok {
				return m
			}
			return 1 // other
		}},
		{ID: 9, Type: gosnmp.OctetString, Get: func(r storageRow) any { return string(disk(r).Device) }},
		{ID: 10, Type: gosnmp.Integer, Get: func(storageRow) any { return 1 << 20 }},
		{ID: 11, Type: gosnmp.Integer, Get: func(r storageRow) any { return mibOrUnknown(disk(r).CapacityB) }},
		{ID: 12, Type: gosnmp.Integer, Get: func(r storageRow) any { return mibOrUnknown(disk(r).AllocationB) }},
		{ID: 13, Type: gosnmp.Counter64, Get: func(r storageRow) any { return disk(r).ReadRequests }},
		{ID: 14, Type: gosnmp.Counter64, Get: func(r storageRow) any { return disk(r).WriteReqs }},
		{ID: 15, Type: gosnmp.Counter64, Get: func(r storageRow) any { return disk(r).ReadBytes }},
		{ID: 16, Type: gosnmp.Counter64, Get: func(r storageRow) any { return disk(r).WriteBytes }},
		// 17, 18 (latencies): libvirt reports no queueing time; absent.
	}, rows, func(r storageRow) mib.OID { return mib.OID{uint32(r.vm.index), uint32(r.n + 1)} })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nicRow is one virtual network interface.
type nicRow struct {
	vm *vmRow
	n  int
}

func vmNetworkTable(vms []*vmRow, host *hostNet) *mib.Table[nicRow] {
	var rows []nicRow
	for _, v := range vms {
		for i := range v.d.NICs {
			rows = append(rows, nicRow{v, i})
		}
	}
	nic := func(r nicRow) *backends.NIC { return &r.vm.d.NICs[r.n] }
	return mib.NewTable(oidVMNetworkEntry, []mib.Column[nicRow]{
		{ID: 2, Type: gosnmp.Integer, Get: func(r nicRow) any { return host.ifIndex(nic(r).HostIface) }},
		{ID: 3, Type: gosnmp.Integer, Get: func(r nicRow) any { return host.ifIndex(nic(r).Bridge) }},
		{ID: 4, Type: gosnmp.OctetString, Get: func(r nicRow) any { return nic(r).Model }},
		{ID: 5, Type: gosnmp.OctetString, Get: func(r nicRow) any { return macOctets(nic(r).MAC) }},
	}, rows, func(r nicRow) mib.OID { return mib.OID{uint32(r.vm.index), uint32(r.n + 1)} })
}

// macOctets is PhysAddress: the MAC's six octets.
func macOctets(mac string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(mac, ":", ""))
	if err != nil {
		return []byte{}
	}
	return b
}
