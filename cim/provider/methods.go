package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// RequestStateChange return values (DSP1057 §8.1.1,
// CIM_EnabledLogicalElement.RequestStateChange ValueMap).
const (
	rscCompleted         = 0
	rscNotSupported      = 1
	rscInvalidParameter  = 5
	rscJobStarted        = 4096
	rscInvalidTransition = 4097
	rscTimeoutNotAllowed = 4098
)

// Method timing: how long a call waits before it answers with a job, and
// how long a job may take before it is given up.
const (
	syncWindow = 2 * time.Second
	jobLimit   = 5 * time.Minute
)

// Env is what methods act through: the backend's operations and the
// inventory's current snapshot, where their results show.
type Env struct {
	Ops     backends.Operations
	Current func() *inventory.Snapshot
	// Window is how long a call waits for its operation before answering
	// with a job; 0 means syncWindow, a negative value always a job.
	Window time.Duration
}

// Invoke runs method on the instance at path: the DSP1057 / DSP1042
// methods implemented so far. It returns the method's return value and
// output parameters; cim.ErrNotSupported for the rest.
func (v *View) Invoke(ctx context.Context, env Env, path cim.ObjectPath, method string, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	inst, err := v.Get(path)
	if err != nil {
		return cim.Value{}, nil, err
	}
	m, ok := methodTable()[strings.ToLower(inst.ClassName)][strings.ToLower(method)]
	if !ok || v.s.Jobs == nil {
		return cim.Value{}, nil, fmt.Errorf("%s.%s is not implemented: %w", inst.ClassName, method, cim.ErrNotSupported)
	}
	return m.run(v, ctx, env, inst, in)
}

// methodFunc implements one method.
type methodFunc func(v *View, ctx context.Context, env Env, inst *cim.Instance, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error)

// method is a row of the method table.
type method struct {
	run methodFunc
}

// vsmsMethods are the management service's methods implemented, with
// their VirtualSystemManagementCapabilities *MethodsSupported values
// (DSP1042 §7.?); a test holds it to the method table.
var vsmsMethods = map[string]uint16{
	"definesystem": 2, "destroysystem": 3, "modifyresourcesettings": 5,
	"modifysystemsettings": 6, "removeresourcesettings": 7, "addresourcesettings": 10,
}

// service wraps a method of a host service, which ignores its target.
func service(f func(v *View, ctx context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error)) methodFunc {
	return func(v *View, ctx context.Context, env Env, _ *cim.Instance, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
		return f(v, ctx, env, in)
	}
}

// methodTable is every method implemented, by lower-case class and method
// name; the capabilities instances are derived from it. (A function, not a
// variable: the methods reach the capabilities, which read the table.)
func methodTable() map[string]map[string]method {
	return map[string]map[string]method{
		"vb_computersystem": {
			"requeststatechange": {run: func(v *View, _ context.Context, env Env, inst *cim.Instance, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
				return v.requestStateChange(env, inst, in)
			}},
		},
		"vb_virtualsystemmanagementservice": {
			"definesystem":           {service((*View).defineSystem)},
			"destroysystem":          {service((*View).destroySystem)},
			"modifyresourcesettings": {service((*View).modifyResourceSettings)},
			"modifysystemsettings":   {service((*View).modifySystemSettings)},
			"removeresourcesettings": {service((*View).removeResourceSettings)},
			"addresourcesettings":    {service((*View).addResourceSettings)},
		},
		"vb_concretejob": {"geterror": {(*View).getError}},
		"vb_virtualsystemmigrationservice": {
			"checkvirtualsystemismigratabletohost": {service((*View).checkMigratable)},
			"migratevirtualsystemtohost":           {service((*View).migrate)},
		},
		"vb_virtualsystemsnapshotservice": {
			"createsnapshot":  {service((*View).createSnapshot)},
			"destroysnapshot": {service((*View).destroySnapshot)},
			"applysnapshot":   {service((*View).applySnapshot)},
		},
	}
}

