package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
)

func cmdInventory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	log := cfg.logger(stderr)
	b, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	inv := inventory.New(b, cfg.inventoryConfig(log))
	if err := inv.Sync(ctx); err != nil {
		return fmt.Errorf("inventory of %s: %w", b.Name(), err)
	}
	snap := inv.Snapshot()
	if *asJSON {
		return writeJSON(stdout, b.Name(), snap)
	}
	return writeTable(stdout, b.Name(), snap)
}

// inventoryJSON is the stable JSON shape of `virtbridge inventory --json`.
type inventoryJSON struct {
	Backend string             `json:"backend"`
	Synced  time.Time          `json:"synced"`
	Host    backends.Host      `json:"host"`
	Domains []*backends.Domain `json:"domains"`
}

func writeJSON(w io.Writer, name string, s *inventory.Snapshot) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inventoryJSON{Backend: name, Synced: s.Synced, Host: s.Host, Domains: s.DomainsByName()})
}

func writeTable(w io.Writer, name string, s *inventory.Snapshot) error {
	h := s.Host
	// The management library is libvirt's or the vSphere API's: the
	// backend's name says which.
	fmt.Fprintf(w, "Host %s (%s %s, library %s) via %s\n", h.Hostname, h.HypervisorType, h.HypervisorVersion, h.LibraryVersion, name)
	fmt.Fprintf(w, "CPU %s: %d sockets x %d cores x %d threads @ %d MHz; memory %d MiB, %d MiB free\n\n",
		h.CPUModel, h.CPUSockets, h.CPUCores, h.CPUThreads, h.CPUMHz, h.MemoryTotalKiB/1024, h.MemoryFreeKiB/1024)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tUUID\tSTATE\tVCPUS\tMEMORY MiB\tDISKS\tNICS\tPERSISTENT\tAUTOSTART")
	for _, d := range s.DomainsByName() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d/%d\t%s\t%s\t%s\t%s\n", d.Name, d.UUID, d.State.Label(),
			d.VCPUs, d.MaxVCPUs, d.MemoryKiB/1024, d.MaxMemKiB/1024, disks(d), nics(d), yesNo(d.Persistent), yesNo(d.Autostart))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d domains\n", s.Len())
	return nil
}

func disks(d *backends.Domain) string {
	var t []string
	for _, x := range d.Disks {
		t = append(t, x.Target)
	}
	return orDash(strings.Join(t, ","))
}

func nics(d *backends.Domain) string {
	var t []string
	for _, x := range d.NICs {
		t = append(t, x.MAC)
	}
	return orDash(strings.Join(t, ","))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
