package libvirttest

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// DomInfo is what `virsh dominfo` prints for one domain.
type DomInfo struct {
	Name, UUID, State     string
	VCPUs                 int
	MaxMemKiB, UsedMemKiB uint64
}

// Dominfo runs dominfo for every name in one virsh process (each process
// re-reads a test-driver file, so one per domain would be slow) and returns
// the answers by UUID.
func Dominfo(t testing.TB, uri string, names []string) map[string]DomInfo {
	t.Helper()
	cmds := make([]string, len(names))
	for i, n := range names {
		cmds[i] = "dominfo " + n
	}
	out, err := exec.Command("virsh", "-q", "-c", uri, strings.Join(cmds, "; ")).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh dominfo: %v: %s", err, out)
	}
	res := map[string]DomInfo{}
	var cur DomInfo
	flush := func() {
		if cur.UUID != "" {
			res[cur.UUID] = cur
		}
		cur = DomInfo{}
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Id":
			flush()
		case "Name":
			cur.Name = v
		case "UUID":
			cur.UUID = v
		case "State":
			cur.State = v
		case "CPU(s)":
			cur.VCPUs, _ = strconv.Atoi(v)
		case "Max memory":
			cur.MaxMemKiB, _ = strconv.ParseUint(strings.Fields(v)[0], 10, 64)
		case "Used memory":
			cur.UsedMemKiB, _ = strconv.ParseUint(strings.Fields(v)[0], 10, 64)
		}
	}
	flush()
	return res
}

// Names lists every domain's name, as `virsh list --all --name` does.
func Names(t testing.TB, uri string) []string {
	t.Helper()
	out, err := exec.Command("virsh", "-q", "-c", uri, "list", "--all", "--name").Output()
	if err != nil {
		t.Fatalf("virsh list: %v", err)
	}
	return strings.Fields(string(out))
}
