package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// echoHandler answers "role user bodylen" so tests see what reached it.
func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		role, user, ok := RoleFrom(r.Context())
		if !ok {
			role, user = "anonymous", "-"
		}
		fmt.Fprintf(w, "%s %s %d", role, user, len(body))
	})
}

// testUsersFile writes alice (operator) and bob (read-only) at bcrypt's
// minimum cost so tests stay fast.
func testUsersFile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "users")
	if err := writeUser(path, "alice", "operator", "alice-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if err := writeUser(path, "bob", "read-only", "bob-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	return path
}

type running struct {
	*Server
	httpURL, httpsURL string
	certFile          string
	stop              func() error // cancels Run and returns its result
}

// start builds a server on ephemeral loopback ports with the given tweaks,
// runs it, and stops it at test end.
func start(t *testing.T, mod func(*Config), routes []Route) *running {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{
		HTTP:      []string{"127.0.0.1:0"},
		HTTPS:     []string{"127.0.0.1:0"},
		StateDir:  filepath.Join(dir, "state"),
		UsersFile: testUsersFile(t, dir),
	}
	if mod != nil {
		mod(&cfg)
	}
	if routes == nil {
		routes = []Route{{Path: "/cimom", Handler: echoHandler()}}
	}
	s, err := New(cfg, routes)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once atomic.Bool
	var runErr error
	stop := func() error {
		if once.CompareAndSwap(false, true) {
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h, hs := s.Addrs()
	r := &running{Server: s, stop: stop, certFile: filepath.Join(cfg.StateDir, GeneratedCertName)}
	if len(h) > 0 {
		r.httpURL = "http://" + h[0].String()
	}
	if len(hs) > 0 {
		r.httpsURL = "https://" + hs[0].String()
	}
	return r
}

// client trusts the generated certificate.
func (r *running) client(t *testing.T) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(r.certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("cannot parse generated cert")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func do(t *testing.T, c *http.Client, method, url, user, pass string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestGeneratedCertIsReused(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	cfg := Config{
		HTTPS:     []string{"127.0.0.1:0"},
		StateDir:  filepath.Join(dir, "state"),
		UsersFile: testUsersFile(t, dir),
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	s1, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	fp := s1.Fingerprint()
	s1.Close()
	if len(fp) != 32*3-1 {
		t.Fatalf("fingerprint %q: want 32 colon-separated hex pairs", fp)
	}
	if want := `msg="generated self-signed TLS certificate"`; !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "sha256="+fp) {
		t.Errorf("log lacks %s with sha256=%s:\n%s", want, fp, logs.String())
	}
	fi, err := os.Stat(filepath.Join(cfg.StateDir, GeneratedKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key mode %o, want 600", perm)
	}

	s2, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := s2.Fingerprint(); got != fp {
		t.Fatalf("second start fingerprint %s, want the first one %s", got, fp)
	}

	// Same format and value as openssl prints, so operators can compare.
	if _, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
			filepath.Join(cfg.StateDir, GeneratedCertName)).Output()
		if err != nil {
			t.Fatal(err)
		}
		_, want, _ := strings.Cut(strings.TrimSpace(string(out)), "=")
		if want != fp {
			t.Errorf("openssl fingerprint %s, ours %s", want, fp)
		}
	}

	// Certificate details: P-256, server auth, loopback SAN.
	cert, err := tls.LoadX509KeyPair(filepath.Join(cfg.StateDir, GeneratedCertName), filepath.Join(cfg.StateDir, GeneratedKeyName))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || leaf.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("key %v sig %v, want ECDSA / ECDSA-SHA256", leaf.PublicKeyAlgorithm, leaf.SignatureAlgorithm)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
}

func TestHalfGeneratedPairIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, GeneratedKeyName), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{HTTPS: []string{"127.0.0.1:0"}, StateDir: state, UsersFile: testUsersFile(t, dir)}, nil)
	if err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Fatalf("err = %v, want refusal to regenerate half a pair", err)
	}
}

