package libvirt

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	lv "libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/virtbridge/virtbridge/backends"
)

// qemuXML is shaped like `virsh dumpxml` of a running QEMU/KVM guest, with
// the unit, case and device variety fromXML has to cope with.
const qemuXML = `<domain type='kvm' id='7'>
  <name>web-01</name>
  <uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>
  <title>Web server &lt;prod&gt; &amp; friends</title>
  <description>front end, rack 4</description>
  <memory unit='GiB'>4</memory>
  <currentMemory unit='MiB'>3072</currentMemory>
  <vcpu placement='static' cpuset='0-3,^2' current='2'>4</vcpu>
  <cputune>
    <shares>1024</shares>
    <vcpupin vcpu='1' cpuset='5'/>
    <vcpupin vcpu='3' cpuset='7'/>
    <emulatorpin cpuset='0-1'/>
  </cputune>
  <resource>
    <partition>/machine</partition>
  </resource>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/web-01.qcow2' index='5'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='/dev/vg0/web-01-data' index='4'/>
      <backingStore/>
      <target dev='vdb' bus='virtio'/>
      <alias name='virtio-disk1'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='web-01-logs.qcow2'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='writeback'/>
      <auth username='libvirt'>
        <secret type='ceph' uuid='2a5b08e4-3dca-4ff9-9a1d-40389758d081'/>
      </auth>
      <source protocol='rbd' name='rbd-pool/web-01-shared'>
        <host name='ceph-mon1' port='6789'/>
        <host name='ceph-mon2' port='6789'/>
      </source>
      <target dev='vdd' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/debian-12.5.0-amd64-netinst.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <alias name='sata0-0-0'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci' ports='15'/>
    <interface type='network'>
      <mac address='52:54:00:AB:CD:EF'/>
      <source network='default' portid='0b5d4d1e-9a8e-4c55-a1a2-1c5a0a2d6b7e' bridge='virbr0'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
      <alias name='net0'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:12:34:5A'/>
      <source bridge='br0'/>
      <target dev='vnet4'/>
      <model type='e1000'/>
      <link state='down'/>
    </interface>
    <interface type='direct'>
      <mac address='52:54:00:9A:BC:DE'/>
      <source dev='eno1' mode='bridge'/>
      <target dev='macvtap0'/>
      <model type='virtio'/>
      <link state='up'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'/>
    </serial>
    <memballoon model='virtio'/>
  </devices>
  <seclabel type='dynamic' model='apparmor' relabel='yes'/>
</domain>
`

// testDefaultXML is `virsh -c test:///default dumpxml test` from libvirt 9.0.
const testDefaultXML = `<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
`

// lxcXML is a container: no <vcpu> placement, memory in bytes, a directory
// filesystem rather than disks, and no interfaces.
const lxcXML = `<domain type='lxc'>
  <name>ct1</name>
  <uuid>b2a1c3d4-0000-4000-8000-00000000c0de</uuid>
  <memory unit='b'>1048577</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>exe</type>
    <init>/sbin/init</init>
  </os>
  <devices>
    <filesystem type='mount'>
      <source dir='/srv/ct1'/>
      <target dir='/'/>
    </filesystem>
  </devices>
</domain>
`

