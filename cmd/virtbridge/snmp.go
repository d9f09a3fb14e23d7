package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/snmp/agent"
	"github.com/virtbridge/virtbridge/snmp/mib"
	"github.com/virtbridge/virtbridge/snmp/notify"
	"github.com/virtbridge/virtbridge/snmp/vmmib"
)

// snmpFace is the SNMP front end: agent, MIB builder, notifications.
type snmpFace struct {
	agent    *agent.Agent
	builder  *vmmib.Builder
	sender   *notify.Sender
	notifier *vmmib.Notifier
	sub      *inventory.Subscription
}

// newSNMP builds the SNMP front end from the config; it binds its sockets
// now, so a busy port is reported before serving starts.
func newSNMP(cfg Config, b backends.Backend, inv *inventory.Inventory, started time.Time, log *slog.Logger) (*snmpFace, error) {
	sc := cfg.SNMP
	dir := sc.stateDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snmp.state_dir: %w", err)
	}
	idx, err := vmmib.LoadIndexes(filepath.Join(dir, "vmindex.json"))
	if err != nil {
		return nil, err
	}
	host := inv.Snapshot().Host
	sysName := sc.SysName
	if sysName == "" {
		sysName, _ = os.Hostname()
	}
	enterprise, _ := mib.Parse(sc.Enterprise) // validated
	builder := vmmib.New(vmmib.Config{
		SysDescr:    fmt.Sprintf("virtbridge %s on %s: %s %s through %s", version, host.Hostname, host.HypervisorType, host.HypervisorVersion, b.Name()),
		SysContact:  sc.SysContact,
		SysLocation: sc.SysLocation,
		SysName:     sysName,
		Enterprise:  enterprise,
		BackendName: strings.Fields(b.Name())[0],
		BackendURI:  cfg.Connect,
		Started:     started,
		Logger:      log,
	}, inv, b, idx)
	ac := agent.Config{Listen: sc.Listen, StateDir: dir, Views: map[string]agent.View{}, Logger: log.With("component", "snmp")}
	for name, v := range sc.Views {
		var av agent.View
		for _, o := range v.Included {
			av.Included = append(av.Included, mib.MustParse(o))
		}
		for _, o := range v.Excluded {
			av.Excluded = append(av.Excluded, mib.MustParse(o))
		}
		ac.Views[name] = av
	}
	for _, c := range sc.Communities {
		access := agent.ReadOnly
		if c.Access == "read-write" {
			access = agent.ReadWrite
		}
		ac.Communities = append(ac.Communities, agent.Community{Name: c.Name, Access: access, ReadView: c.ReadView, WriteView: c.WriteView})
	}
	for _, u := range sc.Users {
		ac.Users = append(ac.Users, agent.User{Name: u.Name, AuthProto: u.AuthProtocol, AuthPass: u.AuthPassword,
			PrivProto: u.PrivProtocol, PrivPass: u.PrivPassword, ReadView: u.ReadView, WriteView: u.WriteView})
	}
	ag, err := agent.New(ac, builder.Tree)
	if err != nil {
		return nil, err
	}
	id, boots, engTime := ag.Engine()
	var dests []notify.Destination
	for _, d := range sc.Notifications.Destinations {
		dests = append(dests, notify.Destination{Name: d.Name, Address: d.Address, Version: d.Version, Inform: d.Inform,
			Community: d.Community, Timeout: d.Timeout, Retries: d.Retries, QueueSize: d.QueueSize,
			User: notify.User{Name: d.User.Name, AuthProto: d.User.AuthProtocol, AuthPass: d.User.AuthPassword,
				PrivProto: d.User.PrivProtocol, PrivPass: d.User.PrivPassword}})
	}
	sender, err := notify.New(dests, notify.Engine{ID: id, Boots: func() uint32 { return boots }, Time: engTime}, builder.Uptime, log.With("component", "snmp-notify"))
	if err != nil {
		_ = ag.Close()
		return nil, fmt.Errorf("snmp.notifications: %w", err)
	}
	notifier := vmmib.NewNotifier(builder, vmmib.NotifierConfig{Window: sc.Notifications.BulkWindow, Threshold: sc.Notifications.BulkThreshold},
		func(trap mib.OID, vbs []mib.Varbind) {
			builder.NotificationsSent.Add(1)
			sender.Send(notify.Notification{TrapOID: trap, Varbinds: vbs})
		})
	builder.Control.OnFailure = notifier.ControlFailed
	builder.NotificationsLost = func() uint64 {
		var n uint64
		for _, st := range sender.Stats() {
			n += st.Dropped + st.Expired + st.Failed
		}
		return n
	}
	return &snmpFace{agent: ag, builder: builder, sender: sender, notifier: notifier, sub: inv.Subscribe(1 << 17)}, nil
}

// run serves until ctx ends.
func (s *snmpFace) run(ctx context.Context, log *slog.Logger) error {
	var addrs []string
	for _, a := range s.agent.Addrs() {
		addrs = append(addrs, a.String())
	}
	log.Info("snmp agent listening", "addrs", strings.Join(addrs, ","))
	errc := make(chan error, 3)
	go func() { errc <- s.agent.Run(ctx) }()
	go func() { errc <- s.sender.Run(ctx) }()
	go func() { errc <- s.notifier.Run(ctx, s.sub) }()
	var errs []error
	for range 3 {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	s.sub.Close()
	s.builder.Control.Wait()
	return errors.Join(errs...)
}
