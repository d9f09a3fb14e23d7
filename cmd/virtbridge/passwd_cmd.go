package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/virtbridge/virtbridge/cim/server"
)

// cmdPasswd adds or updates a CIM-XML / WS-Man user. The password is read
// from standard input (one line), so it never shows in ps or shell history.
func cmdPasswd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "users file to create or update (required)")
	role := fs.String("role", string(server.RoleReadOnly), "read-only or operator (operators may invoke methods)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: virtbridge passwd --file USERS [--role read-only|operator] NAME  (password on standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Sprintf("passwd: %v (see virtbridge passwd -h)", err)}
	}
	if *file == "" || fs.NArg() != 1 {
		return usageError{"passwd: want --file USERS and one user NAME (see virtbridge passwd -h)"}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("passwd: reading the password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if err := server.WriteUser(*file, fs.Arg(0), *role, password); err != nil {
		return fmt.Errorf("passwd: %w", err)
	}
	fmt.Fprintf(stdout, "user %s (%s) written to %s\n", fs.Arg(0), *role, *file)
	return nil
}
