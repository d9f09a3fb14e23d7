package vsphere

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// hostProps are what Host reads of the managed host.
var hostProps = []string{"summary.hardware", "summary.quickStats", "summary.config", "runtime.bootTime", "datastore"}

// Host describes the managed ESXi host, its datastores as storage pools
// and its port groups as networks.
func (b *Backend) Host(ctx context.Context) (backends.Host, error) {
	const op = "read host"
	s, err := b.session(op)
	if err != nil {
		return backends.Host{}, err
	}
	pc := property.DefaultCollector(s.vc)
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, s.host, hostProps, &h); err != nil {
		return backends.Host{}, b.fail(s, op, s.hostName, err)
	}
	out := hostOf(&h, s.vc.ServiceContent.About)
	if out.Hostname == "" {
		out.Hostname = s.hostName
	}
	if out.StoragePools, err = readDatastores(ctx, pc, h.Datastore); err != nil {
		return backends.Host{}, b.fail(s, op, s.hostName, err)
	}
	nets, err := s.networks(ctx)
	if err != nil {
		return backends.Host{}, b.fail(s, op, s.hostName, err)
	}
	out.Networks = append([]backends.Network{}, nets.list...)
	return out, nil
}

// hostOf maps the host's summary. The library version is the vSphere API
// version the endpoint (ESXi or vCenter) speaks.
func hostOf(h *mo.HostSystem, about types.AboutInfo) backends.Host {
	// VMware's block for manually assigned MACs (vSphere Networking,
	// "MAC Address Assignment"): 00:50:56:00:00:00 – 00:50:56:3F:FF:FF.
	out := backends.Host{ManualMACs: backends.MACRange{First: "00:50:56:00:00:00", Last: "00:50:56:3f:ff:ff"}}
	out.LibraryVersion = about.ApiVersion
	out.HypervisorType = "VMware ESXi"
	if p := h.Summary.Config.Product; p != nil {
		out.HypervisorType, out.HypervisorVersion = p.Name, p.Version
	}
	out.Hostname = h.Summary.Config.Name
	if hw := h.Summary.Hardware; hw != nil {
		out.UUID = strings.ToLower(hw.Uuid)
		out.CPUModel = hw.CpuModel
		out.CPUMHz = int(hw.CpuMhz)
		out.CPUSockets = int(hw.NumCpuPkgs)
		out.CPUs = int(hw.NumCpuThreads)
		if hw.NumCpuPkgs > 0 {
			out.CPUCores = int(hw.NumCpuCores) / int(hw.NumCpuPkgs)
		}
		if hw.NumCpuCores > 0 {
			out.CPUThreads = int(hw.NumCpuThreads) / int(hw.NumCpuCores)
		}
		out.MemoryTotalKiB = uint64(max(hw.MemorySize, 0)) / 1024
		used := uint64(max(h.Summary.QuickStats.OverallMemoryUsage, 0)) * 1024 // MiB
		out.MemoryFreeKiB = out.MemoryTotalKiB - min(used, out.MemoryTotalKiB)
	}
	if h.Runtime.BootTime != nil {
		out.BootTime = *h.Runtime.BootTime
	}
	return out
}

// readDatastores maps the host's datastores, sorted by name.
func readDatastores(ctx context.Context, pc *property.Collector, refs []types.ManagedObjectReference) ([]backends.StoragePool, error) {
	out := []backends.StoragePool{}
	if len(refs) == 0 {
		return out, nil
	}
	var dss []mo.Datastore
	if err := pc.Retrieve(ctx, refs, []string{"summary"}, &dss); err != nil {
		return nil, err
	}
	for _, ds := range dss {
		out = append(out, poolOf(ds.Summary))
	}
	slices.SortStableFunc(out, func(a, b backends.StoragePool) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// poolOf maps a datastore: its type in lower case ("vmfs", "nfs",
// "nfs41", "vsan", "vvol"), its mount path, and the volume ID as UUID.
func poolOf(s types.DatastoreSummary) backends.StoragePool {
	p := backends.StoragePool{
		Name: s.Name, Type: strings.ToLower(s.Type), Active: s.Accessible, Autostart: true,
		CapacityB: uint64(max(s.Capacity, 0)), AvailableB: uint64(max(s.FreeSpace, 0)),
	}
	p.AllocationB = p.CapacityB - min(p.AvailableB, p.CapacityB)
	p.Path = s.Url
	if u, err := url.Parse(s.Url); err == nil && u.Scheme == "ds" {
		p.Path = strings.TrimRight(u.Path, "/")
	}
	if id, ok := strings.CutPrefix(p.Path, "/vmfs/volumes/"); ok && !strings.Contains(id, "/") {
		p.UUID = id
	}
	return p
}
