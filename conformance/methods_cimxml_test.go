package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// CIM status codes (DSP0200 §5.3.1).
const (
	cimErrFailed         = 1
	cimErrAccessDenied   = 2
	cimErrInvalidParam   = 4
	cimErrNotFound       = 6
	cimErrNotSupported   = 7
	cimErrAlreadyExists  = 11
	cimErrMethodNotFound = 17
)

// RASD builders, as CIM-XML INSTANCE text.
func procRASD(id, vcpus, limit string) string {
	ps := []string{prop("ResourceType", "uint16", "3"), prop("VirtualQuantity", "uint64", vcpus)}
	if id != "" {
		ps = append(ps, prop("InstanceID", "string", id))
	}
	if limit != "" {
		ps = append(ps, prop("Limit", "uint64", limit))
	}
	return instXML("VB_ProcessorAllocationSettingData", ps...)
}

func memRASD(id, mib string) string {
	ps := []string{prop("ResourceType", "uint16", "4"), prop("VirtualQuantity", "uint64", mib), prop("AllocationUnits", "string", "byte*2^20")}
	if id != "" {
		ps = append(ps, prop("InstanceID", "string", id))
	}
	return instXML("VB_MemoryAllocationSettingData", ps...)
}

func diskRASD(target, image string) string {
	return instXML("VB_StorageAllocationSettingData", prop("ResourceType", "uint16", "31"), prop("Address", "string", target), propArray("HostResource", "string", image))
}

func nicRASD(mac, network string) string {
	return instXML("VB_EthernetPortAllocationSettingData", prop("ResourceType", "uint16", "10"), prop("Address", "string", mac), prop("PoolID", "string", "VB:pool/network/"+network))
}

func vssdInst(name string, extra ...string) string {
	return instXML("VB_VirtualSystemSettingData", append([]string{prop("ElementName", "string", name)}, extra...)...)
}

