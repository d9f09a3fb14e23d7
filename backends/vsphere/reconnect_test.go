package vsphere_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"
	gsession "github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/vsphere"
)

func stale(sn *inventory.Snapshot) bool { return sn.Stale }
func fresh(sn *inventory.Snapshot) bool { return !sn.Stale }

// TestSessionTerminated: vCenter ends the backend's session (as an
// administrator, or an idle timeout, would); the inventory is served stale
// until the backend has logged in again and resynchronised.
func TestSessionTerminated(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	key := vsphere.SessionKey(ctx, b)
	if key == "" {
		t.Fatal("no session key")
	}
	check(t, "terminate", gsession.NewManager(s.ref.Client).TerminateSession(ctx, []string{key}))
	c := awaitChange(t, sub, "stale", func(c inventory.Change) bool { return c.Kind == inventory.InventoryStale })
	if c.Cause.Kind != backends.EventConnectionLost || !strings.Contains(c.Cause.Detail, "NotAuthenticated") {
		t.Errorf("the loss came as %+v", c.Cause)
	}
	if inv.Snapshot().Len() != len(s.vms(t)) {
		t.Errorf("the stale snapshot lost its domains")
	}
	await(t, inv, sub, "fresh", fresh)
	if k := vsphere.SessionKey(ctx, b); k == "" || k == key {
		t.Errorf("session %q after the reconnect, was %q", k, key)
	}
	// The new session follows changes again.
	vm := s.vms(t)[0]
	task, err := object.NewVirtualMachine(s.ref.Client, vm.Self).PowerOff(ctx)
	check(t, "power off", err)
	check(t, "power off", task.Wait(ctx))
	await(t, inv, sub, "shut off", func(sn *inventory.Snapshot) bool { return domain(sn, vm.Name).State == backends.StateShutOff })
}

// TestSessionRefusedToAnOperation: an operation refused for want of a
// session starts the reconnect without waiting for the watcher.
func TestSessionRefusedToAnOperation(t *testing.T) {
	s := newSim(t, simulator.ESX())
	b := s.open(t, s.opts())
	inv, sub := follow(t, b)
	uuid := strings.ToLower(s.vms(t)[0].Config.InstanceUuid)
	s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{MethodName: "PowerOffVM_Task", ObjectType: "*", ObjectName: "*",
		Probability: 1, FaultType: simulator.FaultTypeNotAuthenticated, Message: "session expired", Enabled: true, MaxCount: 1})
	wantKind(t, "power off", b.Destroy(ctxT(t), uuid), backends.ErrNotConnected)
	await(t, inv, sub, "stale", stale)
	await(t, inv, sub, "fresh", fresh)
	check(t, "power off", b.Destroy(ctxT(t), uuid))
}

// proxy forwards TCP to the simulator until cut: then it drops every
// connection and refuses new ones, an endpoint gone from the network.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(t, "listen", err)
	p := &proxy{l: l, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestEndpointUnreachable: the network to vCenter fails and comes back.
// Meanwhile reads fail fast with ErrNotConnected, the inventory is stale,
// and what changed meanwhile is there after the resync.
func TestEndpointUnreachable(t *testing.T) {
	s := newSim(t, simulator.ESX())
	p := newProxy(t, s.addr)
	b, err := vsphere.Open(ctxT(t), "vsphere://"+p.l.Addr().String(), s.opts())
	check(t, "Open", err)
	t.Cleanup(func() { b.Close() })
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	p.cut()
	await(t, inv, sub, "stale", stale)
	_, err = b.Domains(ctx)
	wantKind(t, "Domains while cut off", err, backends.ErrNotConnected)
	vm := s.vms(t)[0]
	task, err := object.NewVirtualMachine(s.ref.Client, vm.Self).PowerOff(ctx)
	check(t, "power off", err)
	check(t, "power off", task.Wait(ctx))
	p.restore()
	await(t, inv, sub, "fresh", fresh)
	if d := domain(inv.Snapshot(), vm.Name); d.State != backends.StateShutOff {
		t.Errorf("after the resync %s is %s", vm.Name, d.State)
	}
}

// TestHostRemovedFromVCenter: the managed host leaves vCenter's
// inventory. The inventory goes stale, and the backend keeps looking for
// the host without failing anything else.
func TestHostRemovedFromVCenter(t *testing.T) {
	s := newSim(t, simulator.VPX())
	opts := s.opts()
	opts.Host = "DC0_H0"
	b := s.open(t, opts)
	inv, sub := follow(t, b)
	ctx := ctxT(t)
	for _, vm := range s.onHost(t, "DC0_H0") {
		o := object.NewVirtualMachine(s.ref.Client, vm.Self)
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			task, _ := o.PowerOff(ctx)
			check(t, "power off", task.Wait(ctx))
		}
		task, _ := o.Destroy(ctx)
		check(t, "destroy", task.Wait(ctx))
	}
	task, err := object.NewHostSystem(s.ref.Client, s.host(t, "DC0_H0").Self).Destroy(ctx)
	check(t, "remove host", err)
	check(t, "remove host", task.Wait(ctx))
	c := awaitChange(t, sub, "stale", func(c inventory.Change) bool { return c.Kind == inventory.InventoryStale })
	if !strings.Contains(c.Cause.Detail, "DC0_H0") {
		t.Errorf("the loss says %q", c.Cause.Detail)
	}
	if sn := inv.Snapshot(); !sn.Stale || sn.Host.Hostname != "DC0_H0" {
		t.Errorf("the last snapshot is not served stale: %v %q", sn.Stale, sn.Host.Hostname)
	}
	_, err = b.Host(ctx)
	wantKind(t, "Host", err, backends.ErrNotConnected)
}
