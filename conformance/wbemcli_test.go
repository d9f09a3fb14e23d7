package conformance

import (
	"context"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
)

// wbemcli runs sblim-wbemcli against the agent's CIM-XML port as user
// (operator or viewer) and returns its output.
func (a *agent) wbemcli(t testing.TB, user, op string, args ...string) (string, error) {
	t.Helper()
	need(t, "wbemcli")
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wbemcli", append([]string{op}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cimURL is the wbemcli object URL of path (namespace:class.keys) for user.
func (a *agent) cimURL(user, path string) string {
	pass := map[string]string{cimOperator: cimOperatorPass, cimViewer: cimViewerPass}[user]
	return "http://" + user + ":" + pass + "@" + a.cimHTTP + "/" + path
}

// wbem runs an operation that must succeed.
func (a *agent) wbem(t testing.TB, op string, args ...string) string {
	t.Helper()
	out, err := a.wbemcli(t, cimViewer, op, args...)
	if err != nil || strings.Contains(out, "wbemcli: Cim:") || strings.Contains(out, "wbemcli: Http") {
		t.Fatalf("wbemcli %s %s: %v\n%s", op, strings.Join(args, " "), err, out)
	}
	return out
}

// cimObject is one instance as wbemcli -nl prints it.
type cimObject struct {
	path  string
	props map[string]string
}

// parseNL reads wbemcli -nl output: a path line, then "-Name=value" lines.
func parseNL(out string) []cimObject {
	var objs []cimObject
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "-") && len(objs) > 0:
			k, v, _ := strings.Cut(line[1:], "=")
			objs[len(objs)-1].props[k] = strings.Trim(v, `"`)
		case strings.TrimSpace(line) != "":
			objs = append(objs, cimObject{path: strings.TrimSpace(line), props: map[string]string{}})
		}
	}
	return objs
}

// paths splits ein / ain / rin output into paths with the host part
// dropped (wbemcli prints "host:port/ns:..." or "hostname/ns:...").
func paths(out string) []string {
	var ps []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if i := strings.Index(line, "/root/"); i >= 0 {
			line = line[i+1:]
		}
		ps = append(ps, line)
	}
	sort.Strings(ps)
	return ps
}

var nameKey = regexp.MustCompile(`Name="([^"]+)"`)

// enabledByVirsh is DSP1057's EnabledState for virsh's state words.
var enabledByVirsh = map[string]string{"running": "2", "paused": "9", "shut off": "3"}

