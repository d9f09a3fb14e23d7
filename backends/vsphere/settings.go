package vsphere

import (
	"context"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/virtbridge/virtbridge/backends"
)

// Rename renames a powered-off VM (Rename_Task). vSphere could rename a
// running one too; the backend contract is the same for every backend.
func (b *Backend) Rename(ctx context.Context, uuid, name string) error {
	const op = "rename"
	if err := checkName(name); err != nil {
		return &backends.Error{Op: op, Target: uuid, Kind: backends.ErrInvalidArgument, Err: err}
	}
	return b.vmOp(ctx, op, uuid, nil, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		old := unescapeName(vm.Name)
		if old == name {
			return nil
		}
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			return invalid(op, old, "cannot rename a running or suspended VM; power it off first")
		}
		if err := b.nameFree(ctx, s, name, uuid); err != nil {
			return err
		}
		return b.run(ctx, op, old, func() (*object.Task, error) { return object.NewVirtualMachine(s.vc, vm.Self).Rename(ctx, name) })
	})
}

// notesBody is ReconfigVM_Task with a spec that sends an empty
// annotation too: govmomi's spec omits it, so notes could never be
// cleared.
type notesBody struct {
	Req *struct {
		This types.ManagedObjectReference `xml:"_this"`
		Spec struct {
			Annotation string `xml:"annotation"`
		} `xml:"spec"`
	} `xml:"urn:vim25 ReconfigVM_Task,omitempty"`
	Res    *types.ReconfigVM_TaskResponse `xml:"ReconfigVM_TaskResponse,omitempty"`
	Fault_ *soap.Fault                    `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *notesBody) Fault() *soap.Fault { return b.Fault_ }

// SetDescription sets the VM's notes (config.annotation).
func (b *Backend) SetDescription(ctx context.Context, uuid, text string) error {
	const op = "set description"
	return b.vmOp(ctx, op, uuid, nil, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		body := &notesBody{}
		body.Req = &struct {
			This types.ManagedObjectReference `xml:"_this"`
			Spec struct {
				Annotation string `xml:"annotation"`
			} `xml:"spec"`
		}{This: vm.Self}
		body.Req.Spec.Annotation = text
		return b.run(ctx, op, unescapeName(vm.Name), func() (*object.Task, error) {
			if err := s.vc.RoundTrip(ctx, body, body); err != nil {
				return nil, err
			}
			return object.NewTask(s.vc, body.Res.Returnval), nil
		})
	})
}

// SetAutostart adds the VM to, or takes it off, the host's autostart list
// (HostAutoStartManager), turning the host's autostart on when needed.
// Hosts in an HA cluster ignore that list.
func (b *Backend) SetAutostart(ctx context.Context, uuid string, on bool) error {
	const op = "set autostart"
	return b.vmOp(ctx, op, uuid, nil, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		var h mo.HostSystem
		if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, s.host, []string{"configManager.autoStartManager", "config.autoStart"}, &h); err != nil {
			return err
		}
		mgr := h.ConfigManager.AutoStartManager
		if mgr == nil {
			return backends.Errorf(op, unescapeName(vm.Name), backends.ErrNotSupported, "host %s has no autostart manager", s.hostName)
		}
		action := "none"
		if on {
			action = "powerOn"
		}
		spec := types.HostAutoStartManagerConfig{PowerInfo: []types.AutoStartPowerInfo{{
			Key: vm.Self, StartOrder: -1, StartDelay: -1, StopDelay: -1, StartAction: action,
			StopAction: "systemDefault", WaitForHeartbeat: types.AutoStartWaitHeartbeatSettingSystemDefault,
		}}}
		if cfg := h.Config; on && cfg != nil && cfg.AutoStart != nil && cfg.AutoStart.Defaults != nil &&
			cfg.AutoStart.Defaults.Enabled != nil && !*cfg.AutoStart.Defaults.Enabled {
			b.log.Info("turning the host's VM autostart on", "host", s.hostName, "for", unescapeName(vm.Name))
			spec.Defaults = &types.AutoStartDefaults{Enabled: types.NewBool(true)}
		}
		_, err := methods.ReconfigureAutostart(ctx, s.vc, &types.ReconfigureAutostart{This: *mgr, Spec: spec})
		if f, _ := faultOf(err); is[*types.ManagedObjectNotFound](f) || is[*types.MethodNotFound](f) {
			return backends.Errorf(op, unescapeName(vm.Name), backends.ErrNotSupported, "host %s has no usable autostart manager", s.hostName)
		}
		return err
	})
}

// Migrate moves the VM to another host of the same vCenter
// (RelocateVM_Task): vMotion when it runs, a cold migration when not.
// destURI is the host's inventory name, or
// vsphere://THIS-ENDPOINT/?host=NAME. The VM leaves this backend's
// inventory when it has moved.
func (b *Backend) Migrate(ctx context.Context, uuid, destURI string, _ backends.MigrateOptions) error {
	const op = "migrate"
	dest := destURI
	if IsURL(destURI) || strings.Contains(destURI, "://") {
		u, _, err := endpoint(destURI)
		if err != nil || u.Host != b.sdk.Host {
			return backends.Errorf(op, uuid, backends.ErrNotSupported, "migration across vSphere endpoints is not supported: name a host of %s", b.sdk.Host)
		}
		dest = urlHost(destURI)
	}
	if dest == "" {
		return backends.Errorf(op, uuid, backends.ErrInvalidArgument, "name the destination host")
	}
	return b.vmOp(ctx, op, uuid, nil, func(ctx context.Context, s *session, vm *mo.VirtualMachine) error {
		name := unescapeName(vm.Name)
		if !s.vc.IsVC() {
			return backends.Errorf(op, name, backends.ErrNotSupported, "migration needs vCenter; this endpoint is a standalone ESXi host")
		}
		target, err := s.findHost(ctx, dest)
		if err != nil {
			return err
		}
		if target.Self == s.host {
			return backends.Errorf(op, name, backends.ErrInvalidArgument, "the VM is on %s already", dest)
		}
		spec := types.VirtualMachineRelocateSpec{Host: &target.Self}
		if *target.Parent != s.compute {
			var cr mo.ComputeResource
			if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, *target.Parent, []string{"resourcePool"}, &cr); err != nil {
				return err
			}
			spec.Pool = cr.ResourcePool
		}
		return b.run(ctx, op, name, func() (*object.Task, error) {
			return object.NewVirtualMachine(s.vc, vm.Self).Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
		})
	})
}
