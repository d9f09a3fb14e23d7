package provider

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
)

// failingOps fails SetMemory, to see what ran before it undone.
type failingOps struct{ backends.Operations }

func (failingOps) SetMemory(context.Context, string, uint64, backends.Scope) error {
	return backends.Errorf("set memory", "x", backends.ErrInvalidState, "refused for the test")
}

// TestVSMSRefusals: impossible values (a negative memory size, more
// vCPUs than the host has, a MAC address in use, a disk image that does
// not exist) are refused naming the parameter, and a request refused
// half way through leaves the system as it was: what was done is undone.
func TestVSMSRefusals(t *testing.T) {
	s := schema(t)
	s.Jobs = NewJobs(10, time.Minute)
	defer s.Jobs.Close()
	bed := libvirttest.NewBed(t, testbed.Options{Domains: 3, Seed: 4, Pools: 1, Networks: 1})
	bed.Run(t)
	inv := bed.Inventory
	env := Env{Ops: bed.Backend, Current: inv.Snapshot}
	ctx := t.Context()
	svc, err := s.ManagementService(inv.Snapshot().Host)
	if err != nil {
		t.Fatal(err)
	}
	call := func(env Env, method string, in map[string]cim.Value) (map[string]cim.Value, error) {
		r, out, err := s.At(inv.Snapshot(), time.Now()).Invoke(ctx, env, svc.Path, method, in)
		if code, _ := r.Uint(); err == nil && code != 0 {
			t.Fatalf("%s returned %d", method, code)
		}
		return out, err
	}
	rasds := func(insts ...cim.Value) cim.Value {
		a, _ := cim.Array(cim.TypeInstance, insts...)
		return a
	}
	vssd := func(name string) cim.Value {
		return instanceOf("VB_VirtualSystemSettingData", map[string]cim.Value{"ElementName": cim.String(name)})
	}
	host := inv.Snapshot().Host
	var used string // a MAC address some domain of the bed has
	for _, d := range inv.Snapshot().Domains() {
		if len(d.NICs) > 0 {
			used = d.NICs[0].MAC
		}
	}
	if used == "" {
		t.Fatal("no domain of the bed has a NIC")
	}
	before := inv.Snapshot().Len()
	for _, c := range []struct {
		what string
		rasd cim.Value
		want string
	}{
		{"negative memory", instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"ResourceType": cim.Uint16(4), "VirtualQuantity": cim.Sint64(-512), "AllocationUnits": cim.String("byte*2^20")}), "VirtualQuantity -512 is not a count"},
		{"negative memory as text", instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("4"), "VirtualQuantity": cim.String("-512")}), `VirtualQuantity "-512" is not a count`},
		{"more vCPUs than the host has", instanceOf("VB_ProcessorAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("3"), "VirtualQuantity": cim.Uint64(uint64(host.CPUs) + 1)}), "over the host's"},
		{"a MAC address in use", instanceOf("VB_EthernetPortAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("10"), "Address": cim.String(strings.ToUpper(used)), "Connection": cim.String(bed.Networks[0].Name)}), "duplicate MAC address"},
		{"a network the host lacks", instanceOf("VB_EthernetPortAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("10"), "Connection": cim.String("no-such-net")}), `no network "no-such-net"`},
	} {
		_, err := call(env, "DefineSystem", map[string]cim.Value{"SystemSettings": vssd("refused"), "ResourceSettings": rasds(c.rasd)})
		if !errors.Is(err, cim.ErrInvalidParameter) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DefineSystem with %s: %v, want invalid parameter saying %q", c.what, err, c.want)
		}
	}
	if inv.Snapshot().Len() != before {
		t.Fatalf("refused DefineSystems defined %d domains", inv.Snapshot().Len()-before)
	}

	// ResourceSettings is optional: without it, the templates' defaults.
	if _, err := call(env, "DefineSystem", map[string]cim.Value{"SystemSettings": vssd("defaults")}); err != nil {
		t.Fatalf("DefineSystem without ResourceSettings: %v", err)
	}
	if d, ok := inv.Snapshot().DomainByName("defaults"); !ok || d.VCPUs != 1 || d.MemoryKiB != defaultMemKiB {
		t.Errorf("defined without ResourceSettings: %+v", d)
	}

	// One Notes string, as WS-Man sends it: the call ends once the
	// inventory shows it, not after the 30 s limit.
	d, _ := inv.Snapshot().DomainByName("defaults")
	start := time.Now()
	if _, err := call(env, "ModifySystemSettings", map[string]cim.Value{"SystemSettings": instanceOf("VB_VirtualSystemSettingData", map[string]cim.Value{
		"InstanceID": cim.String("VB:" + d.UUID), "Notes": cim.String("one note"), "AutomaticStartupAction": cim.String("4")})}); err != nil || time.Since(start) > 10*time.Second {
		t.Errorf("ModifySystemSettings with one Notes string: %v after %v", err, time.Since(start))
	}
	if d, _ := inv.Snapshot().Domain(d.UUID); d.Description != "one note" || !d.Autostart {
		t.Errorf("after ModifySystemSettings: notes %q autostart %v", d.Description, d.Autostart)
	}

	// A system to add to.
	dir := t.TempDir()
	img := filepath.Join(dir, "a.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := call(env, "DefineSystem", map[string]cim.Value{"SystemSettings": vssd("target"), "ResourceSettings": rasds(
		instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("4"), "VirtualQuantity": cim.String("512"), "AllocationUnits": cim.String("byte*2^20")}),
		instanceOf("VB_ProcessorAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("3"), "VirtualQuantity": cim.String("1"), "Limit": cim.String("2")}))})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := out["ResultingSystem"].Ref()
	uuid := keyString(ref, "Name")
	vmRef := cim.Ref(cim.ObjectPath{Namespace: ns, ClassName: "VB_VirtualSystemSettingData", Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:" + uuid)}}})
	disk := func(target, path string) cim.Value {
		return instanceOf("VB_StorageAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("31"), "HostResource": cim.Strings(path), "Address": cim.String(target)})
	}
	// The first disk can be attached, the second's image does not exist:
	// the first is detached again.
	_, err = call(env, "AddResourceSettings", map[string]cim.Value{"AffectedConfiguration": vmRef, "ResourceSettings": rasds(disk("vda", img), disk("vdb", filepath.Join(dir, "missing.img")))})
	if !errors.Is(err, cim.ErrInvalidParameter) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("AddResourceSettings with a missing image: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // events of a change that should not be
	if d, _ := inv.Snapshot().Domain(uuid); len(d.Disks) != 0 {
		t.Errorf("after a refused AddResourceSettings the system has disks %+v", d.Disks)
	}
	// A NIC without a MAC address: one is chosen, and named in the result.
	out, err = call(env, "AddResourceSettings", map[string]cim.Value{"AffectedConfiguration": vmRef, "ResourceSettings": rasds(
		instanceOf("VB_EthernetPortAllocationSettingData", map[string]cim.Value{"ResourceType": cim.String("10"), "PoolID": cim.String(poolPrefix + "network/" + bed.Networks[0].Name)}))})
	if err != nil {
		t.Fatal(err)
	}
	res := out["ResultingResourceSettings"]
	if res.Len() != 1 {
		t.Fatalf("ResultingResourceSettings %s", res)
	}
	p, _ := res.Elems()[0].Ref()
	mac, ok := strings.CutPrefix(keyString(p, "InstanceID"), "VB:"+uuid+"/nic/")
	if d, _ := inv.Snapshot().Domain(uuid); !ok || len(d.NICs) != 1 || d.NICs[0].MAC != mac {
		t.Errorf("NIC added as %s; the system has %+v", p.String(), d.NICs)
	}

	// ModifyResourceSettings: vCPUs then memory; the memory fails, so
	// the vCPU count goes back.
	proc := instanceOf("VB_ProcessorAllocationSettingData", map[string]cim.Value{"InstanceID": cim.String("VB:" + uuid + "/processor"), "ResourceType": cim.String("3"), "VirtualQuantity": cim.String("2")})
	mem := instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"InstanceID": cim.String("VB:" + uuid + "/memory"), "ResourceType": cim.String("4"), "VirtualQuantity": cim.String("256"), "AllocationUnits": cim.String("byte*2^20")})
	_, err = call(Env{Ops: failingOps{bed.Backend}, Current: inv.Snapshot}, "ModifyResourceSettings", map[string]cim.Value{"ResourceSettings": rasds(proc, mem)})
	if err == nil || !strings.Contains(err.Error(), "refused for the test") {
		t.Errorf("ModifyResourceSettings with a failing memory change: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if d, _ := inv.Snapshot().Domain(uuid); d.VCPUs != 1 || d.MemoryKiB != 512<<10 {
		t.Errorf("after a refused ModifyResourceSettings: %d vCPUs, %d KiB; want 1 and %d", d.VCPUs, d.MemoryKiB, 512<<10)
	}
	// Negative memory, in place.
	neg := instanceOf("VB_MemoryAllocationSettingData", map[string]cim.Value{"InstanceID": cim.String("VB:" + uuid + "/memory"), "ResourceType": cim.String("4"), "VirtualQuantity": cim.Sint64(-1)})
	if _, err := call(env, "ModifyResourceSettings", map[string]cim.Value{"ResourceSettings": rasds(neg)}); !errors.Is(err, cim.ErrInvalidParameter) || !strings.Contains(err.Error(), "VirtualQuantity -1") {
		t.Errorf("ModifyResourceSettings to -1: %v", err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); !slices.Equal([]uint64{uint64(d.VCPUs), d.MemoryKiB}, []uint64{1, 512 << 10}) {
		t.Errorf("after refused changes: %d vCPUs, %d KiB", d.VCPUs, d.MemoryKiB)
	}
	// A change that returns 0 shows at once (the call waits for it).
	if _, err := call(env, "ModifyResourceSettings", map[string]cim.Value{"ResourceSettings": rasds(proc, mem)}); err != nil {
		t.Fatal(err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); d.VCPUs != 2 || d.MemoryKiB != 256<<10 {
		t.Errorf("right after ModifyResourceSettings: %d vCPUs, %d KiB; want 2 and %d", d.VCPUs, d.MemoryKiB, 256<<10)
	}
	// RemoveResourceSettings: a device the system lacks refuses the
	// whole request; then the NIC goes, at once.
	rasdRef := func(class, part string) cim.Value {
		return cim.Ref(cim.ObjectPath{Namespace: ns, ClassName: class, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String("VB:" + uuid + "/" + part)}}})
	}
	nic, _ := cim.Array(cim.TypeReference, rasdRef("VB_EthernetPortAllocationSettingData", "nic/"+mac))
	both, _ := cim.Array(cim.TypeReference, rasdRef("VB_EthernetPortAllocationSettingData", "nic/"+mac), rasdRef("VB_StorageAllocationSettingData", "disk/vdz"))
	if _, err := call(env, "RemoveResourceSettings", map[string]cim.Value{"ResourceSettings": both}); !errors.Is(err, cim.ErrNotFound) || !strings.Contains(err.Error(), "no disk vdz") {
		t.Errorf("RemoveResourceSettings of a disk the system lacks: %v", err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); len(d.NICs) != 1 {
		t.Errorf("a refused RemoveResourceSettings removed the NIC")
	}
	if _, err := call(env, "RemoveResourceSettings", map[string]cim.Value{"ResourceSettings": nic}); err != nil {
		t.Fatal(err)
	}
	if d, _ := inv.Snapshot().Domain(uuid); len(d.NICs) != 0 {
		t.Errorf("right after RemoveResourceSettings the system has NICs %+v", d.NICs)
	}
}