// TestMethodsCIMXML drives every method of the management, snapshot and
// VM classes over CIM-XML against a libvirtd test driver that virsh
// shares: raw METHODCALLs with embedded instances as escaped text and as
// CDATA, and wbemcli cm where it can say the call (references, integers).
// Each step is checked through the agent and with virsh; each refused
// request must name the parameter and leave virsh's view unchanged.
func TestMethodsCIMXML(t *testing.T) {
	b := newSharedBed(t)
	a := b.a
	vsms := b.service(t, "VB_VirtualSystemManagementService")
	snaps := b.service(t, "VB_VirtualSystemSnapshotService")
	img1, img2, img3 := b.image(t, "one.img"), b.image(t, "two.img"), b.image(t, "three.img")
	const name, mac = "cimxml-vm", "52:54:00:c1:00:01"

	// DefineSystem: the VSSD as CDATA, the RASDs escaped.
	r := a.cimCall(t, cimOperator, vsms, "DefineSystem",
		embeddedParam("SystemSettings", vssdInst(name), true),
		embeddedArray("ResourceSettings", []string{procRASD("", "2", "4"), memRASD("", "512"), diskRASD("vda", img1)}))
	r.ok(t, "DefineSystem")
	sys := r.refOut("ResultingSystem")
	if len(sys) != 1 || sys[0].class != "VB_ComputerSystem" || sys[0].key("Name") == "" {
		t.Fatalf("DefineSystem: ResultingSystem %+v:\n%s", sys, r)
	}
	uuid := sys[0].key("Name")
	vm, vssd := vmCIMPath(uuid), idPath("VB_VirtualSystemSettingData", "VB:"+uuid)
	if got := b.virsh(t, "domuuid", name); got != uuid {
		t.Fatalf("virsh domuuid %s = %s, ResultingSystem names %s", name, got, uuid)
	}
	info := b.dominfo(t, name)
	if info["State"] != "shut off" || info["CPU(s)"] != "2" || info["Max memory"] != "524288 KiB" || info["Persistent"] != "yes" {
		t.Errorf("virsh dominfo of the new system: %v", info)
	}
	if got := b.column(t, 1, "domblklist", name); !slices.Equal(got, []string{img1}) {
		t.Errorf("virsh domblklist: %v, want %s", got, img1)
	}
	if p := a.props(t, vm); p["ElementName"] != name || p["EnabledState"] != "3" {
		t.Errorf("gi of the new system: ElementName %s EnabledState %s", p["ElementName"], p["EnabledState"])
	}

	// AddResourceSettings: a disk (escaped) and a NIC (CDATA).
	r = a.cimCall(t, cimOperator, vsms, "AddResourceSettings", refParam("AffectedConfiguration", vssd),
		embeddedArray("ResourceSettings", []string{diskRASD("vdb", img2), nicRASD(mac, "default")}, false, true))
	r.ok(t, "AddResourceSettings")
	var added []string
	for _, p := range r.refOut("ResultingResourceSettings") {
		added = append(added, p.class+" "+p.key("InstanceID"))
	}
	if want := []string{"VB_StorageAllocationSettingData VB:" + uuid + "/disk/vdb", "VB_EthernetPortAllocationSettingData VB:" + uuid + "/nic/" + mac}; !slices.Equal(added, want) {
		t.Errorf("ResultingResourceSettings %v, want %v", added, want)
	}
	if got := b.column(t, 0, "domblklist", name); !slices.Equal(got, []string{"vda", "vdb"}) {
		t.Errorf("virsh domblklist after AddResourceSettings: %v", got)
	}
	if got := b.virsh(t, "domiflist", name); !strings.Contains(got, mac) || !strings.Contains(got, "default") {
		t.Errorf("virsh domiflist after AddResourceSettings:\n%s", got)
	}
	checkDevices := func(disks, nics int) {
		t.Helper()
		if n := len(paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_LogicalDisk", a.cimURL(cimViewer, vm.full())))); n != disks {
			t.Errorf("%d CIM_LogicalDisk devices, want %d", n, disks)
		}
		if n := len(paths(a.wbem(t, "ain", "-ac", "CIM_SystemDevice", "-arc", "CIM_EthernetPort", a.cimURL(cimViewer, vm.full())))); n != nics {
			t.Errorf("%d CIM_EthernetPort devices, want %d", n, nics)
		}
	}
	checkDevices(2, 1)
	rasds := map[string]map[string]string{}
	for _, o := range a.associated(t, vssd, "-ac", "CIM_VirtualSystemSettingDataComponent") {
		rasds[o.props["InstanceID"]] = o.props
	}
	if d := rasds["VB:"+uuid+"/disk/vdb"]; d == nil || d["Address"] != "vdb" || !strings.Contains(d["HostResource"], img2) {
		t.Errorf("the new disk's RASD: %v", d)
	}
	if n := rasds["VB:"+uuid+"/nic/"+mac]; n == nil || n["Address"] != mac || n["ResourceType"] != "10" {
		t.Errorf("the new NIC's RASD: %v", n)
	}

	// ModifyResourceSettings: 3 vCPUs (up to the Limit of 4) and 256 MiB.
	r = a.cimCall(t, cimOperator, vsms, "ModifyResourceSettings",
		embeddedArray("ResourceSettings", []string{procRASD("VB:"+uuid+"/processor", "3", ""), memRASD("VB:"+uuid+"/memory", "256")}, true, false))
	r.ok(t, "ModifyResourceSettings")
	b.waitFor(t, "virsh to show 3 vCPUs and 256 MiB", func() bool {
		info := b.dominfo(t, name)
		return info["CPU(s)"] == "3" && info["Used memory"] == "262144 KiB"
	})
	if p := a.props(t, idPath("VB_MemoryAllocationSettingData", "VB:"+uuid+"/memory")); p["VirtualQuantity"] != "262144" {
		t.Errorf("the memory RASD after ModifyResourceSettings: VirtualQuantity %s KiB, want 262144", p["VirtualQuantity"])
	}

	// ModifySystemSettings: name, autostart, notes.
	const renamed = "cimxml-renamed"
	r = a.cimCall(t, cimOperator, vsms, "ModifySystemSettings", embeddedParam("SystemSettings", instXML("VB_VirtualSystemSettingData",
		prop("InstanceID", "string", "VB:"+uuid), prop("ElementName", "string", renamed), prop("AutomaticStartupAction", "uint16", "4"),
		propArray("Notes", "string", "made over CIM-XML")), false))
	r.ok(t, "ModifySystemSettings")
	if got := b.virsh(t, "domname", uuid); got != renamed {
		t.Errorf("virsh domname after the rename: %s", got)
	}
	if info := b.dominfo(t, uuid); info["Autostart"] != "enable" {
		t.Errorf("virsh dominfo Autostart %q, want enable", info["Autostart"])
	}
	if got := b.virsh(t, "desc", uuid); got != "made over CIM-XML" {
		t.Errorf("virsh desc: %q", got)
	}
	if p := a.props(t, vssd); p["ElementName"] != renamed || p["AutomaticStartupAction"] != "4" || !strings.Contains(p["Notes"], "made over CIM-XML") {
		t.Errorf("the VSSD after ModifySystemSettings: %v", p)
	}

	// RemoveResourceSettings: the second disk goes.
	r = a.cimCall(t, cimOperator, vsms, "RemoveResourceSettings", refArrayParam("ResourceSettings", idPath("VB_StorageAllocationSettingData", "VB:"+uuid+"/disk/vdb")))
	r.ok(t, "RemoveResourceSettings")
	b.waitFor(t, "virsh domblklist to lose vdb", func() bool { return slices.Equal(b.column(t, 0, "domblklist", uuid), []string{"vda"}) })
	checkDevices(1, 1)

	// Snapshots: snap-a at 256 MiB, then 128 MiB and snap-b; applying
	// snap-a brings 256 MiB back and makes it current; snap-b is
	// destroyed. Apply and destroy take references: wbemcli cm says them.
	snapshots := func() []string {
		var names []string
		for _, o := range a.associated(t, vm, "-ac", "CIM_SnapshotOfVirtualSystem") {
			names = append(names, o.props["ElementName"])
		}
		slices.Sort(names)
		return names
	}
	createSnapshot := func(snap string, cdata bool) cimPath {
		t.Helper()
		r := a.cimCall(t, cimOperator, snaps, "CreateSnapshot", refParam("AffectedSystem", vm),
			embeddedParam("SnapshotSettings", vssdInst(snap), cdata), valueParam("SnapshotType", "uint16", "2"))
		r.ok(t, "CreateSnapshot "+snap)
		res := r.refOut("ResultingSnapshot")
		if len(res) != 1 || res[0].key("InstanceID") != "VB:"+uuid+"/snapshot/"+snap {
			t.Fatalf("CreateSnapshot %s: ResultingSnapshot %+v", snap, res)
		}
		return res[0]
	}
	snapA := createSnapshot("snap-a", true)
	r = a.cimCall(t, cimOperator, vsms, "ModifyResourceSettings", embeddedArray("ResourceSettings", []string{memRASD("VB:"+uuid+"/memory", "128")}))
	r.ok(t, "ModifyResourceSettings to 128 MiB")
	b.waitFor(t, "128 MiB", func() bool { return b.dominfo(t, uuid)["Used memory"] == "131072 KiB" })
	snapB := createSnapshot("snap-b", false)
	if got := b.column(t, 0, "snapshot-list", "--name", uuid); !slices.Equal(got, []string{"snap-a", "snap-b"}) {
		t.Errorf("virsh snapshot-list: %v", got)
	}
	if got := snapshots(); !slices.Equal(got, []string{"snap-a", "snap-b"}) {
		t.Errorf("the agent's snapshots: %v", got)
	}
	if ret, out := a.cm(t, snaps, "ApplySnapshot.Snapshot="+snapA.wbem()); ret != "0" {
		t.Fatalf("wbemcli cm ApplySnapshot: %q\n%s", ret, out)
	}
	if got := b.virsh(t, "snapshot-current", "--name", uuid); got != "snap-a" {
		t.Errorf("virsh snapshot-current after ApplySnapshot: %s", got)
	}
	b.waitFor(t, "snap-a's 256 MiB back", func() bool { return b.dominfo(t, uuid)["Used memory"] == "262144 KiB" })
	last := a.associated(t, vm, "-ac", "CIM_LastAppliedSnapshot")
	if len(last) != 1 || last[0].props["ElementName"] != "snap-a" {
		t.Errorf("LastAppliedSnapshot after applying snap-a: %+v", last)
	}
	if ret, out := a.cm(t, snaps, "DestroySnapshot.AffectedSnapshot="+snapB.wbem()); ret != "0" {
		t.Fatalf("wbemcli cm DestroySnapshot: %q\n%s", ret, out)
	}
	if got := b.column(t, 0, "snapshot-list", "--name", uuid); !slices.Equal(got, []string{"snap-a"}) {
		t.Errorf("virsh snapshot-list after DestroySnapshot: %v", got)
	}
	if got := snapshots(); !slices.Equal(got, []string{"snap-a"}) {
		t.Errorf("the agent's snapshots after DestroySnapshot: %v", got)
	}

	// RequestStateChange through wbemcli cm: every transition DSP1057
	// defines here and the invalid ones, virsh agreeing after each.
	requestStates(t, b, uuid, func(state string) string {
		ret, out := a.cm(t, vm, "RequestStateChange.RequestedState="+state)
		if ret == "" {
			t.Fatalf("wbemcli cm RequestStateChange.RequestedState=%s:\n%s", state, out)
		}
		return ret
	})

	// Bad input: each refused naming the parameter, nothing changed.
	badInputs(t, b, vsms, snaps, uuid, img3)

	// DestroySystem of the running system, through wbemcli cm.
	if ret, out := a.cm(t, vm, "RequestStateChange.RequestedState=2"); ret != "0" && ret != "4096" {
		t.Fatalf("start before DestroySystem: %q\n%s", ret, out)
	}
	b.waitFor(t, "the system to run", func() bool { return b.virsh(t, "domstate", uuid) == "running" })
	if ret, out := a.cm(t, vsms, "DestroySystem.AffectedSystem="+vm.wbem()); ret != "0" {
		t.Fatalf("wbemcli cm DestroySystem: %q\n%s", ret, out)
	}
	if names := b.virsh(t, "list", "--all", "--name"); strings.Contains(names, renamed) {
		t.Errorf("virsh still lists %s after DestroySystem:\n%s", renamed, names)
	}
	if out, _ := a.wbemcli(t, cimViewer, "gi", a.cimURL(cimViewer, vm.full())); !strings.Contains(out, "CIM_ERR_NOT_FOUND") {
		t.Errorf("gi of the destroyed system:\n%s", out)
	}
}

