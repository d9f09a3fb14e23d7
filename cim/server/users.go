package server

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// Role is what an authenticated user may do.
type Role string

const (
	// RoleReadOnly may read state and enumerate; no method that changes
	// anything.
	RoleReadOnly Role = "read-only"
	// RoleOperator may also invoke state-changing methods (start, stop, ...).
	RoleOperator Role = "operator"
)

// ParseRole accepts exactly the spellings written to the users file.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleReadOnly, RoleOperator:
		return Role(s), nil
	}
	return "", fmt.Errorf("unknown role %q (want %q or %q)", s, RoleReadOnly, RoleOperator)
}

// CanModify reports whether the role may invoke state-changing operations.
func (r Role) CanModify() bool { return r == RoleOperator }

const (
	// BcryptCost is the cost WriteUser hashes with: about 250 ms per
	// verification on current hardware, which is why Check caches successes.
	BcryptCost = 12
	// MinPasswordLen is the shortest password WriteUser accepts.
	MinPasswordLen = 8
	// maxPasswordLen is bcrypt's input limit; longer input would be
	// silently truncated by some implementations, so refuse it.
	maxPasswordLen = 72

	// cacheTTL bounds how long a verified password is trusted without
	// bcrypt. A WBEM console (or openwsman) sends Basic credentials with
	// every request, often dozens per second; paying ~250 ms of CPU for each
	// would make the agent both slow and trivially easy to overload.
	cacheTTL = 60 * time.Second
	// cacheMax bounds memory: one entry per distinct (user, password) that
	// verified within cacheTTL.
	cacheMax = 1024
	// reloadInterval is how often Check looks at the file's mtime, so a
	// `virtbridge passwd` takes effect within seconds without a restart.
	reloadInterval = 2 * time.Second
)

// dummyHash is verified against for unknown users, so that an unknown name
// costs the same bcrypt time as a wrong password and names cannot be probed
// by timing. Its password is irrelevant.
const dummyHash = "$2a$12$Bujyy15QKNczQWIeqxiE4uHZaSzswC1OCHrTgHTbjb04VfinqzSOa"

type userEntry struct {
	role Role
	hash []byte
}

type cacheEntry struct {
	expires time.Time
}

// Users is the set of accounts from a users file. It is safe for concurrent
// use, and reloads the file when it changes.
type Users struct {
	path string
	log  *slog.Logger
	// Hooks for tests; set before first use.
	now     func() time.Time
	compare func(hash, password []byte) error

	// dummy is what unknown users are verified against; see dummyHash.
	dummy []byte
	// cacheKey keys the HMAC that names cache entries, so the in-memory
	// cache never holds anything from which a password is cheap to recover.
	cacheKey []byte

	mu        sync.Mutex
	users     map[string]userEntry
	fileInfo  fs.FileInfo // of the version loaded; nil when the file is missing
	lastCheck time.Time
	cache     map[[sha256.Size]byte]cacheEntry
}

// LoadUsers reads a users file: one `name:role:bcrypt-hash` per line, blank
// lines and lines starting with # ignored.
func LoadUsers(path string) (*Users, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating users cache key: %w", err)
	}
	u := &Users{
		path:     path,
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		compare:  bcrypt.CompareHashAndPassword,
		cacheKey: key,
		cache:    make(map[[sha256.Size]byte]cacheEntry),
	}
	users, fi, err := readUsersFile(path)
	if err != nil {
		return nil, err
	}
	u.users, u.fileInfo, u.lastCheck = users, fi, u.now()
	u.dummy = []byte(dummyHash)
	// Match the dummy's cost to the file's, or unknown names would be
	// told apart by timing when the file was written with another cost.
	if c := maxCost(users); c != 0 && c != BcryptCost {
		h, err := bcrypt.GenerateFromPassword([]byte("virtbridge-dummy-password-never-valid"), c)
		if err != nil {
			return nil, fmt.Errorf("preparing dummy hash for users file %s: %w", path, err)
		}
		u.dummy = h
	}
	return u, nil
}