// curl runs curl against url, returning the status code curl reports and the
// response headers.
func curl(t *testing.T, args ...string) (code string, headers string, body string) {
	t.Helper()
	dir := t.TempDir()
	hdr, out := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	all := append([]string{"-sS", "-D", hdr, "-o", out, "-w", "%{http_code}"}, args...)
	cmd := exec.Command("curl", all...)
	stdout, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("curl %v: %v: %s", args, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	h, _ := os.ReadFile(hdr)
	b, _ := os.ReadFile(out)
	return string(stdout), string(h), string(b)
}

func TestCurlHTTPSBasicAuth(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	r := start(t, nil, nil)
	url := r.httpsURL + "/cimom"

	code, _, body := curl(t, "--cacert", r.certFile, "-u", "alice:alice-secret", "--data-binary", "<CIM/>", url)
	if code != "200" || body != "operator alice 6" {
		t.Errorf("good credentials: %s %q, want 200 %q", code, body, "operator alice 6")
	}
	code, _, body = curl(t, "--cacert", r.certFile, "-u", "bob:bob-secret", url)
	if code != "200" || body != "read-only bob 0" {
		t.Errorf("read-only user: %s %q", code, body)
	}

	for name, creds := range map[string][]string{
		"none":           nil,
		"wrong password": {"-u", "alice:wrong-password"},
		"unknown user":   {"-u", "mallory:alice-secret"},
	} {
		args := append(append([]string{"--cacert", r.certFile}, creds...), url)
		code, headers, body := curl(t, args...)
		if code != "401" {
			t.Errorf("%s: status %s, want 401", name, code)
		}
		if !strings.Contains(headers, "WWW-Authenticate: Basic realm=\"virtbridge\"\r\n") {
			t.Errorf("%s: headers lack the Basic challenge:\n%s", name, headers)
		}
		if !strings.Contains(headers, "Content-Length: 0\r\n") || body != "" {
			t.Errorf("%s: want empty body, got %q / headers\n%s", name, body, headers)
		}
	}
}

// openwsman first sends without credentials, then repeats with them on the
// same connection; the 401 must not close it.
func TestChallengeKeepsConnection(t *testing.T) {
	r := start(t, nil, nil)
	c := r.client(t)
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
	for _, user := range []string{"", "alice"} {
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", r.httpsURL+"/cimom", strings.NewReader("<x/>"))
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, "alice-secret")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if want := map[string]int{"": 401, "alice": 200}[user]; resp.StatusCode != want {
			t.Fatalf("user %q: status %d, want %d", user, resp.StatusCode, want)
		}
		if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
			t.Errorf("protocol %s, want HTTP/1.1", resp.Proto)
		}
	}
	if len(reused) != 2 || !reused[1] {
		t.Errorf("connection reuse %v, want second request on the first connection", reused)
	}
}

func TestPlainHTTPLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	users := testUsersFile(t, dir)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:5988", "example.com:5988"} {
		_, err := New(Config{HTTP: []string{addr}, UsersFile: users}, nil)
		if err == nil || !strings.Contains(err.Error(), "is not loopback") || !strings.Contains(err.Error(), addr) {
			t.Errorf("%s: err = %v, want a not-loopback refusal naming the address", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		s, err := New(Config{HTTP: []string{addr}, UsersFile: users}, nil)
		if err != nil {
			t.Errorf("%s: %v", addr, err)
			continue
		}
		s.Close()
	}
	s, err := New(Config{HTTP: []string{"0.0.0.0:0"}, AllowRemoteHTTP: true, UsersFile: users}, nil)
	if err != nil {
		t.Fatalf("AllowRemoteHTTP: %v", err)
	}
	s.Close()
}

func TestPlainHTTPServes(t *testing.T) {
	r := start(t, nil, nil)
	code, _, body := do(t, http.DefaultClient, "POST", r.httpURL+"/cimom", "bob", "bob-secret", strings.NewReader("abc"))
	if code != 200 || body != "read-only bob 3" {
		t.Errorf("got %d %q", code, body)
	}
}

