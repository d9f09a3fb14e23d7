package cimxml

import (
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/internal/reference"
)

// referenceDir is the shared reference data holding the client captures.
func referenceDir(t testing.TB) string { return reference.Dir(t, "wire") }

func findReference() string { return reference.Find("wire") }

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
