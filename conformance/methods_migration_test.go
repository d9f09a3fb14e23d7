package conformance

import (
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/internal/syncbuf"
)

// holdOpen keeps a connection to uri open until the test ends: a
// daemon's test:///default node lives while some client holds it, so
// virsh runs one after the other (and the agent's migration connection)
// all see the same node.
func holdOpen(t *testing.T, uri string) {
	t.Helper()
	cmd := exec.Command("virsh", "-c", uri)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	// Commands run in order: once "held" is echoed, the list has run
	// over an open connection.
	if _, err := io.WriteString(in, "list --all --name\necho held\n"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "virsh to hold "+uri+" open", func() bool { return strings.Contains(out.String(), "held") })
}

// TestMigration: CheckVirtualSystemIsMigratableToHost and
// MigrateVirtualSystemToHost between two libvirtd instances (each's
// test:///default node). Offline migration (MigrationType 4, Restart)
// moves a shut-off system's definition: virsh on the destination shows
// it, virsh on the source no longer. A live migration of a shut-off
// system is refused with its reason; the test driver cannot migrate a
// running system, and says so.
func TestMigration(t *testing.T) {
	b := newSharedBed(t)
	a := b.a
	dst := libvirttest.SessionDaemon(t)
	dstURI := dst.URI("")
	holdOpen(t, dstURI)
	vsms := b.service(t, "VB_VirtualSystemManagementService")
	mig := b.service(t, "VB_VirtualSystemMigrationService")

	define := func(name, mac string) string {
		t.Helper()
		r := a.cimCall(t, cimOperator, vsms, "DefineSystem", embeddedParam("SystemSettings", vssdInst(name), true),
			embeddedArray("ResourceSettings", []string{memRASD("", "128"), nicRASD(mac, "default")}))
		r.ok(t, "DefineSystem "+name)
		return r.refOut("ResultingSystem")[0].key("Name")
	}
	moving := define("mig-offline", "52:54:00:c3:00:01")
	running := define("mig-running", "52:54:00:c3:00:02")
	overWSMan := define("mig-wsman", "52:54:00:c3:00:03")
	if ret, out := a.cm(t, vmCIMPath(running), "RequestStateChange.RequestedState=2"); ret != "0" {
		t.Fatalf("starting mig-running: %q\n%s", ret, out)
	}
	b.waitFor(t, "mig-running to run", func() bool { return b.virsh(t, "domstate", running) == "running" })

	msd := func(typ string) string {
		return embeddedParam("MigrationSettingData", instXML("VB_VirtualSystemMigrationSettingData", prop("MigrationType", "uint16", typ)), true)
	}
	dest := valueParam("DestinationHost", "string", dstURI)
	check := func(uuid, typ string) string {
		t.Helper()
		r := a.cimCall(t, cimOperator, mig, "CheckVirtualSystemIsMigratableToHost", refParam("ComputerSystem", vmCIMPath(uuid)), dest, msd(typ))
		r.ok(t, "CheckVirtualSystemIsMigratableToHost")
		if v := r.out["IsMigratable"]; v != nil {
			return strings.ToUpper(v.find("", "VALUE").text())
		}
		t.Fatalf("CheckVirtualSystemIsMigratableToHost: no IsMigratable:\n%s", r)
		return ""
	}
	for _, c := range []struct{ what, uuid, typ, want string }{
		{"offline, shut off", moving, "4", "TRUE"},
		{"live, shut off", moving, "2", "FALSE"},
		{"live, running", running, "2", "TRUE"}, // by its state; the driver decides when it moves
		{"offline, running", running, "4", "FALSE"},
	} {
		if got := check(c.uuid, c.typ); got != c.want {
			t.Errorf("CheckVirtualSystemIsMigratableToHost %s: IsMigratable %s, want %s", c.what, got, c.want)
		}
	}
	// wbemcli cm can say the check without setting data (a shut-off
	// system then moves offline): a string and a reference, which it
	// reads to the end of the line, so last.
	if ret, out := a.cm(t, mig, `CheckVirtualSystemIsMigratableToHost.DestinationHost="`+dstURI+`",ComputerSystem=`+vmCIMPath(moving).wbem()); ret != "0" || !strings.Contains(out, "IsMigratable (boolean): TRUE") {
		t.Errorf("wbemcli cm CheckVirtualSystemIsMigratableToHost: %q\n%s", ret, out)
	}

	// Refused: each with its reason, nothing moved on either side.
	for _, c := range []struct {
		what   string
		params []string
		code   int
		want   []string
	}{
		{"a live migration of a shut-off system", []string{refParam("ComputerSystem", vmCIMPath(moving)), dest, msd("2")},
			cimErrFailed, []string{"mig-offline", "a live migration needs a running system"}},
		{"an offline migration of a running system", []string{refParam("ComputerSystem", vmCIMPath(running)), dest, msd("4")},
			cimErrFailed, []string{"an offline migration needs a shut-off system"}},
		{"a migration type not offered", []string{refParam("ComputerSystem", vmCIMPath(moving)), dest, msd("3")},
			cimErrNotSupported, []string{"MigrationType 3"}},
		{"an unknown system", []string{refParam("ComputerSystem", vmCIMPath("00000000-0000-4000-8000-00000000dead")), dest},
			cimErrNotFound, []string{"ComputerSystem"}},
		{"a destination that is neither host nor URI", []string{refParam("ComputerSystem", vmCIMPath(moving)), valueParam("DestinationHost", "string", "not a host")},
			cimErrInvalidParam, []string{"DestinationHost"}},
		{"this very host", []string{refParam("ComputerSystem", vmCIMPath(moving)), valueParam("DestinationHost", "string", b.uri), msd("4")},
			cimErrInvalidParam, []string{"own URI"}},
		{"the migration setting data as a memory allocation", []string{refParam("ComputerSystem", vmCIMPath(moving)), dest,
			embeddedParam("MigrationSettingData", memRASD("", "1"), false)}, cimErrInvalidParam, []string{"MigrationSettingData", "is not a CIM_VirtualSystemMigrationSettingData"}},
	} {
		src, dstBefore := b.hostState(t), hostStateOn(t, dstURI)
		r := a.cimCall(t, cimOperator, mig, "MigrateVirtualSystemToHost", c.params...)
		r.refused(t, c.what, c.code, c.want...)
		if b.hostState(t) != src || hostStateOn(t, dstURI) != dstBefore {
			t.Errorf("%s: refused, yet virsh shows a change on the source or the destination", c.what)
		}
	}

	// The test driver cannot migrate a running system (libvirt's test
	// driver has no migration support): the request fails saying so, and
	// the system stays where it runs.
	src, dstBefore := b.hostState(t), hostStateOn(t, dstURI)
	r := a.cimCall(t, cimOperator, mig, "MigrateVirtualSystemToHost", refParam("ComputerSystem", vmCIMPath(running)), dest, msd("2"))
	switch {
	case r.code == cimErrNotSupported:
		t.Logf("live migration on the test driver, as expected not possible: %s", r.desc)
	case r.ret == "0" || r.ret == "4096":
		t.Errorf("a live migration on the test driver was accepted (%s); the test driver cannot migrate", r.ret)
	default:
		t.Errorf("live migration of a running system on the test driver: want CIM_ERR_NOT_SUPPORTED, got:\n%s", r)
	}
	if b.hostState(t) != src || hostStateOn(t, dstURI) != dstBefore {
		t.Errorf("the refused live migration changed the source or the destination")
	}

	// Offline: the definition moves.
	before := b.dominfo(t, moving)
	r = a.cimCall(t, cimOperator, mig, "MigrateVirtualSystemToHost", refParam("ComputerSystem", vmCIMPath(moving)), dest, msd("4"))
	if r.code != -1 || (r.ret != "0" && r.ret != "4096") {
		t.Fatalf("offline MigrateVirtualSystemToHost: %s", r)
	}
	waitUntil(t, "mig-offline on the destination", func() bool {
		_, ok := virshTry(dstURI, "dominfo", moving)
		return ok
	})
	b.waitFor(t, "mig-offline gone from the source", func() bool {
		_, ok := virshTry(b.uri, "dominfo", moving)
		return !ok
	})
	after := dominfoOn(t, dstURI, moving)
	for _, k := range []string{"Name", "UUID", "State", "Max memory", "CPU(s)", "Persistent"} {
		if after[k] != before[k] {
			t.Errorf("on the destination %s is %q, on the source it was %q", k, after[k], before[k])
		}
	}
	if got := virshOn(t, dstURI, "domiflist", moving); !strings.Contains(got, "52:54:00:c3:00:01") {
		t.Errorf("the NIC did not move along:\n%s", got)
	}
	if out, _ := a.wbemcli(t, cimViewer, "gi", a.cimURL(cimViewer, vmCIMPath(moving).full())); !strings.Contains(out, "CIM_ERR_NOT_FOUND") {
		t.Errorf("the source agent still serves the migrated system:\n%s", out)
	}
	if b.virsh(t, "domstate", running) != "running" {
		t.Errorf("mig-running stopped")
	}

	// The same over WS-Man: the check, a refused live request and the
	// offline move, with the setting data as an embedded instance.
	w := wsInvoker{newWSClient(t, a.wsmanHTTP, false, cimOperator)}
	wsMSD := func(typ string) string {
		return wsParam("MigrationSettingData", wsEmbedded("VB_VirtualSystemMigrationSettingData", [2]string{"MigrationType", typ}))
	}
	wsDest := wsParam("DestinationHost", xmlEscape(dstURI))
	o := w.invoke(t, mig, "CheckVirtualSystemIsMigratableToHost", wsEPRParam("ComputerSystem", vmCIMPath(overWSMan)), wsDest, wsMSD("4"))
	o.ok(t, "WS-Man CheckVirtualSystemIsMigratableToHost")
	if v := o.out.kid(o.out.name.Space, "IsMigratable"); v == nil || v.text() != "true" {
		t.Errorf("WS-Man CheckVirtualSystemIsMigratableToHost offline: IsMigratable %v\n%s", v, o.reply)
	}
	src, dstBefore = b.hostState(t), hostStateOn(t, dstURI)
	o = w.invoke(t, mig, "MigrateVirtualSystemToHost", wsEPRParam("ComputerSystem", vmCIMPath(overWSMan)), wsDest, wsMSD("2"))
	if f := wantFault(t, "WS-Man live migration of a shut-off system", o.reply, wsNSMan, "InternalError", ""); f != nil && !strings.Contains(f.reason, "a live migration needs a running system") {
		t.Errorf("WS-Man live migration of a shut-off system: the reason %q does not say why", f.reason)
	}
	if b.hostState(t) != src || hostStateOn(t, dstURI) != dstBefore {
		t.Errorf("the refused WS-Man migration changed the source or the destination")
	}
	o = w.invoke(t, mig, "MigrateVirtualSystemToHost", wsEPRParam("ComputerSystem", vmCIMPath(overWSMan)), wsDest, wsMSD("4"))
	if o.reply.fault() != nil || (o.ret != "0" && o.ret != "4096") {
		t.Fatalf("WS-Man offline MigrateVirtualSystemToHost:\n%s", o.reply)
	}
	waitUntil(t, "mig-wsman on the destination and gone from the source", func() bool {
		_, there := virshTry(dstURI, "dominfo", overWSMan)
		_, here := virshTry(b.uri, "dominfo", overWSMan)
		return there && !here
	})
}
