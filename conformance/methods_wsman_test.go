package conformance

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// wsInvoker sends DSP0227 custom actions: RESOURCE_URI/Method with a
// Method_INPUT body, parameters as child elements (DSP0230): text,
// EPRs for references, class elements for embedded instances.
type wsInvoker struct {
	c *wsClient
}

func wsSelectors(p cimPath) string {
	var s strings.Builder
	for _, k := range p.keys {
		fmt.Fprintf(&s, `<wsman:Selector Name="%s">%s</wsman:Selector>`, k[0], xmlEscape(k[1]))
	}
	return s.String() + cimNSSelector(mns)
}

// wsEPRParam is a reference parameter: an EPR to p.
func wsEPRParam(name string, p cimPath) string {
	return `<p:` + name + `><wsa:Address>` + wsAnon + `</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>` + wsVendor + p.class +
		`</wsman:ResourceURI><wsman:SelectorSet>` + wsSelectors(p) + `</wsman:SelectorSet></wsa:ReferenceParameters></p:` + name + `>`
}

// wsEmbedded is an embedded instance of class with property elements.
func wsEmbedded(class string, props ...[2]string) string {
	var s strings.Builder
	fmt.Fprintf(&s, `<q:%s xmlns:q="%s%s">`, class, wsVendor, class)
	for _, p := range props {
		fmt.Fprintf(&s, `<q:%s>%s</q:%s>`, p[0], xmlEscape(p[1]), p[0])
	}
	fmt.Fprintf(&s, `</q:%s>`, class)
	return s.String()
}

func wsParam(name, content string) string { return `<p:` + name + `>` + content + `</p:` + name + `>` }

// wsOut is an invocation's answer.
type wsOut struct {
	reply *wsReply
	ret   string
	out   *xnode // Method_OUTPUT
}

func (o wsOut) eprs(name string) []wsEPR {
	var out []wsEPR
	if o.out == nil {
		return nil
	}
	for _, k := range o.out.kids {
		if k.name.Local == name {
			out = append(out, eprOf(k))
		}
	}
	return out
}

func (w wsInvoker) invoke(t *testing.T, target cimPath, method string, params ...string) wsOut {
	t.Helper()
	uri := wsVendor + target.class
	r := w.c.do(t, wsRequest{action: uri + "/" + method, resourceURI: uri, selectors: wsSelectors(target),
		body: `<p:` + method + `_INPUT xmlns:p="` + uri + `">` + strings.Join(params, "") + `</p:` + method + `_INPUT>`})
	o := wsOut{reply: r}
	if r.root != nil {
		if o.out = r.root.find(uri, method+"_OUTPUT"); o.out != nil {
			if rv := o.out.kid(uri, "ReturnValue"); rv != nil {
				o.ret = rv.text()
			}
		}
	}
	return o
}

// ok fails unless the invocation returned 0.
func (o wsOut) ok(t *testing.T, what string) {
	t.Helper()
	if o.reply.fault() != nil || o.ret != "0" {
		t.Fatalf("%s: want ReturnValue 0, got:\n%s", what, o.reply)
	}
}

// get reads one instance with WS-Transfer Get.
func (w wsInvoker) get(t *testing.T, p cimPath) wsInstance {
	t.Helper()
	r := w.c.ok(t, wsRequest{action: wsActGet, resourceURI: wsVendor + p.class, selectors: wsSelectors(p)})
	insts := instancesIn(r.root)
	if len(insts) != 1 {
		t.Fatalf("Get %s: %d instances:\n%s", p.full(), len(insts), r)
	}
	return insts[0]
}

