package server

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// fakeClock drives the cache TTL and reload interval in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.now()
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestWriteLoadUpdateUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := writeUser(path, "alice", "operator", "alice-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if err := writeUser(path, "bob", "read-only", "bob-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("users file mode %o, want 600", perm)
	}

	u, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 2 {
		t.Fatalf("%d users, want 2", u.Len())
	}
	for _, tc := range []struct {
		name, pw string
		role     Role
		ok       bool
	}{
		{"alice", "alice-secret", RoleOperator, true},
		{"bob", "bob-secret", RoleReadOnly, true},
		{"alice", "bob-secret", "", false},
		{"carol", "alice-secret", "", false},
		{"alice", "", "", false},
	} {
		role, ok := u.Check(tc.name, tc.pw)
		if role != tc.role || ok != tc.ok {
			t.Errorf("Check(%q, %q) = %q, %v; want %q, %v", tc.name, tc.pw, role, ok, tc.role, tc.ok)
		}
	}
	if !RoleOperator.CanModify() || RoleReadOnly.CanModify() {
		t.Error("CanModify: operator must, read-only must not")
	}

	// Update alice: new password and role; a hand-written comment survives.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append([]byte("# managed by hand too\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeUser(path, "alice", "read-only", "new-alice-pw", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	text := string(data)
	if !strings.HasPrefix(text, "# managed by hand too\n") || strings.Count(text, "alice:") != 1 || strings.Count(text, "bob:read-only:") != 1 {
		t.Fatalf("file after update:\n%s", text)
	}
	u, err = LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if role, ok := u.Check("alice", "new-alice-pw"); !ok || role != RoleReadOnly {
		t.Errorf("updated alice: %q %v", role, ok)
	}
	if _, ok := u.Check("alice", "alice-secret"); ok {
		t.Error("old password still accepted")
	}
}

func TestWriteUserDefaultCost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := WriteUser(path, "alice", "operator", "alice-secret"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	line := strings.TrimSpace(string(data[strings.Index(string(data), "alice:"):]))
	hash := strings.SplitN(line, ":", 3)[2]
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || cost != 12 {
		t.Fatalf("cost %d (%v), want 12", cost, err)
	}
}

func TestWriteUserValidation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	for _, tc := range []struct{ name, role, pw, want string }{
		{"", "operator", "long-enough", "empty user name"},
		{"a:b", "operator", "long-enough", "may not contain ':'"},
		{"a b", "operator", "long-enough", "may not contain"},
		{"#x", "operator", "long-enough", "may not start with #"},
		{"alice", "admin", "long-enough", `unknown role "admin"`},
		{"alice", "operator", "short", "at least 8 characters"},
		{"alice", "operator", strings.Repeat("x", 73), "longer than 72 bytes"},
	} {
		err := writeUser(path, tc.name, tc.role, tc.pw, bcrypt.MinCost)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("writeUser(%q, %q, %d chars) = %v, want %q", tc.name, tc.role, len(tc.pw), err, tc.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("invalid input created the file (%v)", err)
	}
}

func TestLoadUsersErrorsNameLine(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("whatever-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	good := "alice:operator:" + string(hash)
	for _, tc := range []struct {
		name, content, want string
	}{
		{"two fields", "# c\n\n" + good + "\nbob:operator\n", ":4: want name:role:bcrypt-hash, got 2 field(s)"},
		{"bad role", good + "\nbob:admin:" + string(hash) + "\n", `:2: user "bob": unknown role "admin"`},
		{"bad hash", "bob:read-only:plaintext\n", `:1: user "bob": not a bcrypt hash`},
		{"duplicate", good + "\n# x\n" + good + "\n", `:3: user "alice" defined twice`},
		{"space in name", "bo b:read-only:" + string(hash) + "\n", ":1: user name"},
	} {
		path := filepath.Join(t.TempDir(), "users")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadUsers(path)
		if err == nil || !strings.Contains(err.Error(), "users file "+path+tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, path+tc.want)
		}
		// WriteUser refuses to rewrite a broken file.
		if err := writeUser(path, "carol", "operator", "carol-secret", bcrypt.MinCost); err == nil {
			t.Errorf("%s: writeUser rewrote a broken file", tc.name)
		}
	}
	if _, err := LoadUsers(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUsersReloadOnChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := writeUser(path, "alice", "operator", "alice-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	u, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{}
	u.now = clock.now
	calls := countCompare(u)
	u.lastCheck = clock.now()

	if _, ok := u.Check("alice", "alice-secret"); !ok {
		t.Fatal("initial password refused")
	}
	// `virtbridge passwd` changes alice's password and adds carol.
	if err := writeUser(path, "alice", "read-only", "changed-pw", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if err := writeUser(path, "carol", "operator", "carol-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	// Within the check interval the file is not looked at: the cached
	// session keeps working without bcrypt.
	if role, ok := u.Check("alice", "alice-secret"); !ok || role != RoleOperator {
		t.Fatalf("before reload interval: %q %v", role, ok)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("bcrypt calls %d, want 1 (cached)", n)
	}

	clock.advance(reloadInterval)
	if _, ok := u.Check("alice", "alice-secret"); ok {
		t.Error("old password accepted after reload (cache must not outlive a change)")
	}
	if role, ok := u.Check("alice", "changed-pw"); !ok || role != RoleReadOnly {
		t.Errorf("new password after reload: %q %v", role, ok)
	}
	if role, ok := u.Check("carol", "carol-secret"); !ok || role != RoleOperator {
		t.Errorf("added user after reload: %q %v", role, ok)
	}

	// A broken edit keeps the previous accounts.
	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.advance(reloadInterval)
	if _, ok := u.Check("carol", "carol-secret"); !ok {
		t.Error("broken file dropped accounts")
	}
	// A removed file refuses everyone.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.advance(reloadInterval)
	if _, ok := u.Check("carol", "carol-secret"); ok {
		t.Error("login accepted with the users file gone")
	}
}

func TestCacheBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := writeUser(path, "alice", "operator", "alice-secret", bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	u, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range cacheMax + 10 {
		u.storeLocked(u.cacheKeyFor("alice", []byte{byte(i), byte(i >> 8)}, "x"), now)
	}
	if len(u.cache) != cacheMax {
		t.Fatalf("cache holds %d entries, want at most %d", len(u.cache), cacheMax)
	}
}
