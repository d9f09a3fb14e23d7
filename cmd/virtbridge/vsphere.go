package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// VsphereConfig is how the agent logs in to vCenter or ESXi when connect
// is a vSphere URL (vsphere://HOST or https://HOST/sdk).
type VsphereConfig struct {
	User            string        `yaml:"user"`
	Password        string        `yaml:"password"`
	CredentialsFile string        `yaml:"credentials_file"`
	Host            string        `yaml:"host"`
	CAFile          string        `yaml:"ca_file"`
	Thumbprint      string        `yaml:"thumbprint"`
	Insecure        bool          `yaml:"insecure"`
	ReconnectMin    time.Duration `yaml:"reconnect_min"`
	ReconnectMax    time.Duration `yaml:"reconnect_max"`
	UpdateWait      time.Duration `yaml:"update_wait"`
}

func defaultVsphere() VsphereConfig {
	return VsphereConfig{ReconnectMin: 250 * time.Millisecond, ReconnectMax: 30 * time.Second, UpdateWait: 30 * time.Second}
}

// validate checks the section; connect says whether it is in use, which
// makes a user name necessary.
func (v *VsphereConfig) validate(connect string) []error {
	var errs []error
	if v.ReconnectMin <= 0 || v.ReconnectMax < v.ReconnectMin {
		errs = append(errs, fmt.Errorf("vsphere.reconnect_min %v / reconnect_max %v: want 0 < min <= max", v.ReconnectMin, v.ReconnectMax))
	}
	if v.UpdateWait < time.Second || v.UpdateWait%time.Second != 0 {
		errs = append(errs, fmt.Errorf("vsphere.update_wait %v: want whole seconds, at least 1s", v.UpdateWait))
	}
	opts := v.options(nil, 0)
	if err := opts.Check(); err != nil {
		errs = append(errs, fmt.Errorf("vsphere: %w", err))
	}
	if vsphere.IsURL(connect) && v.User == "" && v.CredentialsFile == "" && !urlHasUser(connect) {
		errs = append(errs, errors.New("vsphere: connect is a vSphere URL but no user is set: set vsphere.user or vsphere.credentials_file"))
	}
	return errs
}

func urlHasUser(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.User != nil && u.User.Username() != ""
}

func (v *VsphereConfig) options(log *slog.Logger, callTimeout time.Duration) vsphere.Options {
	return vsphere.Options{
		User: v.User, Password: v.Password, CredentialsFile: v.CredentialsFile, Host: v.Host,
		CAFile: v.CAFile, Thumbprint: v.Thumbprint, Insecure: v.Insecure, Logger: log,
		ReconnectMin: v.ReconnectMin, ReconnectMax: v.ReconnectMax, CallTimeout: callTimeout, UpdateWait: v.UpdateWait,
	}
}

// openVsphere connects the vSphere backend; ctx bounds the first login.
func openVsphere(ctx context.Context, cfg Config, log *slog.Logger) (backends.Backend, error) {
	b, err := vsphere.Open(ctx, cfg.Connect, cfg.Vsphere.options(log, cfg.Inventory.CallTimeout))
	if err != nil {
		return nil, err
	}
	return b, nil
}