// requestStates walks a shut-off system through RequestStateChange:
// rsc sends one request and returns the ReturnValue.
func requestStates(t *testing.T, b *sharedBed, uuid string, rsc func(state string) string) {
	t.Helper()
	vm := vmCIMPath(uuid)
	for _, s := range []struct {
		state, ret, virsh, enabled string
	}{
		{"9", "4097", "shut off", "3"},  // Quiesce a system that does not run
		{"3", "4097", "shut off", "3"},  // power off
		{"4", "4097", "shut off", "3"},  // shut down
		{"6", "4097", "shut off", "3"},  // save
		{"10", "4097", "shut off", "3"}, // reboot
		{"11", "4097", "shut off", "3"}, // reset
		{"2", "0", "running", "2"},      // start
		{"2", "4097", "running", "2"},   // start what runs
		{"9", "0", "paused", "9"},       // pause
		{"9", "4097", "paused", "9"},    // pause what is paused
		{"10", "4097", "paused", "9"},   // reboot a paused system
		{"2", "0", "running", "2"},      // resume
		{"10", "0", "running", "2"},     // reboot
		{"11", "0", "running", "2"},     // reset
		{"6", "0", "shut off", "6"},     // managed save: Enabled but Offline
		{"6", "4097", "shut off", "6"},  // save what is saved
		{"2", "0", "running", "2"},      // restore
		{"4", "0", "shut off", "3"},     // shut down
		{"2", "0", "running", "2"},      // start
		{"3", "0", "shut off", "3"},     // power off
		{"12", "5", "shut off", "3"},    // Not Applicable is no state to ask for
		{"8", "5", "shut off", "3"},     // Deferred: not offered
	} {
		ret := rsc(s.state)
		if ret != s.ret && !(s.ret == "0" && ret == "4096") {
			t.Errorf("RequestedState %s: ReturnValue %s, want %s", s.state, ret, s.ret)
		}
		b.waitFor(t, fmt.Sprintf("virsh domstate %s after RequestedState %s", s.virsh, s.state), func() bool {
			return b.virsh(t, "domstate", uuid) == s.virsh
		})
		if got := b.a.props(t, vm)["EnabledState"]; got != s.enabled {
			t.Errorf("after RequestedState %s: EnabledState %s, want %s", s.state, got, s.enabled)
		}
		if saved := b.dominfo(t, uuid)["Managed save"] == "yes"; saved != (s.enabled == "6") {
			t.Errorf("after RequestedState %s: virsh dominfo Managed save %v", s.state, saved)
		}
	}
}

