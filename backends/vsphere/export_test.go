package vsphere

import (
	"context"

	gsession "github.com/vmware/govmomi/session"
)

// SessionKey is the key of the backend's current vSphere session, so a
// test can have it terminated; "" while disconnected.
func SessionKey(ctx context.Context, b *Backend) string {
	s, err := b.session("test")
	if err != nil {
		return ""
	}
	us, err := gsession.NewManager(s.vc).UserSession(ctx)
	if err != nil || us == nil {
		return ""
	}
	return us.Key
}
