package main

import (
	"log/slog"
	"time"

	"github.com/virtbridge/virtbridge/cim/cimxml"
	"github.com/virtbridge/virtbridge/cim/indication"
	"github.com/virtbridge/virtbridge/cim/indication/export"
	"github.com/virtbridge/virtbridge/cim/wsman"
)

// storeLockWait is how long the agent waits for another holder of the
// indication store (an agent still stopping) before giving up.
const storeLockWait = 5 * time.Second

// indicationFace is the indication service and its store.
type indicationFace struct {
	cfg   indication.Config
	store *indication.Store
	svc   *indication.Service // set once assembled
}

// openIndications opens the store the indications: section names;
// nil when indications are off.
func openIndications(cfg Config, log *slog.Logger) (*indicationFace, error) {
	ic := cfg.Indications
	if !ic.Enabled {
		return nil, nil
	}
	st, err := indication.OpenStore(ic.storeFile(&cfg.CIM), storeLockWait)
	if err != nil {
		return nil, err
	}
	return &indicationFace{store: st, cfg: indication.Config{
		Store: st, QueueSize: ic.QueueSize, RetryAttempts: ic.RetryAttempts, RetryInterval: ic.RetryInterval,
		Exporter: export.New(ic.DeliveryTimeout, ic.AllowInsecureTLS), MaxInstances: ic.MaxSubscriptions,
		Pusher: wsman.NewPusher(ic.DeliveryTimeout, ic.AllowInsecureTLS), History: ic.History,
		Codec: indication.Codec{Marshal: cimxml.MarshalInstance, Unmarshal: cimxml.UnmarshalInstance},
		Log:   log.With("component", "indications"),
	}}, nil
}

// close stops delivery and releases the store; nil-safe and idempotent.
func (f *indicationFace) close() {
	if f == nil {
		return
	}
	if f.svc != nil {
		f.svc.Close()
	}
	if f.store != nil {
		_ = f.store.Close()
		f.store = nil
	}
}
