// Package vspheretest runs govmomi's in-process vCenter / ESXi simulator
// over HTTPS for tests, benchmarks and demos (cmd/vbsim), with a chosen
// number of VMs on one host, and reads it back through govmomi's own
// client: the truth a vSphere-backed agent's answers are checked against,
// as virsh is for libvirt.
package vspheretest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// Defaults of Options.
const (
	DefaultUser     = "vbuser"
	DefaultPassword = "vb-secret"
	// VPXHost is the host a VPX simulator's VMs are counted on: the
	// datacenter's standalone host (the cluster's three hosts hold VMs of
	// their own, which an agent managing VPXHost must leave out).
	VPXHost = "DC0_H0"
	// MaxVMs bounds Options.VMs: the simulator creates VMs one task at a
	// time (thousands take minutes under the race detector).
	MaxVMs = 10000
	// callTimeout bounds every call of the reference client.
	callTimeout = 30 * time.Second
)

// Model names for Options.Model.
const (
	ModelESX = "esx" // one ESXi host, reached directly
	ModelVPX = "vpx" // a vCenter with a standalone host and a three-host cluster
)

// Options says what to simulate. The zero value is an ESXi host with the
// simulator's two powered-on VMs on 127.0.0.1, a free port.
type Options struct {
	Model string // ModelESX ("" too) or ModelVPX
	// VMs is the number of VMs on the managed host (Sim.Host), 1..MaxVMs;
	// 0 means the simulator's default, 2. A VPX simulator's cluster gets as
	// many, spread over its hosts.
	VMs int
	// Mixed gives the managed host's VMs mixed power states and sizes: in
	// name order, VM i is powered on, powered off or suspended as i%3 is
	// 0, 1 or 2, with 1+i%k vCPUs (k the host's logical CPUs, at most 4)
	// and 256<<(i%4) MiB of memory; a VPX simulator's cluster VMs stay
	// powered off. Without it every VM is powered on, with the simulator's
	// 1 vCPU and 32 MiB.
	Mixed bool
	// Listen is the TCP address to serve on; "" means 127.0.0.1 on a port
	// the system picks.
	Listen         string
	User, Password string // "" means DefaultUser / DefaultPassword
}

// Sim is a running simulator and a logged-in reference client.
type Sim struct {
	Model  *simulator.Model
	Server *simulator.Server
	// Client is govmomi's own session with the simulator, logged in as
	// User: the reference reading.
	Client         *govmomi.Client
	Addr           string // HOST:PORT the simulator serves HTTPS on
	User, Password string
	Thumbprint     string // SHA-256 of its certificate, as vSphere prints it
	// Host is the inventory name of the managed host, whose VMs Options
	// counted; an agent's vsphere.host (needed through vCenter only).
	Host  string
	IsVPX bool

	hostRef   types.ManagedObjectReference // Host's, set once at start
	closeOnce sync.Once
}

