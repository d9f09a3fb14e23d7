package provider

import (
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
)

type domainView = *backends.Domain

// waitDomain polls the inventory until ok holds for the domain.
func waitDomain(t *testing.T, inv *inventory.Inventory, uuid string, ok func(domainView) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if d, found := inv.Snapshot().Domain(uuid); found && ok(d) {
			return
		}
		if time.Now().After(deadline) {
			d, _ := inv.Snapshot().Domain(uuid)
			t.Fatalf("domain %s never reached the state wanted: %+v", uuid, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
