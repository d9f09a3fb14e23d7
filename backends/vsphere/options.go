package vsphere

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/backends"
)

// Options say how to reach and log in to the endpoint. Zero values take the
// defaults.
type Options struct {
	User     string
	Password string
	// CredentialsFile holds "username=..." and "password=..." lines (the
	// mount.cifs format); it is read again at every (re)connect, so a
	// rotated password needs no restart. Its user wins over User.
	CredentialsFile string
	// Host names the ESXi host to manage when the endpoint is a vCenter:
	// its inventory name. "" is fine for an ESXi endpoint or a vCenter
	// with exactly one host.
	Host string

	// Certificate checking: at most one of CAFile (PEM bundle), Thumbprint
	// (SHA-256 or SHA-1 of the server's certificate, hex, colons optional)
	// and Insecure (no check at all). None means the system's CAs.
	CAFile     string
	Thumbprint string
	Insecure   bool

	Logger        *slog.Logger
	ReconnectMin  time.Duration // first back-off after a drop; default 250 ms
	ReconnectMax  time.Duration // back-off ceiling; default 30 s
	CallTimeout   time.Duration // bound on the backend's own calls (login, watch); default 30 s
	UpdateWait    time.Duration // longest WaitForUpdatesEx wait, whole seconds; default 30 s
	EventQueueMax int           // undelivered events before overflow; default 65536
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 250 * time.Millisecond
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = 30 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.UpdateWait < time.Second {
		o.UpdateWait = 30 * time.Second
	}
	if o.EventQueueMax <= 0 {
		o.EventQueueMax = 1 << 16
	}
}

// Check reports what is wrong with the options that no connection is needed
// to see, for configuration validation.
func (o *Options) Check() error {
	n := 0
	for _, set := range []bool{o.CAFile != "", o.Thumbprint != "", o.Insecure} {
		if set {
			n++
		}
	}
	var errs []error
	if n > 1 {
		errs = append(errs, errors.New("set at most one of ca_file, thumbprint and insecure"))
	}
	if o.Thumbprint != "" {
		if _, err := normThumbprint(o.Thumbprint); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Password != "" && o.CredentialsFile != "" {
		errs = append(errs, errors.New("set password or credentials_file, not both"))
	}
	return errors.Join(errs...)
}

// IsURL reports whether connect names a vSphere endpoint rather than a
// libvirt URI: vsphere://HOST[:PORT][/PATH], or https://HOST[:PORT]/sdk.
func IsURL(connect string) bool {
	u, err := url.Parse(connect)
	if err != nil {
		return false
	}
	return u.Scheme == "vsphere" || (u.Scheme == "https" && strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/sdk"))
}

// endpoint turns a connect URL into the SDK URL and the user it names, if
// any. A password in the URL is refused: URLs end up in logs.
func endpoint(connect string) (*url.URL, string, error) {
	u, err := url.Parse(connect)
	if err != nil || u.Host == "" || (u.Scheme != "vsphere" && u.Scheme != "https") {
		return nil, "", fmt.Errorf("%q is not a vSphere URL: want vsphere://HOST[:PORT] or https://HOST[:PORT]/sdk", connect)
	}
	var user string
	if u.User != nil {
		if _, set := u.User.Password(); set {
			return nil, "", errors.New("the URL carries a password: put it in vsphere.password or vsphere.credentials_file instead")
		}
		user = u.User.Username()
	}
	out := &url.URL{Scheme: "https", Host: u.Host, Path: strings.TrimRight(u.Path, "/")}
	if out.Path == "" {
		out.Path = "/sdk"
	}
	return out, user, nil
}

// urlHost is the host= query parameter of a URL.
func urlHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Query().Get("host")
}

// credentials returns the user and password to log in with.
func (o *Options) credentials(urlUser string) (string, string, error) {
	user, pass := o.User, o.Password
	if user == "" {
		user = urlUser
	}
	if o.CredentialsFile != "" {
		fu, fp, err := readCredentials(o.CredentialsFile, o.Logger)
		if err != nil {
			return "", "", err
		}
		if fu != "" {
			user = fu
		}
		pass = fp
	}
	if user == "" {
		return "", "", errors.New("no user name: set vsphere.user, a user in the URL, or username= in the credentials file")
	}
	return user, pass, nil
}

// readCredentials reads a credentials file: username=, password= lines;
// blank lines and # comments are ignored. The password is the rest of its
// line exactly, spaces included.
func readCredentials(path string, log *slog.Logger) (user, pass string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("reading the credentials file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the vSphere credentials file is readable by other users; chmod 600 it", "file", path, "mode", fi.Mode().Perm().String())
	}
	sc := bufio.NewScanner(f)
	seenPass := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "username", "user":
			user = strings.TrimSpace(v)
		case "password":
			pass, seenPass = v, true
		default:
			ok = false
		}
		if !ok {
			return "", "", fmt.Errorf("credentials file %s line %d: want username=NAME or password=SECRET", path, n)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("reading the credentials file: %w", err)
	}
	if !seenPass {
		return "", "", fmt.Errorf("credentials file %s has no password= line", path)
	}
	return user, pass, nil
}

// badConfig is an ErrInvalidArgument for the connect step.
func badConfig(err error) error {
	return &backends.Error{Op: "connect", Kind: backends.ErrInvalidArgument, Err: err}
}