// vsmcMethods lists the VirtualSystemManagementCapabilities values of the
// management service's methods, in order; none when methods are off.
func (s Schema) vsmcMethods() []uint16 {
	if s.Jobs == nil {
		return []uint16{}
	}
	var out []uint16
	for _, code := range vsmsMethods {
		out = append(out, code)
	}
	return sortedCodes(out)
}

func sortedCodes(xs []uint16) []uint16 {
	slices.Sort(xs)
	return xs
}

func ret(code uint32, out map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	return cim.Uint32(code), out, nil
}

// param returns an input parameter by name (case-insensitive).
func param(in map[string]cim.Value, name string) (cim.Value, bool) {
	for k, v := range in {
		if strings.EqualFold(k, name) && !v.IsNull() {
			return v, true
		}
	}
	return cim.Value{}, false
}

// requestStateChange: DSP1057 §8.1.1 on a VM. A transition the current
// state does not allow is answered 4097 (a return value, not an error); one
// that completes within syncWindow 0; a longer one 4096 with its job.
func (v *View) requestStateChange(env Env, inst *cim.Instance, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, ok := v.vmOfInstance(inst)
	if !ok {
		return ret(rscNotSupported, nil) // the host's state is not ours to change
	}
	if t, ok := param(in, "TimeoutPeriod"); ok {
		dt, _ := t.Datetime()
		if d, err := dt.Duration(); err != nil || d != 0 {
			return ret(rscTimeoutNotAllowed, nil) // only "no timeout" is offered
		}
	}
	rs, ok := param(in, "RequestedState")
	req, isUint := rs.Uint()
	if !ok || !isUint || req > 0xffff {
		return ret(rscInvalidParameter, nil)
	}
	op, verdict := requestedStateOp(uint16(req), d)
	switch verdict {
	case requestUnknown:
		return ret(rscInvalidParameter, nil)
	case requestUnsupported:
		// Refused before the backend is asked: the model says it cannot
		// (the VM's capabilities do not list the state either).
		return cim.Value{}, nil, fmt.Errorf("RequestStateChange(%d): the hypervisor of %s cannot do that in any state: %w", req, d.Name, cim.ErrNotSupported)
	case requestInvalidChange:
		return ret(rscInvalidTransition, nil)
	}
	uuid := d.UUID
	run := func(ctx context.Context) error {
		if err := op.Apply(ctx, env.Ops, uuid); err != nil {
			return err
		}
		return waitState(ctx, env.Current, uuid, op)
	}
	window := env.Window
	if window == 0 {
		window = syncWindow
	}
	job, err := v.s.Jobs.Run(fmt.Sprintf("%s %s", op, d.Name), jobKinds[op], inst.Path, window, jobLimit, run)
	switch {
	case errors.Is(err, backends.ErrInvalidState):
		return ret(rscInvalidTransition, nil) // the state moved under us
	case err != nil:
		return cim.Value{}, nil, cimError(err)
	case job == nil:
		return ret(rscCompleted, nil)
	}
	return ret(rscJobStarted, map[string]cim.Value{"Job": cim.Ref(v.jobPath(job))})
}

// jobKinds says what each power operation's job does, for the VM's
// OperatingStatus while it runs (Starting, Stopping).
var jobKinds = map[backends.PowerOp]string{
	backends.OpStart: JobStart, backends.OpResume: JobStart,
	backends.OpShutdown: JobStop, backends.OpDestroy: JobStop, backends.OpManagedSave: JobStop,
	backends.OpSuspend: JobState, backends.OpReboot: JobState, backends.OpReset: JobState,
}

// waitState waits until the inventory shows op's effect on the domain.
func waitState(ctx context.Context, current func() *inventory.Snapshot, uuid string, op backends.PowerOp) error {
	for {
		if d, ok := current().Domain(uuid); !ok {
			return fmt.Errorf("%s: the domain is gone", op)
		} else if op.Done(d.State) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: the domain did not reach its new state in time: %w", op, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
