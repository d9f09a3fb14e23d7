// Package server is the HTTP/HTTPS layer shared by virtbridge's CIM-XML
// (DSP0200) and WS-Management handlers: listeners, TLS with a generated
// certificate when none is configured, HTTP Basic authentication against a
// bcrypt users file, roles passed to handlers through the request context,
// request body limits and graceful shutdown.
package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for zero Config fields.
const (
	DefaultMaxBody           int64 = 4 << 20
	DefaultRealm                   = "virtbridge"
	DefaultReadHeaderTimeout       = 10 * time.Second
	// DefaultReadTimeout covers headers and the whole body; a 4 MiB body
	// over a slow WAN still fits.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds handler time plus the response write; large
	// enumerations on a busy host are the slow case.
	DefaultWriteTimeout    = 2 * time.Minute
	DefaultIdleTimeout     = 2 * time.Minute
	DefaultShutdownTimeout = 10 * time.Second
	maxHeaderBytes         = 64 << 10
)

// Config configures a Server. Zero durations and sizes take the defaults
// above.
type Config struct {
	// HTTP and HTTPS are listen addresses, e.g. "127.0.0.1:5988", ":5989".
	HTTP, HTTPS []string
	// AllowRemoteHTTP permits plain-HTTP listeners on non-loopback
	// addresses. Off by default because Basic credentials would cross the
	// network in clear text.
	AllowRemoteHTTP bool
	// CertFile and KeyFile are the TLS key pair. If both are empty a
	// self-signed ECDSA P-256 certificate is generated into StateDir on
	// first start and reused afterwards.
	CertFile, KeyFile string
	StateDir          string
	// UsersFile is the name:role:bcrypt-hash file (see WriteUser). Required.
	UsersFile string
	MaxBody   int64
	Realm     string
	Logger    *slog.Logger

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight requests once
	// its context ends; then remaining connections are closed.
	ShutdownTimeout time.Duration
}

// Route mounts a protocol handler. Path is a net/http ServeMux pattern
// ("/cimom", "POST /wsman").
type Route struct {
	Path    string
	Handler http.Handler
	// AllowAnonymous, if set, is asked about requests that carry no
	// credentials; returning true serves them unauthenticated (RoleFrom then
	// reports false). WS-Man Identify is the intended use. The request body
	// is already buffered: the function may read r.Body, and the handler
	// still sees it from the start. Requests with wrong credentials are
	// always refused, never downgraded to anonymous.
	AllowAnonymous func(*http.Request) bool
}

// Server serves the routes on all configured listeners.
type Server struct {
	cfg         Config
	log         *slog.Logger
	users       *Users
	httpLns     []net.Listener
	httpsLns    []net.Listener
	srv         *http.Server
	fingerprint string

	mu      sync.Mutex
	started bool
	closed  bool
}

type ctxKey struct{}

type identity struct {
	role Role
	user string
}

// RoleFrom returns the authenticated role and user name of the request
// whose context this is; ok is false for anonymous requests.
func RoleFrom(ctx context.Context) (role Role, user string, ok bool) {
	id, ok := ctx.Value(ctxKey{}).(identity)
	return id.role, id.user, ok
}

// ContextWithRole returns ctx carrying role and user as RoleFrom reports
// them; protocol handler tests use it to call handlers directly.
func ContextWithRole(ctx context.Context, role Role, user string) context.Context {
	return context.WithValue(ctx, ctxKey{}, identity{role: role, user: user})
}