func TestBusyPortFailsAtNew(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	_, err = New(Config{
		HTTP:      []string{"127.0.0.1:0"},
		HTTPS:     []string{ln.Addr().String()},
		StateDir:  dir,
		UsersFile: testUsersFile(t, dir),
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("err = %v, want address-in-use naming %s", err, ln.Addr())
	}
}

func TestBadRouteFailsAtNew(t *testing.T) {
	dir := t.TempDir()
	_, err := New(Config{HTTP: []string{"127.0.0.1:0"}, UsersFile: testUsersFile(t, dir)},
		[]Route{{Path: "/a", Handler: echoHandler()}, {Path: "/a", Handler: echoHandler()}})
	if err == nil || !strings.Contains(err.Error(), `route "/a"`) {
		t.Fatalf("err = %v, want duplicate route error", err)
	}
}

// countCompare counts bcrypt verifications through the unexported hook.
func countCompare(u *Users) *atomic.Int32 {
	var n atomic.Int32
	u.mu.Lock()
	defer u.mu.Unlock()
	u.compare = func(hash, pw []byte) error {
		n.Add(1)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	return &n
}

func TestPasswordCacheSkipsBcrypt(t *testing.T) {
	r := start(t, nil, nil)
	calls := countCompare(r.users)
	clock := &fakeClock{}
	r.users.mu.Lock()
	r.users.now = clock.now
	r.users.mu.Unlock()
	c := r.client(t)
	url := r.httpsURL + "/cimom"

	for i := range 3 {
		if code, _, body := do(t, c, "GET", url, "alice", "alice-secret", nil); code != 200 || body != "operator alice 0" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("bcrypt ran %d times for three requests with the same credentials, want 1", n)
	}
	// Wrong passwords are never cached: each costs bcrypt.
	for range 2 {
		if code, _, _ := do(t, c, "GET", url, "alice", "not-her-password", nil); code != 401 {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("bcrypt calls %d after two wrong passwords, want 3", n)
	}
	// Unknown users pay bcrypt too (timing must not reveal them).
	do(t, c, "GET", url, "nobody", "whatever-pw", nil)
	if n := calls.Load(); n != 4 {
		t.Fatalf("bcrypt calls %d after unknown user, want 4", n)
	}
	// After the TTL the password is verified again.
	clock.advance(cacheTTL)
	do(t, c, "GET", url, "alice", "alice-secret", nil)
	if n := calls.Load(); n != 5 {
		t.Fatalf("bcrypt calls %d after TTL, want 5", n)
	}
}

func TestBodyLimit(t *testing.T) {
	r := start(t, func(c *Config) { c.MaxBody = 1024 }, nil)
	c := r.client(t)
	url := r.httpsURL + "/cimom"

	code, _, body := do(t, c, "POST", url, "alice", "alice-secret", bytes.NewReader(make([]byte, 1024)))
	if code != 200 || body != "operator alice 1024" {
		t.Errorf("body at limit: %d %q", code, body)
	}
	code, _, _ = do(t, c, "POST", url, "alice", "alice-secret", bytes.NewReader(make([]byte, 1025)))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared length over limit: %d, want 413", code)
	}
	// Chunked: no Content-Length, so the limit is found while reading.
	code, _, _ = do(t, c, "POST", url, "alice", "alice-secret", io.MultiReader(bytes.NewReader(make([]byte, 2048))))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over limit: %d, want 413", code)
	}
	// Unauthenticated large bodies are refused before anything is read.
	code, _, _ = do(t, c, "POST", url, "", "", bytes.NewReader(make([]byte, 4096)))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("anonymous oversized body: %d, want 413", code)
	}
}

