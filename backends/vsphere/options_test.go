package vsphere

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"vsphere://vc.example.com":            true,
		"vsphere://admin@vc.example.com:8443": true,
		"https://esx1.example.com/sdk":        true,
		"https://esx1.example.com/sdk/":       true,
		"https://esx1.example.com/":           false,
		"qemu:///system":                      false,
		"esx://esx1.example.com":              false, // libvirt's own ESX driver
		"test:///default":                     false,
		"":                                    false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v", s, got)
		}
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string][2]string{
		"vsphere://vc.example.com":           {"https://vc.example.com/sdk", ""},
		"vsphere://ops@vc.example.com:8443/": {"https://vc.example.com:8443/sdk", "ops"},
		"https://esx1.example.com/sdk":       {"https://esx1.example.com/sdk", ""},
		"vsphere://[2001:db8::1]:443/sdk":    {"https://[2001:db8::1]:443/sdk", ""},
	} {
		u, user, err := endpoint(in)
		if err != nil || u.String() != want[0] || user != want[1] {
			t.Errorf("endpoint(%q) = %v, %q, %v; want %v", in, u, user, err, want)
		}
	}
	for _, bad := range []string{"vsphere://u:p@vc", "vsphere://", "qemu:///system", "%zz"} {
		if _, _, err := endpoint(bad); err == nil {
			t.Errorf("endpoint(%q) accepted", bad)
		}
	}
}

func TestThumbprintForms(t *testing.T) {
	const want = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"
	for _, in := range []string{want, "abcdef0123456789abcdef0123456789abcdef01", " ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01 "} {
		if got, err := normThumbprint(in); err != nil || got != want {
			t.Errorf("normThumbprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "AB:CD", "zz" + want[2:], want + ":00"} {
		if _, err := normThumbprint(bad); err == nil {
			t.Errorf("normThumbprint(%q) accepted", bad)
		}
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	log := slog.New(slog.DiscardHandler)
	o := Options{User: "config-user", Logger: log, CredentialsFile: write("both", "username = file-user\npassword=p=w:rd \n")}
	if u, p, err := o.credentials("url-user"); err != nil || u != "file-user" || p != "p=w:rd " {
		t.Errorf("both = %q, %q, %v", u, p, err)
	}
	o.CredentialsFile = write("pass", "# just the secret\npassword=s\n")
	if u, p, err := o.credentials("url-user"); err != nil || u != "config-user" || p != "s" {
		t.Errorf("password only = %q, %q, %v", u, p, err)
	}
	o.User = ""
	if u, _, err := o.credentials("url-user"); err != nil || u != "url-user" {
		t.Errorf("user from the URL = %q, %v", u, err)
	}
	for name, text := range map[string]string{"nopass": "username=x\n", "junk": "password=x\nhello\n"} {
		o.CredentialsFile = write(name, text)
		if _, _, err := o.credentials("u"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o.CredentialsFile = filepath.Join(dir, "missing")
	if _, _, err := o.credentials("u"); err == nil {
		t.Error("a missing file is accepted")
	}
}
