package libvirt

import (
	"fmt"
	"sync"
	"time"

	lv "libvirt.org/go/libvirt"
)

// libvirt's default event loop is process-wide and must be registered once,
// before the first connection, and then run for the life of the process.
// This is the one piece of package state, because libvirt's is global.
var eventLoop = sync.OnceValue(func() error {
	if err := lv.EventRegisterDefaultImpl(); err != nil {
		return fmt.Errorf("starting libvirt's event loop: %w", err)
	}
	go func() {
		for {
			if err := lv.EventRunDefaultImpl(); err != nil {
				// Only fails when libvirt is unusable; keep the loop alive
				// without spinning.
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return nil
})

func startEventLoop() error { return eventLoop() }
