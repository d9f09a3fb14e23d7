package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/property"
	gsession "github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// session is one login to the endpoint, bound to the managed host. A new
// session replaces it after every drop.
type session struct {
	vc       *vim25.Client
	user     string
	host     types.ManagedObjectReference
	hostName string
	compute  types.ManagedObjectReference  // the host's compute resource or cluster
	pool     types.ManagedObjectReference  // its root resource pool, for new VMs
	vmFolder types.ManagedObjectReference  // the datacenter's VM folder, for new VMs
	view     *view.ContainerView           // every VM of the datacenter
	watchPC  *types.ManagedObjectReference // the watcher's property collector

	mu     sync.Mutex
	refs   map[string]types.ManagedObjectReference // instance UUID -> VM, kept by the watcher
	nets   *netIndex                               // nil until read, and after a network change
	netGen uint64                                  // counts network changes, so a late read is not kept

	stopWatch context.CancelFunc
	watchDone chan struct{}
}

// login opens a session and finds the managed host.
func login(ctx context.Context, o *Options, sdk *url.URL, urlUser string) (*session, error) {
	user, pass, err := o.credentials(urlUser)
	if err != nil {
		return nil, badConfig(err)
	}
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, badConfig(err)
	}
	sc := soap.NewClient(sdk, o.Insecure)
	t := sc.DefaultTransport()
	// Go's own TLS dialer, honouring ctx, with the configured check.
	t.DialTLSContext = nil
	t.TLSClientConfig = tc
	t.DialContext = (&net.Dialer{Timeout: o.CallTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = o.CallTimeout
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.CloseIdleConnections()
		return nil, wrap("connect", sdk.Host, err)
	}
	if err := gsession.NewManager(vc).Login(ctx, url.UserPassword(user, pass)); err != nil {
		t.CloseIdleConnections()
		return nil, wrap("log in", user, err)
	}
	s := &session{vc: vc, user: user, refs: map[string]types.ManagedObjectReference{}}
	if err := s.bind(ctx, o.Host); err != nil {
		s.logout(o.CallTimeout)
		return nil, err
	}
	return s, nil
}

// bind selects the host and the objects new VMs go in.
func (s *session) bind(ctx context.Context, want string) error {
	const op = "select host"
	hosts, err := s.listHosts(ctx)
	if err != nil {
		return wrap(op, want, err)
	}
	h, err := pickHost(hosts, want, s.vc.IsVC())
	if err != nil {
		return err
	}
	if st := h.Runtime.ConnectionState; st != "" && st != types.HostSystemConnectionStateConnected {
		return backends.Errorf(op, h.Name, backends.ErrNotConnected, "the host is %s in vCenter", st)
	}
	s.host, s.hostName, s.compute = h.Self, h.Name, *h.Parent
	pc := property.DefaultCollector(s.vc)
	var cr mo.ComputeResource
	if err := pc.RetrieveOne(ctx, s.compute, []string{"resourcePool"}, &cr); err != nil {
		return wrap(op, h.Name, err)
	}
	if cr.ResourcePool != nil {
		s.pool = *cr.ResourcePool
	}
	dc, err := datacenterOf(ctx, pc, s.compute)
	if err != nil {
		return wrap(op, h.Name, err)
	}
	s.vmFolder = dc.VmFolder
	// The view spans the datacenter's VM folder, filtered to the host by
	// runtime.host: a view rooted at the compute resource would carry less,
	// but the simulator never adds new VMs to such a view.
	if s.view, err = view.NewManager(s.vc).CreateContainerView(ctx, s.vmFolder, []string{"VirtualMachine"}, true); err != nil {
		return wrap(op, h.Name, err)
	}
	return nil
}

// listHosts reads every host of the endpoint.
func (s *session) listHosts(ctx context.Context) ([]mo.HostSystem, error) {
	hv, err := view.NewManager(s.vc).CreateContainerView(ctx, s.vc.ServiceContent.RootFolder, []string{"HostSystem"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = hv.Destroy(ctx) }()
	var hosts []mo.HostSystem
	err = hv.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "parent", "runtime.connectionState"}, &hosts)
	return hosts, err
}

// findHost finds a host of the endpoint by name.
func (s *session) findHost(ctx context.Context, name string) (*mo.HostSystem, error) {
	hosts, err := s.listHosts(ctx)
	if err != nil {
		return nil, err
	}
	return pickHost(hosts, name, true)
}