func maxCost(users map[string]userEntry) int {
	m := 0
	for _, e := range users {
		if c, err := bcrypt.Cost(e.hash); err == nil && c > m {
			m = c
		}
	}
	return m
}

// Len is the number of users currently loaded.
func (u *Users) Len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.users)
}

// Check verifies a password and returns the user's role. Successful
// verifications are cached for cacheTTL (keyed by an HMAC of user, stored
// hash and password), so only the first request of a console session pays
// for bcrypt; a changed password or role in the file takes effect on the
// next reload because the stored hash is part of the key and the role is
// read fresh. Failures are never cached. Unknown users cost one bcrypt
// verification too, so their absence is not visible in timing.
func (u *Users) Check(name, password string) (Role, bool) {
	if len(password) > maxPasswordLen {
		return "", false
	}
	u.mu.Lock()
	now := u.now()
	u.maybeReloadLocked(now)
	entry, known := u.users[name]
	hash := entry.hash
	if !known {
		hash = u.dummy
	}
	key := u.cacheKeyFor(name, hash, password)
	if known {
		if c, ok := u.cache[key]; ok && now.Before(c.expires) {
			u.mu.Unlock()
			return entry.role, true
		}
	}
	compare := u.compare
	u.mu.Unlock()

	// bcrypt runs without the lock: it is slow on purpose, and holding the
	// lock would serialise every login.
	err := compare(hash, []byte(password))
	if !known || err != nil {
		return "", false
	}

	u.mu.Lock()
	defer u.mu.Unlock()
	u.storeLocked(key, now)
	return entry.role, true
}

func (u *Users) cacheKeyFor(name string, hash []byte, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, u.cacheKey)
	// Length-prefix each part so no two inputs share an encoding.
	for _, part := range [][]byte{[]byte(name), hash, []byte(password)} {
		fmt.Fprintf(m, "%d:", len(part))
		m.Write(part)
	}
	var k [sha256.Size]byte
	copy(k[:], m.Sum(nil))
	return k
}

func (u *Users) storeLocked(key [sha256.Size]byte, now time.Time) {
	if len(u.cache) >= cacheMax {
		for k, c := range u.cache {
			if !now.Before(c.expires) {
				delete(u.cache, k)
			}
		}
	}
	if len(u.cache) >= cacheMax {
		// Still full of live entries: evict an arbitrary one (map order is
		// random) rather than grow without bound.
		for k := range u.cache {
			delete(u.cache, k)
			break
		}
	}
	u.cache[key] = cacheEntry{expires: now.Add(cacheTTL)}
}

// maybeReloadLocked re-reads the file when its identity, size or mtime
// changed. A file that fails to parse keeps the previous accounts (an
// editing mistake should not lock every console out) and is logged; a
// missing file removes all accounts (fail closed).
func (u *Users) maybeReloadLocked(now time.Time) {
	if now.Sub(u.lastCheck) < reloadInterval {
		return
	}
	u.lastCheck = now
	fi, err := os.Stat(u.path)
	if err != nil {
		if u.fileInfo != nil || len(u.users) > 0 {
			u.log.Error("users file unreadable; refusing all logins until it is back", "file", u.path, "err", err)
		}
		u.users, u.fileInfo = nil, nil
		clear(u.cache)
		return
	}
	if u.fileInfo != nil && os.SameFile(fi, u.fileInfo) && fi.ModTime().Equal(u.fileInfo.ModTime()) && fi.Size() == u.fileInfo.Size() {
		return
	}
	users, fi, err := readUsersFile(u.path)
	if err != nil {
		u.log.Error("users file changed but cannot be loaded; keeping previous accounts", "err", err)
		// Remember this version so the error is logged once per change.
		u.fileInfo = fi
		return
	}
	u.users, u.fileInfo = users, fi
	clear(u.cache)
	u.log.Info("users file reloaded", "file", u.path, "users", len(users))
}

