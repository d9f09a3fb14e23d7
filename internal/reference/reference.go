// Package reference finds the shared reference data the tests compare
// against (DMTF MOF, IETF MIBs, client captures): $VIRTBRIDGE_REFERENCE,
// else ../shared/reference beside the repository, else
// /work/shared/reference.
package reference

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Find returns the reference directory that holds sub, "" when none does.
func Find(sub string) string {
	cands := []string{os.Getenv("VIRTBRIDGE_REFERENCE")}
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..") // internal/reference → repository
		cands = append(cands, filepath.Join(root, "..", "shared", "reference"))
	}
	cands = append(cands, "/work/shared/reference")
	for _, c := range cands {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, sub)); err == nil {
			return c
		}
	}
	return ""
}

// Dir is Find for a test, which is skipped when the data is absent.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	dir := Find(sub)
	if dir == "" {
		t.Skipf("reference data %s not found (set VIRTBRIDGE_REFERENCE to shared/reference)", sub)
	}
	return dir
}
