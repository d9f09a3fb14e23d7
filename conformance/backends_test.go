package conformance

// The protocol suites run against each kind of hypervisor bed (beds_test.go):
// libvirt's test driver behind a session libvirtd, and govmomi's vSphere
// simulator as an ESXi host and as a vCenter. Each asserts the same
// things of SNMP, CIM-XML, WS-Management, the methods and the events,
// against what the hypervisor itself says; where vSphere genuinely
// differs (no pause, no live vCPU change without hot plug, guest
// operations needing VMware Tools, an undefined VM's files left on the
// datastore) the step asserts that difference.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
	"github.com/virtbridge/virtbridge/cim/wsman/sinktest"
	"github.com/virtbridge/virtbridge/snmp/notify/trapdtest"
)

// TestBackends: for each bed, one agent (with a v2c trap destination and
// fast indication retries) through every suite in turn; the read-only
// suites first, then the ones that change states.
func TestBackends(t *testing.T) {
	for _, k := range bedKinds {
		t.Run(k.name, func(t *testing.T) {
			port := trapdtest.FreeUDPPort(t, "127.0.0.1")
			b := k.start(t, trapDestination(port)+fastRetries)
			t.Run("SNMP", func(t *testing.T) { suiteSNMP(t, b) })
			t.Run("CIMXML", func(t *testing.T) { suiteCIMXML(t, b) })
			t.Run("WSMan", func(t *testing.T) { suiteWSMan(t, b) })
			t.Run("Methods", func(t *testing.T) { suiteMethods(t, b) })
			t.Run("MethodsSystems", func(t *testing.T) { suiteSystems(t, b) })
			t.Run("Events", func(t *testing.T) { suiteEvents(t, b, port) })
		})
	}
}

// ---- SNMP

// suiteSNMP: vmTable (walked with GETBULK) has one row per VM with the
// hypervisor's name, UUID, states, vCPUs and memory; the vCPU, storage
// and network tables have its vCPUs, drive sources and MACs; the
// hypervisor scalars name its product.
func suiteSNMP(t *testing.T, b bed) {
	a := b.agent()
	truth, host := b.truth(t), b.host(t)
	vals, order := parseNumeric(a.snmp(t, "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Oe", "-Cr20", "VM-MIB::vmTable")...))
	if len(order) != len(truth)*16 {
		t.Fatalf("vmTable walk returned %d values, want %d rows x 16 columns", len(order), len(truth))
	}
	hexOut, err := a.tryWith("SNMPv2-MIB", "snmpbulkwalk", append(a.v2c(roCommunity), "-On", "-Oq", "-Ox", vmEntry+".3")...)
	if err != nil {
		t.Fatalf("walking vmUUID: %v\n%s", err, hexOut)
	}
	uuids, _ := parseNumeric(hexOut)
	index := map[string]string{} // vmIndex by UUID
	for oid, name := range vals {
		idx, ok := strings.CutPrefix(oid, vmEntry+".2.")
		if !ok {
			continue
		}
		col := func(c int) string { return vals[fmt.Sprintf("%s.%d.%s", vmEntry, c, idx)] }
		uuid := uuidText(uuids[vmEntry+".3."+idx])
		v, ok := truth[uuid]
		if !ok {
			t.Errorf("vmIndex %s: vmUUID %s (%s) is no VM of the hypervisor", idx, uuid, name)
			continue
		}
		if _, dup := index[uuid]; dup {
			t.Errorf("vmUUID %s in two rows", uuid)
		}
		index[uuid] = idx
		unit, _ := strconv.ParseUint(col(12), 10, 64)
		kib := func(c int) string {
			n, _ := strconv.ParseUint(col(c), 10, 64)
			return strconv.FormatUint(n*unit/1024, 10)
		}
		got := []string{name, col(5), col(6), col(9), kib(13), kib(15)}
		want := []string{v.name, adminOf[v.state], operOf[v.state], itoa(v.vcpus), strconv.FormatUint(v.memKiB, 10), strconv.FormatUint(v.maxMemKiB, 10)}
		if !slices.Equal(got, want) {
			t.Errorf("%s: SNMP %v, the hypervisor %v (name, admin, oper, vCPUs, memory KiB, max memory KiB)", uuid, got, want)
		}
	}
	if len(index) != len(truth) {
		t.Errorf("%d vmTable rows matched the hypervisor's %d VMs", len(index), len(truth))
	}
	if n := strings.TrimSpace(a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-Oqv", "VM-MIB::vmNumber.0")...)); n != itoa(len(truth)) {
		t.Errorf("vmNumber = %s, the hypervisor has %d VMs", n, len(truth))
	}
	hv, _ := parseNumeric(a.snmp(t, "snmpget", append(a.v2c(roCommunity), "-On", "-Oq", vmHv+".1.0", vmHv+".2.0")...))
	if got, want := []string{hv[vmHv+".1.0"], hv[vmHv+".2.0"]}, []string{host.software, host.version}; !slices.Equal(got, want) {
		t.Errorf("vmHvSoftware, vmHvVersion = %q, the hypervisor says %q", got, want)
	}

	// Rows per VM of the vCPU table (running VMs: a stopped one has no
	// vCPUs at work), and the storage and network tables' sources and MACs.
	rows := func(entry, col, modules string, args ...string) map[string][]string {
		out, err := a.tryWith(modules, "snmpbulkwalk", append(append(a.v2c(roCommunity), args...), "-On", "-Oq", entry+"."+col)...)
		if err != nil {
			t.Fatalf("walking %s.%s: %v\n%s", entry, col, err, out)
		}
		vals, order := parseNumeric(out)
		byIdx := map[string][]string{}
		for _, oid := range order {
			rest, ok := strings.CutPrefix(oid, entry+"."+col+".")
			if !ok {
				continue
			}
			idx, _, _ := strings.Cut(rest, ".")
			byIdx[idx] = append(byIdx[idx], vals[oid])
		}
		return byIdx
	}
	cpus := rows(vmCPUEntry, "2", "SNMPv2-MIB")
	sources := rows(vmStorageEntry, "6", "SNMPv2-MIB")
	macs := rows(vmNetEntry, "5", "SNMPv2-MIB", "-Ox")
	for uuid, v := range truth {
		idx := index[uuid]
		if v.state == stRunning && len(cpus[idx]) != v.vcpus {
			t.Errorf("%s: %d vmCpuTable rows, %d vCPUs", v.name, len(cpus[idx]), v.vcpus)
		}
		if got, want := sorted(sources[idx]), sorted(v.sources); !slices.Equal(got, want) {
			t.Errorf("%s: vmStorageSourceTypeString %q, the hypervisor's drives %q", v.name, got, want)
		}
		var got []string
		for _, m := range macs[idx] {
			got = append(got, macText(m))
		}
		if got, want := sorted(got), sorted(v.macs); !slices.Equal(got, want) {
			t.Errorf("%s: vmNetworkPhysAddress %v, the hypervisor's NICs %v", v.name, got, want)
		}
	}
}

