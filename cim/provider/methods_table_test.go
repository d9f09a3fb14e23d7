package provider

import "testing"

// TestServiceMethodTables: the capabilities list exactly the service
// methods the table implements.
func TestServiceMethodTables(t *testing.T) {
	for class, advertised := range map[string]map[string]uint16{
		"vb_virtualsystemmanagementservice": vsmsMethods,
		"vb_virtualsystemsnapshotservice":   snapshotMethods,
	} {
		impl := methodTable()[class]
		if len(impl) != len(advertised) {
			t.Errorf("%s: %d methods implemented, %d advertised", class, len(impl), len(advertised))
		}
		for name := range advertised {
			if _, ok := impl[name]; !ok {
				t.Errorf("%s: %s advertised but not implemented", class, name)
			}
		}
	}
}
