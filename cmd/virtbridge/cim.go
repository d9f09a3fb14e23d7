package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
)

// cimFace is the CIM-XML server over the inventory.
type cimFace struct {
	srv    *server.Server
	broker *broker.Broker
}

// newCIM loads the classes, builds the namespaces and binds the
// listeners, so a busy port or a missing users file is reported before
// serving starts.
func newCIM(cfg Config, inv *inventory.Inventory, log *slog.Logger) (*cimFace, error) {
	cc := cfg.CIM
	users := cc.usersFile()
	if _, err := os.Stat(users); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cim.users_file %s does not exist: create it with `virtbridge passwd --file %s --role operator NAME` (password on standard input), or set cim.enabled: false", users, users)
	}
	br, err := virt.New(virt.Config{Namespace: cc.Namespace, Version: version,
		MaxEnumerations: cc.MaxEnumerations, EnumerationTimeout: cc.EnumTimeout}, inv)
	if err != nil {
		return nil, err
	}
	h := &cimxml.Handler{Broker: br, Log: log.With("component", "cim-xml")}
	dir := cc.stateDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cim.state_dir: %w", err)
	}
	srv, err := server.New(server.Config{
		HTTP: cc.HTTP, HTTPS: cc.HTTPS, AllowRemoteHTTP: cc.AllowRemoteHTTP,
		CertFile: cc.CertFile, KeyFile: cc.KeyFile, StateDir: dir, UsersFile: users,
		MaxBody: cc.MaxRequestBytes, Logger: log.With("component", "cim-server"),
	}, []server.Route{{Path: "/cimom", Handler: h}, {Path: "/{$}", Handler: h}})
	if err != nil {
		br.Close()
		return nil, err
	}
	return &cimFace{srv: srv, broker: br}, nil
}

// run serves until ctx ends.
func (c *cimFace) run(ctx context.Context) error {
	defer c.broker.Close()
	err := c.srv.Run(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