// New validates cfg, loads the users file and TLS certificate, and binds
// every listener, so configuration mistakes and busy ports fail here rather
// than in Run.
func New(cfg Config, routes []Route) (_ *Server, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	setDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&cfg.ReadTimeout, DefaultReadTimeout)
	setDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.ShutdownTimeout, DefaultShutdownTimeout)

	if len(cfg.HTTP) == 0 && len(cfg.HTTPS) == 0 {
		return nil, errors.New("cim server: no HTTP or HTTPS listen address configured")
	}
	if !cfg.AllowRemoteHTTP {
		for _, a := range cfg.HTTP {
			if err := checkLoopback(a); err != nil {
				return nil, err
			}
		}
	}
	if cfg.UsersFile == "" {
		return nil, errors.New("cim server: no users file configured (create one with `virtbridge passwd`)")
	}
	users, err := LoadUsers(cfg.UsersFile)
	if err != nil {
		return nil, fmt.Errorf("cim server: %w", err)
	}
	users.log = cfg.Logger

	s := &Server{cfg: cfg, log: cfg.Logger, users: users}

	var tlsCfg *tls.Config
	if len(cfg.HTTPS) > 0 {
		cert, generated, err := loadOrCreateCert(cfg.CertFile, cfg.KeyFile, cfg.StateDir)
		if err != nil {
			return nil, fmt.Errorf("cim server: %w", err)
		}
		s.fingerprint = fingerprint(cert.Certificate[0])
		if generated {
			s.log.Info("generated self-signed TLS certificate", "dir", cfg.StateDir, "sha256", s.fingerprint)
		} else {
			s.log.Info("using TLS certificate", "sha256", s.fingerprint)
		}
		tlsCfg = newTLSConfig(cert)
	}

	mux := http.NewServeMux()
	for _, rt := range routes {
		if err := handle(mux, rt.Path, s.wrap(rt)); err != nil {
			return nil, err
		}
	}

	var protocols http.Protocols
	protocols.SetHTTP1(true) // CIM-XML and WS-Man clients speak HTTP/1.1
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		Protocols:         &protocols,
		// TLS handshake failures from scanners and old clients are noise at
		// any level above debug.
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}

	defer func() {
		if err != nil {
			s.closeListeners()
		}
	}()
	// Binding a local socket does not block; there is no caller context.
	var lc net.ListenConfig
	for _, a := range cfg.HTTP {
		ln, err := lc.Listen(context.Background(), "tcp", a)
		if err != nil {
			return nil, fmt.Errorf("cim server: HTTP listener: %w", err)
		}
		s.httpLns = append(s.httpLns, ln)
	}
	for _, a := range cfg.HTTPS {
		ln, err := lc.Listen(context.Background(), "tcp", a)
		if err != nil {
			return nil, fmt.Errorf("cim server: HTTPS listener: %w", err)
		}
		s.httpsLns = append(s.httpsLns, tls.NewListener(ln, tlsCfg))
	}
	return s, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// handle turns ServeMux's panics on bad or conflicting patterns into errors.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cim server: route %q: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

func newTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are not
		// configurable and all fine).
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"http/1.1"},
	}
}

// checkLoopback refuses a plain-HTTP address that is not loopback. Host
// names other than "localhost" count as remote: what they resolve to can
// change.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("cim server: HTTP listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("cim server: plain HTTP listen address %q is not loopback; Basic credentials would cross the network unencrypted (use HTTPS, or set AllowRemoteHTTP)", addr)
}

// Addrs returns the bound addresses, useful when listening on port 0.
func (s *Server) Addrs() (httpAddrs, httpsAddrs []net.Addr) {
	for _, ln := range s.httpLns {
		httpAddrs = append(httpAddrs, ln.Addr())
	}
	for _, ln := range s.httpsLns {
		httpsAddrs = append(httpsAddrs, ln.Addr())
	}
	return httpAddrs, httpsAddrs
}

// Fingerprint is the SHA-256 fingerprint of the TLS certificate in
// `openssl x509 -fingerprint -sha256` form, or "" without HTTPS.
func (s *Server) Fingerprint() string { return s.fingerprint }

