package cimxml

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// referenceDir finds shared/reference: $VIRTBRIDGE_REFERENCE, then
// ../shared/reference beside the repository, then /work/shared/reference.
func referenceDir(t testing.TB) string {
	t.Helper()
	dir := findReference()
	if dir == "" {
		t.Skip("reference captures not found (set VIRTBRIDGE_REFERENCE to shared/reference)")
	}
	return dir
}

func findReference() string {
	cands := []string{os.Getenv("VIRTBRIDGE_REFERENCE")}
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cands = append(cands, filepath.Join(root, "..", "shared", "reference"))
	}
	cands = append(cands, "/work/shared/reference")
	for _, c := range cands {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(c, "wire")); err == nil && fi.IsDir() {
			return c
		}
	}
	return ""
}

// capture is one HTTP request or response of a log: its headers and body.
type capture struct {
	headers map[string]string
	body    string
}

// splitCaptures cuts a log into HTTP messages by their Content-Length.
func splitCaptures(t testing.TB, log string) []capture {
	t.Helper()
	var out []capture
	for {
		i := strings.Index(log, "\r\n\r\n")
		sep := 4
		if j := strings.Index(log, "\n\n"); j >= 0 && (i < 0 || j < i) {
			i, sep = j, 2
		}
		if i < 0 {
			return out
		}
		head := log[:i]
		c := capture{headers: map[string]string{}}
		for _, line := range strings.Split(head, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				c.headers[strings.ToLower(k)] = strings.TrimSpace(v)
			}
		}
		rest := log[i+sep:]
		n := 0
		if cl, ok := c.headers["content-length"]; ok {
			for _, ch := range cl {
				n = n*10 + int(ch-'0')
			}
		}
		if n > len(rest) {
			t.Fatalf("capture body shorter than Content-Length %d", n)
		}
		c.body = rest[:n]
		log = rest[n:]
		if n > 0 {
			out = append(out, c)
		}
	}
}
