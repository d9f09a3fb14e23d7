package vmmib

import (
	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/snmp/mib"
)

// sysServices: applications (layer 7) and end-to-end (layer 4), RFC 3418.
const sysServices = 72

// orEntry is one sysORTable row: a MIB module the agent implements.
type orEntry struct {
	id    mib.OID
	descr string
}

// system is SNMPv2-MIB's system group (RFC 3418) with sysORTable listing
// what the agent serves.
func (b *Builder) system() []mib.Subtree {
	c := b.cfg
	ors := []orEntry{
		{oidVMMIB, "RFC 7666 VM-MIB: virtual machines of this hypervisor"},
		{c.Enterprise, "VIRTBRIDGE-MIB: VM control and agent state"},
		{mib.MustParse("1.3.6.1.6.3.1"), "RFC 3418 SNMPv2-MIB: system and snmp groups"},
		{mib.MustParse("1.3.6.1.6.3.10"), "RFC 3411 SNMP-FRAMEWORK-MIB: snmpEngine group"},
		{mib.MustParse("1.3.6.1.6.3.15"), "RFC 3414 SNMP-USER-BASED-SM-MIB: usmStats"},
		{oidIfMIB, "RFC 2863 IF-MIB: interfaces used by virtual machines"},
	}
	all := []mib.Scalar{
		{OID: oidSysDescr, Type: gosnmp.OctetString, Get: func() any { return c.SysDescr }},
		{OID: oidSysObjectID, Type: gosnmp.ObjectIdentifier, Get: func() any { return c.Enterprise.Append(arcProducts, 1).Dotted() }},
		{OID: oidSysUpTime, Type: gosnmp.TimeTicks, Get: func() any { return b.uptime() }},
		{OID: oidSysContact, Type: gosnmp.OctetString, Get: func() any { return c.SysContact }},
		{OID: oidSysName, Type: gosnmp.OctetString, Get: func() any { return c.SysName }},
		{OID: oidSysLocation, Type: gosnmp.OctetString, Get: func() any { return c.SysLocation }},
		{OID: oidSysServices, Type: gosnmp.Integer, Get: func() any { return sysServices }},
		{OID: oidSysORLast, Type: gosnmp.TimeTicks, Get: func() any { return uint32(0) }},
	}
	orTable := mib.NewTable(oidSysOREntry, []mib.Column[int]{
		{ID: 2, Type: gosnmp.ObjectIdentifier, Get: func(i int) any { return ors[i].id.Dotted() }},
		{ID: 3, Type: gosnmp.OctetString, Get: func(i int) any { return ors[i].descr }},
		{ID: 4, Type: gosnmp.TimeTicks, Get: func(int) any { return uint32(0) }},
	}, []int{0, 1, 2, 3, 4, 5}, func(i int) mib.OID { return mib.OID{uint32(i + 1)} })
	return append(mib.Each(all...), orTable)
}