func TestFromXML(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		want backends.Domain
	}{{
		name: "qemu",
		xml:  qemuXML,
		want: backends.Domain{
			UUID:        "4dea22b3-1d52-d8f3-2516-782e98ab3fa0",
			BIOSUUID:    "4dea22b3-1d52-d8f3-2516-782e98ab3fa0", // no <sysinfo>: the domain UUID
			Name:        "web-01",
			Title:       "Web server <prod> & friends",
			Description: "front end, rack 4",
			OSType:      "hvm",
			Arch:        "x86_64",
			VCPUs:       2,
			MaxVCPUs:    4,
			MemoryKiB:   3072 * 1024,
			MaxMemKiB:   4 * 1024 * 1024,
			// vCPU 0 gets the domain-wide cpuset, vCPU 1 its <vcpupin>; the
			// pin for vCPU 3 is beyond the current count and ignored.
			VCPUInfo: []backends.VCPU{{Number: 0, Pinning: []int{0, 1, 3}}, {Number: 1, Pinning: []int{5}}},
			Disks: []backends.Disk{
				{Target: "vda", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: "/var/lib/libvirt/images/web-01.qcow2", Format: "qcow2"},
				{Target: "vdb", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: "/dev/vg0/web-01-data", Format: "raw"},
				{Target: "vdc", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: "default/web-01-logs.qcow2", Pool: "default", Volume: "web-01-logs.qcow2", Format: "qcow2"},
				{Target: "vdd", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: "rbd:rbd-pool/web-01-shared", Format: "raw"},
				{Target: "sda", Bus: "sata", Device: backends.DiskDeviceCDROM, Source: "/var/lib/libvirt/images/debian-12.5.0-amd64-netinst.iso", Format: "raw", ReadOnly: true},
			},
			NICs: []backends.NIC{
				{MAC: "52:54:00:ab:cd:ef", Model: "virtio", Network: "default", Bridge: "virbr0", HostIface: "vnet3", LinkUp: true},
				{MAC: "52:54:00:12:34:5a", Model: "e1000", Bridge: "br0", HostIface: "vnet4", LinkUp: false},
				// A macvtap's host device is reported as its bridge.
				{MAC: "52:54:00:9a:bc:de", Model: "virtio", Bridge: "eno1", HostIface: "macvtap0", LinkUp: true},
			},
		},
	}, {
		name: "test driver default",
		xml:  testDefaultXML,
		want: backends.Domain{
			UUID:      "6695eb01-f6a4-8304-79aa-97f2502e193f",
			BIOSUUID:  "6695eb01-f6a4-8304-79aa-97f2502e193f",
			Name:      "test",
			OSType:    "hvm",
			Arch:      "i686",
			VCPUs:     2,
			MaxVCPUs:  2,
			VCPUInfo:  []backends.VCPU{{Number: 0}, {Number: 1}},
			MemoryKiB: 2097152,
			MaxMemKiB: 8388608,
			Disks:     []backends.Disk{{Target: "vda", Bus: "virtio", Device: backends.DiskDeviceDisk, Source: "/guest/diskimage1"}},
			NICs:      []backends.NIC{{MAC: "aa:bb:cc:dd:ee:ff", Network: "default", HostIface: "testnet0", LinkUp: true}},
		},
	}, {
		name: "lxc in bytes",
		xml:  lxcXML,
		want: backends.Domain{
			UUID:     "b2a1c3d4-0000-4000-8000-00000000c0de",
			BIOSUUID: "b2a1c3d4-0000-4000-8000-00000000c0de",
			Name:     "ct1",
			OSType:   "exe",
			Arch:     "x86_64",
			VCPUs:    1,
			MaxVCPUs: 1,
			VCPUInfo: []backends.VCPU{{Number: 0}},
			// 1 MiB and a byte, rounded up as libvirt does; no
			// <currentMemory> means all of it.
			MemoryKiB: 1025,
			MaxMemKiB: 1025,
			Disks:     nil,
			NICs:      nil,
		},
	}, {
		name: "bare",
		xml:  `<domain type='test'><name>bare</name></domain>`,
		want: backends.Domain{Name: "bare", VCPUInfo: []backends.VCPU{}},
	}, {
		name: "pins only",
		xml: `<domain type='kvm'><name>p</name><vcpu placement='static'>3</vcpu>
			<cputune><vcpupin vcpu='2' cpuset='8-9,^8,12'/><vcpupin vcpu='0' cpuset='1'/></cputune>
			<memory>1024</memory><currentMemory unit='k'>512</currentMemory></domain>`,
		want: backends.Domain{
			Name: "p", VCPUs: 3, MaxVCPUs: 3, MemoryKiB: 512, MaxMemKiB: 1024,
			VCPUInfo: []backends.VCPU{{Number: 0, Pinning: []int{1}}, {Number: 1}, {Number: 2, Pinning: []int{9, 12}}},
		},
	}, {
		// libvirt never writes a pin for a vCPU index this large, but a
		// corrupt one must be skipped, not index out of range.
		name: "pin for a vCPU index beyond int range",
		xml: `<domain type='kvm'><name>p</name><vcpu>2</vcpu>
			<cputune><vcpupin vcpu='18446744073709551615' cpuset='1'/><vcpupin vcpu='2' cpuset='1'/></cputune></domain>`,
		want: backends.Domain{Name: "p", VCPUs: 2, MaxVCPUs: 2, VCPUInfo: []backends.VCPU{{Number: 0}, {Number: 1}}},
	}, {
		// A QEMU guest given its SMBIOS identity and its OS: the smbios
		// sysinfo's system uuid (libvirt keeps it equal to <uuid>; here in
		// the upper case some tools write) and libosinfo's metadata, among
		// other sysinfo and metadata.
		name: "sysinfo and libosinfo",
		xml: `<domain type='kvm'><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
			<metadata>
			  <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
			    <libosinfo:os id="http://fedoraproject.org/fedora/38"/>
			  </libosinfo:libosinfo>
			  <app:libosinfo xmlns:app="http://example.com/app/1"><app:os id="http://example.com/not-this"/></app:libosinfo>
			</metadata>
			<sysinfo type='fwcfg'><entry name='opt/com.example/uuid'>not-this</entry></sysinfo>
			<sysinfo type='smbios'>
			  <bios><entry name='vendor'>LENOVO</entry></bios>
			  <system><entry name='manufacturer'>Fedora</entry><entry name='uuid'>
			    C7A5FDBD-EDAF-9455-926A-D65C16DB1809 </entry></system>
			</sysinfo></domain>`,
		want: backends.Domain{Name: "g", UUID: "c7a5fdbd-edaf-9455-926a-d65c16db1809", BIOSUUID: "c7a5fdbd-edaf-9455-926a-d65c16db1809",
			GuestOS: "http://fedoraproject.org/fedora/38", VCPUInfo: []backends.VCPU{}},
	}, {
		// libvirt refuses a sysinfo uuid unlike <uuid>; were one there, it
		// is what the guest sees.
		name: "sysinfo uuid of its own",
		xml: `<domain type='kvm'><name>s</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
			<sysinfo type='smbios'><system><entry name='uuid'>00000000-0000-4000-8000-000000000001</entry></system></sysinfo></domain>`,
		want: backends.Domain{Name: "s", UUID: "c7a5fdbd-edaf-9455-926a-d65c16db1809", BIOSUUID: "00000000-0000-4000-8000-000000000001",
			VCPUInfo: []backends.VCPU{}},
	}, {
		name: "upper bound of vCPUs",
		xml:  fmt.Sprintf(`<domain type='kvm'><name>big</name><vcpu current='1'>%d</vcpu></domain>`, maxVCPUs),
		want: backends.Domain{Name: "big", VCPUs: 1, MaxVCPUs: maxVCPUs, VCPUInfo: []backends.VCPU{{Number: 0}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got backends.Domain
			if err := fromXML(tt.xml, &got); err != nil {
				t.Fatalf("fromXML: %v", err)
			}
			// Field by field, so a failure names the field.
			gv, wv := reflect.ValueOf(got), reflect.ValueOf(tt.want)
			for i := range gv.NumField() {
				if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
					t.Errorf("%s = %#v, want %#v", gv.Type().Field(i).Name, g, w)
				}
			}
		})
	}
}

