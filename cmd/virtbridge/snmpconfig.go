package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/snmp/mib"
	"github.com/virtbridge/virtbridge/snmp/usm"
)

// SNMPConfig is the snmp: section.
type SNMPConfig struct {
	Enabled       bool                  `yaml:"enabled"`
	Listen        []string              `yaml:"listen"`
	StateDir      string                `yaml:"state_dir"`
	Enterprise    string                `yaml:"enterprise_oid"`
	SysContact    string                `yaml:"sys_contact"`
	SysLocation   string                `yaml:"sys_location"`
	SysName       string                `yaml:"sys_name"`
	Communities   []CommunityConfig     `yaml:"communities"`
	Users         []UserConfig          `yaml:"users"`
	Views         map[string]ViewConfig `yaml:"views"`
	Notifications NotificationsConfig   `yaml:"notifications"`
}

// CommunityConfig is a v1/v2c community.
type CommunityConfig struct {
	Name      string `yaml:"name"`
	Access    string `yaml:"access"` // read-only or read-write
	ReadView  string `yaml:"read_view"`
	WriteView string `yaml:"write_view"`
}

// UserConfig is a v3 USM user.
type UserConfig struct {
	Name         string `yaml:"name"`
	AuthProtocol string `yaml:"auth_protocol"`
	AuthPassword string `yaml:"auth_password"`
	PrivProtocol string `yaml:"priv_protocol"`
	PrivPassword string `yaml:"priv_password"`
	ReadView     string `yaml:"read_view"`
	WriteView    string `yaml:"write_view"`
}

// ViewConfig is a named MIB view: OID subtrees in and out.
type ViewConfig struct {
	Included []string `yaml:"included"`
	Excluded []string `yaml:"excluded"`
}

// NotificationsConfig says where traps and informs go.
type NotificationsConfig struct {
	BulkWindow    time.Duration       `yaml:"bulk_window"`
	BulkThreshold int                 `yaml:"bulk_threshold"`
	Destinations  []DestinationConfig `yaml:"destinations"`
}

// DestinationConfig is one notification receiver.
type DestinationConfig struct {
	Name      string        `yaml:"name"`
	Address   string        `yaml:"address"`
	Version   string        `yaml:"version"` // 2c or 3
	Inform    bool          `yaml:"inform"`
	Community string        `yaml:"community"`
	User      UserConfig    `yaml:"user"`
	Timeout   time.Duration `yaml:"timeout"`
	Retries   int           `yaml:"retries"`
	QueueSize int           `yaml:"queue_size"`
}

func defaultSNMP() SNMPConfig {
	return SNMPConfig{
		Enabled:    true,
		Listen:     []string{"127.0.0.1:1161", "[::1]:1161"},
		Enterprise: "1.3.6.1.4.1.32473",
		Communities: []CommunityConfig{
			{Name: "public", Access: "read-only", ReadView: "all"},
		},
		Users: []UserConfig{},
		Views: map[string]ViewConfig{
			"all": {Included: []string{"1.3.6.1"}, Excluded: []string{}},
		},
		Notifications: NotificationsConfig{BulkWindow: time.Second, BulkThreshold: 20, Destinations: []DestinationConfig{}},
	}
}

// stateDir is where the SNMP engine ID, engine boots and vmIndex map live.
func (c *SNMPConfig) stateDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	return defaultStateDir()
}

func (c *SNMPConfig) validate() []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if len(c.Listen) == 0 {
		errs = append(errs, errors.New("snmp.listen: want at least one address, e.g. 127.0.0.1:1161"))
	}
	if _, err := mib.Parse(c.Enterprise); err != nil || !strings.HasPrefix(strings.TrimPrefix(c.Enterprise, "."), "1.3.6.1.4.1.") {
		errs = append(errs, fmt.Errorf("snmp.enterprise_oid %q: want an OID under 1.3.6.1.4.1", c.Enterprise))
	}
	for name, v := range c.Views {
		for _, o := range append(slices.Clone(v.Included), v.Excluded...) {
			if _, err := mib.Parse(o); err != nil {
				errs = append(errs, fmt.Errorf("snmp.views.%s: %v", name, err))
			}
		}
	}
	view := func(where, name string) {
		if _, ok := c.Views[name]; name != "" && !ok {
			errs = append(errs, fmt.Errorf("%s: no view named %q in snmp.views", where, name))
		}
	}
	for i, cm := range c.Communities {
		where := fmt.Sprintf("snmp.communities[%d]", i)
		if cm.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is empty", where))
		}
		if cm.Access != "read-only" && cm.Access != "read-write" {
			errs = append(errs, fmt.Errorf("%s (%s): access %q, want read-only or read-write", where, cm.Name, cm.Access))
		}
		view(where+".read_view", cm.ReadView)
		view(where+".write_view", cm.WriteView)
	}
	for i, u := range c.Users {
		where := fmt.Sprintf("snmp.users[%d] (%s)", i, u.Name)
		errs = append(errs, u.check(where)...)
		view(where+".read_view", u.ReadView)
		view(where+".write_view", u.WriteView)
	}
	for i, d := range c.Notifications.Destinations {
		where := fmt.Sprintf("snmp.notifications.destinations[%d] (%s)", i, d.Name)
		switch d.Version {
		case "2c":
			if d.Community == "" {
				errs = append(errs, fmt.Errorf("%s: version 2c needs a community", where))
			}
		case "3":
			errs = append(errs, d.User.check(where+".user")...)
		default:
			errs = append(errs, fmt.Errorf("%s: version %q, want 2c or 3", where, d.Version))
		}
		if d.Address == "" {
			errs = append(errs, fmt.Errorf("%s: address is empty", where))
		}
	}
	return errs
}

func (u *UserConfig) check(where string) []error {
	var errs []error
	if u.Name == "" {
		errs = append(errs, fmt.Errorf("%s: name is empty", where))
	}
	if _, err := usm.ParseAuth(u.AuthProtocol); err != nil {
		errs = append(errs, fmt.Errorf("%s: auth_protocol: %w", where, err))
	}
	if _, err := usm.ParsePriv(u.PrivProtocol); err != nil {
		errs = append(errs, fmt.Errorf("%s: priv_protocol: %w", where, err))
	}
	if u.PrivProtocol != "" && u.AuthProtocol == "" {
		errs = append(errs, fmt.Errorf("%s: privacy needs authentication (set auth_protocol)", where))
	}
	for _, p := range []struct{ proto, pass, name string }{{u.AuthProtocol, u.AuthPassword, "auth_password"}, {u.PrivProtocol, u.PrivPassword, "priv_password"}} {
		if p.proto != "" && len(p.pass) < 8 {
			errs = append(errs, fmt.Errorf("%s: %s must be at least 8 characters (RFC 3414)", where, p.name))
		}
	}
	return errs
}
