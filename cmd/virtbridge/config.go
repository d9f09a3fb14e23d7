package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/vsphere"
)

// Config is the agent's configuration file (see virtbridge.example.yaml).
type Config struct {
	Connect     string            `yaml:"connect"`
	Backend     string            `yaml:"backend"`
	Log         LogConfig         `yaml:"log"`
	Inventory   InventoryConfig   `yaml:"inventory"`
	Libvirt     LibvirtConfig     `yaml:"libvirt"`
	Vsphere     VsphereConfig     `yaml:"vsphere"`
	SNMP        SNMPConfig        `yaml:"snmp"`
	CIM         CIMConfig         `yaml:"cim"`
	WSMan       WSManConfig       `yaml:"wsman"`
	Indications IndicationsConfig `yaml:"indications"`
}

// LogConfig chooses the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// InventoryConfig tunes the inventory's refreshes.
type InventoryConfig struct {
	ResyncInterval  time.Duration `yaml:"resync_interval"`
	CounterInterval time.Duration `yaml:"counter_interval"`
	CallTimeout     time.Duration `yaml:"call_timeout"`
}

// LibvirtConfig tunes the libvirt backend's connection handling.
type LibvirtConfig struct {
	ReconnectMin      time.Duration `yaml:"reconnect_min"`
	ReconnectMax      time.Duration `yaml:"reconnect_max"`
	KeepaliveInterval int           `yaml:"keepalive_interval"`
	KeepaliveCount    uint          `yaml:"keepalive_count"`
}

func defaultConfig() Config {
	inv := inventory.DefaultConfig()
	return Config{
		Log: LogConfig{Level: "info", Format: "text"},
		Inventory: InventoryConfig{
			ResyncInterval: inv.ResyncInterval, CounterInterval: inv.CounterInterval, CallTimeout: inv.CallTimeout,
		},
		Libvirt: LibvirtConfig{ReconnectMin: 250 * time.Millisecond, ReconnectMax: 30 * time.Second, KeepaliveInterval: 5, KeepaliveCount: 3},
		SNMP:    defaultSNMP(),
		CIM:     defaultCIM(),
		WSMan:   defaultWSMan(),

		Indications: defaultIndications(),

		Vsphere: defaultVsphere(),
	}
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)

// loadConfig reads path over the defaults. Unknown keys are errors: a typo
// must not silently fall back to a default.
func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("reading config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
		msg = lineKey.ReplaceAllStringFunc(msg, func(m string) string {
			line, _ := strconv.Atoi(lineKey.FindStringSubmatch(m)[1])
			if key := keyAt(data, line); key != "" {
				return strings.Replace(m, ":", ": "+key+":", 1)
			}
			return m
		})
		msg = unknownField.ReplaceAllString(msg, `line $1: unknown key "$2"`)
		return cfg, fmt.Errorf("config file %s: %s (see virtbridge.example.yaml for the keys)", path, msg)
	}
	if err := cfg.validate(); err != nil {
		return cfg, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// lineKey finds a line number not followed by an unknown-key complaint,
// which names its key already.
var lineKey = regexp.MustCompile(`line (\d+):( cannot| invalid)`)

// keyAt names the dotted key whose value sits on a line, so a bad value is
// reported as "inventory.resync_interval", not only by its line number.
func keyAt(data []byte, line int) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return ""
	}
	var find func(n *yaml.Node, prefix string) string
	find = func(n *yaml.Node, prefix string) string {
		if n.Kind != yaml.MappingNode {
			return ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.MappingNode && v.Line == line {
				return prefix + k.Value
			}
			if found := find(v, prefix+k.Value+"."); found != "" {
				return found
			}
		}
		return ""
	}
	return find(root.Content[0], "")
}

func (c *Config) validate() error {
	var errs []error
	if err := c.resolveBackend(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		errs = append(errs, err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	for name, d := range map[string]time.Duration{
		"inventory.resync_interval": c.Inventory.ResyncInterval, "inventory.counter_interval": c.Inventory.CounterInterval,
	} {
		if d < 0 || (d > 0 && d < 100*time.Millisecond) {
			errs = append(errs, fmt.Errorf("%s %v: want 0 (off) or at least 100ms", name, d))
		}
	}
	if c.Inventory.CallTimeout < time.Second {
		errs = append(errs, fmt.Errorf("inventory.call_timeout %v: want at least 1s", c.Inventory.CallTimeout))
	}
	if c.Libvirt.ReconnectMin <= 0 || c.Libvirt.ReconnectMax < c.Libvirt.ReconnectMin {
		errs = append(errs, fmt.Errorf("libvirt.reconnect_min %v / reconnect_max %v: want 0 < min <= max", c.Libvirt.ReconnectMin, c.Libvirt.ReconnectMax))
	}
	if c.Libvirt.KeepaliveInterval < 1 || c.Libvirt.KeepaliveCount < 1 {
		errs = append(errs, fmt.Errorf("libvirt.keepalive_interval and keepalive_count: want at least 1"))
	}
	errs = append(errs, c.SNMP.validate()...)
	errs = append(errs, c.CIM.validate(c.WSMan.Enabled)...)
	errs = append(errs, c.WSMan.validate()...)
	errs = append(errs, c.Vsphere.validate(c.Connect)...)
	errs = append(errs, c.Indications.validate()...)
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	slices.Sort(msgs)
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log.level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func (c *Config) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (c *Config) inventoryConfig(log *slog.Logger) inventory.Config {
	return inventory.Config{
		ResyncInterval: c.Inventory.ResyncInterval, CounterInterval: c.Inventory.CounterInterval,
		CallTimeout: c.Inventory.CallTimeout, Logger: log,
	}
}

// resolveBackend checks backend against connect: "" picks the backend
// from the URL; "vsphere" takes a bare HOST[:PORT] as vsphere://HOST[:PORT];
// a URL of the other backend is an error naming both.
func (c *Config) resolveBackend() error {
	switch c.Backend {
	case "":
		return nil
	case "libvirt":
		if vsphere.IsURL(c.Connect) {
			return fmt.Errorf("backend libvirt with connect %q, a vSphere URL: drop one of them", c.Connect)
		}
		return nil
	case "vsphere":
		switch {
		case c.Connect == "":
			return errors.New("backend vsphere needs connect: vsphere://HOST[:PORT] or https://HOST[:PORT]/sdk")
		case vsphere.IsURL(c.Connect):
			return nil
		case !strings.Contains(c.Connect, "://"):
			c.Connect = "vsphere://" + c.Connect
			return nil
		}
		return fmt.Errorf("backend vsphere with connect %q: want vsphere://HOST[:PORT], https://HOST[:PORT]/sdk or HOST[:PORT]", c.Connect)
	}
	return fmt.Errorf("backend %q: want libvirt or vsphere (or none: chosen by the connect URL)", c.Backend)
}
