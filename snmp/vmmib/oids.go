// Package vmmib builds, from an inventory snapshot, the MIB the agent
// serves: SNMPv2-MIB system group, RFC 7666 VM-MIB, the IF-MIB rows VM-MIB
// points at, and VIRTBRIDGE-MIB (control and agent state); and turns
// inventory changes into VM-MIB notifications.
package vmmib

import "github.com/virtbridge/virtbridge/snmp/mib"

// OIDs of the modules served. Columns are arcs under the entries.
var (
	// SNMPv2-MIB (RFC 3418).
	oidSysDescr    = mib.MustParse("1.3.6.1.2.1.1.1")
	oidSysObjectID = mib.MustParse("1.3.6.1.2.1.1.2")
	oidSysUpTime   = mib.MustParse("1.3.6.1.2.1.1.3")
	oidSysContact  = mib.MustParse("1.3.6.1.2.1.1.4")
	oidSysName     = mib.MustParse("1.3.6.1.2.1.1.5")
	oidSysLocation = mib.MustParse("1.3.6.1.2.1.1.6")
	oidSysServices = mib.MustParse("1.3.6.1.2.1.1.7")
	oidSysORLast   = mib.MustParse("1.3.6.1.2.1.1.8")
	oidSysOREntry  = mib.MustParse("1.3.6.1.2.1.1.9.1")

	// IF-MIB (RFC 2863).
	oidIfNumber = mib.MustParse("1.3.6.1.2.1.2.1")
	oidIfEntry  = mib.MustParse("1.3.6.1.2.1.2.2.1")
	oidIfXEntry = mib.MustParse("1.3.6.1.2.1.31.1.1.1")
	oidIfMIB    = mib.MustParse("1.3.6.1.2.1.31")

	// VM-MIB (RFC 7666).
	oidVMMIB           = mib.MustParse("1.3.6.1.2.1.236")
	oidVMHypervisor    = mib.MustParse("1.3.6.1.2.1.236.1.1")
	oidVMNumber        = mib.MustParse("1.3.6.1.2.1.236.1.2")
	oidVMTableLast     = mib.MustParse("1.3.6.1.2.1.236.1.3")
	oidVMEntry         = mib.MustParse("1.3.6.1.2.1.236.1.4.1")
	oidVMCpuEntry      = mib.MustParse("1.3.6.1.2.1.236.1.5.1")
	oidVMAffEntry      = mib.MustParse("1.3.6.1.2.1.236.1.6.1")
	oidVMStorageEntry  = mib.MustParse("1.3.6.1.2.1.236.1.7.1")
	oidVMNetworkEntry  = mib.MustParse("1.3.6.1.2.1.236.1.8.1")
	oidVMPerVMNotif    = mib.MustParse("1.3.6.1.2.1.236.1.9")
	oidVMBulkNotif     = mib.MustParse("1.3.6.1.2.1.236.1.10")
	oidVMAffectedVMs   = mib.MustParse("1.3.6.1.2.1.236.1.11")
	oidVMNotifications = mib.MustParse("1.3.6.1.2.1.236.0")
)

// Arcs under the configurable enterprise root (VIRTBRIDGE-MIB, default
// 1.3.6.1.4.1.32473).
const (
	arcNotifications = 0
	arcObjects       = 1
	arcConformance   = 2
	arcProducts      = 3
	arcAgent         = 1 // under objects: scalars
	arcControl       = 2 // under objects: vbVmControlTable
)

// Column numbers of vmEntry (RFC 7666 §6).
const (
	colVMName = 2 + iota
	colVMUUID
	colVMOSType
	colVMAdminState
	colVMOperState
	colVMAutoStart
	colVMPersistent
	colVMCurCPU
	colVMMinCPU
	colVMMaxCPU
	colVMMemUnit
	colVMCurMem
	colVMMinMem
	colVMMaxMem
	colVMUpTime
	colVMCpuTime
)
