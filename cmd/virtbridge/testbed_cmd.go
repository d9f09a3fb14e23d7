package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

func cmdTestbed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("testbed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("domains", 10, fmt.Sprintf("number of domains, 0..%d", testbed.MaxDomains))
	seed := fs.Int64("seed", 1, "seed for UUIDs and MACs; the same seed gives the same file")
	prefix := fs.String("prefix", "vb", "domain name prefix")
	pools := fs.Int("pools", 0, fmt.Sprintf("storage pools, 0..%d; the domains' disks spread over them", testbed.MaxPools))
	networks := fs.Int("networks", 0, fmt.Sprintf("virtual networks, 0..%d; the domains' NICs spread over them", testbed.MaxNetworks))
	snapshots := fs.Int("snapshots", 0, fmt.Sprintf("most snapshots per domain, 0..%d", testbed.MaxSnapshots))
	out := fs.String("o", "-", "output file, - for standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: virtbridge testbed --domains N [-o node.xml]\nthen: virtbridge serve --connect test:///ABSOLUTE/PATH/node.xml")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	opts := testbed.Options{Domains: *n, Seed: *seed, NamePrefix: *prefix, Pools: *pools, Networks: *networks, Snapshots: *snapshots}
	if _, err := testbed.Plan(testbed.Options{Domains: 0, Seed: *seed, NamePrefix: *prefix}); err != nil || *n < 0 || *n > testbed.MaxDomains {
		return usageError{fmt.Sprintf("testbed: --domains %d / --prefix %q: want 0..%d domains and a prefix of letters, digits, '-', '_' or '.'", *n, *prefix, testbed.MaxDomains)}
	}
	for _, f := range []struct {
		name     string
		val, max int
	}{{"pools", *pools, testbed.MaxPools}, {"networks", *networks, testbed.MaxNetworks}, {"snapshots", *snapshots, testbed.MaxSnapshots}} {
		if f.val < 0 || f.val > f.max {
			return usageError{fmt.Sprintf("testbed: --%s %d: want 0..%d", f.name, f.val, f.max)}
		}
	}
	if *out == "-" {
		w := bufio.NewWriter(stdout)
		if err := testbed.Generate(w, opts); err != nil {
			return fmt.Errorf("writing test bed: %w", err)
		}
		return w.Flush()
	}
	_, err := testbed.WriteFile(*out, opts)
	return err
}