// Start creates and serves a simulator. Close stops it.
func Start(ctx context.Context, o Options) (*Sim, error) {
	var model *simulator.Model
	switch strings.ToLower(o.Model) {
	case "", ModelESX:
		model = simulator.ESX()
	case ModelVPX:
		model = simulator.VPX()
	default:
		return nil, fmt.Errorf("vspheretest: model %q: want %s or %s", o.Model, ModelESX, ModelVPX)
	}
	if o.VMs < 0 || o.VMs > MaxVMs {
		return nil, fmt.Errorf("vspheretest: %d VMs: want 0..%d", o.VMs, MaxVMs)
	}
	if o.VMs > 0 {
		model.Machine = o.VMs
	}
	// Mixed sizes are set while the VMs are off.
	model.Autostart = !o.Mixed
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	// The simulator panics when it cannot listen: try a fixed address
	// first, for a clear error (newServer catches the rare loss of the
	// race for it that may follow).
	if _, port, err := net.SplitHostPort(listen); err != nil {
		return nil, fmt.Errorf("vspheretest: listen address %q: %w", listen, err)
	} else if port != "0" {
		l, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("vspheretest: %w", err)
		}
		_ = l.Close()
	}

	if err := model.Create(); err != nil {
		return nil, fmt.Errorf("vspheretest: creating the %s model: %w", o.Model, err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.Listen = &url.URL{Host: listen, User: url.UserPassword(o.User, o.Password)}
	srv, err := newServer(model)
	if err != nil {
		model.Remove()
		return nil, err
	}
	s := &Sim{Model: model, Server: srv, Addr: srv.URL.Host, User: o.User, Password: o.Password,
		Thumbprint: vsphere.ThumbprintSHA256(srv.Certificate()), IsVPX: model.ServiceContent.About.ApiType == "VirtualCenter"}
	if err := s.setUp(ctx, o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// setUp logs the reference client in, finds the managed host and sets
// the power states.
func (s *Sim) setUp(ctx context.Context, o Options) error {
	u := *s.Server.URL
	u.User = url.UserPassword(o.User, o.Password)
	cctx, cancel := ctxOf(ctx)
	defer cancel()
	var err error
	if s.Client, err = govmomi.NewClient(cctx, &u, true); err != nil {
		return fmt.Errorf("vspheretest: logging in to the simulator: %w", err)
	}
	hosts, err := s.hosts(cctx)
	if err != nil {
		return err
	}
	switch {
	case s.IsVPX:
		s.Host = VPXHost
	case len(hosts) == 1:
		s.Host = hosts[0].Name
	default:
		return fmt.Errorf("vspheretest: the ESX model has %d hosts", len(hosts))
	}
	i := slices.IndexFunc(hosts, func(h mo.HostSystem) bool { return h.Name == s.Host })
	if i < 0 {
		return fmt.Errorf("vspheretest: no host %q in the %s model", s.Host, o.Model)
	}
	s.hostRef = hosts[i].Self
	if o.Mixed {
		return s.mix(ctx)
	}
	return nil
}

// newServer serves the model, turning the simulator's panic on a failed
// listen (the address taken since Start tried it) into an error.
func newServer(model *simulator.Model) (srv *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vspheretest: serving the simulator: %v", r)
		}
	}()
	return model.Service.NewServer(), nil
}

// New starts a simulator for a test and closes it when the test ends; a
// failure to start fails the test.
func New(t testing.TB, o Options) *Sim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close logs the reference client out and stops the simulator.
// Idempotent.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		if s.Client != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.Client.Logout(ctx)
			cancel()
		}
		s.Server.Close()
		s.Model.Remove()
	})
}

// BackendOptions log backends/vsphere in to the simulator, quick to see
// updates.
func (s *Sim) BackendOptions() vsphere.Options {
	return vsphere.Options{User: s.User, Password: s.Password, Thumbprint: s.Thumbprint, UpdateWait: time.Second, CallTimeout: 20 * time.Second}
}

// URL is the agent's connect URL for the simulator.
func (s *Sim) URL() string { return "vsphere://" + s.Addr }

// SDKURL is the URL govc and PowerCLI use.
func (s *Sim) SDKURL() string { return "https://" + s.Addr + "/sdk" }

// ConfigYAML is the top-level configuration that points an agent at the
// simulator: connect and the vsphere section, the certificate pinned by
// its thumbprint. Through vCenter it names the managed host.
func (s *Sim) ConfigYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connect: %q\nvsphere:\n  user: %q\n  password: %q\n  thumbprint: %q\n", s.URL(), s.User, s.Password, s.Thumbprint)
	if s.IsVPX {
		fmt.Fprintf(&b, "  host: %q\n", s.Host)
	}
	return b.String()
}

// ---- the reference reading

// VM is one virtual machine as govmomi reads it.
type VM struct {
	Self       types.ManagedObjectReference
	Name       string
	UUID       string // config.instanceUuid, lower case: the agent's VM UUID
	BIOSUUID   string // config.uuid, lower case
	PowerState types.VirtualMachinePowerState
	GuestID    string
	NumCPU     int
	MemoryMB   int
	Annotation string
	Drives     []Drive // virtual disks, CD-ROMs and floppy drives, in device order
	NICs       []NIC
	Snapshots  []string // names, depth first
	Tools      string   // guest.toolsRunningStatus
	// CurrentSnapshot names the snapshot the VM runs from
	// (snapshot.currentSnapshot); "" with none.
	CurrentSnapshot string
	// VMX is the datastore path of the VM's configuration file
	// (config.files.vmPathName), "[ds] dir/name.vmx".
	VMX string
}

// Drive is a virtual disk, CD-ROM or floppy drive.
type Drive struct {
	Kind      string // "disk", "cdrom" or "floppy"
	Source    string // the backing file ("[ds] dir/file.vmdk"), or host device; "" for none
	CapacityB int64  // disks only
}

// NIC is a virtual network adapter.
type NIC struct {
	MAC     string // lower case
	Network string // the port group's name
}

// HostInfo is the managed host as govmomi reads it.
type HostInfo struct {
	Name              string
	Product, Version  string // summary.config.product: "VMware ESXi", "8.0.3"
	CPUThreads        int
	MemoryBytes       int64
	Datastores        []string // names, sorted
	Networks          []string // names, sorted
	PoweredOnVMs, VMs int
}

