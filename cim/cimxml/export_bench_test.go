package cimxml

import (
	"io"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// benchIndication is an InstModification of a VM as the indication
// service makes them: two embedded computer systems of ~40 properties.
func benchIndication() *cim.Instance {
	vm := func(state uint16) *cim.Instance {
		i := &cim.Instance{ClassName: "VB_ComputerSystem"}
		i.Set("Name", cim.String("0b2fb01a-3b40-4559-8897-61f43a57a3b4"))
		i.Set("ElementName", cim.String("vb-00000 <web & co>"))
		i.Set("EnabledState", cim.Uint16(state))
		for _, p := range []string{"Caption", "Description", "InstanceID", "NameFormat", "PrimaryOwnerName", "PrimaryOwnerContact", "OtherEnabledState", "Status"} {
			i.Set(p, cim.String("some text of a property called "+p))
		}
		i.Set("AvailableRequestedStates", cim.Strings("3", "4", "6", "9", "10", "11"))
		for _, p := range []string{"HealthState", "OperatingStatus", "PrimaryStatus", "RequestedState", "EnabledDefault", "TransitioningToState", "CommunicationStatus", "DetailedStatus"} {
			i.Set(p, cim.Uint16(5))
		}
		return i
	}
	ind := &cim.Instance{ClassName: "VB_InstModification"}
	ind.Set("SourceInstance", cim.InstanceValue(vm(9)))
	ind.Set("PreviousInstance", cim.InstanceValue(vm(2)))
	ind.Set("IndicationIdentifier", cim.String("1042"))
	ind.Set("IndicationFilterName", cim.String("states"))
	return ind
}

// BenchmarkExportIndication10: one indication exported to ten
// subscriptions (each its own copy of the top-level properties, the
// embedded instances shared), without and with the embedded-instance
// cache the export client keeps.
func BenchmarkExportIndication10(b *testing.B) {
	ind := benchIndication()
	copies := make([]*cim.Instance, 10)
	for i := range copies {
		c := &cim.Instance{ClassName: ind.ClassName, Properties: append([]cim.PropertyValue(nil), ind.Properties...)}
		c.Set("SequenceNumber", cim.Sint64(int64(i)))
		copies[i] = c
	}
	for _, tc := range []struct {
		name  string
		cache *EmbeddedCache
	}{{"plain", nil}, {"cached", NewEmbeddedCache(64)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				for _, c := range copies {
					if err := tc.cache.WriteExportIndication(io.Discard, "1", c); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
