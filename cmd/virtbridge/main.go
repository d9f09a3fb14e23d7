// Command virtbridge is the agent: it reads the hypervisor and serves its
// state to management tools over standard protocols.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
)

// version is set by the linker (-X main.version=...) for releases.
var version = "0.1.0-dev"

const usage = `usage: virtbridge <command> [flags]

commands:
  serve       run the agent
  inventory   print what the agent sees (a table, or --json)
  testbed     write a libvirt test-driver file with N domains
  passwd      add or update a CIM-XML / WS-Man user (password on stdin)
  version     print the version

Run "virtbridge <command> -h" for a command's flags.
`

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(runIO(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: testable, returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, strings.NewReader(""), stdout, stderr)
}

// runIO is run with a standard input, for passwd.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "inventory":
		err = cmdInventory(ctx, args[1:], stdout, stderr)
	case "testbed":
		err = cmdTestbed(args[1:], stdout, stderr)
	case "passwd":
		err = cmdPasswd(args[1:], stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "virtbridge %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q; commands are serve, inventory, testbed, passwd, version", args[0])}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "virtbridge: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "virtbridge: %s\n", oneLine(err))
		return 1
	}
}

// hints say what to do about each kind of backend failure.
var hints = map[error]string{
	backends.ErrNotConnected:    "is the hypervisor's daemon running and the URI right? check with: virsh -c URI list",
	backends.ErrAccessDenied:    "run as a user allowed to manage the hypervisor (root or the libvirt group), or use a read-only URI",
	backends.ErrTimeout:         "the hypervisor did not answer in time; check it responds: virsh -c URI list",
	backends.ErrInvalidArgument: "check the URI's syntax, e.g. qemu:///system or test:///default",
	backends.ErrInternal:        "check the URI with: virsh -c URI list",
}

// oneLine renders err on one line with a hint on how to fix it.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var be *backends.Error
	if errors.As(err, &be) {
		if h, ok := hints[be.Kind]; ok {
			msg += " (" + h + ")"
		}
	}
	return msg
}

// common are the flags every agent command shares.
type common struct {
	config    string
	connect   string
	backend   string
	logLevel  string
	logFormat string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "YAML configuration file (see virtbridge.example.yaml)")
	fs.StringVar(&c.connect, "connect", "", "hypervisor URI, e.g. qemu:///system or test:///default (default: the config's, else libvirt's default URI)")
	fs.StringVar(&c.backend, "backend", "", "libvirt or vsphere (default: chosen by the connect URL; vsphere takes a bare HOST[:PORT])")
	fs.StringVar(&c.logLevel, "log-level", "", "log level: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "", "log format: text or json")
}

// load reads the config file, if any, and lays the flags over it.
func (c *common) load() (Config, error) {
	cfg := defaultConfig()
	if c.config != "" {
		var err error
		if cfg, err = loadConfig(c.config); err != nil {
			return cfg, err
		}
	}
	if c.connect != "" {
		cfg.Connect = c.connect
	}
	if c.backend != "" {
		cfg.Backend = c.backend
	}
	if c.logLevel != "" {
		cfg.Log.Level = c.logLevel
	}
	if c.logFormat != "" {
		cfg.Log.Format = c.logFormat
	}
	return cfg, cfg.validate()
}

// parse parses flags; stray arguments are a usage error.
// The flag package's own complaint is held back: run prints one line.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	var held bytes.Buffer
	fs.SetOutput(&held)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = held.WriteTo(out)
			return err
		}
		return usageError{fmt.Sprintf("%s: %v (see virtbridge %s -h)", fs.Name(), err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
