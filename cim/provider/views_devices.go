package provider

import (
	"fmt"
	"strings"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// deviceProvider serves one device class over every VM of the snapshot.
func deviceProvider(class string) classProvider {
	return classProvider{
		enumerate: func(v *View, emit func(*cim.Instance) error) error {
			for _, d := range v.snap.Domains() {
				for _, dev := range devices(d) {
					if dev.class != class {
						continue
					}
					inst, err := v.s.Device(d, dev)
					if err != nil {
						return err
					}
					if err := emit(inst); err != nil {
						return err
					}
				}
			}
			return nil
		},
		get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
			d, dev, ok := v.device(p)
			if !ok || dev.class != class {
				return nil, fmt.Errorf("no instance %s: %w", p.String(), cim.ErrNotFound)
			}
			return v.s.Device(d, dev)
		},
	}
}

// device finds the device a path names: one binary search for the VM,
// then its few devices.
func (v *View) device(p cim.ObjectPath) (*backends.Domain, device, bool) {
	if !strings.EqualFold(keyString(p, "SystemCreationClassName"), classComputerSystem) {
		return nil, device{}, false
	}
	d, ok := v.snap.Domain(strings.ToLower(keyString(p, "SystemName")))
	if !ok {
		return nil, device{}, false
	}
	class, id := keyString(p, "CreationClassName"), keyString(p, "DeviceID")
	for _, dev := range devices(d) {
		if strings.EqualFold(dev.class, class) && dev.id == id {
			return d, dev, true
		}
	}
	return nil, device{}, false
}