// ctxOf bounds one reference call.
func ctxOf(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, callTimeout)
}

// retrieve reads every object of kind through a container view.
func (s *Sim) retrieve(ctx context.Context, kind string, props []string, dst any) error {
	v, err := view.NewManager(s.Client.Client).CreateContainerView(ctx, s.Client.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		return fmt.Errorf("vspheretest: container view of %s: %w", kind, err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	if err := v.Retrieve(ctx, []string{kind}, props, dst); err != nil {
		return fmt.Errorf("vspheretest: reading %s: %w", kind, err)
	}
	return nil
}

func (s *Sim) hosts(ctx context.Context) ([]mo.HostSystem, error) {
	var hosts []mo.HostSystem
	err := s.retrieve(ctx, "HostSystem", []string{"name", "summary", "datastore", "network", "vm"}, &hosts)
	return hosts, err
}

func (s *Sim) managedHost(ctx context.Context) (mo.HostSystem, error) {
	var h mo.HostSystem
	if err := s.Client.RetrieveOne(ctx, s.hostRef, []string{"name", "summary", "datastore", "network"}, &h); err != nil {
		return h, fmt.Errorf("vspheretest: reading host %s: %w", s.Host, err)
	}
	return h, nil
}

// HostInfo reads the managed host, its datastores and networks.
func (s *Sim) HostInfo(ctx context.Context) (HostInfo, error) {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	h, err := s.managedHost(ctx)
	if err != nil {
		return HostInfo{}, err
	}
	info := HostInfo{Name: h.Name}
	if p := h.Summary.Config.Product; p != nil {
		info.Product, info.Version = p.Name, p.Version
	}
	if hw := h.Summary.Hardware; hw != nil {
		info.CPUThreads, info.MemoryBytes = int(hw.NumCpuThreads), hw.MemorySize
	}
	pc := property.DefaultCollector(s.Client.Client)
	if info.Datastores, err = names(ctx, pc, h.Datastore); err != nil {
		return info, err
	}
	if info.Networks, err = names(ctx, pc, h.Network); err != nil {
		return info, err
	}
	vms, err := s.VMs(ctx)
	if err != nil {
		return info, err
	}
	info.VMs = len(vms)
	for _, vm := range vms {
		if vm.PowerState == types.VirtualMachinePowerStatePoweredOn {
			info.PoweredOnVMs++
		}
	}
	return info, nil
}

// names reads the name of each object, sorted.
func names(ctx context.Context, pc *property.Collector, refs []types.ManagedObjectReference) ([]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	var ents []types.ObjectContent
	if err := pc.Retrieve(ctx, refs, []string{"name"}, &ents); err != nil {
		return nil, fmt.Errorf("vspheretest: reading names: %w", err)
	}
	var out []string
	for _, e := range ents {
		for _, p := range e.PropSet {
			if n, ok := p.Val.(string); ok && p.Name == "name" {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// vmProps are the properties VMs reads.
var vmProps = []string{"name", "config.instanceUuid", "config.uuid", "config.template", "config.guestId", "config.annotation",
	"config.hardware", "config.files", "runtime.host", "runtime.powerState", "snapshot", "guest.toolsRunningStatus"}

// VMs reads the VMs on the managed host, templates aside, sorted by name.
func (s *Sim) VMs(ctx context.Context) ([]VM, error) {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	var mos []mo.VirtualMachine
	if err := s.retrieve(ctx, "VirtualMachine", vmProps, &mos); err != nil {
		return nil, err
	}
	pgName, err := s.portgroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []VM
	for _, m := range mos {
		if s.onHost(&m) {
			out = append(out, vmOf(&m, pgName))
		}
	}
	slices.SortFunc(out, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// onHost says whether m is a VM (not a template) on the managed host.
func (s *Sim) onHost(m *mo.VirtualMachine) bool {
	return m.Runtime.Host != nil && *m.Runtime.Host == s.hostRef && m.Config != nil && !m.Config.Template
}

// portgroups names the distributed port groups by key (none on ESX).
func (s *Sim) portgroups(ctx context.Context) (map[string]string, error) {
	names := map[string]string{}
	if !s.IsVPX {
		return names, nil
	}
	var pgs []mo.DistributedVirtualPortgroup
	if err := s.retrieve(ctx, "DistributedVirtualPortgroup", []string{"name", "key"}, &pgs); err != nil {
		return nil, err
	}
	for _, pg := range pgs {
		names[pg.Key] = pg.Name
	}
	return names, nil
}

func vmOf(m *mo.VirtualMachine, pgName map[string]string) VM {
	c := m.Config
	vm := VM{Self: m.Self, Name: m.Name, UUID: strings.ToLower(c.InstanceUuid), BIOSUUID: strings.ToLower(c.Uuid),
		PowerState: m.Runtime.PowerState, GuestID: c.GuestId, NumCPU: int(c.Hardware.NumCPU), MemoryMB: int(c.Hardware.MemoryMB),
		Annotation: c.Annotation}
	if m.Guest != nil {
		vm.Tools = m.Guest.ToolsRunningStatus
	}
	for _, d := range c.Hardware.Device {
		var dr Drive
		switch x := d.(type) {
		case *types.VirtualDisk:
			dr = Drive{Kind: "disk", CapacityB: max(x.CapacityInBytes, x.CapacityInKB*1024)}
		case *types.VirtualCdrom:
			dr.Kind = "cdrom"
		case *types.VirtualFloppy:
			dr.Kind = "floppy"
		case types.BaseVirtualEthernetCard:
			card := x.GetVirtualEthernetCard()
			n := NIC{MAC: strings.ToLower(card.MacAddress)}
			switch b := card.Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				n.Network = b.DeviceName
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				n.Network = pgName[b.Port.PortgroupKey]
			}
			vm.NICs = append(vm.NICs, n)
			continue
		default:
			continue
		}
		switch b := d.GetVirtualDevice().Backing.(type) {
		case types.BaseVirtualDeviceFileBackingInfo:
			dr.Source = b.GetVirtualDeviceFileBackingInfo().FileName
		case types.BaseVirtualDeviceDeviceBackingInfo:
			dr.Source = b.GetVirtualDeviceDeviceBackingInfo().DeviceName
		}
		vm.Drives = append(vm.Drives, dr)
	}
	vm.VMX = c.Files.VmPathName
	if m.Snapshot != nil {
		var walk func([]types.VirtualMachineSnapshotTree)
		walk = func(ts []types.VirtualMachineSnapshotTree) {
			for _, t := range ts {
				vm.Snapshots = append(vm.Snapshots, t.Name)
				if cur := m.Snapshot.CurrentSnapshot; cur != nil && *cur == t.Snapshot {
					vm.CurrentSnapshot = t.Name
				}
				walk(t.ChildSnapshotList)
			}
		}
		walk(m.Snapshot.RootSnapshotList)
	}
	return vm
}

// VM reads one VM of the managed host by instance UUID.
func (s *Sim) VM(ctx context.Context, uuid string) (VM, error) {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	ref, err := s.ref(ctx, uuid)
	if err != nil {
		return VM{}, err
	}
	var m mo.VirtualMachine
	if err := s.Client.RetrieveOne(ctx, ref, vmProps, &m); err != nil {
		return VM{}, fmt.Errorf("vspheretest: reading VM %s: %w", uuid, err)
	}
	if !s.onHost(&m) {
		return VM{}, fmt.Errorf("vspheretest: VM %s (%s) is not on %s", uuid, m.Name, s.Host)
	}
	pgName, err := s.portgroups(ctx)
	if err != nil {
		return VM{}, err
	}
	return vmOf(&m, pgName), nil
}

// FileExists says whether a file, given by its datastore path
// ("[ds] dir/file"), is on one of the simulator's datastores, as the
// host's datastore browser finds it.
func (s *Sim) FileExists(ctx context.Context, file string) (bool, error) {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	var p object.DatastorePath
	if !p.FromString(file) || p.Path == "" {
		return false, fmt.Errorf("vspheretest: %q is not a datastore path", file)
	}
	var dss []mo.Datastore
	if err := s.retrieve(ctx, "Datastore", []string{"name"}, &dss); err != nil {
		return false, err
	}
	i := slices.IndexFunc(dss, func(d mo.Datastore) bool { return d.Name == p.Datastore })
	if i < 0 {
		return false, fmt.Errorf("vspheretest: no datastore %q", p.Datastore)
	}
	ds := object.NewDatastore(s.Client.Client, dss[i].Self)
	ds.InventoryPath = p.Datastore // Stat names paths by it
	_, err := ds.Stat(ctx, p.Path)
	var noFile object.DatastoreNoSuchFileError
	var noDir object.DatastoreNoSuchDirectoryError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &noFile), errors.As(err, &noDir):
		return false, nil
	}
	return false, fmt.Errorf("vspheretest: looking for %s: %w", file, err)
}

// ---- changes made behind the agent's back

// PowerOn powers a VM (by instance UUID) on, or resumes it when suspended.
func (s *Sim) PowerOn(ctx context.Context, uuid string) error {
	return s.task(ctx, uuid, "power on", (*object.VirtualMachine).PowerOn)
}

// PowerOff powers a VM off at once.
func (s *Sim) PowerOff(ctx context.Context, uuid string) error {
	return s.task(ctx, uuid, "power off", (*object.VirtualMachine).PowerOff)
}

// Suspend suspends a powered-on VM to disk.
func (s *Sim) Suspend(ctx context.Context, uuid string) error {
	return s.task(ctx, uuid, "suspend", (*object.VirtualMachine).Suspend)
}

// CreateSnapshot takes a snapshot of a VM, without its memory; it
// becomes the current one.
func (s *Sim) CreateSnapshot(ctx context.Context, uuid, name string) error {
	return s.task(ctx, uuid, "snapshot "+name+" of", func(v *object.VirtualMachine, ctx context.Context) (*object.Task, error) {
		return v.CreateSnapshot(ctx, name, "", false, false)
	})
}

func (s *Sim) task(ctx context.Context, uuid, what string, f func(*object.VirtualMachine, context.Context) (*object.Task, error)) error {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	ref, err := s.ref(ctx, uuid)
	if err != nil {
		return err
	}
	return s.taskOn(ctx, ref, what+" "+uuid, f)
}

func (s *Sim) taskOn(ctx context.Context, ref types.ManagedObjectReference, what string, f func(*object.VirtualMachine, context.Context) (*object.Task, error)) error {
	return runTask(ctx, what, func() (*object.Task, error) {
		return f(object.NewVirtualMachine(s.Client.Client, ref), ctx)
	})
}

// ref finds a VM of any host by instance UUID, reading no more than
// that property of each.
func (s *Sim) ref(ctx context.Context, uuid string) (types.ManagedObjectReference, error) {
	var mos []mo.VirtualMachine
	if err := s.retrieve(ctx, "VirtualMachine", []string{"config.instanceUuid"}, &mos); err != nil {
		return types.ManagedObjectReference{}, err
	}
	for _, m := range mos {
		if m.Config != nil && strings.EqualFold(m.Config.InstanceUuid, uuid) {
			return m.Self, nil
		}
	}
	return types.ManagedObjectReference{}, fmt.Errorf("vspheretest: no VM %s", uuid)
}

func runTask(ctx context.Context, what string, f func() (*object.Task, error)) error {
	task, err := f()
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("vspheretest: %s: %w", what, err)
	}
	return nil
}

// SetToolsRunning sets a VM's VMware Tools status as a guest with Tools
// would report it (the simulator's VMs have none, so guest shutdown and
// reboot are refused until this says they run).
func (s *Sim) SetToolsRunning(ctx context.Context, uuid string, running bool) error {
	ctx, cancel := ctxOf(ctx)
	defer cancel()
	ref, err := s.ref(ctx, uuid)
	if err != nil {
		return err
	}
	obj, ok := s.Model.Map().Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return errors.New("vspheretest: the simulator has no object for " + uuid)
	}
	status := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	if running {
		status = types.VirtualMachineToolsRunningStatusGuestToolsRunning
	}
	s.Model.Service.Context.AutoUpdate(obj, func() { obj.Guest.ToolsRunningStatus = string(status) })
	return nil
}

// mix sizes the managed host's VMs (created powered off) and powers
// them on or suspends them, in name order.
func (s *Sim) mix(ctx context.Context) error {
	vms, err := s.VMs(ctx)
	if err != nil {
		return err
	}
	h, err := s.HostInfo(ctx)
	if err != nil {
		return err
	}
	k := max(min(4, h.CPUThreads), 1)
	for i, vm := range vms {
		spec := types.VirtualMachineConfigSpec{NumCPUs: int32(1 + i%k), MemoryMB: int64(256 << (i % 4))}
		steps := []func(*object.VirtualMachine, context.Context) (*object.Task, error){
			func(v *object.VirtualMachine, ctx context.Context) (*object.Task, error) {
				return v.Reconfigure(ctx, spec)
			},
		}
		switch i % 3 {
		case 0:
			steps = append(steps, (*object.VirtualMachine).PowerOn)
		case 2:
			steps = append(steps, (*object.VirtualMachine).PowerOn, (*object.VirtualMachine).Suspend)
		}
		for _, f := range steps {
			tctx, cancel := ctxOf(ctx)
			err := s.taskOn(tctx, vm.Self, "setting up "+vm.Name, f)
			cancel()
			if err != nil {
				return err
			}
		}
	}
	return nil
}
