package vsphere

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// tlsConfig builds the client's certificate check from the options.
func tlsConfig(o *Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case o.Insecure:
		cfg.InsecureSkipVerify = true
	case o.Thumbprint != "":
		want, err := normThumbprint(o.Thumbprint)
		if err != nil {
			return nil, err
		}
		// The chain and name are not checked: the pin is the trust.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			leaf := cs.PeerCertificates[0]
			if want == thumbprint(sha256Sum(leaf.Raw)) || want == thumbprint(sha1Sum(leaf.Raw)) {
				return nil
			}
			return &pinError{got: ThumbprintSHA256(leaf)}
		}
	case o.CAFile != "":
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// pinError is a server certificate that does not match the pinned
// thumbprint.
type pinError struct{ got string }

func (e *pinError) Error() string {
	return "the server's certificate does not match vsphere.thumbprint: its SHA-256 thumbprint is " + e.got
}

// ThumbprintSHA256 is the SHA-256 thumbprint of a certificate in the form
// vSphere prints it (upper-case hex pairs separated by colons).
func ThumbprintSHA256(c *x509.Certificate) string { return thumbprint(sha256Sum(c.Raw)) }

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func sha1Sum(b []byte) []byte { s := sha1.Sum(b); return s[:] }

func thumbprint(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// normThumbprint accepts a SHA-256 or SHA-1 thumbprint in hex, with or
// without colons, in any case, and returns it in vSphere's form.
func normThumbprint(s string) (string, error) {
	raw, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if err != nil || (len(raw) != sha256.Size && len(raw) != sha1.Size) {
		return "", fmt.Errorf("thumbprint %q: want the SHA-256 (or SHA-1) fingerprint in hex, e.g. AB:CD:EF:01", s)
	}
	return thumbprint(raw), nil
}

// explainTLS says how to trust a server whose certificate was refused,
// naming its thumbprint; "" when err is no certificate problem.
func explainTLS(err error) string {
	var pin *pinError
	if errors.As(err, &pin) {
		return pin.Error()
	}
	var cert *x509.Certificate
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0:
		cert = verr.UnverifiedCertificates[0]
	case errors.As(err, &unknown):
		cert = unknown.Cert
	case errors.As(err, &invalid):
		cert = invalid.Cert
	case errors.As(err, &host):
		cert = host.Certificate
	default:
		return ""
	}
	if cert == nil {
		return "the server's certificate is not trusted: set vsphere.ca_file or vsphere.thumbprint"
	}
	return "the server's certificate is not trusted; its SHA-256 thumbprint is " + ThumbprintSHA256(cert) +
		": set vsphere.ca_file to the CA that signed it, or vsphere.thumbprint to pin it"
}
