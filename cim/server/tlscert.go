package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names of the generated certificate inside Config.StateDir.
const (
	GeneratedCertName = "cert.pem"
	GeneratedKeyName  = "key.pem"
	// generatedValidity is long because nobody rotates a self-signed agent
	// certificate; clients pin it (by fingerprint or --cacert) instead.
	generatedValidity = 10 * 365 * 24 * time.Hour
)

// loadOrCreateCert returns the configured key pair, or the one in stateDir,
// generating it there on first start. generated reports whether it was just
// created.
func loadOrCreateCert(certFile, keyFile, stateDir string) (cert tls.Certificate, generated bool, err error) {
	switch {
	case certFile != "" && keyFile != "":
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return cert, false, fmt.Errorf("loading TLS certificate %s and key %s: %w", certFile, keyFile, err)
		}
		return cert, false, nil
	case certFile != "" || keyFile != "":
		return cert, false, errors.New("TLS: set both CertFile and KeyFile, or neither to use a generated certificate")
	case stateDir == "":
		return cert, false, errors.New("TLS: no CertFile/KeyFile and no StateDir to keep a generated certificate in")
	}

	certPath := filepath.Join(stateDir, GeneratedCertName)
	keyPath := filepath.Join(stateDir, GeneratedKeyName)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	certMissing, keyMissing := errors.Is(certErr, fs.ErrNotExist), errors.Is(keyErr, fs.ErrNotExist)
	switch {
	case !certMissing && !keyMissing:
		cert, err = tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return cert, false, fmt.Errorf("loading generated TLS certificate from %s: %w", stateDir, err)
		}
		return cert, false, nil
	case certMissing != keyMissing:
		// Never overwrite half a pair: the operator may have pinned it.
		return cert, false, fmt.Errorf("TLS: only one of %s and %s exists; remove it to regenerate both", certPath, keyPath)
	}

	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return cert, false, fmt.Errorf("creating state directory for TLS certificate: %w", err)
	}
	certPEM, keyPEM, err := generateSelfSigned(time.Now())
	if err != nil {
		return cert, false, err
	}
	// Key first: a crash between the two leaves "key without cert", which
	// the check above reports instead of silently regenerating.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return cert, false, fmt.Errorf("writing generated TLS key: %w", err)
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return cert, false, fmt.Errorf("writing generated TLS certificate: %w", err)
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return cert, false, fmt.Errorf("using generated TLS certificate: %w", err)
	}
	return cert, true, nil
}

// generateSelfSigned makes an ECDSA P-256 certificate for this host's name,
// localhost and the loopback addresses.
func generateSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating certificate serial: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	dnsNames := []string{"localhost"}
	if host != "localhost" {
		dnsNames = append([]string{host}, dnsNames...)
		if short, _, ok := strings.Cut(host, "."); ok && short != "" {
			dnsNames = append(dnsNames, short)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"virtbridge self-signed"}},
		// Backdated so a client with a slightly slow clock accepts it.
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(generatedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TLS key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// fingerprint formats SHA-256 of the DER like `openssl x509 -fingerprint
// -sha256`: upper-case hex pairs joined by colons.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}
