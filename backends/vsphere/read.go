package vsphere

import (
	"context"
	"errors"
	"slices"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// Domains lists every VM on the host (templates are no VMs to run): one
// bulk read of the container view, one of the host's autostart list.
func (b *Backend) Domains(ctx context.Context) ([]backends.Domain, error) {
	const op = "list domains"
	s, err := b.session(op)
	if err != nil {
		return nil, err
	}
	hc, err := b.hostCtx(ctx, s)
	if err != nil {
		return nil, b.fail(s, op, "", err)
	}
	var vms []mo.VirtualMachine
	if err := s.view.Retrieve(ctx, []string{"VirtualMachine"}, vmProps, &vms); err != nil {
		return nil, b.fail(s, op, "", err)
	}
	out := make([]backends.Domain, 0, len(vms))
	for i := range vms {
		if onHost(&vms[i], s.host) {
			out = append(out, domainOf(&vms[i], hc))
		}
	}
	return out, nil
}

// onHost reports whether vm belongs in the host's inventory.
func onHost(vm *mo.VirtualMachine, host types.ManagedObjectReference) bool {
	return vm.Config != nil && vm.Config.InstanceUuid != "" && !vm.Config.Template &&
		vm.Runtime.Host != nil && *vm.Runtime.Host == host
}

// Domain reads one VM by instance UUID.
func (b *Backend) Domain(ctx context.Context, uuid string) (backends.Domain, error) {
	const op = "read domain"
	s, err := b.session(op)
	if err != nil {
		return backends.Domain{}, err
	}
	vm, err := b.readVM(ctx, s, op, uuid, vmProps)
	if err != nil {
		return backends.Domain{}, err
	}
	hc, err := b.hostCtx(ctx, s)
	if err != nil {
		return backends.Domain{}, b.fail(s, op, vm.Name, err)
	}
	return domainOf(vm, hc), nil
}

// readVM finds a VM of the host by instance UUID and reads props of it
// (with those onHost needs); ErrNotFound when it is gone or elsewhere.
func (b *Backend) readVM(ctx context.Context, s *session, op, uuid string, props []string) (*mo.VirtualMachine, error) {
	ref, err := s.lookup(ctx, uuid)
	if errors.Is(err, errNoVM) {
		return nil, &backends.Error{Op: op, Target: uuid, Kind: backends.ErrNotFound, Err: err}
	}
	if err != nil {
		return nil, b.fail(s, op, uuid, err)
	}
	var vm mo.VirtualMachine
	all := slices.Clone(props)
	for _, p := range []string{"name", "config.instanceUuid", "config.template", "runtime.host", "runtime.powerState"} {
		if !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	err = property.DefaultCollector(s.vc).RetrieveOne(ctx, ref, all, &vm)
	if err != nil {
		err = b.fail(s, op, uuid, err)
		if errors.Is(err, backends.ErrNotFound) {
			s.forget(uuid)
		}
		return nil, err
	}
	if !onHost(&vm, s.host) {
		return nil, backends.Errorf(op, uuid, backends.ErrNotFound, "the VM is not on host %s (a template, or moved)", s.hostName)
	}
	return &vm, nil
}

// hostCtx reads what mapping VMs needs of the host.
func (b *Backend) hostCtx(ctx context.Context, s *session) (hostCtx, error) {
	var h mo.HostSystem
	props := []string{"config.autoStart", "hardware.cpuInfo.numCpuThreads", "hardware.memorySize"}
	if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, s.host, props, &h); err != nil {
		return hostCtx{}, err
	}
	nets, err := s.networks(ctx)
	if err != nil {
		return hostCtx{}, err
	}
	var as *types.HostAutoStartManagerConfig
	if h.Config != nil {
		as = h.Config.AutoStart
	}
	hc := hostCtx{autostart: autostartSet(as), nets: nets}
	if hw := h.Hardware; hw != nil {
		hc.cpus, hc.memKiB = int(hw.CpuInfo.NumCpuThreads), uint64(max(hw.MemorySize, 0))/1024
	}
	return hc, nil
}

// Counters has nothing to refresh: vSphere keeps no cumulative CPU time
// or traffic counters on its objects (the performance manager has 20 s
// samples, not totals), so the model's counters stay zero.
func (b *Backend) Counters(context.Context) (map[string]backends.Counters, error) {
	if _, err := b.session("read counters"); err != nil {
		return nil, err
	}
	return map[string]backends.Counters{}, nil
}