// TestWbemcliComputerSystems: ein and ei of CIM_ComputerSystem list the
// host and every domain, keyed by UUID, with virsh's name, state and
// sizes; gi and gp read one back.
func TestWbemcliComputerSystems(t *testing.T) {
	a := startAgent(t, 30, "")
	names := libvirtNames(t, a.uri)
	virsh := dominfo(t, a.uri, names)
	ns := "root/virtualization"

	ein := paths(a.wbem(t, "ein", a.cimURL(cimViewer, ns+":CIM_ComputerSystem")))
	if len(ein) != len(virsh)+1 {
		t.Fatalf("ein CIM_ComputerSystem: %d paths, want %d domains + the host:\n%s", len(ein), len(virsh), strings.Join(ein, "\n"))
	}
	objs := parseNL(a.wbem(t, "ei", "-nl", a.cimURL(cimViewer, ns+":CIM_ComputerSystem")))
	vms := 0
	for _, o := range objs {
		uuid := o.props["Name"]
		v, ok := virsh[uuid]
		if !ok {
			if o.props["Caption"] != "Hosting Computer System" {
				t.Errorf("%s: Name %q is neither a virsh domain UUID nor the host", o.path, uuid)
			}
			continue
		}
		vms++
		got := []string{o.props["ElementName"], o.props["EnabledState"], o.props["CreationClassName"]}
		want := []string{v.Name, enabledByVirsh[v.State], "VB_ComputerSystem"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: ei says %v, virsh %v (ElementName, EnabledState, class)", uuid, got, want)
		}
	}
	if vms != len(virsh) {
		t.Errorf("ei matched %d VMs to virsh, want %d", vms, len(virsh))
	}

	// gi with a property list, and gp, on one VM.
	var uuid string
	for u := range virsh {
		uuid = u
		break
	}
	path := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	gi := a.wbem(t, "gi", a.cimURL(cimViewer, path), "Name,EnabledState")
	if !strings.Contains(gi, `Name="`+uuid+`"`) || !strings.Contains(gi, "EnabledState="+enabledByVirsh[virsh[uuid].State]) || strings.Contains(gi, "ElementName") {
		t.Errorf("gi with property list Name,EnabledState:\n%s", gi)
	}
	// The base class with CreationClassName finds the subclass instance.
	base := ns + `:CIM_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	if gp := strings.TrimSpace(a.wbem(t, "gp", a.cimURL(cimViewer, base), "EnabledState")); gp != enabledByVirsh[virsh[uuid].State] {
		t.Errorf("gp EnabledState = %q, virsh state %s", gp, virsh[uuid].State)
	}
}

// TestWbemcliSystemDevices walks VM → SystemDevice → devices →
// SettingsDefineState → RASDs as a console does, checking counts and
// sizes against virsh.
func TestWbemcliSystemDevices(t *testing.T) {
	a := startAgent(t, 12, "")
	names := libvirtNames(t, a.uri)
	virsh := dominfo(t, a.uri, names)
	ns := "root/virtualization"
	for uuid, v := range virsh {
		vm := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
		procs := paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_Processor", a.cimURL(cimViewer, vm)))
		if len(procs) != v.VCPUs {
			t.Errorf("%s: %d CIM_Processor, virsh says %d vCPUs", v.Name, len(procs), v.VCPUs)
		}
		disks := paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_LogicalDisk", a.cimURL(cimViewer, vm)))
		if want := blkCount(t, a.uri, v.Name); len(disks) != want {
			t.Errorf("%s: %d CIM_LogicalDisk, virsh domblklist lists %d", v.Name, len(disks), want)
		}
		nics := paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_EthernetPort", a.cimURL(cimViewer, vm)))
		if want := ifCount(t, a.uri, v.Name); len(nics) != want {
			t.Errorf("%s: %d CIM_EthernetPort, virsh domiflist lists %d", v.Name, len(nics), want)
		}
		// Memory device → its RASD carries the domain's memory in KiB.
		mem := paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_Memory", a.cimURL(cimViewer, vm)))
		if len(mem) != 1 {
			t.Fatalf("%s: %d CIM_Memory, want 1", v.Name, len(mem))
		}
		rasd := parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_SettingsDefineState", "-arc", "CIM_ResourceAllocationSettingData", a.cimURL(cimViewer, mem[0])))
		if len(rasd) != 1 {
			t.Fatalf("%s: memory has %d RASDs through SettingsDefineState, want 1", v.Name, len(rasd))
		}
		if got := rasd[0].props["VirtualQuantity"]; got != strconv.FormatUint(v.UsedMemKiB, 10) && got != strconv.FormatUint(v.MaxMemKiB, 10) {
			t.Errorf("%s: memory RASD VirtualQuantity %s, virsh used %d max %d KiB", v.Name, got, v.UsedMemKiB, v.MaxMemKiB)
		}
		if got := rasd[0].props["ResourceType"]; got != "4" {
			t.Errorf("%s: memory RASD ResourceType %s, want 4", v.Name, got)
		}
		// References, names only: the VM takes part in SystemDevice once
		// per device.
		refs := paths(a.wbem(t, "rin", "-arc", "CIM_SystemDevice", a.cimURL(cimViewer, vm)))
		if want := v.VCPUs + 1 + len(disks) + len(nics); len(refs) != want {
			t.Errorf("%s: rin SystemDevice gives %d, want %d", v.Name, len(refs), want)
		}
		// ri: the same associations, whole, each naming the VM as its
		// GroupComponent.
		full := parseNL(a.wbem(t, "ri", "-nl", "-arc", "CIM_SystemDevice", "-ar", "GroupComponent", a.cimURL(cimViewer, vm)))
		if len(full) != len(refs) {
			t.Errorf("%s: ri gives %d associations, rin %d", v.Name, len(full), len(refs))
		}
		for _, o := range full {
			if !strings.Contains(o.props["GroupComponent"], uuid) {
				t.Errorf("%s: SystemDevice GroupComponent %s", v.Name, o.props["GroupComponent"])
			}
		}
		if none := paths(a.wbem(t, "rin", "-arc", "CIM_SystemDevice", "-ar", "PartComponent", a.cimURL(cimViewer, vm))); len(none) != 0 {
			t.Errorf("%s: the VM is no device's PartComponent, yet rin -ar PartComponent gives %d", v.Name, len(none))
		}
	}
}

// TestWbemcliProfiles walks RegisteredProfile → ElementConformsToProfile
// → central instances across namespaces.
func TestWbemcliProfiles(t *testing.T) {
	a := startAgent(t, 8, "")
	virsh := dominfo(t, a.uri, libvirtNames(t, a.uri))
	profiles := parseNL(a.wbem(t, "ei", "-nl", a.cimURL(cimViewer, "root/interop:CIM_RegisteredProfile")))
	byName := map[string]cimObject{}
	for _, p := range profiles {
		byName[p.props["RegisteredName"]] = p
		if p.props["RegisteredOrganization"] != "2" || p.props["RegisteredVersion"] == "" {
			t.Errorf("%s: organization %s version %q", p.path, p.props["RegisteredOrganization"], p.props["RegisteredVersion"])
		}
	}
	for _, want := range []string{"Profile Registration", "System Virtualization", "Virtual System", "Resource Allocation", "Allocation Capabilities"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("no RegisteredProfile %q among %d", want, len(profiles))
		}
	}
	vs := byName["Virtual System"]
	central := paths(a.wbem(t, "ain", "-ac", "CIM_ElementConformsToProfile", a.cimURL(cimViewer, vs.path[strings.Index(vs.path, "root/"):])))
	var uuids []string
	for _, c := range central {
		if m := nameKey.FindStringSubmatch(c); m != nil && strings.HasPrefix(c, "root/virtualization:VB_ComputerSystem") {
			uuids = append(uuids, m[1])
		}
	}
	if len(uuids) != len(virsh) {
		t.Errorf("Virtual System has %d central instances, virsh lists %d domains:\n%s", len(uuids), len(virsh), strings.Join(central, "\n"))
	}
	for _, u := range uuids {
		if _, ok := virsh[u]; !ok {
			t.Errorf("central instance %s is not a virsh domain", u)
		}
	}
	sv := byName["System Virtualization"]
	comps := paths(a.wbem(t, "ain", "-ac", "CIM_ReferencedProfile", a.cimURL(cimViewer, sv.path[strings.Index(sv.path, "root/"):])))
	if len(comps) < 4 {
		t.Errorf("System Virtualization references %d profiles:\n%s", len(comps), strings.Join(comps, "\n"))
	}
	nss := paths(a.wbem(t, "ein", a.cimURL(cimViewer, "root/interop:CIM_Namespace")))
	if len(nss) != 2 || !strings.Contains(strings.Join(nss, " "), `Name="root/virtualization"`) {
		t.Errorf("CIM_Namespace: %v", nss)
	}
}

// TestWbemcliClassesAndErrors: ecn, ec, gc, cm and the errors a sysadmin
// meets.
func TestWbemcliClassesAndErrors(t *testing.T) {
	a := startAgent(t, 3, "")
	ns := "root/virtualization"
	ecn := a.wbem(t, "ecn", a.cimURL(cimViewer, ns))
	for _, c := range []string{"CIM_ComputerSystem", "VB_ComputerSystem", "VB_ResourcePool", "CIM_RegisteredProfile"} {
		if !strings.Contains(ecn, ":"+c+"\n") {
			t.Errorf("ecn lacks %s", c)
		}
	}
	if ec := a.wbem(t, "ec", a.cimURL(cimViewer, ns)); !strings.Contains(ec, "VB_ComputerSystem") {
		t.Errorf("ec lacks VB_ComputerSystem")
	}
	gc := a.wbem(t, "gc", a.cimURL(cimViewer, ns+":VB_ComputerSystem"))
	for _, p := range []string{"EnabledState=", "RequestedState=", "OnTimeInMilliseconds="} {
		if !strings.Contains(gc, p) {
			t.Errorf("gc VB_ComputerSystem lacks %s:\n%s", p, gc)
		}
	}
	uuid := dominfoAny(t, a.uri)
	vm := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	cases := []struct {
		user, op string
		args     []string
		want     string
	}{
		{cimViewer, "cm", []string{a.cimURL(cimViewer, vm), "RequestStateChange.RequestedState=3"}, "CIM_ERR_ACCESS_DENIED"},
		{cimViewer, "ein", []string{a.cimURL(cimViewer, "root/nowhere:CIM_ComputerSystem")}, "CIM_ERR_INVALID_NAMESPACE"},
		{cimViewer, "ein", []string{a.cimURL(cimViewer, ns+":No_Such_Class")}, "CIM_ERR_INVALID_CLASS"},
		{cimViewer, "gi", []string{a.cimURL(cimViewer, ns+`:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="00000000-0000-0000-0000-000000000000"`)}, "CIM_ERR_NOT_FOUND"},
		{cimViewer, "gp", []string{a.cimURL(cimViewer, vm), "NoSuchProperty"}, "CIM_ERR_NO_SUCH_PROPERTY"},
		{cimViewer, "ein", []string{"http://viewer:wrong-password@" + a.cimHTTP + "/" + ns + ":CIM_ComputerSystem"}, "Invalid username/password"},
	}
	for _, c := range cases {
		out, _ := a.wbemcli(t, c.user, c.op, c.args...)
		if !strings.Contains(out, c.want) {
			t.Errorf("wbemcli %s %v as %s: want %s, got:\n%s", c.op, c.args, c.user, c.want, out)
		}
	}
	// HTTPS with the generated certificate.
	https := "https://" + cimViewer + ":" + cimViewerPass + "@" + a.cimHTTPS + "/" + ns + ":CIM_ComputerSystem"
	if out := a.wbem(t, "ein", "-noverify", https); len(paths(out)) != 4 {
		t.Errorf("ein over HTTPS: %d paths, want 3 domains + host:\n%s", len(paths(out)), out)
	}
}

func libvirtNames(t *testing.T, uri string) []string { return libvirttest.Names(t, uri) }

func dominfo(t *testing.T, uri string, names []string) map[string]libvirttest.DomInfo {
	return libvirttest.Dominfo(t, uri, names)
}

// dominfoAny is the UUID of some domain of the bed.
func dominfoAny(t *testing.T, uri string) string {
	for u := range dominfo(t, uri, libvirtNames(t, uri)[:1]) {
		return u
	}
	t.Fatal("no domain")
	return ""
}

// virshRows counts the table rows virsh prints for a list command.
func virshRows(t *testing.T, uri string, args ...string) int {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", uri}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %v: %v\n%s", args, err, out)
	}
	n := 0
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines[min(2, len(lines)):] { // header and rule
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

func blkCount(t *testing.T, uri, name string) int { return virshRows(t, uri, "domblklist", name) }
func ifCount(t *testing.T, uri, name string) int  { return virshRows(t, uri, "domiflist", name) }

// TestWbemcliResourcePools walks host → HostedResourcePool → pool →
// ElementCapabilities → AllocationCapabilities → SettingsDefineCapabilities
// → RASD templates, with pools and capacities from virsh.
func TestWbemcliResourcePools(t *testing.T) {
	a := startAgentOn(t, testbed.Options{Domains: 10, Seed: 5, Pools: 2, Networks: 2, Snapshots: 2}, "")
	ns := "root/virtualization"
	var host string
	for _, o := range parseNL(a.wbem(t, "ei", "-nl", a.cimURL(cimViewer, ns+":VB_ComputerSystem"))) {
		if o.props["Caption"] == "Hosting Computer System" {
			host = o.props["Name"]
		}
	}
	if host == "" {
		t.Fatal("no host system among VB_ComputerSystem")
	}
	hostPath := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + host + `"`
	pools := parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_HostedResourcePool", "-arc", "CIM_ResourcePool", a.cimURL(cimViewer, hostPath)))
	byType := map[string][]cimObject{}
	for _, p := range pools {
		byType[p.props["ResourceType"]] = append(byType[p.props["ResourceType"]], p)
	}
	storage, networks := virshRows(t, a.uri, "pool-list", "--all"), virshRows(t, a.uri, "net-list", "--all")
	if len(byType["3"]) != 1 || len(byType["4"]) != 1 || len(byType["31"]) != storage || len(byType["10"]) != networks {
		t.Fatalf("pools by ResourceType: %d processor, %d memory, %d storage (virsh %d), %d network (virsh %d)",
			len(byType["3"]), len(byType["4"]), len(byType["31"]), storage, len(byType["10"]), networks)
	}
	cpus := nodeCPUs(t, a.uri)
	proc := byType["3"][0]
	if proc.props["Capacity"] != strconv.Itoa(cpus) || proc.props["Primordial"] != "TRUE" {
		t.Errorf("processor pool Capacity %s Primordial %s, virsh nodeinfo CPU(s) %d", proc.props["Capacity"], proc.props["Primordial"], cpus)
	}
	procPath := proc.path[strings.Index(proc.path, "root/"):]
	caps := paths(a.wbem(t, "ain", "-ac", "CIM_ElementCapabilities", "-arc", "CIM_AllocationCapabilities", a.cimURL(cimViewer, procPath)))
	if len(caps) != 1 {
		t.Fatalf("processor pool has %d AllocationCapabilities, want 1", len(caps))
	}
	templates := parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_SettingsDefineCapabilities", a.cimURL(cimViewer, caps[0])))
	if len(templates) != 4 {
		t.Fatalf("processor capabilities define %d templates, want 4 (default, minimum, maximum, increment)", len(templates))
	}
	byID := map[string]string{}
	for _, tpl := range templates {
		if tpl.props["ResourceType"] != "3" {
			t.Errorf("template %s: ResourceType %s", tpl.path, tpl.props["ResourceType"])
		}
		id := tpl.props["InstanceID"]
		byID[id[strings.LastIndex(id, "/")+1:]] = tpl.props["VirtualQuantity"]
	}
	if byID["minimum"] != "1" || byID["maximum"] != strconv.Itoa(cpus) || byID["increment"] != "1" {
		t.Errorf("processor templates %v, want minimum 1, maximum %d, increment 1", byID, cpus)
	}
	// Reserved is what the running and paused domains hold.
	var reserved int
	for _, v := range dominfo(t, a.uri, libvirtNames(t, a.uri)) {
		if v.State != "shut off" {
			reserved += v.VCPUs
		}
	}
	if proc.props["Reserved"] != strconv.Itoa(reserved) {
		t.Errorf("processor pool Reserved %s, virsh's active domains hold %d vCPUs", proc.props["Reserved"], reserved)
	}

	// Snapshots: VM → SnapshotOfVirtualSystem → snapshot settings, as
	// virsh snapshot-list names them.
	snapped := 0
	for uuid, v := range dominfo(t, a.uri, libvirtNames(t, a.uri)) {
		vm := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
		var got []string
		for _, o := range parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_SnapshotOfVirtualSystem", a.cimURL(cimViewer, vm))) {
			got = append(got, o.props["ElementName"])
		}
		out, err := exec.Command("virsh", "-c", a.uri, "snapshot-list", v.Name, "--name").CombinedOutput()
		if err != nil {
			t.Fatalf("virsh snapshot-list %s: %v\n%s", v.Name, err, out)
		}
		want := strings.Fields(string(out))
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: snapshots %v, virsh %v", v.Name, got, want)
		}
		if len(want) > 0 {
			snapped++
		}
	}
	if snapped == 0 {
		t.Error("no domain of the bed has snapshots; the check above proved nothing")
	}
}