// Run serves until ctx ends, then stops accepting, lets in-flight requests
// finish for up to ShutdownTimeout and closes what remains. It returns nil
// after a shutdown caused by ctx, or the first listener error.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return errors.New("cim server: Run called twice or after Close")
	}
	s.started = true
	s.mu.Unlock()

	// Requests must outlive ctx during the graceful phase, so their base
	// context is detached from it and cancelled only when Run gives up.
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	s.srv.BaseContext = func(net.Listener) context.Context { return baseCtx }

	lns := append(append([]net.Listener(nil), s.httpLns...), s.httpsLns...)
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() {
			err := s.srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("cim server: serving %s: %w", ln.Addr(), err)
			}
			errc <- err
		}()
	}
	httpAddrs, httpsAddrs := s.Addrs()
	s.log.Info("cim server listening", "http", httpAddrs, "https", httpsAddrs)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		// A listener died: take the others down too.
	}

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(shutCtx); err != nil {
		s.log.Warn("cim server: requests still running at shutdown deadline; closing connections", "err", err)
		cancelBase()
		s.srv.Close()
	}
	// Collect the remaining Serve goroutines (one result was taken already
	// if a listener failed).
	n := len(lns)
	if runErr != nil {
		n--
	}
	for range n {
		if err := <-errc; err != nil && runErr == nil {
			runErr = err
		}
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return runErr
}

// Close releases the listeners of a Server whose Run was never called.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return nil
	}
	s.closed = true
	s.closeListeners()
	return nil
}

func (s *Server) closeListeners() {
	for _, ln := range append(append([]net.Listener(nil), s.httpLns...), s.httpsLns...) {
		ln.Close()
	}
}

// wrap applies the body limit and authentication in front of a route. The
// body is read fully (at most MaxBody) before the handler runs: both
// protocols need the whole XML document anyway, and it lets an oversized
// chunked body get a clean 413 here instead of a parse error in a handler.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withRemote(r)
		if r.ContentLength > s.cfg.MaxBody {
			s.tooLarge(w, r)
			return
		}
		user, pass, hasCreds := r.BasicAuth()
		if hasCreds {
			role, ok := s.users.Check(user, pass)
			if !ok {
				s.log.Warn("authentication failed", "user", user, "remote", r.RemoteAddr, "path", r.URL.Path)
				s.unauthorized(w)
				return
			}
			if !s.bufferBody(w, r) {
				return
			}
			r = r.WithContext(ContextWithRole(r.Context(), role, user))
			rt.Handler.ServeHTTP(w, r)
			return
		}
		if rt.AllowAnonymous == nil {
			s.unauthorized(w)
			return
		}
		if !s.bufferBody(w, r) {
			return
		}
		body := r.Body
		allowed := rt.AllowAnonymous(r)
		if !allowed {
			s.unauthorized(w)
			return
		}
		// Rewind in case AllowAnonymous read the body.
		if rs, ok := body.(interface{ rewind() }); ok {
			rs.rewind()
		}
		r.Body = body
		rt.Handler.ServeHTTP(w, r)
	})
}

// bufferedBody is a request body held in memory; rewind lets the handler
// re-read what AllowAnonymous consumed.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (b *bufferedBody) Close() error { return nil }
func (b *bufferedBody) rewind()      { b.Reset(b.data) }

// bufferBody replaces r.Body with its content read into memory, answering
// 413 (and returning false) when it exceeds MaxBody.
func (s *Server) bufferBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.tooLarge(w, r)
			return false
		}
		s.log.Debug("reading request body", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "error reading request body", http.StatusBadRequest)
		return false
	}
	r.Body = &bufferedBody{Reader: bytes.NewReader(data), data: data}
	r.ContentLength = int64(len(data))
	return true
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	s.log.Info("request body too large", "remote", r.RemoteAddr, "limit", s.cfg.MaxBody)
	// The rest of the body stays unread; don't keep the connection.
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("request body exceeds %d bytes", s.cfg.MaxBody), http.StatusRequestEntityTooLarge)
}

// unauthorized sends the challenge clients such as openwsman wait for
// before sending credentials: 401, WWW-Authenticate, empty body.
func (s *Server) unauthorized(w http.ResponseWriter) {
	realm := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s.cfg.Realm)
	// Set directly, not via Set: keep the exact spelling, since some
	// WBEM clients match this header case-sensitively.
	w.Header()["WWW-Authenticate"] = []string{`Basic realm="` + realm + `"`}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}
