package vmmib

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/snmp/mib"
)

// hostNet is what the host says about the network interfaces VMs use:
// read from sysfs once per snapshot, never per request.
type hostNet struct {
	count  int // ifNumber: every interface on the host
	byName map[string]*hostIface
}

type hostIface struct {
	name                         string
	index, mtu, typ, oper, admin int
	speedMbps                    uint64
	mac                          []byte
	rxBytes, rxPkts, rxErr, rxDrop,
	txBytes, txPkts, txErr, txDrop uint64
}

// ifOperStatus values (RFC 2863) by sysfs operstate.
var operStatus = map[string]int{
	"up": 1, "down": 2, "testing": 3, "unknown": 4, "dormant": 5, "notpresent": 6, "lowerlayerdown": 7,
}

// IANAifType values for the kinds a hypervisor host has.
const (
	ifTypeOther       = 1
	ifTypeEthernet    = 6
	ifTypeLoopback    = 24
	ifTypePropVirtual = 53
	ifTypeBridge      = 209
)

// hostIfaces reads the interfaces the VMs name (their taps and the
// bridges or devices they hang off) from dir, normally /sys/class/net.
func hostIfaces(dir string, vms []*vmRow) *hostNet {
	h := &hostNet{byName: map[string]*hostIface{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return h
	}
	h.count = len(entries)
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		present[e.Name()] = true
	}
	for _, v := range vms {
		for _, n := range v.d.NICs {
			for _, name := range []string{n.HostIface, n.Bridge} {
				if name != "" && present[name] && h.byName[name] == nil {
					if i := readIface(filepath.Join(dir, name), name); i != nil {
						h.byName[name] = i
					}
				}
			}
		}
	}
	return h
}

func readIface(dir, name string) *hostIface {
	num := func(file string) uint64 {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return 0
		}
		v, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 0, 64)
		return uint64(max(v, 0))
	}
	index := num("ifindex")
	if index == 0 {
		return nil
	}
	i := &hostIface{name: name, index: int(index), mtu: int(num("mtu")), speedMbps: num("speed")}
	if b, err := os.ReadFile(filepath.Join(dir, "address")); err == nil {
		i.mac = macOctets(strings.TrimSpace(string(b)))
	}
	i.oper = 4
	if b, err := os.ReadFile(filepath.Join(dir, "operstate")); err == nil {
		if v, ok := operStatus[strings.TrimSpace(string(b))]; ok {
			i.oper = v
		}
	}
	i.admin = 2
	if num("flags")&1 != 0 { // IFF_UP
		i.admin = 1
	}
	switch {
	case exists(filepath.Join(dir, "bridge")):
		i.typ = ifTypeBridge
	case exists(filepath.Join(dir, "tun_flags")):
		i.typ = ifTypePropVirtual
	case num("type") == 772: // ARPHRD_LOOPBACK
		i.typ = ifTypeLoopback
	case num("type") == 1: // ARPHRD_ETHER
		i.typ = ifTypeEthernet
	default:
		i.typ = ifTypeOther
	}
	s := filepath.Join("statistics")
	i.rxBytes, i.rxPkts = num(filepath.Join(s, "rx_bytes")), num(filepath.Join(s, "rx_packets"))
	i.rxErr, i.rxDrop = num(filepath.Join(s, "rx_errors")), num(filepath.Join(s, "rx_dropped"))
	i.txBytes, i.txPkts = num(filepath.Join(s, "tx_bytes")), num(filepath.Join(s, "tx_packets"))
	i.txErr, i.txDrop = num(filepath.Join(s, "tx_errors")), num(filepath.Join(s, "tx_dropped"))
	return i
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ifIndex is the interface's ifIndex, or 0 when the host has no such
// interface (InterfaceIndexOrZero).
func (h *hostNet) ifIndex(name string) int {
	if i := h.byName[name]; i != nil {
		return i.index
	}
	return 0
}

// subtrees are ifNumber, and the ifTable and ifXTable rows of the
// interfaces VMs name.
func (h *hostNet) subtrees() []mib.Subtree {
	rows := make([]*hostIface, 0, len(h.byName))
	for _, i := range h.byName {
		rows = append(rows, i)
	}
	idx := func(i *hostIface) mib.OID { return mib.OID{uint32(i.index)} }
	c32 := func(v uint64) uint32 { return uint32(v) } // Counter32 wraps
	ifTable := mib.NewTable(oidIfEntry, []mib.Column[*hostIface]{
		{ID: 1, Type: gosnmp.Integer, Get: func(i *hostIface) any { return i.index }},
		{ID: 2, Type: gosnmp.OctetString, Get: func(i *hostIface) any { return i.name }},
		{ID: 3, Type: gosnmp.Integer, Get: func(i *hostIface) any { return i.typ }},
		{ID: 4, Type: gosnmp.Integer, Get: func(i *hostIface) any { return i.mtu }},
		{ID: 5, Type: gosnmp.Gauge32, Get: func(i *hostIface) any { return uint32(min(i.speedMbps*1e6, 1<<32-1)) }},
		{ID: 6, Type: gosnmp.OctetString, Get: func(i *hostIface) any { return i.mac }},
		{ID: 7, Type: gosnmp.Integer, Get: func(i *hostIface) any { return i.admin }},
		{ID: 8, Type: gosnmp.Integer, Get: func(i *hostIface) any { return i.oper }},
		{ID: 9, Type: gosnmp.TimeTicks, Get: func(*hostIface) any { return uint32(0) }},
		{ID: 10, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.rxBytes) }},
		{ID: 11, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.rxPkts) }},
		{ID: 13, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.rxDrop) }},
		{ID: 14, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.rxErr) }},
		{ID: 15, Type: gosnmp.Counter32, Get: func(*hostIface) any { return uint32(0) }},
		{ID: 16, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.txBytes) }},
		{ID: 17, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.txPkts) }},
		{ID: 19, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.txDrop) }},
		{ID: 20, Type: gosnmp.Counter32, Get: func(i *hostIface) any { return c32(i.txErr) }},
	}, rows, idx)
	ifXTable := mib.NewTable(oidIfXEntry, []mib.Column[*hostIface]{
		{ID: 1, Type: gosnmp.OctetString, Get: func(i *hostIface) any { return i.name }},
		{ID: 6, Type: gosnmp.Counter64, Get: func(i *hostIface) any { return i.rxBytes }},
		{ID: 7, Type: gosnmp.Counter64, Get: func(i *hostIface) any { return i.rxPkts }},
		{ID: 10, Type: gosnmp.Counter64, Get: func(i *hostIface) any { return i.txBytes }},
		{ID: 11, Type: gosnmp.Counter64, Get: func(i *hostIface) any { return i.txPkts }},
		{ID: 15, Type: gosnmp.Gauge32, Get: func(i *hostIface) any { return uint32(min(i.speedMbps, 1<<32-1)) }},
	}, rows, idx)
	count := h.count
	ifNumber := mib.NewScalars(oidIfNumber, mib.Scalar{OID: oidIfNumber, Type: gosnmp.Integer, Get: func() any { return count }})
	return []mib.Subtree{ifNumber, ifTable, ifXTable}
}