// TestMethodsWSMan: the same life as TestMethodsCIMXML through WS-Man:
// DefineSystem with wsl (embedded instances from files), its envelope
// replayed, the other methods as DSP0227 invocations, RequestStateChange
// through every transition, and refused requests with their faults;
// virsh on the shared libvirtd checks each step.
func TestMethodsWSMan(t *testing.T) {
	needWsl(t)
	b := newSharedBed(t)
	a := b.a
	w := wsInvoker{newWSClient(t, a.wsmanHTTP, false, cimOperator)}
	vsms := b.service(t, "VB_VirtualSystemManagementService")
	snaps := b.service(t, "VB_VirtualSystemSnapshotService")
	img1, img2 := b.image(t, "ws-one.img"), b.image(t, "ws-two.img")
	const name, mac = "wsman-vm", "52:54:00:c2:00:01"

	// DefineSystem with wsl: its invoke takes a parameter's XML from a
	// file (NAME=RFILE:FILE), so embedded instances can be sent; the
	// target's EPR comes from an EPR enumeration (-inst).
	wl := &wslRunner{dir: t.TempDir(), endpoint: a.wsmanHTTP}
	dir, out, err := wl.run(t, cimViewer, "enum", "VB_VirtualSystemManagementService", "-mode", "epr")
	eprFile := filepath.Join(dir, "response-1.xml")
	if err != nil || !strings.Contains(fileText(eprFile), "EndpointReference") {
		t.Fatalf("wsl enum -mode epr VB_VirtualSystemManagementService: %v\n%s", err, out)
	}
	files := map[string]string{
		"vssd.xml": wsEmbedded("VB_VirtualSystemSettingData", [2]string{"ElementName", name}),
		"mem.xml":  wsEmbedded("VB_MemoryAllocationSettingData", [2]string{"ResourceType", "4"}, [2]string{"VirtualQuantity", "256"}, [2]string{"AllocationUnits", "byte*2^20"}),
		"cpu.xml":  wsEmbedded("VB_ProcessorAllocationSettingData", [2]string{"ResourceType", "3"}, [2]string{"VirtualQuantity", "2"}, [2]string{"Limit", "3"}),
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(wl.dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, out, _ = wl.run(t, cimOperator, "invoke", "VB_VirtualSystemManagementService", "DefineSystem",
		"SystemSettings=RFILE:"+filepath.Join(wl.dir, "vssd.xml"), "ResourceSettings=RFILE:"+filepath.Join(wl.dir, "mem.xml"),
		"ResourceSettings=RFILE:"+filepath.Join(wl.dir, "cpu.xml"), "-inst", eprFile)
	resps := wslResponses(t, dir)
	requests, _ := filepath.Glob(filepath.Join(dir, "request-*.xml"))
	if len(resps) != 1 || len(requests) != 1 {
		t.Fatalf("wsl invoke DefineSystem: %d requests, %d responses:\n%s", len(requests), len(resps), out)
	}
	wslRequest := fileText(requests[0])
	defOut := resps[0].find(wsVendor+"VB_VirtualSystemManagementService", "DefineSystem_OUTPUT")
	if defOut == nil || defOut.kid(defOut.name.Space, "ReturnValue") == nil || defOut.kid(defOut.name.Space, "ReturnValue").text() != "0" {
		t.Fatalf("wsl invoke DefineSystem: no ReturnValue 0\nrequest:\n%s\nresponse:\n%s", wslRequest, fileText(filepath.Join(dir, "response-1.xml")))
	}
	uuid := eprOf(defOut.kid(defOut.name.Space, "ResultingSystem")).selectors["Name"]
	if got := b.virsh(t, "domuuid", name); got != uuid {
		t.Fatalf("virsh domuuid %s = %s; ResultingSystem names %q", name, got, uuid)
	}
	if info := b.dominfo(t, name); info["CPU(s)"] != "2" || info["Max memory"] != "262144 KiB" || info["State"] != "shut off" {
		t.Errorf("virsh dominfo of the system wsl defined: %v", info)
	}
	vm, vssd := vmCIMPath(uuid), idPath("VB_VirtualSystemSettingData", "VB:"+uuid)
	if got := w.get(t, vm); got.props["ElementName"] != name || got.props["EnabledState"] != "3" {
		t.Errorf("WS-Man Get of the new system: %v", got.props)
	}

	// wsl's envelope replayed as it was: the name is taken now.
	hc := &http.Client{Timeout: 30 * time.Second}
	before := b.hostState(t)
	_, body := rawPost(t, hc, w.c.url, cimOperator, cimOperatorPass, wslRequest)
	replayed := &wsReply{request: wslRequest, body: body, status: statusHidden}
	replayed.root, _ = parseXML([]byte(body))
	if f := wantFault(t, "the replayed DefineSystem", replayed, wsNSMan, "AlreadyExists", ""); f != nil && !strings.Contains(f.reason, name) {
		t.Errorf("the replayed DefineSystem: the reason %q does not name %s", f.reason, name)
	}
	if after := b.hostState(t); after != before {
		t.Errorf("a refused replay changed the host:\n%s\n%s", before, after)
	}
	// ... and with another name and message ID: a second system.
	msgID := regexp.MustCompile(`uuid:[0-9a-fA-F-]{36}`)
	again := msgID.ReplaceAllString(strings.Replace(wslRequest, ">"+name+"<", ">ws-replayed<", 1), newUUIDURN())
	_, body = rawPost(t, hc, w.c.url, cimOperator, cimOperatorPass, again)
	if !strings.Contains(body, "DefineSystem_OUTPUT") || !strings.Contains(body, "ReturnValue>0<") {
		t.Fatalf("the replayed DefineSystem with a new name:\n%s\n%s", again, body)
	}
	second := b.virsh(t, "domuuid", "ws-replayed")

	// AddResourceSettings: a disk and a NIC, two EPRs back.
	o := w.invoke(t, vsms, "AddResourceSettings", wsEPRParam("AffectedConfiguration", vssd),
		wsParam("ResourceSettings", wsEmbedded("VB_StorageAllocationSettingData", [2]string{"ResourceType", "31"}, [2]string{"Address", "vda"}, [2]string{"HostResource", img1})),
		wsParam("ResourceSettings", wsEmbedded("VB_EthernetPortAllocationSettingData", [2]string{"ResourceType", "10"}, [2]string{"Address", mac}, [2]string{"Connection", "default"})))
	o.ok(t, "AddResourceSettings")
	var added []string
	for _, e := range o.eprs("ResultingResourceSettings") {
		added = append(added, e.selectors["InstanceID"])
	}
	if want := []string{"VB:" + uuid + "/disk/vda", "VB:" + uuid + "/nic/" + mac}; !slices.Equal(added, want) {
		t.Errorf("ResultingResourceSettings %v, want %v", added, want)
	}
	if got := b.column(t, 1, "domblklist", uuid); !slices.Equal(got, []string{img1}) {
		t.Errorf("virsh domblklist: %v", got)
	}
	if got := b.virsh(t, "domiflist", uuid); !strings.Contains(got, mac) {
		t.Errorf("virsh domiflist:\n%s", got)
	}
	if d := w.get(t, idPath("VB_StorageAllocationSettingData", "VB:"+uuid+"/disk/vda")); d.props["Address"] != "vda" || d.props["HostResource"] != img1 {
		t.Errorf("WS-Man Get of the disk's RASD: %v", d.props)
	}
	if n := w.get(t, idPath("VB_EthernetPortAllocationSettingData", "VB:"+uuid+"/nic/"+mac)); n.props["Address"] != mac {
		t.Errorf("WS-Man Get of the NIC's RASD: %v", n.props)
	}

	// ModifyResourceSettings: 128 MiB.
	memID := "VB:" + uuid + "/memory"
	w.invoke(t, vsms, "ModifyResourceSettings", wsParam("ResourceSettings", wsEmbedded("VB_MemoryAllocationSettingData",
		[2]string{"InstanceID", memID}, [2]string{"ResourceType", "4"}, [2]string{"VirtualQuantity", "128"}, [2]string{"AllocationUnits", "byte*2^20"}))).ok(t, "ModifyResourceSettings")
	b.waitFor(t, "virsh to show 128 MiB", func() bool { return b.dominfo(t, uuid)["Used memory"] == "131072 KiB" })
	if m := w.get(t, idPath("VB_MemoryAllocationSettingData", memID)); m.props["VirtualQuantity"] != "131072" {
		t.Errorf("WS-Man Get of the memory RASD: VirtualQuantity %s", m.props["VirtualQuantity"])
	}

	// ModifySystemSettings: name, autostart, one note.
	const renamed = "wsman-renamed"
	w.invoke(t, vsms, "ModifySystemSettings", wsParam("SystemSettings", wsEmbedded("VB_VirtualSystemSettingData",
		[2]string{"InstanceID", "VB:" + uuid}, [2]string{"ElementName", renamed}, [2]string{"AutomaticStartupAction", "4"}, [2]string{"Notes", "made over WS-Man"}))).ok(t, "ModifySystemSettings")
	if got := b.virsh(t, "domname", uuid); got != renamed {
		t.Errorf("virsh domname: %s", got)
	}
	if got := b.virsh(t, "desc", uuid); got != "made over WS-Man" {
		t.Errorf("virsh desc: %q", got)
	}
	if got := b.dominfo(t, uuid)["Autostart"]; got != "enable" {
		t.Errorf("virsh dominfo Autostart: %s", got)
	}

	// RemoveResourceSettings: one EPR for the array parameter.
	w.invoke(t, vsms, "RemoveResourceSettings", wsEPRParam("ResourceSettings", idPath("VB_StorageAllocationSettingData", "VB:"+uuid+"/disk/vda"))).ok(t, "RemoveResourceSettings")
	b.waitFor(t, "virsh domblklist to be empty", func() bool { return len(b.column(t, 0, "domblklist", uuid)) == 0 })

	// Snapshots: two made, the first applied, the second destroyed.
	snapshot := func(snap string) cimPath {
		t.Helper()
		o := w.invoke(t, snaps, "CreateSnapshot", wsEPRParam("AffectedSystem", vm),
			wsParam("SnapshotSettings", wsEmbedded("VB_VirtualSystemSettingData", [2]string{"ElementName", snap})), wsParam("SnapshotType", "2"))
		o.ok(t, "CreateSnapshot "+snap)
		res := o.eprs("ResultingSnapshot")
		if len(res) != 1 || res[0].selectors["InstanceID"] != "VB:"+uuid+"/snapshot/"+snap {
			t.Fatalf("CreateSnapshot %s: ResultingSnapshot %+v", snap, res)
		}
		return idPath("VB_VirtualSystemSettingData", res[0].selectors["InstanceID"])
	}
	snapW := snapshot("snap-w")
	snapX := snapshot("snap-x")
	if got := b.column(t, 0, "snapshot-list", "--name", uuid); !slices.Equal(got, []string{"snap-w", "snap-x"}) {
		t.Errorf("virsh snapshot-list: %v", got)
	}
	if s := w.get(t, snapW); s.props["ElementName"] != "snap-w" {
		t.Errorf("WS-Man Get of the snapshot: %v", s.props)
	}
	w.invoke(t, snaps, "ApplySnapshot", wsEPRParam("Snapshot", snapW)).ok(t, "ApplySnapshot")
	if got := b.virsh(t, "snapshot-current", "--name", uuid); got != "snap-w" {
		t.Errorf("virsh snapshot-current after ApplySnapshot: %s", got)
	}
	w.invoke(t, snaps, "DestroySnapshot", wsEPRParam("AffectedSnapshot", snapX)).ok(t, "DestroySnapshot")
	if got := b.column(t, 0, "snapshot-list", "--name", uuid); !slices.Equal(got, []string{"snap-w"}) {
		t.Errorf("virsh snapshot-list after DestroySnapshot: %v", got)
	}

	// RequestStateChange: every transition and the invalid ones.
	requestStates(t, b, uuid, func(state string) string {
		o := w.invoke(t, vm, "RequestStateChange", wsParam("RequestedState", state))
		if o.reply.fault() != nil || o.ret == "" {
			t.Fatalf("RequestStateChange(%s):\n%s", state, o.reply)
		}
		return o.ret
	})

	// Refused requests: the fault names the parameter; virsh sees no change.
	const nobody = "00000000-0000-4000-8000-00000000dead"
	viewer := wsInvoker{newWSClient(t, a.wsmanHTTP, false, cimViewer)}
	mem := func(q string) string {
		return wsParam("ResourceSettings", wsEmbedded("VB_MemoryAllocationSettingData", [2]string{"InstanceID", memID}, [2]string{"ResourceType", "4"}, [2]string{"VirtualQuantity", q}))
	}
	disk := func(target, img string) string {
		return wsParam("ResourceSettings", wsEmbedded("VB_StorageAllocationSettingData", [2]string{"ResourceType", "31"}, [2]string{"Address", target}, [2]string{"HostResource", img}))
	}
	for _, c := range []struct {
		what      string
		w         wsInvoker
		target    cimPath
		method    string
		params    []string
		ns, local string
		want      []string
	}{
		{"the settings of a new system as a memory allocation", w, vsms, "DefineSystem",
			[]string{wsParam("SystemSettings", wsEmbedded("VB_MemoryAllocationSettingData", [2]string{"ElementName", "wrong"}))},
			wsNSMan, "InvalidParameter", []string{"SystemSettings", "is not a CIM_VirtualSystemSettingData"}},
		{"text where an embedded instance belongs", w, vsms, "DefineSystem", []string{wsParam("SystemSettings", "wrong")},
			wsNSMan, "InvalidParameter", []string{"SystemSettings", "embedded instance"}},
		{"a computer system among the resources", w, vsms, "AddResourceSettings",
			[]string{wsEPRParam("AffectedConfiguration", vssd), disk("vdb", img2), wsParam("ResourceSettings", wsEmbedded("VB_ComputerSystem", [2]string{"ResourceType", "31"}))},
			wsNSMan, "InvalidParameter", []string{"ResourceSettings", "VB_ComputerSystem is not a CIM_ResourceAllocationSettingData"}},
		{"negative memory", w, vsms, "ModifyResourceSettings", []string{mem("-512")}, wsNSMan, "InvalidParameter", []string{memID, "VirtualQuantity", "-512"}},
		{"memory that is no number", w, vsms, "ModifyResourceSettings", []string{mem("lots")}, wsNSMan, "InvalidParameter", []string{"VirtualQuantity", "lots"}},
		{"more vCPUs than the host has", w, vsms, "DefineSystem",
			[]string{wsParam("SystemSettings", wsEmbedded("VB_VirtualSystemSettingData", [2]string{"ElementName", "too-many"})),
				wsParam("ResourceSettings", wsEmbedded("VB_ProcessorAllocationSettingData", [2]string{"ResourceType", "3"}, [2]string{"VirtualQuantity", "64"}))},
			wsNSMan, "InvalidParameter", []string{"64 vCPUs is over the host's"}},
		{"a disk image that does not exist, after one that does", w, vsms, "AddResourceSettings",
			[]string{wsEPRParam("AffectedConfiguration", vssd), disk("vdb", img2), disk("vdc", img2+".missing")},
			wsNSMan, "InvalidParameter", []string{"vdc", "does not exist"}},
		{"a MAC address in use", w, vsms, "AddResourceSettings",
			[]string{wsEPRParam("AffectedConfiguration", vssd), disk("vdb", img2),
				wsParam("ResourceSettings", wsEmbedded("VB_EthernetPortAllocationSettingData", [2]string{"ResourceType", "10"}, [2]string{"Address", "AA-BB-CC-DD-EE-FF"}, [2]string{"Connection", "default"}))},
			wsNSMan, "InvalidParameter", []string{"aa:bb:cc:dd:ee:ff", "duplicate MAC address"}},
		{"DestroySystem of an unknown system", w, vsms, "DestroySystem", []string{wsEPRParam("AffectedSystem", vmCIMPath(nobody))},
			wsNSAddr, "DestinationUnreachable", []string{"AffectedSystem", nobody}},
		{"ApplySnapshot of a snapshot that is not", w, snaps, "ApplySnapshot",
			[]string{wsEPRParam("Snapshot", idPath("VB_VirtualSystemSettingData", "VB:"+uuid+"/snapshot/nope"))},
			wsNSAddr, "DestinationUnreachable", []string{"Snapshot", "nope"}},
		{"DefineSystem on the snapshot service", w, snaps, "DefineSystem", []string{wsParam("SystemSettings", wsEmbedded("VB_VirtualSystemSettingData", [2]string{"ElementName", "x"}))},
			wsNSAddr, "ActionNotSupported", []string{"has no method DefineSystem"}},
		{"RequestStateChange on the management service", w, vsms, "RequestStateChange", []string{wsParam("RequestedState", "3")},
			wsNSAddr, "ActionNotSupported", []string{"RequestStateChange"}},
		{"DestroySystem by a read-only user", viewer, vsms, "DestroySystem", []string{wsEPRParam("AffectedSystem", vm)},
			wsNSMan, "AccessDenied", nil},
	} {
		before := b.hostState(t)
		o := c.w.invoke(t, c.target, c.method, c.params...)
		if f := wantFault(t, c.what, o.reply, c.ns, c.local, ""); f != nil {
			for _, s := range c.want {
				if !strings.Contains(f.reason, s) {
					t.Errorf("%s: the reason %q does not say %q", c.what, f.reason, s)
				}
			}
		}
		if after := b.hostState(t); after != before {
			t.Errorf("%s: refused, yet virsh shows a change:\nbefore:\n%s\nafter:\n%s", c.what, before, after)
		}
	}

	// DestroySystem of both systems.
	for _, u := range []string{uuid, second} {
		w.invoke(t, vsms, "DestroySystem", wsEPRParam("AffectedSystem", vmCIMPath(u))).ok(t, "DestroySystem")
		if _, ok := virshTry(b.uri, "dominfo", u); ok {
			t.Errorf("virsh still knows %s after DestroySystem", u)
		}
		r := w.c.do(t, wsRequest{action: wsActGet, resourceURI: wsVendor + "VB_ComputerSystem", selectors: wsSelectors(vmCIMPath(u))})
		wantFault(t, "Get of a destroyed system", r, wsNSAddr, "DestinationUnreachable", "")
	}
}
