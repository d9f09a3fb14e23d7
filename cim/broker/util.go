package broker

import (
	"slices"
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

func sortStrings(ss []string) { slices.Sort(ss) }

// keepProperties is a shallow copy of inst limited to the properties
// keep accepts; inst itself is shared and never changed.
func keepProperties(inst *cim.Instance, keep func(name string) bool) *cim.Instance {
	c := *inst
	c.Properties = make([]cim.PropertyValue, 0, len(inst.Properties))
	for _, pv := range inst.Properties {
		if keep(pv.Name) {
			c.Properties = append(c.Properties, pv)
		}
	}
	return &c
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