const (
	vmHv           = ".1.3.6.1.2.1.236.1.1"
	vmCPUEntry     = ".1.3.6.1.2.1.236.1.5.1"
	vmStorageEntry = ".1.3.6.1.2.1.236.1.7.1"
	vmNetEntry     = ".1.3.6.1.2.1.236.1.8.1"
)

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// macText turns a -Ox rendering ("52 54 00 ...") into a MAC address.
func macText(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ":"))
}

// ---- CIM-XML

// suiteCIMXML: wbemcli ein / ei / gi / gp of the computer systems, each
// VM's devices through SystemDevice and its memory through its RASD, the
// Virtual System profile's central instances, and the host's resource
// pools, all against the hypervisor.
func suiteCIMXML(t *testing.T, b bed) {
	a := b.agent()
	truth, host := b.truth(t), b.host(t)
	ns := "root/virtualization"
	if ein := paths(a.wbem(t, "ein", a.cimURL(cimViewer, ns+":CIM_ComputerSystem"))); len(ein) != len(truth)+1 {
		t.Errorf("ein CIM_ComputerSystem: %d paths, want %d VMs + the host:\n%s", len(ein), len(truth), strings.Join(ein, "\n"))
	}
	checkSystems(t, "wbemcli ei", parseNL(a.wbem(t, "ei", "-nl", a.cimURL(cimViewer, ns+":CIM_ComputerSystem"))),
		func(o cimObject) (string, map[string]string) { return o.path, o.props }, truth, host)

	for uuid, v := range truth {
		vm := vmCIMPath(uuid)
		count := func(class string) int {
			return len(paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", class, a.cimURL(cimViewer, vm.full()))))
		}
		got := []int{count("CIM_Processor"), count("CIM_LogicalDisk"), count("CIM_EthernetPort")}
		if want := []int{v.vcpus, len(v.sources), len(v.macs)}; !slices.Equal(got, want) {
			t.Errorf("%s: SystemDevice gives %v, the hypervisor %v (processors, disks, NICs)", v.name, got, want)
		}
		mem := paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_Memory", a.cimURL(cimViewer, vm.full())))
		if len(mem) != 1 {
			t.Errorf("%s: %d CIM_Memory, want 1", v.name, len(mem))
			continue
		}
		rasd := parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_SettingsDefineState", "-arc", "CIM_ResourceAllocationSettingData", a.cimURL(cimViewer, mem[0])))
		if len(rasd) != 1 || rasd[0].props["VirtualQuantity"] != strconv.FormatUint(v.memKiB, 10) || rasd[0].props["ResourceType"] != "4" {
			t.Errorf("%s: memory RASD %v, the hypervisor says %d KiB", v.name, rasd, v.memKiB)
		}
	}

	// gi with a property list, and gp through the base class.
	uuid := pickVM(truth, stRunning)
	path := vmCIMPath(uuid).full()
	if gi := a.wbem(t, "gi", a.cimURL(cimViewer, path), "Name,EnabledState"); !strings.Contains(gi, `Name="`+uuid+`"`) ||
		!strings.Contains(gi, "EnabledState=2") || strings.Contains(gi, "ElementName") {
		t.Errorf("gi of running %s with property list Name,EnabledState:\n%s", uuid, gi)
	}
	base := ns + `:CIM_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	if gp := strings.TrimSpace(a.wbem(t, "gp", a.cimURL(cimViewer, base), "ElementName")); gp != truth[uuid].name {
		t.Errorf("gp ElementName = %q, the hypervisor says %q", gp, truth[uuid].name)
	}

	// The Virtual System profile's central instances are the VMs.
	var vs string
	for _, p := range parseNL(a.wbem(t, "ei", "-nl", a.cimURL(cimViewer, "root/interop:CIM_RegisteredProfile"))) {
		if p.props["RegisteredName"] == "Virtual System" {
			vs = p.path[strings.Index(p.path, "root/"):]
		}
	}
	var central []string
	for _, c := range paths(a.wbem(t, "ain", "-ac", "CIM_ElementConformsToProfile", a.cimURL(cimViewer, vs))) {
		if m := nameKey.FindStringSubmatch(c); m != nil && strings.HasPrefix(c, ns+":VB_ComputerSystem") {
			central = append(central, m[1])
		}
	}
	if got, want := sorted(central), sortedKeys(truth); !slices.Equal(got, want) {
		t.Errorf("Virtual System central instances %v, the hypervisor's VMs %v", got, want)
	}

	// The host's pools: processor, memory, one per storage pool or
	// datastore, one per network or port group.
	hostPath := ns + `:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + host.name + `"`
	byType := map[string][]string{}
	for _, p := range parseNL(a.wbem(t, "ai", "-nl", "-ac", "CIM_HostedResourcePool", "-arc", "CIM_ResourcePool", a.cimURL(cimViewer, hostPath))) {
		id := p.props["PoolID"]
		byType[p.props["ResourceType"]] = append(byType[p.props["ResourceType"]], id[strings.LastIndex(id, "/")+1:])
	}
	if len(byType["3"]) != 1 || len(byType["4"]) != 1 {
		t.Errorf("host %s: %d processor and %d memory pools, want one each", host.name, len(byType["3"]), len(byType["4"]))
	}
	if got := sorted(byType["31"]); !slices.Equal(got, host.pools) {
		t.Errorf("storage pools %q, the hypervisor's %q", got, host.pools)
	}
	if got := sorted(byType["10"]); !slices.Equal(got, host.networks) {
		t.Errorf("network pools %q, the hypervisor's %q", got, host.networks)
	}
}

func sortedKeys(m map[string]truthVM) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkSystems checks CIM_ComputerSystem instances (read with any
// client: of reads an item's path and properties) against the truth:
// every VM once, keyed by UUID, with its name and EnabledState, and the
// host under its name.
func checkSystems[T any](t *testing.T, what string, items []T, of func(T) (string, map[string]string), truth map[string]truthVM, host truthHost) {
	t.Helper()
	seen := map[string]bool{}
	hosts := 0
	for _, it := range items {
		path, props := of(it)
		uuid := props["Name"]
		if seen[uuid] {
			t.Errorf("%s: Name %s twice", what, uuid)
		}
		seen[uuid] = true
		v, ok := truth[uuid]
		if !ok {
			hosts++
			if uuid != host.name || props["Caption"] != "Hosting Computer System" {
				t.Errorf("%s: %s: Name %q is neither a VM's UUID nor the host %q", what, path, uuid, host.name)
			}
			continue
		}
		got := []string{props["ElementName"], props["EnabledState"], props["CreationClassName"]}
		if want := []string{v.name, enabledOf[v.state], "VB_ComputerSystem"}; !slices.Equal(got, want) {
			t.Errorf("%s: %s: %v, the hypervisor %v (ElementName, EnabledState, class)", what, uuid, got, want)
		}
	}
	if hosts != 1 || len(items) != len(truth)+1 {
		t.Errorf("%s: %d instances, %d of them not VMs; want the %d VMs and the host", what, len(items), hosts, len(truth))
	}
}

// ---- WS-Management

// suiteWSMan: an Enumerate / Pull of CIM_ComputerSystem through winrm's
// transport and with wsl, the processor and memory RASDs, and a Get, all
// against the hypervisor.
func suiteWSMan(t *testing.T, b bed) {
	a := b.agent()
	truth, host := b.truth(t), b.host(t)
	c := newWSClient(t, a.wsmanHTTP, false, cimViewer)
	instOf := func(in wsInstance) (string, map[string]string) { return in.class, in.props }
	pages := c.enumerate(t, wsEnum{resourceURI: wsDMTF + "CIM_ComputerSystem", mode: "EnumerateObjectAndEPR", maxElements: 4})
	if len(pages) < (len(truth)+1+3)/4 {
		t.Errorf("%d pages for %d items at 4 a page", len(pages), len(truth)+1)
	}
	checkSystems(t, "winrm Enumerate", instancesOfPages(pages), instOf, truth, host)

	rasds := map[string]string{} // VirtualQuantity by InstanceID
	for _, class := range []string{"VB_ProcessorAllocationSettingData", "VB_MemoryAllocationSettingData"} {
		for _, in := range instancesOfPages(c.enumerate(t, wsEnum{resourceURI: wsVendor + class, maxElements: 50})) {
			rasds[in.props["InstanceID"]] = in.props["VirtualQuantity"]
		}
	}
	w := wsInvoker{c}
	for uuid, v := range truth {
		got := []string{rasds["VB:"+uuid+"/processor"], rasds["VB:"+uuid+"/memory"]}
		if want := []string{itoa(v.vcpus), strconv.FormatUint(v.memKiB, 10)}; !slices.Equal(got, want) {
			t.Errorf("%s: RASD VirtualQuantity %v, the hypervisor %v (vCPUs, memory KiB)", v.name, got, want)
		}
		in := w.get(t, vmCIMPath(uuid))
		if in.props["ElementName"] != v.name || in.props["EnabledState"] != enabledOf[v.state] {
			t.Errorf("Get %s: ElementName %q EnabledState %s, the hypervisor %q %s", uuid, in.props["ElementName"], in.props["EnabledState"], v.name, v.state)
		}
	}

	t.Run("wsl", func(t *testing.T) {
		needWsl(t)
		wl := &wslRunner{dir: t.TempDir(), endpoint: a.wsmanHTTP}
		dir, out, err := wl.run(t, cimViewer, "enum", "CIM_ComputerSystem", "-opti", "3")
		if err != nil {
			t.Fatalf("wsl enum: %v\n%s", err, out)
		}
		var insts []wsInstance
		for _, r := range wslResponses(t, dir) {
			insts = append(insts, instancesIn(r)...)
		}
		checkSystems(t, "wsl enum", insts, instOf, truth, host)
	})
}

// ---- methods

// suiteMethods: RequestStateChange over CIM-XML (wbemcli cm and raw
// calls) and WS-Man, VIRTBRIDGE-MIB control over SNMP, and
// ModifyResourceSettings, each seen by the hypervisor and the agent.
func suiteMethods(t *testing.T, b bed) {
	a := b.agent()
	q := b.quirks()
	truth := b.truth(t)
	run := pickVM(truth, stRunning)
	if run == "" {
		t.Fatalf("%s: no running VM", b.name())
	}
	ws := wsInvoker{newWSClient(t, a.wsmanHTTP, false, cimOperator)}
	cimRSC := func(uuid, state string) string {
		t.Helper()
		ret, out := a.cm(t, vmCIMPath(uuid), "RequestStateChange.RequestedState="+state)
		if ret == "" {
			t.Fatalf("wbemcli cm RequestStateChange.RequestedState=%s:\n%s", state, out)
		}
		return ret
	}
	wsRSC := func(uuid, state string) string {
		t.Helper()
		o := ws.invoke(t, vmCIMPath(uuid), "RequestStateChange", wsParam("RequestedState", state))
		if o.reply.fault() != nil || o.ret == "" {
			t.Fatalf("WS-Man RequestStateChange %s: %s", state, o.reply)
		}
		return o.ret
	}
	enabled := func(uuid string) string { return a.props(t, vmCIMPath(uuid))["EnabledState"] }
	// step asks for a state through rsc and checks the answer (0, or 4096
	// with a job) and that both the hypervisor and the agent show want.
	step := func(how string, rsc func(uuid, state string) string, uuid, req, want string) {
		t.Helper()
		if ret := rsc(uuid, req); ret != "0" && ret != "4096" {
			t.Fatalf("%s RequestedState %s: ReturnValue %s, want 0 or 4096", how, req, ret)
		}
		waitTruth(t, b, uuid, want)
		waitUntil(t, fmt.Sprintf("EnabledState %s after %s RequestedState %s", enabledOf[want], how, req), func() bool { return enabled(uuid) == enabledOf[want] })
	}

	// Power off and on (wbemcli), managed save and restore, reset (WS-Man).
	step("wbemcli", cimRSC, run, "3", stOff)
	step("wbemcli", cimRSC, run, "2", stRunning)
	step("WS-Man", wsRSC, run, "6", stSaved)
	step("WS-Man", wsRSC, run, "2", stRunning)
	step("WS-Man", wsRSC, run, "11", stRunning)
	if ret := wsRSC(run, "12"); ret != "5" {
		t.Errorf("WS-Man RequestedState 12 (Not Applicable): ReturnValue %s, want 5", ret)
	}

	// Quiesce (9): libvirt pauses, and offers it to a running VM; vSphere
	// has no pause, never offers it, and refuses it with
	// CIM_ERR_NOT_SUPPORTED (docs/vsphere.md); the VM runs on.
	if avail := a.props(t, vmCIMPath(run))["AvailableRequestedStates"]; slices.Contains(strings.Split(avail, ","), "9") != q.pause {
		t.Errorf("%s: a running VM's AvailableRequestedStates %s; Quiesce (9) offered must be %v", b.name(), avail, q.pause)
	}
	if q.pause {
		step("CIM-XML", cimRSC, run, "9", stPaused)
		step("CIM-XML", cimRSC, run, "2", stRunning)
	} else {
		r := a.cimCall(t, cimOperator, vmCIMPath(run), "RequestStateChange", valueParam("RequestedState", "uint16", "9"))
		r.refused(t, b.name()+": RequestedState 9 (Quiesce)", cimErrNotSupported)
		if s := b.vm(t, run).state; s != stRunning || enabled(run) != "2" {
			t.Errorf("%s: after the refused Quiesce the VM is %s, EnabledState %s; want running, 2", b.name(), s, enabled(run))
		}
	}

	// Guest shutdown (4): the simulator's guests have no VMware Tools, so
	// vSphere refuses it as an invalid transition until Tools run.
	if vs, ok := b.(*vsphereBed); ok && q.guestTools {
		if ret := cimRSC(run, "4"); ret != "4097" {
			t.Errorf("%s: guest shutdown without VMware Tools: ReturnValue %s, want 4097", b.name(), ret)
		}
		if s := b.vm(t, run).state; s != stRunning {
			t.Errorf("%s: a refused guest shutdown left the VM %s", b.name(), s)
		}
		vs.setTools(t, run, true)
	}
	step("wbemcli", cimRSC, run, "4", stOff)
	step("wbemcli", cimRSC, run, "2", stRunning)

	// SNMP control: start and destroy a stopped VM; pause and resume a
	// running one, which vSphere refuses.
	idx := a.vmIndexOf(t, truth[run].name)
	off := pickVM(b.truth(t), stOff)
	offIdx := a.vmIndexOf(t, truth[off].name)
	snmpStep := func(i, uuid, req, want string) {
		t.Helper()
		a.snmp(t, "snmpset", append(a.v2c(rwCommunity), "VIRTBRIDGE-MIB::vbVmControlRequest."+i, "i", req)...)
		waitTruth(t, b, uuid, want)
		a.waitValue(t, vmEntry+".6."+i, operOf[want])
	}
	snmpStep(offIdx, off, "start", stRunning)
	snmpStep(offIdx, off, "destroy", stOff)
	if q.pause {
		snmpStep(idx, run, "suspend", stPaused)
		snmpStep(idx, run, "resume", stRunning)
	} else {
		// docs/vsphere.md: suspend(7) and resume(8) are wrongValue in
		// every state (the backend can never do them).
		for _, req := range []string{"suspend", "resume"} {
			out, err := a.try("snmpset", append(a.v2c(rwCommunity), "VIRTBRIDGE-MIB::vbVmControlRequest."+idx, "i", req)...)
			if err == nil || !strings.Contains(out, "wrongValue") {
				t.Errorf("%s: snmpset %s on a running VM: want wrongValue, got %v\n%s", b.name(), req, err, out)
			}
		}
		if s := b.vm(t, run).state; s != stRunning {
			t.Errorf("%s: a refused SNMP suspend left the VM %s", b.name(), s)
		}
	}

	// ModifyResourceSettings: a stopped VM loses a vCPU and half its
	// memory on either hypervisor; a running VM loses a vCPU on libvirt,
	// while vSphere refuses (CPU hot remove is off) and keeps it.
	vsms := serviceOf(t, a, "VB_VirtualSystemManagementService")
	truth = b.truth(t)
	offBig := pickVMWhere(truth, func(v truthVM) bool { return v.state == stOff && v.vcpus >= 2 })
	runBig := pickVMWhere(truth, func(v truthVM) bool { return v.state == stRunning && v.vcpus >= 2 })
	if offBig == "" || runBig == "" {
		t.Fatalf("%s: the bed lacks a stopped or a running VM with 2 vCPUs or more", b.name())
	}
	v := truth[offBig]
	mib := max((v.memKiB>>11)&^3, 4) // half, in MiB, a multiple of 4
	a.cimCall(t, cimOperator, vsms, "ModifyResourceSettings", embeddedArray("ResourceSettings",
		[]string{procRASD("VB:"+offBig+"/processor", itoa(v.vcpus-1), ""), memRASD("VB:"+offBig+"/memory", strconv.FormatUint(mib, 10))})).ok(t, "ModifyResourceSettings of a stopped VM")
	waitUntil(t, "the hypervisor to show the new sizes", func() bool {
		now := b.vm(t, offBig)
		return now.vcpus == v.vcpus-1 && now.memKiB == mib<<10
	})
	if p := a.props(t, idPath("VB_ProcessorAllocationSettingData", "VB:"+offBig+"/processor")); p["VirtualQuantity"] != itoa(v.vcpus-1) {
		t.Errorf("the processor RASD after ModifyResourceSettings: VirtualQuantity %s, want %d", p["VirtualQuantity"], v.vcpus-1)
	}
	v = truth[runBig]
	r := a.cimCall(t, cimOperator, vsms, "ModifyResourceSettings", embeddedArray("ResourceSettings", []string{procRASD("VB:"+runBig+"/processor", itoa(v.vcpus-1), "")}))
	if q.liveVCPUs {
		r.ok(t, "ModifyResourceSettings of a running VM's vCPUs")
		waitUntil(t, "the running VM to lose a vCPU", func() bool { return b.vm(t, runBig).vcpus == v.vcpus-1 })
	} else {
		r.refused(t, b.name()+": lowering a running VM's vCPUs without CPU hot remove", cimErrFailed, "hot plug", "power the VM off first")
		if now := b.vm(t, runBig); now.vcpus != v.vcpus || now.state != stRunning {
			t.Errorf("%s: the refused change left %d vCPUs (%s), want %d", b.name(), now.vcpus, now.state, v.vcpus)
		}
	}
}

// suiteSystems: a system's life through the management and snapshot
// services, the same on either hypervisor. DefineSystem (raw CIM-XML) of
// a small VM: 2 vCPUs, 256 MiB (a multiple of 4 MiB, as vSphere wants),
// no disk (vSphere attaches only existing files) and one NIC on the
// host's first network or port group; AddResourceSettings (WS-Man) of a
// second NIC, MAC left to the agent, and RemoveResourceSettings
// (CIM-XML) of it while the VM is off; two snapshots (CIM-XML, WS-Man),
// the first applied (wbemcli cm) and the second destroyed (WS-Man); then
// DestroySystem (wbemcli cm) of the VM, started again and keeping its
// snapshot. After each step the hypervisor (virsh; govmomi) and the
// agent (CIM-XML, WS-Man, SNMP) agree. vSphere's DestroySystem is
// UnregisterVM: the VM leaves the inventory but its .vmx stays on the
// datastore (docs/vsphere.md), which the step asserts.
func suiteSystems(t *testing.T, b bed) {
	a := b.agent()
	q := b.quirks()
	host := b.host(t)
	before := b.truth(t)
	if len(host.networks) == 0 {
		t.Fatalf("%s: the host has no network for a NIC", b.name())
	}
	// The first by name: libvirt's "default", the ESXi host's "VM
	// Network", the vCenter host's distributed port group DC0_DVPG0 (its
	// uplink port group, which the simulator does not mark, sorts after).
	network := host.networks[0]
	vsms := serviceOf(t, a, "VB_VirtualSystemManagementService")
	snaps := serviceOf(t, a, "VB_VirtualSystemSnapshotService")
	ws := wsInvoker{newWSClient(t, a.wsmanHTTP, false, cimOperator)}
	const name = "vb-conformance"

	// DefineSystem: the hypervisor has the VM, shut off, with the name,
	// vCPUs, memory and NIC asked for; the agent shows it and its RASDs.
	r := a.cimCall(t, cimOperator, vsms, "DefineSystem", embeddedParam("SystemSettings", vssdInst(name), true),
		embeddedArray("ResourceSettings", []string{procRASD("", "2", ""), memRASD("", "256"), nicRASD("", network)}, false, true))
	r.ok(t, b.name()+": DefineSystem")
	sys := r.refOut("ResultingSystem")
	if len(sys) != 1 || sys[0].class != "VB_ComputerSystem" || sys[0].key("Name") == "" {
		t.Fatalf("%s: DefineSystem: ResultingSystem %+v:\n%s", b.name(), sys, r)
	}
	uuid := sys[0].key("Name")
	vm, vssd := vmCIMPath(uuid), idPath("VB_VirtualSystemSettingData", "VB:"+uuid)
	if _, old := before[uuid]; old {
		t.Fatalf("%s: DefineSystem answered the UUID of an existing VM, %s", b.name(), uuid)
	}
	v, ok := b.truth(t)[uuid]
	if !ok {
		t.Fatalf("%s: the hypervisor has no VM %s after DefineSystem", b.name(), uuid)
	}
	got := []string{v.name, v.state, itoa(v.vcpus), strconv.FormatUint(v.memKiB, 10), itoa(len(v.sources)), strings.Join(v.networks, ",")}
	if want := []string{name, stOff, "2", "262144", "0", network}; !slices.Equal(got, want) {
		t.Errorf("%s: the defined VM: the hypervisor says %v, want %v (name, state, vCPUs, memory KiB, drives, NIC networks)", b.name(), got, want)
	}
	if len(v.macs) != 1 {
		t.Fatalf("%s: the defined VM has NICs %v, want one", b.name(), v.macs)
	}
	defMAC := v.macs[0]
	if p := a.props(t, vm); p["ElementName"] != name || p["EnabledState"] != "3" {
		t.Errorf("%s: gi of the defined VM: ElementName %q EnabledState %s, want %q 3", b.name(), p["ElementName"], p["EnabledState"], name)
	}
	rs := map[string]map[string]string{} // the VSSD's RASDs by InstanceID
	for _, o := range a.associated(t, vssd, "-ac", "CIM_VirtualSystemSettingDataComponent") {
		rs[o.props["InstanceID"]] = o.props
	}
	got = []string{rs["VB:"+uuid+"/processor"]["VirtualQuantity"], rs["VB:"+uuid+"/memory"]["VirtualQuantity"], rs["VB:"+uuid+"/nic/"+defMAC]["Address"]}
	if want := []string{"2", "262144", defMAC}; !slices.Equal(got, want) || len(rs) != 3 {
		t.Errorf("%s: the defined VM's RASDs give %v, want %v (vCPUs, memory KiB, MAC), 3 RASDs:\n%v", b.name(), got, want, rs)
	}
	waitAgrees(t, b)

	// A NIC added while the VM is off, on the same network, its MAC
	// chosen by the agent: both hypervisors take it, and let it go.
	ports := func() int {
		return len(paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_EthernetPort", a.cimURL(cimViewer, vm.full()))))
	}
	o := ws.invoke(t, vsms, "AddResourceSettings", wsEPRParam("AffectedConfiguration", vssd),
		wsParam("ResourceSettings", wsEmbedded("VB_EthernetPortAllocationSettingData", [2]string{"ResourceType", "10"}, [2]string{"Connection", network})))
	o.ok(t, b.name()+": AddResourceSettings of a NIC")
	added := o.eprs("ResultingResourceSettings")
	if len(added) != 1 || !strings.HasPrefix(added[0].selectors["InstanceID"], "VB:"+uuid+"/nic/") {
		t.Fatalf("%s: AddResourceSettings: ResultingResourceSettings %+v", b.name(), added)
	}
	mac := strings.TrimPrefix(added[0].selectors["InstanceID"], "VB:"+uuid+"/nic/")
	// The agent picks it in the hypervisor's range for manual addresses:
	// QEMU's 52:54:00 block, VMware's 00:50:56:00 – 00:50:56:3f.
	if r := b.quirks().manualMAC; !r.MatchString(mac) {
		t.Errorf("%s: the added NIC's MAC %s is outside the hypervisor's manual range %s", b.name(), mac, r)
	}
	waitUntil(t, b.name()+": the hypervisor to show the new NIC", func() bool {
		return slices.Equal(sorted(b.vm(t, uuid).macs), sorted([]string{defMAC, mac}))
	})
	if v := b.vm(t, uuid); !slices.Equal(v.networks, []string{network, network}) || v.state != stOff {
		t.Errorf("%s: after AddResourceSettings the NICs are on %v and the VM %s; want two on %s, shut off", b.name(), v.networks, v.state, network)
	}
	if n := ports(); n != 2 {
		t.Errorf("%s: %d CIM_EthernetPort after AddResourceSettings, want 2", b.name(), n)
	}
	if n := ws.get(t, idPath("VB_EthernetPortAllocationSettingData", "VB:"+uuid+"/nic/"+mac)); n.props["Address"] != mac || n.props["ResourceType"] != "10" {
		t.Errorf("%s: WS-Man Get of the new NIC's RASD: %v", b.name(), n.props)
	}
	a.cimCall(t, cimOperator, vsms, "RemoveResourceSettings",
		refArrayParam("ResourceSettings", idPath("VB_EthernetPortAllocationSettingData", "VB:"+uuid+"/nic/"+mac))).ok(t, b.name()+": RemoveResourceSettings of the NIC")
	waitUntil(t, b.name()+": the hypervisor to lose the NIC", func() bool { return slices.Equal(b.vm(t, uuid).macs, []string{defMAC}) })
	if n := ports(); n != 1 {
		t.Errorf("%s: %d CIM_EthernetPort after RemoveResourceSettings, want 1", b.name(), n)
	}

	// Snapshots: snap-1 over CIM-XML, snap-2 over WS-Man (current), snap-1
	// applied (current), snap-2 destroyed. checkSnaps compares the
	// hypervisor's snapshots and current one with the agent's
	// SnapshotOfVirtualSystem and LastAppliedSnapshot.
	checkSnaps := func(what string, want []string, current string) {
		t.Helper()
		waitUntil(t, b.name()+": the hypervisor's snapshots after "+what, func() bool {
			names, cur := b.snapshots(t, uuid)
			return slices.Equal(names, want) && cur == current
		})
		var names []string
		for _, o := range a.associated(t, vm, "-ac", "CIM_SnapshotOfVirtualSystem") {
			if o.props["InstanceID"] != "VB:"+uuid+"/snapshot/"+o.props["ElementName"] {
				t.Errorf("%s: after %s: snapshot VSSD %s named %q", b.name(), what, o.props["InstanceID"], o.props["ElementName"])
			}
			names = append(names, o.props["ElementName"])
		}
		var last []string
		for _, o := range a.associated(t, vm, "-ac", "CIM_LastAppliedSnapshot") {
			last = append(last, o.props["ElementName"])
		}
		if slices.Sort(names); !slices.Equal(names, want) || !slices.Equal(last, []string{current}) {
			t.Errorf("%s: after %s the agent shows snapshots %v, last applied %v; the hypervisor %v, current %s", b.name(), what, names, last, want, current)
		}
	}
	r = a.cimCall(t, cimOperator, snaps, "CreateSnapshot", refParam("AffectedSystem", vm),
		embeddedParam("SnapshotSettings", vssdInst("snap-1"), true), valueParam("SnapshotType", "uint16", "2"))
	r.ok(t, b.name()+": CreateSnapshot snap-1")
	res := r.refOut("ResultingSnapshot")
	if len(res) != 1 || res[0].key("InstanceID") != "VB:"+uuid+"/snapshot/snap-1" {
		t.Fatalf("%s: CreateSnapshot snap-1: ResultingSnapshot %+v", b.name(), res)
	}
	snap1 := res[0]
	checkSnaps("CreateSnapshot snap-1", []string{"snap-1"}, "snap-1")
	o = ws.invoke(t, snaps, "CreateSnapshot", wsEPRParam("AffectedSystem", vm),
		wsParam("SnapshotSettings", wsEmbedded("VB_VirtualSystemSettingData", [2]string{"ElementName", "snap-2"})), wsParam("SnapshotType", "2"))
	o.ok(t, b.name()+": WS-Man CreateSnapshot snap-2")
	eprs := o.eprs("ResultingSnapshot")
	if len(eprs) != 1 || eprs[0].selectors["InstanceID"] != "VB:"+uuid+"/snapshot/snap-2" {
		t.Fatalf("%s: WS-Man CreateSnapshot snap-2: ResultingSnapshot %+v", b.name(), eprs)
	}
	snap2 := idPath("VB_VirtualSystemSettingData", eprs[0].selectors["InstanceID"])
	if s := ws.get(t, snap2); s.props["ElementName"] != "snap-2" {
		t.Errorf("%s: WS-Man Get of snap-2's VSSD: %v", b.name(), s.props)
	}
	checkSnaps("CreateSnapshot snap-2", []string{"snap-1", "snap-2"}, "snap-2")
	if ret, out := a.cm(t, snaps, "ApplySnapshot.Snapshot="+snap1.wbem()); ret != "0" {
		t.Fatalf("%s: wbemcli cm ApplySnapshot snap-1: %q\n%s", b.name(), ret, out)
	}
	checkSnaps("ApplySnapshot snap-1", []string{"snap-1", "snap-2"}, "snap-1")
	if s := b.vm(t, uuid).state; s != stOff {
		t.Errorf("%s: applying a snapshot of a VM that was off left it %s", b.name(), s)
	}
	ws.invoke(t, snaps, "DestroySnapshot", wsEPRParam("AffectedSnapshot", snap2)).ok(t, b.name()+": WS-Man DestroySnapshot snap-2")
	checkSnaps("DestroySnapshot snap-2", []string{"snap-1"}, "snap-1")

	// DestroySystem of the VM running and with a snapshot: powered off,
	// then undefined with its snapshot; gone from the hypervisor and the
	// agent.
	if ret, out := a.cm(t, vm, "RequestStateChange.RequestedState=2"); ret != "0" && ret != "4096" {
		t.Fatalf("%s: starting the VM before DestroySystem: %q\n%s", b.name(), ret, out)
	}
	waitTruth(t, b, uuid, stRunning)
	var vs *vsphereBed // where DestroySystem unregisters
	var vmx string
	if q.unregister {
		var ok bool
		if vs, ok = b.(*vsphereBed); !ok {
			t.Fatalf("%s: no way to read a VM's files", b.name())
		}
		vmx = vs.vmx(t, uuid)
	}
	if ret, out := a.cm(t, vsms, "DestroySystem.AffectedSystem="+vm.wbem()); ret != "0" {
		t.Fatalf("%s: wbemcli cm DestroySystem: %q\n%s", b.name(), ret, out)
	}
	if after := b.truth(t); !slices.Equal(sortedKeys(after), sortedKeys(before)) {
		t.Errorf("%s: after DestroySystem the hypervisor has VMs %v, want the bed's %v", b.name(), sortedKeys(after), sortedKeys(before))
	}
	if out, _ := a.wbemcli(t, cimViewer, "gi", a.cimURL(cimViewer, vm.full())); !strings.Contains(out, "CIM_ERR_NOT_FOUND") {
		t.Errorf("%s: gi of the destroyed VM:\n%s", b.name(), out)
	}
	if q.unregister {
		// UnregisterVM: out of the inventory, its files kept.
		if vmx == "" || !vs.fileExists(t, vmx) {
			t.Errorf("%s: after DestroySystem the VM's configuration file %q is gone; UnregisterVM keeps it", b.name(), vmx)
		}
	}
	waitAgrees(t, b)
}

// pickVMWhere is the first VM by name for which ok holds, "" with none.
func pickVMWhere(truth map[string]truthVM, ok func(truthVM) bool) string {
	var best string
	for u, v := range truth {
		if ok(v) && (best == "" || v.name < truth[best].name) {
			best = u
		}
	}
	return best
}

// serviceOf finds the host service of class (its one instance).
func serviceOf(t *testing.T, a *agent, class string) cimPath {
	t.Helper()
	ps := paths(a.wbem(t, "ein", a.cimURL(cimViewer, mns+":"+class)))
	if len(ps) != 1 {
		t.Fatalf("%d instances of %s, want 1: %v", len(ps), class, ps)
	}
	return parseWbemPath(t, ps[0])
}

// ---- events

// suiteEvents: changes made behind the agent's back (virsh, govmomi)
// reach snmptrapd as VM-MIB notifications, a CIM-XML listener as
// indications and a WS-Eventing subscriber as pushed events, in the
// order they were made.
func suiteEvents(t *testing.T, b bed, trapPort int) {
	need(t, "snmptrapd")
	a := b.agent()
	td := trapdtest.StartOn(t, "127.0.0.1", trapPort, "authCommunity log public\n")
	l := listenertest.Start(t)
	a.subscribeAll(t, "states", "DMTF:CQL", stateChangeQuery, l.URL)
	sink := sinktest.Start(t)
	newWSClient(t, a.wsmanHTTP, false, cimOperator).wsSubscribe(t, wsPushMode, sink, "")
	truth := b.truth(t)
	uuid := pickVM(truth, stRunning)
	idx := a.vmIndexOf(t, truth[uuid].name)

	// Off, on, saved, restored; and, where the hypervisor can, paused and
	// resumed (vSphere cannot pause: suiteMethods shows the refusal).
	states := []string{stOff, stRunning, stSaved, stRunning}
	if b.quirks().pause {
		states = append(states, stPaused, stRunning)
	}
	var wantEnabled []uint64
	var wantTraps []string
	for _, s := range states {
		b.change(t, uuid, s)
		waitTruth(t, b, uuid, s)
		// One change at a time: the agent has it before the next.
		a.waitValue(t, vmEntry+".6."+idx, operOf[s])
		n, _ := strconv.ParseUint(enabledOf[s], 10, 16)
		wantEnabled = append(wantEnabled, n)
		wantTraps = append(wantTraps, "OID: ."+notificationOf[s])
	}

	got := l.WaitFor(t, "the indications of the changes", func(is []*cim.Instance) bool { return len(ofVM(is, uuid)) >= len(wantEnabled) })
	if s := ofVM(got, uuid); !slices.Equal(s, wantEnabled) {
		t.Errorf("%s: CIM indications' EnabledState %v, want %v\n%s", b.name(), s, wantEnabled, listenertest.Describe(got))
	}
	var wantPushed []string
	for _, n := range wantEnabled {
		wantPushed = append(wantPushed, strconv.FormatUint(n, 10))
	}
	msgs := sink.Wait(t, time.Minute, "the WS-Eventing events of the changes", func(m []*sinktest.Message) bool { return len(pushedStates(m, uuid)) >= len(wantPushed) })
	if s := pushedStates(msgs, uuid); !slices.Equal(s, wantPushed) {
		t.Errorf("%s: WS-Eventing events' EnabledState %v, want %v", b.name(), s, wantPushed)
	}
	recs := td.WaitFor(t, "the notifications of the changes", func(rs []trapdtest.Record) bool { return len(trapsOf(rs, idx)) >= len(wantTraps) })
	if oids := trapsOf(recs, idx); !slices.Equal(oids, wantTraps) {
		t.Errorf("%s: SNMP notifications %v, want %v\n%s", b.name(), oids, wantTraps, td.Output())
	}
}

// notificationOf is the VM-MIB notification of a VM reaching a state.
var notificationOf = map[string]string{
	stRunning: "1.3.6.1.2.1.236.0.1", stOff: "1.3.6.1.2.1.236.0.3", stPaused: vmPaused, stSaved: "1.3.6.1.2.1.236.0.6",
}
