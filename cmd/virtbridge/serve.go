package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// openBackend connects the configured backend: vSphere for a vSphere URL
// (vsphere://HOST, https://HOST/sdk), libvirt for anything else.
func openBackend(ctx context.Context, cfg Config, log *slog.Logger) (backends.Backend, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Inventory.CallTimeout)
	defer cancel()
	if vsphere.IsURL(cfg.Connect) {
		return openVsphere(ctx, cfg, log)
	}
	return libvirt.Open(ctx, cfg.Connect, libvirt.Options{
		Logger: log, ReconnectMin: cfg.Libvirt.ReconnectMin, ReconnectMax: cfg.Libvirt.ReconnectMax,
		KeepaliveInterval: cfg.Libvirt.KeepaliveInterval, KeepaliveCount: cfg.Libvirt.KeepaliveCount,
	})
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	cimUsers := fs.String("cim-users", "", "CIM users file (overrides cim.users_file; see virtbridge passwd)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if *cimUsers != "" {
		cfg.CIM.UsersFile = *cimUsers
	}
	log := cfg.logger(stderr)
	started := time.Now()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	b, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	inv := inventory.New(b, cfg.inventoryConfig(log))
	if err := inv.Sync(ctx); err != nil {
		return fmt.Errorf("first inventory of %s: %w", b.Name(), err)
	}
	var faces []func(context.Context) error
	if cfg.SNMP.Enabled {
		s, err := newSNMP(cfg, b, inv, started, log)
		if err != nil {
			return err
		}
		faces = append(faces, func(ctx context.Context) error { return s.run(ctx, log) })
	}
	if cfg.CIM.Enabled || cfg.WSMan.Enabled {
		cf, err := newCIM(cfg, inv, b, log)
		if err != nil {
			return err
		}
		faces = append(faces, cf.run)
	}
	snap := inv.Snapshot()
	log.Info("virtbridge serving", "version", version, "backend", b.Name(), "host", snap.Host.Hostname, "domains", snap.Len())

	sub := inv.Subscribe(1024)
	defer sub.Close()
	go logChanges(ctx, sub, log)

	// Every face stops with ctx; the first to fail stops the rest.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(faces)+1)
	go func() { errc <- inv.Run(ctx) }()
	for _, f := range faces {
		go func() { errc <- f(ctx) }()
	}
	var errs []error
	for range len(faces) + 1 {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
			cancel()
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	log.Info("virtbridge stopping", "reason", "signal")
	return nil
}

// logChanges writes each inventory change to the log, until a protocol
// front end has something better to do with them.
func logChanges(ctx context.Context, sub *inventory.Subscription, log *slog.Logger) {
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			return
		}
		attrs := []any{"seq", ch.Seq, "kind", ch.Kind.String()}
		if d := ch.After; d != nil {
			attrs = append(attrs, "domain", d.Name, "uuid", d.UUID, "state", d.State.String())
		} else if d := ch.Before; d != nil {
			attrs = append(attrs, "domain", d.Name, "uuid", d.UUID)
		}
		if ch.Cause.Kind != 0 {
			attrs = append(attrs, "cause", ch.Cause.Kind.String(), "detail", ch.Cause.Detail,
				"latency", ch.Time.Sub(ch.Cause.Time).Round(time.Microsecond))
		}
		if ch.Missed > 0 {
			attrs = append(attrs, "missed", ch.Missed)
		}
		log.Info("inventory change", attrs...)
	}
}
