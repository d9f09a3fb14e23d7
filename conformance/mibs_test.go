package conformance

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOurMIB: VIRTBRIDGE-MIB passes `smilint -l 4` with no message and
// loads in net-snmp beside VM-MIB with the OIDs the code serves
// (mibs/check.sh says which).
func TestOurMIB(t *testing.T) {
	need(t, "smilint", "snmptranslate")
	ref := reference(t, "snmp")
	cmd := exec.Command(filepath.Join(mibsDir(), "check.sh"))
	cmd.Env = append(cmd.Environ(), "VIRTBRIDGE_MIB_REF="+ref)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mibs/check.sh: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "ok:") {
		t.Fatalf("mibs/check.sh said:\n%s", out)
	}
}