// badInputs sends requests that must be refused, each answered with the
// CIM error saying which parameter and why, and checks with virsh that
// nothing changed.
func badInputs(t *testing.T, b *sharedBed, vsms, snaps cimPath, uuid, image string) {
	t.Helper()
	a := b.a
	vm, vssd := vmCIMPath(uuid), idPath("VB_VirtualSystemSettingData", "VB:"+uuid)
	hostName := "" // the one VB_ComputerSystem that is no domain of virsh's
	domains := b.virsh(t, "list", "--all", "--uuid")
	for _, p := range paths(a.wbem(t, "ein", a.cimURL(cimViewer, mns+":VB_ComputerSystem"))) {
		if n := parseWbemPath(t, p).key("Name"); !strings.Contains(domains, n) {
			hostName = n
		}
	}
	if hostName == "" {
		t.Fatalf("no host among the VB_ComputerSystem instances")
	}
	const nobody = "00000000-0000-4000-8000-00000000dead"
	mem := "VB:" + uuid + "/memory"
	testMAC := "aa:bb:cc:dd:ee:ff" // the default node's own domain has it
	cases := []struct {
		what   string
		user   string
		target cimPath
		method string
		params []string
		code   int
		want   []string
	}{
		{"an escaped embedded instance that does not parse", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{diskRASD("vdc", image)[:60]})},
			cimErrInvalidParam, []string{"parameter ResourceSettings", "embedded instance"}},
		{"a CDATA embedded instance that does not parse", cimOperator, vsms, "DefineSystem",
			[]string{embeddedParam("SystemSettings", `<INSTANCE CLASSNAME="VB_VirtualSystemSettingData"><PROPERTY NAME="ElementName" TYPE="string"><VALUE>x</VALUE>`, true)},
			cimErrInvalidParam, []string{"parameter SystemSettings", "embedded instance"}},
		{"memory that is no unsigned number", cimOperator, vsms, "ModifyResourceSettings",
			[]string{embeddedArray("ResourceSettings", []string{memRASD(mem, "-512")}, true)},
			cimErrInvalidParam, []string{"parameter ResourceSettings", "VirtualQuantity", "-512"}},
		{"the settings of a new system as a memory allocation", cimOperator, vsms, "DefineSystem",
			[]string{embeddedParam("SystemSettings", instXML("VB_MemoryAllocationSettingData", prop("ElementName", "string", "wrong-class")), true)},
			cimErrInvalidParam, []string{"SystemSettings", "VB_MemoryAllocationSettingData is not a CIM_VirtualSystemSettingData"}},
		{"a computer system among the resources", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{diskRASD("vdc", image), instXML("VB_ComputerSystem", prop("ResourceType", "uint16", "31"))})},
			cimErrInvalidParam, []string{"ResourceSettings", "VB_ComputerSystem is not a CIM_ResourceAllocationSettingData"}},
		{"negative memory", cimOperator, vsms, "ModifyResourceSettings",
			[]string{embeddedArray("ResourceSettings", []string{instXML("VB_MemoryAllocationSettingData", prop("InstanceID", "string", mem), prop("ResourceType", "uint16", "4"), prop("VirtualQuantity", "sint64", "-512"))})},
			cimErrInvalidParam, []string{mem, "VirtualQuantity -512"}},
		{"a new system with negative memory", cimOperator, vsms, "DefineSystem",
			[]string{embeddedParam("SystemSettings", vssdInst("negative"), false), embeddedArray("ResourceSettings", []string{instXML("VB_MemoryAllocationSettingData", prop("ResourceType", "uint16", "4"), prop("VirtualQuantity", "sint64", "-1"))})},
			cimErrInvalidParam, []string{"VirtualQuantity -1 is not a count"}},
		{"more vCPUs than the system's maximum", cimOperator, vsms, "ModifyResourceSettings",
			[]string{embeddedArray("ResourceSettings", []string{procRASD("VB:"+uuid+"/processor", "5", "")})},
			cimErrInvalidParam, []string{"VirtualQuantity 5 vCPUs", "want 1..4"}},
		{"a new system with more vCPUs than the host has", cimOperator, vsms, "DefineSystem",
			[]string{embeddedParam("SystemSettings", vssdInst("too-many-cpus"), true), embeddedArray("ResourceSettings", []string{procRASD("", "17", "")})},
			cimErrInvalidParam, []string{"17 vCPUs is over the host's 16 CPUs"}},
		{"a disk image that does not exist, after one that does", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{diskRASD("vdc", image), diskRASD("vdd", image+".missing")})},
			cimErrInvalidParam, []string{"vdd", "does not exist"}},
		{"a disk target in use", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{diskRASD("vda", image)})},
			cimErrInvalidParam, []string{"ResourceSettings", "vda is taken"}},
		{"a MAC address another system has, after a good disk", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{diskRASD("vdc", image), nicRASD(strings.ToUpper(testMAC), "default")})},
			cimErrInvalidParam, []string{"ResourceSettings", testMAC, "duplicate MAC address", `"test"`}},
		{"a MAC address the system has", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{nicRASD("52:54:00:c1:00:01", "default")})},
			cimErrInvalidParam, []string{"duplicate MAC address"}},
		{"a network the host lacks", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", vssd), embeddedArray("ResourceSettings", []string{nicRASD("52:54:00:c1:00:02", "nowhere")})},
			cimErrInvalidParam, []string{`no network "nowhere"`}},
		{"a name in use", cimOperator, vsms, "DefineSystem",
			[]string{embeddedParam("SystemSettings", vssdInst("test"), true)},
			cimErrAlreadyExists, []string{`"test" exists`}},
		{"DestroySystem of an unknown system", cimOperator, vsms, "DestroySystem",
			[]string{refParam("AffectedSystem", vmCIMPath(nobody))}, cimErrNotFound, []string{"AffectedSystem", nobody}},
		{"AddResourceSettings to an unknown system", cimOperator, vsms, "AddResourceSettings",
			[]string{refParam("AffectedConfiguration", idPath("VB_VirtualSystemSettingData", "VB:"+nobody)), embeddedArray("ResourceSettings", []string{diskRASD("vdc", image)})},
			cimErrNotFound, []string{"AffectedConfiguration"}},
		{"ModifyResourceSettings of an unknown system", cimOperator, vsms, "ModifyResourceSettings",
			[]string{embeddedArray("ResourceSettings", []string{memRASD("VB:"+nobody+"/memory", "64")})}, cimErrNotFound, []string{"VB:" + nobody + "/memory"}},
		{"CreateSnapshot of an unknown system", cimOperator, snaps, "CreateSnapshot",
			[]string{refParam("AffectedSystem", vmCIMPath(nobody))}, cimErrNotFound, []string{"AffectedSystem"}},
		{"ApplySnapshot of a snapshot that is not", cimOperator, snaps, "ApplySnapshot",
			[]string{refParam("Snapshot", idPath("VB_VirtualSystemSettingData", "VB:"+uuid+"/snapshot/nope"))}, cimErrNotFound, []string{"Snapshot", `no snapshot "nope"`}},
		{"DestroySystem of the host", cimOperator, vsms, "DestroySystem",
			[]string{refParam("AffectedSystem", vmCIMPath(hostName))}, cimErrInvalidParam, []string{"AffectedSystem", "is not a virtual system"}},
		{"DefineSystem on the snapshot service", cimOperator, snaps, "DefineSystem",
			[]string{embeddedParam("SystemSettings", vssdInst("wrong-service"), true)}, cimErrMethodNotFound, []string{"VB_VirtualSystemSnapshotService has no method DefineSystem"}},
		{"CreateSnapshot on a VM", cimOperator, vm, "CreateSnapshot", nil, cimErrMethodNotFound, []string{"VB_ComputerSystem has no method CreateSnapshot"}},
		{"RequestStateChange on the management service", cimOperator, vsms, "RequestStateChange",
			[]string{valueParam("RequestedState", "uint16", "3")}, cimErrNotSupported, []string{"VB_VirtualSystemManagementService.RequestStateChange"}},
		{"a parameter the method does not have", cimOperator, vsms, "DestroySystem",
			[]string{refParam("AffectedSystem", vm), valueParam("Force", "boolean", "true")}, cimErrInvalidParam, []string{"no parameter Force"}},
		{"DestroySystem by a read-only user", cimViewer, vsms, "DestroySystem",
			[]string{refParam("AffectedSystem", vm)}, cimErrAccessDenied, nil},
	}
	for _, c := range cases {
		before := b.hostState(t)
		r := a.cimCall(t, c.user, c.target, c.method, c.params...)
		if r.status != http.StatusOK {
			t.Errorf("%s: HTTP %d (CIMError %q), want a CIM error:\n%s", c.what, r.status, r.cimErr, r)
			continue
		}
		r.refused(t, c.what, c.code, c.want...)
		if after := b.hostState(t); after != before {
			t.Errorf("%s: refused, yet virsh shows a change:\nbefore:\n%s\nafter:\n%s", c.what, before, after)
		}
	}
}
