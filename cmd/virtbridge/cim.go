package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/wsman"
)

// cimFace is the CIM-XML and WS-Management servers over one broker,
// and the indication service beside them.
type cimFace struct {
	servers     []*server.Server
	broker      *broker.Broker
	indications *indicationFace // nil when off
}

// newCIM loads the classes, builds the namespaces and binds the
// listeners of both CIM protocols, so a busy port or a missing users
// file is reported before serving starts.
func newCIM(cfg Config, inv *inventory.Inventory, ops backends.Operations, log *slog.Logger) (_ *cimFace, err error) {
	cc := cfg.CIM
	users := cc.usersFile()
	if _, err := os.Stat(users); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cim.users_file %s does not exist: create it with `virtbridge passwd --file %s --role operator NAME` (password on standard input), or set cim.enabled and wsman.enabled to false", users, users)
	}
	dir := cc.stateDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cim.state_dir: %w", err)
	}
	ind, err := openIndications(cfg, log)
	if err != nil {
		return nil, err
	}
	vc := virt.Config{Namespace: cc.Namespace, Version: version,
		MaxEnumerations: cc.MaxEnumerations, EnumerationTimeout: cc.EnumTimeout, Ops: ops}
	if ind != nil {
		vc.Indications = &ind.cfg
	}
	a, err := virt.Assemble(vc, inv)
	if err != nil {
		ind.close()
		return nil, err
	}
	br := a.Broker
	f := &cimFace{broker: br, indications: ind}
	if ind != nil {
		ind.svc = a.Indications
	}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	// Both protocols share the certificate, the users and the limits.
	base := server.Config{CertFile: cc.CertFile, KeyFile: cc.KeyFile, StateDir: dir, UsersFile: users, MaxBody: cc.MaxRequestBytes}
	if cc.Enabled {
		h := &cimxml.Handler{Broker: br, Log: log.With("component", "cim-xml")}
		sc := base
		sc.HTTP, sc.HTTPS, sc.AllowRemoteHTTP, sc.Logger = cc.HTTP, cc.HTTPS, cc.AllowRemoteHTTP, log.With("component", "cim-server")
		srv, err := server.New(sc, []server.Route{{Path: "/cimom", Handler: h}, {Path: "/{$}", Handler: h}})
		if err != nil {
			return nil, err
		}
		f.servers = append(f.servers, srv)
	}
	if wc := cfg.WSMan; wc.Enabled {
		h := &wsman.Handler{Broker: br, Namespace: cc.Namespace, Product: "virtbridge", Version: version, Log: log.With("component", "ws-man")}
		if ind != nil {
			h.Events = ind.svc
		}
		sc := base
		sc.HTTP, sc.HTTPS, sc.AllowRemoteHTTP, sc.Logger = wc.HTTP, wc.HTTPS, wc.AllowRemoteHTTP, log.With("component", "wsman-server")
		rt := server.Route{Path: "/wsman", Handler: h}
		if wc.IdentifyWithoutAuth {
			rt.AllowAnonymous = wsman.IsIdentify
		}
		srv, err := server.New(sc, []server.Route{rt})
		if err != nil {
			return nil, err
		}
		f.servers = append(f.servers, srv)
	}
	return f, nil
}

func (f *cimFace) close() {
	for _, s := range f.servers {
		_ = s.Close()
	}
	f.broker.Close()
	f.indications.close()
}

// run serves until ctx ends.
func (f *cimFace) run(ctx context.Context) error {
	defer f.broker.Close()
	defer f.indications.close()
	errc := make(chan error, len(f.servers)+1)
	for _, s := range f.servers {
		go func() { errc <- s.Run(ctx) }()
	}
	runs := len(f.servers)
	if f.indications != nil {
		runs++
		go func() { errc <- f.indications.svc.Run(ctx) }()
	}
	var errs []error
	for range runs {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
