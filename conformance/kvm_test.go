package conformance

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
)

// TestKVMThroughCIM drives a real QEMU/KVM domain through DSP1057's
// RequestStateChange over CIM-XML: start → pause → resume → shut down →
// start → reset → power off, with EnabledState and virsh agreeing after
// each step. The domain has firmware only, so it ignores the ACPI
// shutdown: that request must come back as a job (4096) whose VM shows
// OperatingStatus Stopping, and the power-off that follows completes it.
func TestKVMThroughCIM(t *testing.T) {
	if testing.Short() {
		t.Skip("KVM test skipped in -short mode")
	}
	uri := libvirttest.SystemQEMU(t)
	kvm, _ := libvirttest.KVMAvailable()
	name := fmt.Sprintf("vbconf-%d", os.Getpid())
	dir := t.TempDir()
	xmlPath := filepath.Join(dir, "dom.xml")
	if err := os.WriteFile(xmlPath, []byte(libvirttest.FirmwareOnlyDomainXML(name, kvm)), 0o644); err != nil {
		t.Fatal(err)
	}
	virsh := func(args ...string) string {
		out, err := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("virsh %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	virsh("define", xmlPath)
	t.Cleanup(func() {
		_ = exec.Command("virsh", "-c", uri, "destroy", name).Run()
		_ = exec.Command("virsh", "-c", uri, "undefine", name).Run()
	})
	uuid := virsh("domuuid", name)
	a := runAgent(t, dir, uri, nil, "")
	vm := `root/virtualization:VB_ComputerSystem.CreationClassName="VB_ComputerSystem",Name="` + uuid + `"`
	gp := func(prop string) string {
		return strings.TrimSpace(a.wbem(t, "gp", a.cimURL(cimViewer, vm), prop))
	}
	waitProp := func(prop, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for gp(prop) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s stayed %s, want %s", prop, gp(prop), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The agent may start before the domain shows: wait for it.
	waitProp("EnabledState", "3")
	rsc := func(state string) string {
		t.Helper()
		out, err := a.wbemcli(t, cimOperator, "cm", a.cimURL(cimOperator, vm), "RequestStateChange.RequestedState="+state)
		i := strings.Index(out, "RequestStateChange: ")
		if err != nil || i < 0 {
			t.Fatalf("cm RequestedState=%s: %v\n%s", state, err, out)
		}
		rest := out[i+len("RequestStateChange: "):]
		return rest[:strings.IndexFunc(rest+" ", func(r rune) bool { return r < '0' || r > '9' })]
	}
	steps := []struct {
		req, enabled, virsh string
	}{
		{"2", "2", "running"}, // start
		{"9", "9", "paused"},  // pause
		{"2", "2", "running"}, // resume
	}
	for _, s := range steps {
		if r := rsc(s.req); r != "0" && r != "4096" {
			t.Fatalf("RequestedState %s returned %s", s.req, r)
		}
		waitProp("EnabledState", s.enabled)
		if got := virsh("domstate", name); got != s.virsh {
			t.Errorf("after RequestedState %s: virsh says %q", s.req, got)
		}
	}
	// Shut Down: the firmware ignores it; a job runs, the VM is Stopping.
	if r := rsc("4"); r != "4096" {
		t.Fatalf("ACPI shutdown of a firmware-only guest returned %s, want 4096 (a job)", r)
	}
	if st := gp("OperatingStatus"); st != "4" {
		t.Errorf("OperatingStatus during the shutdown job: %s, want 4 (Stopping)", st)
	}
	jobs := paths(a.wbem(t, "ain", "-ac", "CIM_AffectedJobElement", a.cimURL(cimViewer, vm)))
	if len(jobs) != 1 {
		t.Fatalf("VM has %d jobs, want 1", len(jobs))
	}
	if r := rsc("3"); r != "0" && r != "4096" {
		t.Fatalf("power off returned %s", r)
	}
	waitProp("EnabledState", "3")
	job := parseNL(a.wbem(t, "gi", "-nl", a.cimURL(cimViewer, jobs[0])))
	deadline := time.Now().Add(30 * time.Second)
	for len(job) == 1 && job[0].props["JobState"] != "7" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		job = parseNL(a.wbem(t, "gi", "-nl", a.cimURL(cimViewer, jobs[0])))
	}
	if len(job) != 1 || job[0].props["JobState"] != "7" || job[0].props["PercentComplete"] != "100" {
		t.Errorf("the shutdown job after the power-off: %+v, want JobState 7 (Completed)", job)
	}
	for _, s := range []struct{ req, enabled, virsh string }{
		{"2", "2", "running"},  // start
		{"11", "2", "running"}, // reset
		{"3", "3", "shut off"}, // power off
	} {
		if r := rsc(s.req); r != "0" && r != "4096" {
			t.Fatalf("RequestedState %s returned %s", s.req, r)
		}
		waitProp("EnabledState", s.enabled)
		if got := virsh("domstate", name); got != s.virsh {
			t.Errorf("after RequestedState %s: virsh says %q", s.req, got)
		}
	}
}
