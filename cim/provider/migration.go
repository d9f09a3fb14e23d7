package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
)

// The host's migration service (CIM_VirtualSystemMigrationService, DMTF
// experimental in 2.41) and its capabilities.
const (
	classMigrationSvc  = "VB_VirtualSystemMigrationService"
	classMigrationCaps = "VB_VirtualSystemMigrationCapabilities"
	migrationSvcName   = "Virtual System Migration Service"
	migrationCapsID    = "VB:VirtualSystemMigrationCapabilities"
)

// MigrationType values (CIM_VirtualSystemMigrationSettingData).
const (
	migrateLive    = 2
	migrateRestart = 4 // offline: moved while shut off, started by nobody
)

// MigrationService is the host's VB_VirtualSystemMigrationService.
func (s Schema) MigrationService(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classMigrationSvc)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classComputerSystem))
	inst.Set("SystemName", cim.String(h.Hostname))
	inst.Set("CreationClassName", cim.String(classMigrationSvc))
	inst.Set("Name", cim.String(migrationSvcName))
	inst.Set("ElementName", cim.String(migrationSvcName))
	inst.Set("EnabledState", cim.Uint16(enabledEnabled))
	inst.Set("HealthState", cim.Uint16(healthOK))
	inst.Set("OperationalStatus", uint16s([]uint16{opOK}))
	return s.finish(classMigrationSvc, inst)
}

// MigrationCapabilities: MigrateVirtualSystemToHost may return a job (3
// would be ...ToSystem, not offered); destinations are host names or
// hypervisor URIs (DomainNameFormatSupported, and 32768: a URI).
func (s Schema) MigrationCapabilities(h backends.Host) (*cim.Instance, error) {
	inst, err := s.newInstance(classMigrationCaps)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String(migrationCapsID))
	inst.Set("ElementName", cim.String("Virtual System Migration Capabilities"))
	inst.Set("SynchronousMethodsSupported", uint16s([]uint16{}))
	methods := []uint16{}
	if s.Jobs != nil {
		methods = []uint16{2}
	}
	inst.Set("AsynchronousMethodsSupported", uint16s(methods))
	inst.Set("DestinationHostFormatsSupported", uint16s([]uint16{2}))
	return s.finish(classMigrationCaps, inst)
}

// destinationURI turns DestinationHost into a hypervisor URI: a URI is
// taken as it is; a host name gets the source connection's driver over
// SSH (qemu+ssh://HOST/system), as virsh migrate users write it.
func destinationURI(dest, driver string) (string, error) {
	dest = strings.TrimSpace(dest)
	if dest == "" {
		return "", fmt.Errorf("DestinationHost is required: %w", cim.ErrInvalidParameter)
	}
	if strings.Contains(dest, "://") {
		if _, err := url.Parse(dest); err != nil {
			return "", fmt.Errorf("DestinationHost %q: %v: %w", dest, err, cim.ErrInvalidParameter)
		}
		return dest, nil
	}
	if strings.ContainsAny(dest, "/ \\t@") {
		return "", fmt.Errorf("DestinationHost %q is neither a host name nor a URI: %w", dest, cim.ErrInvalidParameter)
	}
	return strings.ToLower(driver) + "+ssh://" + dest + "/system", nil
}

// migration reads the common parameters: the VM, the destination and
// whether the move is live.
func (v *View) migration(in map[string]cim.Value) (*backends.Domain, string, bool, error) {
	d, err := v.vmArg(in, "ComputerSystem")
	if err != nil {
		return nil, "", false, err
	}
	dest, _ := param(in, "DestinationHost")
	ds, _ := dest.Str()
	uri, err := destinationURI(ds, v.snap.Host.HypervisorType)
	if err != nil {
		return nil, "", false, err
	}
	live := d.State.Active()
	if m, ok := param(in, "MigrationSettingData"); ok {
		insts, err := instancesOf("MigrationSettingData", m)
		if err != nil {
			return nil, "", false, err
		}
		if len(insts) == 1 {
			if t, ok := str2uint(insts[0], "MigrationType"); ok {
				switch t {
				case migrateLive:
					live = true
				case migrateRestart:
					live = false
				default:
					return nil, "", false, fmt.Errorf("MigrationType %d: this service offers 2 (Live) and 4 (Restart, offline): %w", t, cim.ErrNotSupported)
				}
			}
		}
	}
	return d, uri, live, nil
}

// migratable says why d cannot move as asked, "" when it can.
func migratable(d *backends.Domain, live bool) string {
	switch {
	case live && !d.State.Active():
		return "a live migration needs a running system"
	case !live && d.State.Active():
		return "an offline migration needs a shut-off system"
	case !live && !d.Persistent:
		return "a transient system has no configuration to move offline"
	}
	return ""
}

// checkMigratable: CheckVirtualSystemIsMigratableToHost (IsMigratable
// out), from what the system's state allows.
func (v *View) checkMigratable(_ context.Context, _ Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, _, live, err := v.migration(in)
	if err != nil {
		return cim.Value{}, nil, err
	}
	return ret(0, map[string]cim.Value{"IsMigratable": cim.Bool(migratable(d, live) == "")})
}

// migrate: MigrateVirtualSystemToHost, as a job; the VM shows
// OperatingStatus Emigrating until it is gone from this host.
func (v *View) migrate(_ context.Context, env Env, in map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	d, uri, live, err := v.migration(in)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if why := migratable(d, live); why != "" {
		return cim.Value{}, nil, fmt.Errorf("%s: %s: %w", d.Name, why, cim.ErrFailed)
	}
	uuid := d.UUID
	run := func(ctx context.Context) error {
		if err := env.Ops.Migrate(ctx, uuid, uri, backends.MigrateOptions{Live: live, Persistent: true, Undefine: true}); err != nil {
			return cimError(err)
		}
		return until(ctx, env.Current, "the system's departure", func(s *inventory.Snapshot) bool { _, ok := s.Domain(uuid); return !ok })
	}
	job, err := v.s.Jobs.Run("migrate "+d.Name+" to "+uri, JobMigrate, v.systemPath(uuid), syncWindow, jobLimit, run)
	if err != nil {
		return cim.Value{}, nil, err
	}
	if job == nil {
		return ret(0, nil)
	}
	return ret(rscJobStarted, map[string]cim.Value{"Job": cim.Ref(v.jobPath(job))})
}

func (v *View) jobPath(j *Job) cim.ObjectPath {
	return cim.ObjectPath{Namespace: v.s.Namespace, ClassName: classJob, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String(j.ID)}}}
}
