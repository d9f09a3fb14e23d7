package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim/virt"
)

// namespaceName is a CIM namespace name (DSP0004): names joined by '/'.
var namespaceName = regexp.MustCompile(`^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$`)

// CIMConfig is the cim: section: the CIM-XML server (WS-Management will
// share its listeners' settings).
type CIMConfig struct {
	Enabled         bool          `yaml:"enabled"`
	HTTP            []string      `yaml:"http"`
	HTTPS           []string      `yaml:"https"`
	AllowRemoteHTTP bool          `yaml:"allow_remote_http"`
	CertFile        string        `yaml:"cert_file"`
	KeyFile         string        `yaml:"key_file"`
	UsersFile       string        `yaml:"users_file"`
	StateDir        string        `yaml:"state_dir"`
	Namespace       string        `yaml:"namespace"`
	MaxRequestBytes int64         `yaml:"max_request_bytes"`
	MaxEnumerations int           `yaml:"max_enumerations"`
	EnumTimeout     time.Duration `yaml:"enumeration_timeout"`
}

// WSManConfig is the wsman: section: the WS-Management listeners. TLS,
// users, namespace and limits are the cim: section's.
type WSManConfig struct {
	Enabled             bool     `yaml:"enabled"`
	HTTP                []string `yaml:"http"`
	HTTPS               []string `yaml:"https"`
	AllowRemoteHTTP     bool     `yaml:"allow_remote_http"`
	IdentifyWithoutAuth bool     `yaml:"identify_without_auth"`
}

func defaultWSMan() WSManConfig {
	return WSManConfig{Enabled: true, HTTP: []string{"127.0.0.1:5985"}, HTTPS: []string{":5986"}, IdentifyWithoutAuth: true}
}

func (c *WSManConfig) validate() []error {
	if c.Enabled && len(c.HTTP) == 0 && len(c.HTTPS) == 0 {
		return []error{errors.New("wsman.http and wsman.https: want at least one address, e.g. 127.0.0.1:5985")}
	}
	return nil
}

// interopNamespace is fixed: clients look for profiles there (DSP1033).
const interopNamespace = virt.Interop

func defaultCIM() CIMConfig {
	return CIMConfig{
		Enabled:         true,
		HTTP:            []string{"127.0.0.1:5988"},
		HTTPS:           []string{":5989"},
		Namespace:       "root/virtualization",
		MaxRequestBytes: 4 << 20,
		MaxEnumerations: 256,
		EnumTimeout:     2 * time.Minute,
	}
}

// stateDir is where the generated TLS certificate lives.
func (c *CIMConfig) stateDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	return defaultStateDir()
}

// usersFile is the users file, by default in the state directory.
func (c *CIMConfig) usersFile() string {
	if c.UsersFile != "" {
		return c.UsersFile
	}
	return filepath.Join(c.stateDir(), "cim-users")
}

// defaultStateDir is /var/lib/virtbridge as root, else under the user's
// home.
func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/virtbridge"
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(filepath.Dir(d), ".local", "state", "virtbridge")
	}
	return filepath.Join(os.TempDir(), "virtbridge")
}

// validate checks the section; the shared settings are checked whenever
// either CIM protocol is on.
func (c *CIMConfig) validate(wsmanOn bool) []error {
	if !c.Enabled && !wsmanOn {
		return nil
	}
	var errs []error
	if c.Enabled && len(c.HTTP) == 0 && len(c.HTTPS) == 0 {
		errs = append(errs, errors.New("cim.http and cim.https: want at least one address, e.g. 127.0.0.1:5988"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cim.cert_file and cim.key_file: give both, or neither to use a generated certificate"))
	}
	if !namespaceName.MatchString(c.Namespace) || strings.EqualFold(c.Namespace, interopNamespace) {
		errs = append(errs, fmt.Errorf("cim.namespace %q: want a namespace name such as root/virtualization, other than %s", c.Namespace, interopNamespace))
	}
	if c.MaxRequestBytes < 4<<10 {
		errs = append(errs, fmt.Errorf("cim.max_request_bytes %d: want at least 4096", c.MaxRequestBytes))
	}
	if c.MaxEnumerations < 1 {
		errs = append(errs, fmt.Errorf("cim.max_enumerations %d: want at least 1", c.MaxEnumerations))
	}
	if c.EnumTimeout < time.Second {
		errs = append(errs, fmt.Errorf("cim.enumeration_timeout %v: want at least 1s", c.EnumTimeout))
	}
	return errs
}