// nodeCPUs is virsh nodeinfo's CPU(s).
func nodeCPUs(t *testing.T, uri string) int {
	t.Helper()
	out, err := exec.Command("virsh", "-c", uri, "nodeinfo").CombinedOutput()
	if err != nil {
		t.Fatalf("virsh nodeinfo: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "CPU(s)" {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("virsh nodeinfo has no CPU(s):\n%s", out)
	return 0
}

// TestWbemcliModifyInstance: wbemcli mi renames a shut-off VM through
// ModifyInstance; CIM-XML and SNMP both show the new name under the same
// UUID. A running VM and a read-only user are refused.
func TestWbemcliModifyInstance(t *testing.T) {
	a := startAgent(t, 6, "")
	virsh := dominfo(t, a.uri, libvirtNames(t, a.uri))
	var off, running string
	for uuid, v := range virsh {
		switch v.State {
		case "shut off":
			off = uuid
		case "running":
			running = uuid
		}
	}
	if off == "" || running == "" {
		t.Fatalf("the bed lacks a shut-off or running domain: %v", virsh)
	}
	ns := "root/virtualization"
	path := func(uuid string) string {
		return ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	}
	index := a.vmIndexOf(t, virsh[off].Name)
	if out, err := a.wbemcli(t, cimOperator, "mi", a.cimURL(cimOperator, path(off)), "ElementName=renamed-through-cim"); err != nil || strings.Contains(out, "wbemcli: Cim") {
		t.Fatalf("mi: %v\n%s", err, out)
	}
	if gi := a.wbem(t, "gi", a.cimURL(cimViewer, path(off)), "ElementName"); !strings.Contains(gi, `ElementName="renamed-through-cim"`) {
		t.Errorf("gi after mi: %s", gi)
	}
	a.waitValue(t, vmEntry+".2."+index, "renamed-through-cim")
	for _, c := range []struct {
		user, uuid, want string
	}{
		{cimOperator, running, "cannot rename a running domain"},
		{cimViewer, off, "CIM_ERR_ACCESS_DENIED"},
	} {
		out, _ := a.wbemcli(t, c.user, "mi", a.cimURL(c.user, path(c.uuid)), "ElementName=nope")
		if !strings.Contains(out, c.want) {
			t.Errorf("mi as %s on %s: want %q, got:\n%s", c.user, virsh[c.uuid].State, c.want, out)
		}
	}
}

// TestWbemcliRequestStateChange: wbemcli cm drives DSP1057's
// RequestStateChange; the return values are DSP1057's and the state is
// seen over CIM-XML and SNMP alike.
func TestWbemcliRequestStateChange(t *testing.T) {
	a := startAgent(t, 4, "")
	virsh := dominfo(t, a.uri, libvirtNames(t, a.uri))
	var running string
	for uuid, v := range virsh {
		if v.State == "running" {
			running = uuid
		}
	}
	vm := `root/virtualization:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + running + `"`
	index := a.vmIndexOf(t, virsh[running].Name)
	for _, step := range []struct {
		state, ret, enabled, oper string
	}{
		{"9", "0", "9", "8"},    // Quiesce: paused (vmOperState paused)
		{"9", "4097", "9", "8"}, // Invalid State Transition: already paused
		{"2", "0", "2", "4"},    // Enabled: running again
		{"3", "0", "3", "11"},   // Disabled: shut off
		{"12", "5", "3", "11"},  // Not Applicable is no state to request
	} {
		out, err := a.wbemcli(t, cimOperator, "cm", a.cimURL(cimOperator, vm), "RequestStateChange.RequestedState="+step.state)
		if err != nil || !strings.Contains(out, "RequestStateChange: "+step.ret) {
			t.Fatalf("cm RequestedState=%s: want return %s, got %v\n%s", step.state, step.ret, err, out)
		}
		if gp := strings.TrimSpace(a.wbem(t, "gp", a.cimURL(cimViewer, vm), "EnabledState")); gp != step.enabled {
			t.Errorf("after RequestedState=%s: EnabledState %s, want %s", step.state, gp, step.enabled)
		}
		a.waitValue(t, vmEntry+".6."+index, step.oper)
	}
}
