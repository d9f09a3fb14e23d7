package testbed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

// needVirsh skips tests that load the file into libvirt's test driver.
func needVirsh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("virsh"); err != nil {
		t.Skip("virsh not found (apt-get install libvirt-clients)")
	}
}

// writeNode generates o into a temp file and returns its test:/// URI.
func writeNode(t testing.TB, o Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(f, o); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return "test://" + path
}

func virsh(t testing.TB, uri string, args ...string) string {
	t.Helper()
	cmd := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("virsh %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// keyValues parses "Key:   value" output such as dominfo's.
func keyValues(s string) map[string]string {
	m := map[string]string{}
	for _, l := range lines(s) {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func mustPlan(t testing.TB, o Options) []Domain {
	t.Helper()
	plan, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// covering picks a few domains that together show every feature the
// generator varies, so the virsh checks cover each of them.
func covering(t *testing.T, plan []Domain) []Domain {
	t.Helper()
	preds := map[string]func(Domain) bool{
		"running":       func(d Domain) bool { return d.State == StateRunning },
		"paused":        func(d Domain) bool { return d.State == StatePaused },
		"shut off":      func(d Domain) bool { return d.State == StateShutOff },
		"vcpu current":  func(d Domain) bool { return d.VCPUs < d.MaxVCPUs },
		"mem current":   func(d Domain) bool { return d.MemoryKiB < d.MaxMemoryKiB },
		"title":         func(d Domain) bool { return d.Title != "" },
		"cdrom":         func(d Domain) bool { return len(d.Disks) > 1 && d.Disks[1].ReadOnly },
		"second disk":   func(d Domain) bool { return len(d.Disks) > 1 && !d.Disks[1].ReadOnly },
		"raw":           func(d Domain) bool { return d.Disks[0].Format == "raw" },
		"two nics":      func(d Domain) bool { return len(d.NICs) > 1 },
		"bridge":        func(d Domain) bool { return d.NICs[0].Bridge != "" },
		"link down":     func(d Domain) bool { return !d.NICs[0].LinkUp },
		"e1000":         func(d Domain) bool { return d.NICs[0].Model == "e1000" },
		"shut off+cur":  func(d Domain) bool { return d.State == StateShutOff && d.MemoryKiB < d.MaxMemoryKiB },
		"shut off+vcpu": func(d Domain) bool { return d.State == StateShutOff && d.VCPUs < d.MaxVCPUs },
	}
	seen := map[string]bool{}
	var out []Domain
	for name, pred := range preds {
		found := false
		for _, d := range plan {
			if pred(d) {
				found = true
				if !seen[d.Name] {
					seen[d.Name] = true
					out = append(out, d)
				}
				break
			}
		}
		if !found {
			t.Errorf("no domain in the plan has %q", name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func TestVirshMatchesPlan(t *testing.T) {
	needVirsh(t)
	o := Options{Domains: 30, Seed: 42}
	plan := mustPlan(t, o)
	uri := writeNode(t, o)

	// list --all: every name with its state; active domains get ids.
	byName := map[string]Domain{}
	for _, d := range plan {
		byName[d.Name] = d
	}
	listed := lines(virsh(t, uri, "list", "--all"))
	if len(listed) != len(plan) {
		t.Fatalf("virsh list --all shows %d domains, want %d", len(listed), len(plan))
	}
	for _, l := range listed {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("odd list line %q", l)
		}
		d, ok := byName[f[1]]
		if !ok {
			t.Errorf("virsh lists unplanned domain %q", f[1])
			continue
		}
		delete(byName, f[1])
		if state := strings.Join(f[2:], " "); state != d.State {
			t.Errorf("%s: state %q, want %q", d.Name, state, d.State)
		}
		if active := f[0] != "-"; active != (d.State != StateShutOff) {
			t.Errorf("%s: id %q for state %q", d.Name, f[0], d.State)
		}
	}

	var wantUUIDs []string
	for _, d := range plan {
		wantUUIDs = append(wantUUIDs, d.UUID)
	}
	gotUUIDs := lines(virsh(t, uri, "list", "--all", "--uuid"))
	if !sameSet(gotUUIDs, wantUUIDs) {
		t.Errorf("UUIDs differ:\n got %v\nwant %v", gotUUIDs, wantUUIDs)
	}

	for _, d := range covering(t, plan) {
		t.Run(d.Name, func(t *testing.T) { checkDomain(t, uri, d) })
	}

	info := keyValues(virsh(t, uri, "nodeinfo"))
	wantInfo := map[string]string{
		"CPU model":          NodeCPUModel,
		"CPU(s)":             strconv.Itoa(NodeCPUs),
		"CPU frequency":      fmt.Sprintf("%d MHz", NodeCPUMHz),
		"CPU socket(s)":      strconv.Itoa(NodeSockets),
		"Core(s) per socket": strconv.Itoa(NodeCores),
		"Thread(s) per core": strconv.Itoa(NodeThreads),
		"NUMA cell(s)":       strconv.Itoa(NodeNUMANodes),
		"Memory size":        fmt.Sprintf("%d KiB", NodeMemoryKiB),
	}
	for k, want := range wantInfo {
		if info[k] != want {
			t.Errorf("nodeinfo %s = %q, want %q", k, info[k], want)
		}
	}
}

func checkDomain(t *testing.T, uri string, d Domain) {
	info := keyValues(virsh(t, uri, "dominfo", d.Name))
	want := map[string]string{
		"Name":        d.Name,
		"UUID":        d.UUID,
		"State":       d.State,
		"CPU(s)":      strconv.Itoa(d.VCPUs),
		"Max memory":  fmt.Sprintf("%d KiB", d.MaxMemoryKiB),
		"Used memory": fmt.Sprintf("%d KiB", d.MemoryKiB),
	}
	for k, w := range want {
		if info[k] != w {
			t.Errorf("dominfo %s = %q, want %q", k, info[k], w)
		}
	}
	if got := strings.TrimSpace(virsh(t, uri, "vcpucount", d.Name, "--maximum", "--config")); got != strconv.Itoa(d.MaxVCPUs) {
		t.Errorf("vcpucount --maximum = %q, want %d", got, d.MaxVCPUs)
	}
	if got := strings.TrimSpace(virsh(t, uri, "desc", d.Name, "--title")); d.Title != "" && got != d.Title {
		t.Errorf("title = %q, want %q", got, d.Title)
	}

	var blk []string
	for _, l := range lines(virsh(t, uri, "domblklist", d.Name, "--details")) {
		blk = append(blk, strings.Join(strings.Fields(l), " "))
	}
	var wantBlk []string
	for _, k := range d.Disks {
		wantBlk = append(wantBlk, strings.Join([]string{"file", k.Device, k.Target, k.Source}, " "))
	}
	if !reflect.DeepEqual(blk, wantBlk) {
		t.Errorf("domblklist:\n got %q\nwant %q", blk, wantBlk)
	}

	var ifs []string
	for _, l := range lines(virsh(t, uri, "domiflist", d.Name)) {
		ifs = append(ifs, strings.Join(strings.Fields(l), " "))
	}
	var wantIfs []string
	for _, n := range d.NICs {
		typ, src := "network", n.Network
		if n.Bridge != "" {
			typ, src = "bridge", n.Bridge
		}
		wantIfs = append(wantIfs, strings.Join([]string{n.TargetDev, typ, src, n.Model, n.MAC}, " "))
	}
	if !reflect.DeepEqual(ifs, wantIfs) {
		t.Errorf("domiflist:\n got %q\nwant %q", ifs, wantIfs)
	}
	for _, n := range d.NICs {
		link := "up"
		if !n.LinkUp {
			link = "down"
		}
		got := strings.Join(strings.Fields(virsh(t, uri, "domif-getlink", d.Name, n.MAC)), " ")
		if want := n.MAC + " " + link; got != want {
			t.Errorf("domif-getlink = %q, want %q", got, want)
		}
	}

	// dumpxml covers what the tables leave out: bus, format, readonly,
	// title escaping and vcpu current.
	var x libvirtxml.Domain
	if err := x.Unmarshal(virsh(t, uri, "dumpxml", d.Name)); err != nil {
		t.Fatal(err)
	}
	if got := fromLibvirtXML(&x, d.State); !reflect.DeepEqual(got, d) {
		t.Errorf("dumpxml:\n got %+v\nwant %+v", got, d)
	}
}

// fromLibvirtXML reads back the fields Plan describes; state comes from the
// caller because domain XML does not carry it.
func fromLibvirtXML(x *libvirtxml.Domain, state string) Domain {
	d := Domain{Name: x.Name, UUID: x.UUID, State: state, Title: x.Title}
	if x.VCPU != nil {
		d.MaxVCPUs = int(x.VCPU.Value)
		d.VCPUs = d.MaxVCPUs
		if x.VCPU.Current != 0 {
			d.VCPUs = int(x.VCPU.Current)
		}
	}
	if x.Memory != nil {
		d.MaxMemoryKiB = uint64(x.Memory.Value)
		d.MemoryKiB = d.MaxMemoryKiB
	}
	if x.CurrentMemory != nil {
		d.MemoryKiB = uint64(x.CurrentMemory.Value)
	}
	if x.Devices == nil {
		return d
	}
	for _, k := range x.Devices.Disks {
		disk := Disk{Device: k.Device, ReadOnly: k.ReadOnly != nil}
		if k.Target != nil {
			disk.Target, disk.Bus = k.Target.Dev, k.Target.Bus
		}
		if k.Driver != nil {
			disk.Format = k.Driver.Type
		}
		if k.Source != nil && k.Source.File != nil {
			disk.Source = k.Source.File.File
		}
		d.Disks = append(d.Disks, disk)
	}
	for _, n := range x.Devices.Interfaces {
		nic := NIC{LinkUp: n.Link == nil || n.Link.State != "down"}
		if n.MAC != nil {
			nic.MAC = n.MAC.Address
		}
		if n.Model != nil {
			nic.Model = n.Model.Type
		}
		if n.Target != nil {
			nic.TargetDev = n.Target.Dev
		}
		if n.Source != nil && n.Source.Network != nil {
			nic.Network = n.Source.Network.Network
		}
		if n.Source != nil && n.Source.Bridge != nil {
			nic.Bridge = n.Source.Bridge.Bridge
		}
		d.NICs = append(d.NICs, nic)
	}
	return d
}

// readBack decodes a generated file with encoding/xml alone, resolving
// test:runstate and test:domainsnapshot by namespace URI the way libvirt's
// XPath lookup does. Pool sizes are summed from the volumes as the test
// driver does, and a disk's pool is the one whose path holds its source.
func readBack(t *testing.T, data []byte) Node {
	t.Helper()
	type nsSnapshot struct {
		Name         string `xml:"name"`
		Description  string `xml:"description"`
		State        string `xml:"state"`
		Parent       string `xml:"parent>name"`
		CreationTime int64  `xml:"creationTime"`
		Active       int    `xml:"active"`
	}
	type nsDomain struct {
		*libvirtxml.Domain
		RunState  int          `xml:"http://libvirt.org/schemas/domain/test/1.0 runstate"`
		Snapshots []nsSnapshot `xml:"http://libvirt.org/schemas/domain/test/1.0 domainsnapshot"`
	}
	type filePool struct {
		*libvirtxml.StoragePool
		Volumes []libvirtxml.StorageVolume `xml:"volume"`
	}
	states := map[int]string{1: StateRunning, 3: StatePaused, 5: StateShutOff}
	out := Node{Pools: []Pool{}, Networks: []Network{}, Domains: []Domain{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "domain":
			x := nsDomain{Domain: &libvirtxml.Domain{}}
			if err := dec.DecodeElement(&x, &se); err != nil {
				t.Fatal(err)
			}
			state, ok := states[x.RunState]
			if !ok {
				t.Fatalf("%s: runstate %d", x.Name, x.RunState)
			}
			d := fromLibvirtXML(x.Domain, state)
			for _, s := range x.Snapshots {
				d.Snapshots = append(d.Snapshots, Snapshot{Name: s.Name, Description: s.Description, Parent: s.Parent,
					State: s.State, Created: time.Unix(s.CreationTime, 0).UTC(), Current: s.Active == 1})
			}
			out.Domains = append(out.Domains, d)
		case "network":
			var x libvirtxml.Network
			if err := dec.DecodeElement(&x, &se); err != nil {
				t.Fatal(err)
			}
			n := Network{Name: x.Name, UUID: x.UUID, Bridge: x.Bridge.Name}
			if x.Forward != nil {
				n.Forward = x.Forward.Mode
			}
			out.Networks = append(out.Networks, n)
		case "pool":
			x := filePool{StoragePool: &libvirtxml.StoragePool{}}
			if err := dec.DecodeElement(&x, &se); err != nil {
				t.Fatal(err)
			}
			p := Pool{Name: x.Name, UUID: x.UUID, Path: x.Target.Path, Type: x.Type, CapacityB: x.Capacity.Value}
			for _, v := range x.Volumes {
				p.Volumes = append(p.Volumes, Volume{Name: v.Name, Path: v.Target.Path, Format: v.Target.Format.Type,
					CapacityB: v.Capacity.Value, AllocationB: v.Allocation.Value})
				p.AllocationB += v.Allocation.Value
			}
			p.AvailableB = p.CapacityB - p.AllocationB
			out.Pools = append(out.Pools, p)
		}
	}
	for i := range out.Domains {
		for j := range out.Domains[i].Disks {
			k := &out.Domains[i].Disks[j]
			for _, p := range out.Pools {
				if filepath.Dir(k.Source) == p.Path {
					k.Pool = p.Name
				}
			}
		}
	}
	return out
}

func TestGenerateMatchesPlan(t *testing.T) {
	for _, o := range []Options{{}, {Domains: 1}, {Domains: 50, Seed: -7, NamePrefix: "lab.x_1"},
		{Pools: 2, Networks: 3, Snapshots: 2},
		{Domains: 40, Seed: 4, Pools: MaxPools, Networks: MaxNetworks, Snapshots: MaxSnapshots}} {
		var buf bytes.Buffer
		if err := Generate(&buf, o); err != nil {
			t.Fatal(err)
		}
		got := readBack(t, buf.Bytes())
		want, err := PlanNode(o)
		if err != nil {
			t.Fatal(err)
		}
		if plan := mustPlan(t, o); !reflect.DeepEqual(plan, want.Domains) {
			t.Errorf("%+v: Plan and PlanNode disagree on the domains", o)
		}
		if len(got.Domains) != len(want.Domains) {
			t.Fatalf("%+v: file has %d domains, plan %d", o, len(got.Domains), len(want.Domains))
		}
		for i := range want.Domains {
			if !reflect.DeepEqual(got.Domains[i], want.Domains[i]) {
				t.Errorf("%+v: domain %d:\n got %+v\nwant %+v", o, i, got.Domains[i], want.Domains[i])
			}
		}
		if !reflect.DeepEqual(got.Pools, want.Pools) {
			t.Errorf("%+v: pools:\n got %+v\nwant %+v", o, got.Pools, want.Pools)
		}
		if !reflect.DeepEqual(got.Networks, want.Networks) {
			t.Errorf("%+v: networks:\n got %+v\nwant %+v", o, got.Networks, want.Networks)
		}
	}
}

func TestPlanVariety(t *testing.T) {
	plan := mustPlan(t, Options{Domains: 300, Seed: 1})
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	macRE := regexp.MustCompile(`^52:54:00(:[0-9a-f]{2}){3}$`)
	seen := map[string]bool{}
	once := func(kind, v string) {
		if seen[kind+v] {
			t.Errorf("duplicate %s %q", kind, v)
		}
		seen[kind+v] = true
	}
	states := map[string]int{}
	for i, d := range plan {
		if want := fmt.Sprintf("vb-%05d", i); d.Name != want {
			t.Errorf("name %q, want %q", d.Name, want)
		}
		once("name", d.Name)
		once("uuid", d.UUID)
		if !uuidRE.MatchString(d.UUID) {
			t.Errorf("%s: UUID %q is not RFC 4122 v4", d.Name, d.UUID)
		}
		states[d.State]++
		if d.VCPUs < 1 || d.VCPUs > d.MaxVCPUs || d.MemoryKiB == 0 || d.MemoryKiB > d.MaxMemoryKiB {
			t.Errorf("%s: bad sizes %+v", d.Name, d)
		}
		if len(d.Disks) == 0 || len(d.NICs) == 0 {
			t.Errorf("%s: want a disk and a NIC, got %+v", d.Name, d)
		}
		for _, n := range d.NICs {
			once("mac", n.MAC)
			once("target", n.TargetDev)
			if !macRE.MatchString(n.MAC) {
				t.Errorf("%s: MAC %q", d.Name, n.MAC)
			}
			if (n.Network == "") == (n.Bridge == "") {
				t.Errorf("%s: NIC wants one of network or bridge: %+v", d.Name, n)
			}
		}
	}
	for _, s := range []string{StateRunning, StatePaused, StateShutOff} {
		if states[s] != len(plan)/3 {
			t.Errorf("%d domains %s, want %d", states[s], s, len(plan)/3)
		}
	}
	covering(t, plan)
}

func TestDeterminism(t *testing.T) {
	gen := func(o Options) []byte {
		var buf bytes.Buffer
		if err := Generate(&buf, o); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := gen(Options{Domains: 40, Seed: 9}), gen(Options{Domains: 40, Seed: 9})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	p9, p10 := mustPlan(t, Options{Domains: 40, Seed: 9}), mustPlan(t, Options{Domains: 40, Seed: 10})
	uuids9 := map[string]bool{}
	for _, d := range p9 {
		uuids9[d.UUID] = true
	}
	for _, d := range p10 {
		if uuids9[d.UUID] {
			t.Errorf("seeds 9 and 10 share UUID %s", d.UUID)
		}
	}
	if short := mustPlan(t, Options{Domains: 7, Seed: 9}); !reflect.DeepEqual(short, p9[:7]) {
		t.Error("a shorter plan is not a prefix of a longer one")
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, c := range []struct {
		o     Options
		field string
	}{
		{Options{Domains: -1}, "Domains"},
		{Options{Domains: MaxDomains + 1}, "Domains"},
		{Options{Domains: 1, NamePrefix: "a/b"}, "NamePrefix"},
		{Options{Domains: 1, NamePrefix: "-x"}, "NamePrefix"},
		{Options{Domains: 1, NamePrefix: "a b"}, "NamePrefix"},
		{Options{Domains: 1, NamePrefix: strings.Repeat("a", maxPrefixLen+1)}, "NamePrefix"},
		{Options{Domains: 1, Pools: -1}, "Pools"},
		{Options{Domains: 1, Pools: MaxPools + 1}, "Pools"},
		{Options{Domains: 1, Networks: -1}, "Networks"},
		{Options{Domains: 1, Networks: MaxNetworks + 1}, "Networks"},
		{Options{Domains: 1, Snapshots: -1}, "Snapshots"},
		{Options{Domains: 1, Snapshots: MaxSnapshots + 1}, "Snapshots"},
	} {
		_, perr := Plan(c.o)
		_, nerr := PlanNode(c.o)
		gerr := Generate(io.Discard, c.o)
		if perr == nil || nerr == nil || gerr == nil {
			t.Errorf("%+v: Plan err %v, PlanNode err %v, Generate err %v, want errors", c.o, perr, nerr, gerr)
			continue
		}
		if !strings.Contains(perr.Error(), c.field) {
			t.Errorf("%+v: error %q does not name %s", c.o, perr, c.field)
		}
	}
}

// failAfter accepts n bytes, then fails like a full disk.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

func TestGenerateReportsWriteErrors(t *testing.T) {
	errFull := errors.New("disk full")
	if err := Generate(&failAfter{n: 100 << 10, err: errFull}, Options{Domains: 1000}); !errors.Is(err, errFull) {
		t.Fatalf("Generate = %v, want %v", err, errFull)
	}
}

func TestVirshLoads10000(t *testing.T) {
	needVirsh(t)
	if testing.Short() {
		t.Skip("-short: loads 10,000 domains into virsh")
	}
	o := Options{Domains: 10000, Seed: 3}
	start := time.Now()
	uri := writeNode(t, o)
	genTook := time.Since(start)
	start = time.Now()
	listed := lines(virsh(t, uri, "list", "--all"))
	t.Logf("Generate 10000: %v; virsh list --all: %v", genTook, time.Since(start))
	if len(listed) != o.Domains {
		t.Fatalf("virsh list --all shows %d domains, want %d", len(listed), o.Domains)
	}
	if fi, err := os.Stat(strings.TrimPrefix(uri, "test://")); err == nil {
		t.Logf("file size: %d bytes", fi.Size())
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkGenerate1000(b *testing.B) {
	o := Options{Domains: 1000, Seed: 1}
	var c countWriter
	if err := Generate(&c, o); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(c.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := Generate(io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFile(filepath.Join(dir, "missing", "node.xml"), Options{Domains: 1}); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	path := filepath.Join(dir, "node.xml")
	if _, err := WriteFile(path, Options{Domains: -1}); err == nil {
		t.Fatal("negative domain count accepted")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a failed WriteFile left %s behind: %v", path, err)
	}
	plan, err := WriteFile(path, Options{Domains: 3})
	if err != nil || len(plan) != 3 {
		t.Fatalf("WriteFile: %d domains, %v", len(plan), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("written file: %v %v", fi.Mode(), err)
	}
}