func TestFromXMLErrors(t *testing.T) {
	tests := []struct {
		name, xml, want string
	}{
		{"not XML", `virsh: error`, "parsing domain XML"},
		{"truncated", qemuXML[:len(qemuXML)/2], "parsing domain XML"},
		{"not a number", `<domain><name>x</name><vcpu>four</vcpu></domain>`, "parsing domain XML"},
		{"negative vcpus", `<domain><name>x</name><vcpu>-1</vcpu></domain>`, "parsing domain XML"},
		{"huge vcpus", `<domain><name>x</name><vcpu>4000000000</vcpu></domain>`, "want at most 16384"},
		{"max uint vcpus", `<domain><name>x</name><vcpu>18446744073709551615</vcpu></domain>`, "want at most 16384"},
		{"huge current vcpus", `<domain><name>x</name><vcpu current='4000000000'>2</vcpu></domain>`, "want at most 16384"},
		{"one vcpu too many", fmt.Sprintf(`<domain><name>x</name><vcpu>%d</vcpu></domain>`, maxVCPUs+1), "want at most 16384"},
		{"unknown memory unit", `<domain><name>x</name><memory unit='KiBi'>1</memory></domain>`, `unknown memory unit "KiBi"`},
		{"unknown current memory unit", `<domain><name>x</name><memory>1</memory><currentMemory unit='pages'>1</currentMemory></domain>`, `unknown memory unit "pages"`},
		{"memory overflow", `<domain><name>x</name><memory unit='EiB'>16</memory></domain>`, "too large"},
		{"bad cpuset", `<domain><name>x</name><vcpu cpuset='0-'>2</vcpu></domain>`, `bad cpuset "0-"`},
		{"bad vcpupin", `<domain><name>x</name><vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='3-1'/></cputune></domain>`, `bad cpuset "3-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d backends.Domain
			err := fromXML(tt.xml, &d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("fromXML error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestFromXMLHugeVCPUAllocation is the case behind maxVCPUs: a <vcpu> of
// four billion used to make([]VCPU, 4e9), 160 GB.
func TestFromXMLHugeVCPUAllocation(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var d backends.Domain
	err := fromXML(`<domain><name>x</name><vcpu placement='static'>4000000000</vcpu></domain>`, &d)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Errorf("fromXML accepted 4000000000 vCPUs")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("fromXML allocated %d bytes for a rejected document", n)
	}
}

// TestXMLFromLibvirt reads the live XML of the test driver's domain through
// libvirt itself, so the fixture above stays honest.
func TestXMLFromLibvirt(t *testing.T) {
	c := testConnect(t)
	dom, err := c.LookupDomainByName("test")
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	doc, err := dom.GetXMLDesc(0)
	if err != nil {
		t.Fatal(err)
	}
	var live, fixture backends.Domain
	if err := fromXML(doc, &live); err != nil {
		t.Fatal(err)
	}
	if err := fromXML(testDefaultXML, &fixture); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(live, fixture) {
		t.Errorf("live test domain\n%+v\nfixture\n%+v", live, fixture)
	}
}

func TestParseCPUSet(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"", []int{}},
		{"0", []int{0}},
		{"7", []int{7}},
		{"0-3", []int{0, 1, 2, 3}},
		{"0-3,^2", []int{0, 1, 3}},
		{"0-3,^2,6", []int{0, 1, 3, 6}},
		{"6,0-1", []int{0, 1, 6}},
		{"1,1,1-2", []int{1, 2}},
		{" 0 , 2 ", []int{0, 2}},
		{"0,,2,", []int{0, 2}},
		{"^2", []int{}},
		{"^0-3,1", []int{1}}, // later entries win
		{"1,^1", []int{}},    // and exclusions too
		{"0-7,^2-5", []int{0, 1, 6, 7}},
		{"4-4", []int{4}},
		{"65530-65536", []int{65530, 65531, 65532, 65533, 65534, 65535, 65536}},
		{"65536", []int{65536}},
		{strings.Repeat("0-65535,", 16), seq(0, 65535)}, // 1 Mi CPUs named: just within budget
	}
	for _, tt := range tests {
		got, err := parseCPUSet(tt.in)
		if err != nil {
			t.Errorf("parseCPUSet(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUSet(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseCPUSetErrors(t *testing.T) {
	for _, in := range []string{
		"a", "1-a", "a-1", "-1", "1-", "-", "^", "^-1", "0x3", "1.5",
		"1-2-3", // second '-' makes the upper bound "2-3"
		"3-1",   // reversed
		"0-65537", "65537", "^65537", "0-4294967296", "0-99999999999999999999", "99999999999999999999",
		strings.Repeat("0-65535,", 17), // names more than maxCPUSetWork CPUs
		strings.Repeat("0-65535,^0-65535,", 9),
		"1 - 3", "0-3,x",
	} {
		if got, err := parseCPUSet(in); err == nil {
			t.Errorf("parseCPUSet(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("parseCPUSet(%q) error %q does not quote the input", in, err)
		}
	}
}

func seq(lo, hi int) []int {
	out := make([]int, 0, hi-lo+1)
	for c := lo; c <= hi; c++ {
		out = append(out, c)
	}
	return out
}

// pinsXML has n vCPUs, each with a <vcpupin> to cpuset(i).
func pinsXML(n int, cpuset func(i int) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<domain type='kvm'><name>pins</name><vcpu placement='static'>%d</vcpu><cputune>", n)
	for i := range n {
		fmt.Fprintf(&b, "<vcpupin vcpu='%d' cpuset='%s'/>", i, cpuset(i))
	}
	b.WriteString("</cputune></domain>")
	return b.String()
}

// TestFromXMLPinningCost: a <vcpupin> per vCPU to all of 64 Ki CPUs, each
// spelt differently, used to take half a minute and 10 GB for 2000 vCPUs;
// the shared budget stops it at once. The same cpuset repeated verbatim is
// parsed once and shared, so it is within budget however many vCPUs.
func TestFromXMLPinningCost(t *testing.T) {
	hostile := pinsXML(maxVCPUs, func(i int) string { return fmt.Sprintf("%d-65536", i) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var d backends.Domain
	err := fromXML(hostile, &d)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "cpusets name more than") {
		t.Errorf("fromXML of %d pins to 64 Ki CPUs: %v", maxVCPUs, err)
	}
	t.Logf("rejecting %d bytes of XML allocated %d MB", len(hostile), (after.TotalAlloc-before.TotalAlloc)>>20)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("fromXML allocated %d MB", n>>20)
	}

	same := pinsXML(maxVCPUs, func(int) string { return "0-16383" })
	if err := fromXML(same, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.VCPUInfo) != maxVCPUs || !slices.Equal(d.VCPUInfo[maxVCPUs-1].Pinning, seq(0, 16383)) {
		t.Errorf("%d vCPUs, last pinned to %d CPUs", len(d.VCPUInfo), len(d.VCPUInfo[maxVCPUs-1].Pinning))
	}

	// One vCPU per host CPU, the common pinning, at the largest size.
	one := pinsXML(maxVCPUs, func(i int) string { return fmt.Sprint(i) })
	if err := fromXML(one, &d); err != nil {
		t.Fatal(err)
	}
	for i, v := range d.VCPUInfo {
		if len(v.Pinning) != 1 || v.Pinning[0] != i {
			t.Fatalf("vCPU %d pinned to %v", i, v.Pinning)
		}
	}
}

func TestToKiB(t *testing.T) {
	tests := []struct {
		v    uint64
		unit string
		want uint64
	}{
		{0, "", 0},
		{2048, "", 2048},
		{2048, "KiB", 2048},
		{2048, "k", 2048},
		{2048, "K", 2048},
		{1000, "KB", 977}, // decimal, rounded up
		{1, "b", 1},       // rounded up, as libvirt does
		{1024, "bytes", 1},
		{1025, "byte", 2},
		{512, "MiB", 512 * 1024},
		{512, "M", 512 * 1024},
		{3, "MB", 2930},
		{3, "mb", 2930},
		{4, "GiB", 4 * 1024 * 1024},
		{4, "G", 4 * 1024 * 1024},
		{4, "gib", 4 * 1024 * 1024},
		{3, "GB", 2929688},
		{2, "TiB", 2 << 30},
		{3, "TB", 2929687500},
		{1, "PiB", 1 << 40},
		{7, "EiB", 7 << 50},
		{math.MaxInt64 / 1024, "KiB", math.MaxInt64 / 1024},
		{math.MaxInt64, "b", 1 << 53},
	}
	for _, tt := range tests {
		got, err := toKiB(tt.v, tt.unit)
		if err != nil || got != tt.want {
			t.Errorf("toKiB(%d, %q) = %d, %v, want %d", tt.v, tt.unit, got, err, tt.want)
		}
	}
}

func TestToKiBErrors(t *testing.T) {
	tests := []struct {
		v    uint64
		unit string
		want string
	}{
		{1, "X", "unknown memory unit"},
		{1, "KiBi", "unknown memory unit"},
		{1, "kB2", "unknown memory unit"},
		{1, "pages", "unknown memory unit"},
		{1, " KiB", "unknown memory unit"},
		{1, "Zi", "unknown memory unit"},
		{1, "ZiB", "unknown memory unit"},
		{8, "EiB", "too large"},
		{math.MaxInt64/1024 + 1, "KiB", "too large"},
		{math.MaxUint64, "", "too large"},
		{math.MaxInt64 + 1, "b", "too large"},
	}
	for _, tt := range tests {
		got, err := toKiB(tt.v, tt.unit)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("toKiB(%d, %q) = %d, %v, want an error containing %q", tt.v, tt.unit, got, err, tt.want)
		}
	}
}

// TestToKiBMatchesLibvirt defines a domain with each unit on the test
// driver and checks toKiB against the KiB libvirt reports back.
func TestToKiBMatchesLibvirt(t *testing.T) {
	c := testConnect(t)
	for _, unit := range []string{"", "b", "bytes", "KB", "k", "KiB", "MB", "M", "MiB", "mb", "GB", "G", "GiB", "TB", "TiB", "PB", "P", "EB", "EiB"} {
		for _, v := range []uint64{1, 3, 1000, 1025} {
			want, ok := libvirtKiB(t, c, v, unit)
			got, err := toKiB(v, unit)
			switch {
			case !ok && err == nil:
				t.Errorf("toKiB(%d, %q) = %d; libvirt rejects it", v, unit, got)
			case ok && (err != nil || got != want):
				t.Errorf("toKiB(%d, %q) = %d, %v; libvirt says %d KiB", v, unit, got, err, want)
			}
		}
	}
}

// libvirtKiB has libvirt parse <memory unit=unit>v</memory>; ok is false
// when libvirt rejects it.
func libvirtKiB(t *testing.T, c *lv.Connect, v uint64, unit string) (uint64, bool) {
	t.Helper()
	unitAttr := ""
	if unit != "" {
		unitAttr = fmt.Sprintf(" unit='%s'", unit)
	}
	dom, err := c.DomainDefineXML(fmt.Sprintf(`<domain type='test'><name>units</name><memory%s>%d</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`, unitAttr, v))
	if err != nil {
		return 0, false
	}
	defer func() {
		_ = dom.Undefine()
		_ = dom.Free()
	}()
	doc, err := dom.GetXMLDesc(0)
	if err != nil {
		t.Fatal(err)
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	if x.Memory.Unit != "KiB" {
		t.Fatalf("libvirt wrote memory in %q", x.Memory.Unit)
	}
	return uint64(x.Memory.Value), true
}

// testConnect opens a test:///default connection. The connections of one
// process share the default host's state while any is open; it starts
// afresh once all are closed.
func testConnect(t *testing.T) *lv.Connect {
	t.Helper()
	c, err := lv.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func FuzzFromXML(f *testing.F) {
	for _, s := range []string{
		qemuXML, testDefaultXML, lxcXML,
		`<domain type='test'><name>bare</name></domain>`,
		`<domain><name>x</name><vcpu current='3'>2</vcpu><cputune><vcpupin vcpu='2' cpuset='1-3,^2'/></cputune></domain>`,
		`<domain><name>x</name><vcpu>4000000000</vcpu></domain>`,
		`<domain><name>x</name><vcpu>2</vcpu><cputune><vcpupin vcpu='18446744073709551615' cpuset='1'/></cputune></domain>`,
		`<domain><name>x</name><memory unit='EiB'>7</memory><currentMemory unit='b'>1</currentMemory></domain>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var d backends.Domain
		if err := fromXML(doc, &d); err != nil {
			return
		}
		if d.VCPUs >= 0 && len(d.VCPUInfo) != d.VCPUs {
			t.Errorf("VCPUs = %d but %d VCPUInfo", d.VCPUs, len(d.VCPUInfo))
		}
		if d.VCPUs < 0 || d.MaxVCPUs < 0 || d.VCPUs > maxVCPUs || d.MaxVCPUs > maxVCPUs {
			t.Errorf("VCPUs = %d, MaxVCPUs = %d", d.VCPUs, d.MaxVCPUs)
		}
		for i, v := range d.VCPUInfo {
			if v.Number != i {
				t.Errorf("VCPUInfo[%d].Number = %d", i, v.Number)
			}
			if !slices.IsSorted(v.Pinning) {
				t.Errorf("VCPUInfo[%d].Pinning %v is not sorted", i, v.Pinning)
			}
			if len(slices.Compact(slices.Clone(v.Pinning))) != len(v.Pinning) {
				t.Errorf("VCPUInfo[%d].Pinning %v has duplicates", i, v.Pinning)
			}
			if len(v.Pinning) > 0 && v.Pinning[0] < 0 {
				t.Errorf("VCPUInfo[%d].Pinning %v has a negative CPU", i, v.Pinning)
			}
		}
		if d.MaxMemKiB > math.MaxInt64/1024+1 || d.MemoryKiB > math.MaxInt64/1024+1 {
			t.Errorf("memory %d / %d KiB is beyond libvirt's limit", d.MemoryKiB, d.MaxMemKiB)
		}
		if d.UUID != strings.ToLower(d.UUID) {
			t.Errorf("UUID %q is not lower case", d.UUID)
		}
		for _, n := range d.NICs {
			if n.MAC != strings.ToLower(n.MAC) {
				t.Errorf("MAC %q is not lower case", n.MAC)
			}
		}
		for _, k := range d.Disks {
			if k.Device == "" {
				t.Errorf("disk %q has no device kind", k.Target)
			}
		}
	})
}

func FuzzParseCPUSet(f *testing.F) {
	for _, s := range []string{"", "0", "0-3,^2", "0-3,^2,6", " 1 , 3-4 ", "^0-3,1", "65530-65536", "0-65537", "3-1", "1-2-3", "+1", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCPUSet(s)
		if err != nil {
			if got != nil {
				t.Errorf("parseCPUSet(%q) = %v with error %v", s, got, err)
			}
			return
		}
		if !slices.IsSorted(got) {
			t.Errorf("parseCPUSet(%q) = %v, not sorted", s, got)
		}
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("parseCPUSet(%q) = %v, has duplicates", s, got)
		}
		if len(got) > 0 && got[0] < 0 {
			t.Errorf("parseCPUSet(%q) = %v, negative", s, got)
		}
		// Ranges are bounded by maxCPU, so only single CPUs lie beyond it,
		// and each of those takes at least 6 bytes of s.
		if len(got) > maxCPU+1+len(s)/6 {
			t.Errorf("parseCPUSet(%q) returned %d CPUs", s, len(got))
		}
	})
}