// readUsersFile parses the file; errors name file:line.
func readUsersFile(path string) (map[string]userEntry, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading users file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("reading users file: %w", err)
	}
	users, err := parseUsers(path, f)
	if err != nil {
		return nil, fi, err
	}
	return users, fi, nil
}

func parseUsers(path string, r io.Reader) (map[string]userEntry, error) {
	users := make(map[string]userEntry)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, e, err := parseUserLine(line)
		if err != nil {
			return nil, fmt.Errorf("users file %s:%d: %w", path, n, err)
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("users file %s:%d: user %q defined twice", path, n, name)
		}
		users[name] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading users file %s: %w", path, err)
	}
	return users, nil
}

func parseUserLine(line string) (string, userEntry, error) {
	parts := strings.Split(line, ":")
	if len(parts) != 3 {
		return "", userEntry{}, fmt.Errorf("want name:role:bcrypt-hash, got %d field(s)", len(parts))
	}
	name, roleStr, hash := parts[0], parts[1], parts[2]
	if err := validateName(name); err != nil {
		return "", userEntry{}, err
	}
	role, err := ParseRole(roleStr)
	if err != nil {
		return "", userEntry{}, fmt.Errorf("user %q: %w", name, err)
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return "", userEntry{}, fmt.Errorf("user %q: not a bcrypt hash: %w", name, err)
	}
	return name, userEntry{role: role, hash: []byte(hash)}, nil
}

func validateName(name string) error {
	if name == "" {
		return errors.New("empty user name")
	}
	if strings.HasPrefix(name, "#") {
		return fmt.Errorf("user name %q may not start with #", name)
	}
	for _, r := range name {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("user name %q may not contain ':', spaces or control characters", name)
		}
	}
	return nil
}

// WriteUser creates or updates name in the users file at path, hashing the
// password with BcryptCost. Other lines, comments included, are kept. The
// file is replaced atomically (temp file + rename) with mode 0600, so a
// running server never reads half a file.
func WriteUser(path, name, role, password string) error {
	return writeUser(path, name, role, password, BcryptCost)
}

func writeUser(path, name, role, password string, cost int) error {
	if err := validateName(name); err != nil {
		return fmt.Errorf("writing user: %w", err)
	}
	if _, err := ParseRole(role); err != nil {
		return fmt.Errorf("writing user %q: %w", name, err)
	}
	if len(password) < MinPasswordLen {
		return fmt.Errorf("writing user %q: password must be at least %d characters", name, MinPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return fmt.Errorf("writing user %q: password longer than %d bytes (bcrypt's limit)", name, maxPasswordLen)
	}

	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("writing user %q: reading %s: %w", name, path, err)
	}
	// Refuse to rewrite a file we cannot parse: the damage would spread.
	if _, err := parseUsers(path, bytes.NewReader(old)); err != nil {
		return fmt.Errorf("writing user %q: %w", name, err)
	}

	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return fmt.Errorf("writing user %q: hashing password: %w", name, err)
	}
	newLine := name + ":" + role + ":" + string(hash)

	var out bytes.Buffer
	replaced := false
	for _, line := range strings.SplitAfter(string(old), "\n") {
		if line == "" {
			continue
		}
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && strings.SplitN(t, ":", 2)[0] == name {
			out.WriteString(newLine + "\n")
			replaced = true
			continue
		}
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n")
		}
	}
	if !replaced {
		if len(old) == 0 {
			out.WriteString("# virtbridge users: name:role:bcrypt-hash (role read-only or operator)\n")
		}
		out.WriteString(newLine + "\n")
	}
	if err := writeFileAtomic(path, out.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing user %q: %w", name, err)
	}
	return nil
}

// writeFileAtomic writes data to a temp file beside path, syncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("creating temp file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("setting mode on %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	// Sync the directory so the rename survives a crash.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
