package libvirt

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// Host describes the hypervisor host.
func (b *Backend) Host(ctx context.Context) (backends.Host, error) {
	const op = "read host"
	// libvirt gives QEMU guests addresses in 52:54:00 and takes any.
	h := backends.Host{ManualMACs: backends.MACRange{First: "52:54:00:00:00:00", Last: "52:54:00:ff:ff:ff"}}
	c, err := b.connection(op)
	if err != nil {
		return h, err
	}
	if h.Hostname, err = c.GetHostname(); err != nil {
		return h, wrap(op, "", err)
	}
	if h.HypervisorType, err = c.GetType(); err != nil {
		return h, wrap(op, "", err)
	}
	if v, err := c.GetVersion(); err == nil {
		h.HypervisorVersion = dotted(uint64(v))
	}
	if v, err := c.GetLibVersion(); err == nil {
		h.LibraryVersion = dotted(uint64(v))
	}
	ni, err := c.GetNodeInfo()
	if err != nil {
		return h, wrap(op, "", err)
	}
	h.CPUModel, h.CPUMHz, h.CPUs = ni.Model, int(ni.MHz), int(ni.Cpus)
	h.CPUSockets = int(ni.Nodes * ni.Sockets)
	h.CPUCores, h.CPUThreads = int(ni.Cores), int(ni.Threads)
	h.MemoryTotalKiB = ni.Memory
	if free, err := c.GetFreeMemory(); err == nil {
		h.MemoryFreeKiB = free / 1024
	}
	h.UUID = hostUUID(c)
	if h.StoragePools, err = b.pools(c); err != nil {
		return h, err
	}
	if h.Networks, err = b.networks(c); err != nil {
		return h, err
	}
	// /proc describes this machine: only a local, real hypervisor's host
	// (the test driver's is fictional).
	if local(b.uri) && h.HypervisorType != "TEST" {
		h.BootTime = bootTime()
	}
	return h, nil
}

// hostUUID prefers the capabilities' host UUID and falls back to SMBIOS.
func hostUUID(c *lv.Connect) string {
	if doc, err := c.GetCapabilities(); err == nil {
		var caps libvirtxml.Caps
		if caps.Unmarshal(doc) == nil && caps.Host.UUID != "" {
			return strings.ToLower(caps.Host.UUID)
		}
	}
	if doc, err := c.GetSysinfo(0); err == nil {
		var si struct {
			Entries []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:",chardata"`
			} `xml:"system>entry"`
		}
		if xml.Unmarshal([]byte(doc), &si) == nil {
			for _, e := range si.Entries {
				if e.Name == "uuid" {
					return strings.ToLower(strings.TrimSpace(e.Value))
				}
			}
		}
	}
	return ""
}

// dotted renders libvirt's major*1e6+minor*1e3+micro version numbers.
func dotted(v uint64) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// local reports whether the URI names this machine, so /proc describes
// the hypervisor host.
func local(uri string) bool {
	if uri == "" {
		return true
	}
	i := strings.Index(uri, "://")
	if i < 0 {
		return true
	}
	rest := uri[i+3:]
	return strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "localhost/")
}

// bootTime reads the kernel's boot time; zero when unavailable.
func bootTime() time.Time {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(s, 0).UTC()
			}
		}
	}
	return time.Time{}
}
