package provider

import (
	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// SettingsOf returns d's state VSSD and its RASDs, in devices() order:
// what indications compare before and after a change of d.
func (s Schema) SettingsOf(h *backends.Host, d *backends.Domain) ([]*cim.Instance, error) {
	vssd, err := s.SystemSettings(d)
	if err != nil {
		return nil, err
	}
	out := []*cim.Instance{vssd}
	for _, st := range settings(h, d) {
		inst, err := s.ResourceSettings(d, st)
		if err != nil {
			return nil, err
		}
		out = append(out, inst)
	}
	return out, nil
}