func TestTLS11Refused(t *testing.T) {
	r := start(t, nil, nil)
	host := strings.TrimPrefix(r.httpsURL, "https://")
	conn, err := tls.Dial("tcp", host, &tls.Config{
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS11,
		InsecureSkipVerify: true, // only the version matters here
	})
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	if !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 error %q, want a protocol version alert from the server", err)
	}

	// TLS 1.2 works, with an AEAD suite.
	c := r.client(t)
	c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	resp, err := c.Get(r.httpsURL + "/cimom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS.Version != tls.VersionTLS12 || !strings.Contains(tls.CipherSuiteName(resp.TLS.CipherSuite), "ECDHE_ECDSA") {
		t.Errorf("TLS 1.2 session: version %x suite %s", resp.TLS.Version, tls.CipherSuiteName(resp.TLS.CipherSuite))
	}
	if resp.StatusCode != 401 {
		t.Errorf("no credentials over TLS 1.2: %d", resp.StatusCode)
	}
}

func TestCurlTLS11Refused(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	r := start(t, nil, nil)
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", r.certFile,
		"--tlsv1.1", "--tls-max", "1.1", "-u", "alice:alice-secret", r.httpsURL+"/cimom").CombinedOutput()
	if err == nil {
		t.Fatalf("curl over TLS 1.1 succeeded: %s", out)
	}
	if !strings.HasSuffix(string(out), "000") {
		t.Errorf("curl output %q, want no HTTP status", out)
	}
}

func TestAnonymousRoute(t *testing.T) {
	identify := func(r *http.Request) bool {
		b, _ := io.ReadAll(r.Body)
		return bytes.Contains(b, []byte("Identify"))
	}
	r := start(t, nil, []Route{{Path: "/wsman", Handler: echoHandler(), AllowAnonymous: identify}})
	c := r.client(t)
	url := r.httpsURL + "/wsman"

	code, _, body := do(t, c, "POST", url, "", "", strings.NewReader("<Identify/>"))
	if code != 200 || body != "anonymous - 11" {
		t.Errorf("anonymous Identify: %d %q, want the handler to see all 11 bytes", code, body)
	}
	code, hdr, _ := do(t, c, "POST", url, "", "", strings.NewReader("<Enumerate/>"))
	if code != 401 || hdr.Get("WWW-Authenticate") != `Basic realm="virtbridge"` {
		t.Errorf("anonymous Enumerate: %d %q", code, hdr.Get("WWW-Authenticate"))
	}
	code, _, _ = do(t, c, "POST", url, "alice", "wrong-password", strings.NewReader("<Identify/>"))
	if code != 401 {
		t.Errorf("Identify with wrong credentials: %d, want 401", code)
	}
	code, _, body = do(t, c, "POST", url, "alice", "alice-secret", strings.NewReader("<Enumerate/>"))
	if code != 200 || body != "operator alice 12" {
		t.Errorf("authenticated Enumerate: %d %q", code, body)
	}
}

func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	r := start(t, nil, []Route{{Path: "/slow", Handler: slow}})
	c := r.client(t)

	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", r.httpsURL+"/slow", nil)
		req.SetBasicAuth("alice", "alice-secret")
		resp, err := c.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b), err}
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()

	// Once shutdown has begun the listener is closed: new connections fail
	// while the in-flight request is still held.
	host := strings.TrimPrefix(r.httpsURL, "https://")
	for {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			break
		}
		conn.Close()
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	got := <-res
	if got.err != nil || got.code != 200 || got.body != "finished" {
		t.Fatalf("in-flight request: %+v, want 200 finished", got)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestShutdownDeadlineCancelsHandlers(t *testing.T) {
	entered := make(chan struct{})
	cancelled := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		close(cancelled)
	})
	// A tiny ShutdownTimeout: the handler only ends when Run gives up.
	r := start(t, func(c *Config) { c.ShutdownTimeout = 1 }, []Route{{Path: "/stuck", Handler: stuck}})
	c := r.client(t)
	go func() {
		req, _ := http.NewRequest("GET", r.httpsURL+"/stuck", nil)
		req.SetBasicAuth("alice", "alice-secret")
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	<-cancelled // handler's context was cancelled, or this blocks forever
}

func TestRunAfterStop(t *testing.T) {
	r := start(t, nil, nil)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("Run after a finished Run succeeded")
	}
}
