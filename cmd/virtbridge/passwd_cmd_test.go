package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim/server"
)

func TestPasswd(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users")
	var out, errOut bytes.Buffer
	code := runIO(context.Background(), []string{"passwd", "--file", file, "--role", "operator", "alice"},
		strings.NewReader("correct horse\n"), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	users, err := server.LoadUsers(file)
	if err != nil {
		t.Fatal(err)
	}
	if role, ok := users.Check("alice", "correct horse"); !ok || role != server.RoleOperator {
		t.Fatalf("alice: %v %v", role, ok)
	}
	if _, ok := users.Check("alice", "wrong"); ok {
		t.Fatal("a wrong password passed")
	}
	// Bad input: one line on stderr, non-zero exit.
	for _, c := range []struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		{[]string{"passwd", "alice"}, "x\n", 2, "want --file"},
		{[]string{"passwd", "--file", file, "--role", "admin", "bob"}, "long enough\n", 1, "role"},
		{[]string{"passwd", "--file", file, "bob"}, "short\n", 1, "8"},
	} {
		errOut.Reset()
		if got := runIO(context.Background(), c.args, strings.NewReader(c.stdin), &out, &errOut); got != c.code ||
			!strings.Contains(errOut.String(), c.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, got, errOut.String(), c.code, c.want)
		}
	}
}
