package indication_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/backends/libvirt"
	"github.com/virtbridge/virtbridge/backends/libvirt/libvirttest"
	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
)

// TestConnectionAlerts: when the libvirt daemon goes away and comes
// back, a listener subscribed to VB_AlertIndication hears
// connection-lost, then connection-restored.
func TestConnectionAlerts(t *testing.T) {
	d := libvirttest.SessionDaemon(t)
	node := filepath.Join(d.Dir(), "node.xml")
	if _, err := testbed.WriteFile(node, testbed.Options{Domains: 2, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	b, err := libvirt.Open(t.Context(), d.URI(node), libvirt.Options{ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	inv := inventory.New(b, inventory.Config{CallTimeout: time.Minute})
	if err := inv.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	f := &fixture{backend: b, inv: inv, store: filepath.Join(t.TempDir(), "i.db")}
	f.start(t, options{})
	l := listenertest.Start(t)
	f.subscribe(t, "alerts", "WQL", "SELECT * FROM VB_AlertIndication WHERE AlertType = 2", l.URL, nil)
	d.Stop()
	l.WaitFor(t, "connection lost", func(is []*cim.Instance) bool { return len(is) == 1 })
	d.Restart()
	got := l.WaitFor(t, "connection restored", func(is []*cim.Instance) bool { return len(is) == 2 })
	if str(got[0], "EventID") != "connection-lost" || str(got[1], "EventID") != "connection-restored" ||
		u16(got[0], "PerceivedSeverity") != 5 || u16(got[1], "PerceivedSeverity") != 2 {
		t.Errorf("alerts: %q (%d), %q (%d)", str(got[0], "EventID"), u16(got[0], "PerceivedSeverity"), str(got[1], "EventID"), u16(got[1], "PerceivedSeverity"))
	}
}
