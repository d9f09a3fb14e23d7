package wsman

import (
	"bytes"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/internal/idcache"
)

func nestedIndication() *cim.Instance {
	vm := &cim.Instance{ClassName: "VB_ComputerSystem"}
	vm.Set("Name", cim.String("0b2fb01a <&>"))
	vm.Set("EnabledState", cim.Uint16(9))
	vm.Set("AvailableRequestedStates", cim.Strings("3", "4"))
	inner := &cim.Instance{ClassName: "VB_Thing"}
	inner.Set("X", cim.Uint32(1))
	vm.Set("Nested", cim.InstanceValue(inner))
	ind := &cim.Instance{ClassName: "VB_InstModification"}
	ind.Set("SourceInstance", cim.InstanceValue(vm))
	ind.Set("PreviousInstance", cim.InstanceValue(vm))
	ind.Set("IndicationIdentifier", cim.String("5"))
	return ind
}

// TestNestedCacheSameBytes: an indication rendered with the Pusher's
// cache, cold and warm, is byte for byte the one rendered without.
func TestNestedCacheSameBytes(t *testing.T) {
	ind := nestedIndication()
	var plain writer
	plain.writeInstance(ind, 0)
	cache := idcache.New[nestedKey, []byte](8)
	for _, pass := range []string{"cold", "warm"} {
		w := writer{nested: cache}
		w.writeInstance(ind, 0)
		if !bytes.Equal(w.Bytes(), plain.Bytes()) {
			t.Fatalf("%s cache:\n%s\nwant\n%s", pass, w.Bytes(), plain.Bytes())
		}
	}
	if cache.Len() != 2 { // the VM at depth 1, its nested instance at depth 2
		t.Errorf("cache holds %d, want 2", cache.Len())
	}
}

// BenchmarkPushBody10: one indication's body written for ten
// subscribers, without and with the Pusher's cache.
func BenchmarkPushBody10(b *testing.B) {
	ind := nestedIndication()
	for _, tc := range []struct {
		name  string
		cache *idcache.Cache[nestedKey, []byte]
	}{{"plain", nil}, {"cached", idcache.New[nestedKey, []byte](64)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				for range 10 {
					w := writer{nested: tc.cache}
					w.writeInstance(ind, 0)
				}
			}
		})
	}
}
