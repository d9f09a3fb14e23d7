// Package vsphere is the VMware vSphere backend: one ESXi host, reached
// directly or through the vCenter that manages it, over the vSphere API
// (govmomi). The inventory is fed by a PropertyCollector's
// WaitForUpdatesEx, not by polling; operations are vSphere tasks, waited
// on within the caller's context.
package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"

	"github.com/virtbridge/virtbridge/backends"
)

// Backend is a vSphere session that survives drops.
type Backend struct {
	sdk     *url.URL
	urlUser string
	opts    Options
	log     *slog.Logger
	events  *backends.EventQueue

	mu      sync.RWMutex
	sess    *session // nil while disconnected
	closed  bool
	life    context.Context // ends with Close, cutting a reconnect short
	end     context.CancelFunc
	workers sync.WaitGroup
}

var _ backends.Backend = (*Backend)(nil)

// Open logs in to the endpoint named by connect (vsphere://HOST[:PORT] or
// https://HOST[:PORT]/sdk) and starts following its updates. It fails at
// once when the first login fails.
func Open(ctx context.Context, connect string, opts Options) (*Backend, error) {
	opts.defaults()
	if err := opts.Check(); err != nil {
		return nil, badConfig(err)
	}
	sdk, user, err := endpoint(connect)
	if err != nil {
		return nil, badConfig(err)
	}
	b := &Backend{sdk: sdk, urlUser: user, opts: opts, events: backends.NewEventQueue(opts.EventQueueMax)}
	b.life, b.end = context.WithCancel(context.Background())
	b.log = opts.Logger.With("backend", "vsphere", "endpoint", sdk.Host)
	if opts.Insecure {
		b.log.Warn("vSphere certificate checking is off (vsphere.insecure): anyone on the path can impersonate the endpoint and read the credentials; set vsphere.ca_file or vsphere.thumbprint instead")
	}
	if err := b.connect(ctx); err != nil {
		b.end()
		b.events.Close()
		return nil, fmt.Errorf("connecting to vSphere at %s: %w", sdk.Host, err)
	}
	return b, nil
}

// connect logs in, reads the watcher's starting point, and makes the new
// session current.
func (b *Backend) connect(ctx context.Context) error {
	s, err := login(ctx, &b.opts, b.sdk, b.urlUser)
	if err != nil {
		return err
	}
	w, err := b.newWatcher(ctx, s)
	if err != nil {
		s.logout(b.opts.CallTimeout)
		return err
	}
	wctx, stop := context.WithCancel(context.Background())
	s.stopWatch, s.watchDone = stop, make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		stop()
		s.logout(b.opts.CallTimeout)
		return errClosed
	}
	b.sess = s
	b.mu.Unlock()
	go func() {
		defer close(s.watchDone)
		err := w.run(wctx)
		if wctx.Err() == nil {
			b.dropped(s, err)
		}
	}()
	b.log.Info("vSphere session open", "host", s.hostName, "api", s.vc.ServiceContent.About.ApiType,
		"version", s.vc.ServiceContent.About.Version, "user", s.user)
	return nil
}

var errClosed = errors.New("backend closed")

// dropped handles the loss of s and starts reconnecting.
func (b *Backend) dropped(s *session, why error) {
	b.mu.Lock()
	if b.closed || b.sess != s {
		b.mu.Unlock()
		return
	}
	b.sess = nil
	b.workers.Add(1)
	b.mu.Unlock()
	go s.shutdown(b.opts.CallTimeout)
	b.log.Warn("vSphere session lost; reconnecting", "reason", why)
	b.events.Push(backends.Event{Kind: backends.EventConnectionLost, Detail: why.Error()})
	go b.reconnect()
}

// reconnect retries with jittered exponential back-off until it succeeds
// or the backend is closed.
func (b *Backend) reconnect() {
	defer b.workers.Done()
	backends.Retry(b.life.Done(), b.opts.ReconnectMin, b.opts.ReconnectMax, func(attempt int, atMax bool) bool {
		ctx, cancel := context.WithTimeout(b.life, b.opts.CallTimeout)
		err := b.connect(ctx)
		cancel()
		if errors.Is(err, errClosed) || b.life.Err() != nil {
			return true
		}
		if err == nil {
			b.log.Info("vSphere session restored", "attempts", attempt)
			b.events.Push(backends.Event{Kind: backends.EventConnectionRestored})
			return true
		}
		lvl := slog.LevelDebug
		if attempt == 1 || atMax {
			lvl = slog.LevelWarn // say why, without a line every few hundred ms
		}
		b.log.Log(context.Background(), lvl, "vSphere reconnect failed", "attempt", attempt, "error", err)
		return false
	})
}

// session returns the live session, or ErrNotConnected naming op.
func (b *Backend) session(op string) (*session, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.sess == nil {
		return nil, &backends.Error{Op: op, Kind: backends.ErrNotConnected, Err: errors.New("reconnecting to " + b.sdk.Host)}
	}
	return b.sess, nil
}

// fail wraps err; a call refused for want of a session means the session
// is gone, which the watcher would only notice on its next round.
func (b *Backend) fail(s *session, op, target string, err error) error {
	err = wrap(op, target, err)
	if errors.Is(err, backends.ErrNotConnected) {
		go b.dropped(s, err)
	}
	return err
}

// Name identifies the backend in logs.
func (b *Backend) Name() string { return "vsphere " + b.sdk.Host }

// Events delivers the endpoint's updates in order.
func (b *Backend) Events() <-chan backends.Event { return b.events.C() }

// Close logs out and stops reconnecting.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	s := b.sess
	b.sess = nil
	b.end()
	b.mu.Unlock()
	b.workers.Wait()
	if s != nil {
		s.shutdown(b.opts.CallTimeout)
	}
	b.events.Close()
	return nil
}
