package libvirttest

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// FirmwareOnlyDomainXML returns a tiny x86_64 domain with no disk, network
// or display: SeaBIOS finds nothing to boot and idles, which is enough for
// lifecycle tests and starts in well under a second. kvm selects type
// 'kvm', otherwise 'qemu' (TCG).
func FirmwareOnlyDomainXML(name string, kvm bool) string {
	typ := "qemu"
	if kvm {
		typ = "kvm"
	}
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(name))
	return fmt.Sprintf(`<domain type='%s'>
  <name>%s</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='pty'/>
  </devices>
</domain>
`, typ, esc.String())
}