// pickHost finds the wanted host, or the only one.
func pickHost(hosts []mo.HostSystem, want string, vc bool) (*mo.HostSystem, error) {
	const op = "select host"
	names := make([]string, len(hosts))
	for i := range hosts {
		names[i] = hosts[i].Name
		if want != "" && (hosts[i].Name == want || strings.EqualFold(hosts[i].Name, want)) && hosts[i].Parent != nil {
			return &hosts[i], nil
		}
	}
	slices.Sort(names)
	switch {
	case want != "":
		return nil, backends.Errorf(op, want, backends.ErrNotFound, "no such host on this endpoint (it has: %s)", strings.Join(names, ", "))
	case len(hosts) == 1 && hosts[0].Parent != nil:
		return &hosts[0], nil
	case len(hosts) == 0:
		return nil, backends.Errorf(op, "", backends.ErrNotFound, "the endpoint manages no host")
	case vc:
		return nil, backends.Errorf(op, "", backends.ErrInvalidArgument, "this vCenter manages %d hosts; set vsphere.host to one of: %s", len(hosts), strings.Join(names, ", "))
	}
	return nil, backends.Errorf(op, "", backends.ErrInternal, "the endpoint reports %d hosts", len(hosts))
}

// datacenterOf walks up the inventory from ref to its datacenter.
func datacenterOf(ctx context.Context, pc *property.Collector, ref types.ManagedObjectReference) (*mo.Datacenter, error) {
	for range 32 {
		if ref.Type == "Datacenter" {
			var dc mo.Datacenter
			if err := pc.RetrieveOne(ctx, ref, []string{"vmFolder"}, &dc); err != nil {
				return nil, err
			}
			return &dc, nil
		}
		var e mo.ManagedEntity
		if err := pc.RetrieveOne(ctx, ref, []string{"parent"}, &e); err != nil {
			return nil, err
		}
		if e.Parent == nil {
			break
		}
		ref = *e.Parent
	}
	return nil, fmt.Errorf("%s is in no datacenter", ref.Value)
}

// logout ends the session, best effort: it may be gone already.
func (s *session) logout(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), min(timeout, 5*time.Second))
	defer cancel()
	if pc := s.watchPC; pc != nil {
		// Ends the server's side of a pending WaitForUpdatesEx at once.
		_, _ = methods.CancelWaitForUpdates(ctx, s.vc, &types.CancelWaitForUpdates{This: *pc})
		_, _ = methods.DestroyPropertyCollector(ctx, s.vc, &types.DestroyPropertyCollector{This: *pc})
	}
	if s.view != nil {
		_ = s.view.Destroy(ctx)
	}
	_ = gsession.NewManager(s.vc).Logout(ctx)
	s.vc.DefaultTransport().CloseIdleConnections()
}

// shutdown stops the watcher, waits for it, and logs out.
func (s *session) shutdown(timeout time.Duration) {
	if s.stopWatch != nil {
		s.stopWatch()
		<-s.watchDone
	}
	s.logout(timeout)
}

// remember and forget keep the watcher's UUID index of VMs.
func (s *session) remember(uuid string, ref types.ManagedObjectReference) {
	s.mu.Lock()
	s.refs[uuid] = ref
	s.mu.Unlock()
}

func (s *session) forget(uuid string) {
	s.mu.Lock()
	delete(s.refs, uuid)
	s.mu.Unlock()
}

// lookup finds a VM by instance UUID: from the watcher's index, else by
// asking the endpoint.
func (s *session) lookup(ctx context.Context, uuid string) (types.ManagedObjectReference, error) {
	s.mu.Lock()
	ref, ok := s.refs[uuid]
	s.mu.Unlock()
	if ok {
		return ref, nil
	}
	req := types.FindByUuid{This: *s.vc.ServiceContent.SearchIndex, Uuid: uuid, VmSearch: true, InstanceUuid: types.NewBool(true)}
	res, err := methods.FindByUuid(ctx, s.vc, &req)
	if err != nil {
		return ref, err
	}
	if res.Returnval == nil {
		return ref, errNoVM
	}
	return *res.Returnval, nil
}

var errNoVM = errors.New("no virtual machine with this instance UUID on the host")
