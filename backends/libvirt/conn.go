// Package libvirt is the libvirt backend: any libvirt URI (qemu:///system,
// xen:///, test:///default, test:///PATH.xml, remote URIs), fed by libvirt's
// event callbacks and its bulk listing and statistics calls.
package libvirt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/virtbridge/virtbridge/backends"
)

// Options tune the backend. Zero values take the defaults.
type Options struct {
	Logger        *slog.Logger
	ReconnectMin  time.Duration // first back-off after a drop; default 250 ms
	ReconnectMax  time.Duration // back-off ceiling; default 30 s
	EventQueueMax int           // undelivered events before overflow; default 65536
	// Keepalive probes a remote connection every interval and drops it
	// after count unanswered probes; default 5 s x 3.
	KeepaliveInterval int
	KeepaliveCount    uint
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 250 * time.Millisecond
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = 30 * time.Second
	}
	if o.EventQueueMax <= 0 {
		o.EventQueueMax = 1 << 16
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = 5
	}
	if o.KeepaliveCount == 0 {
		o.KeepaliveCount = 3
	}
}

// Backend is a libvirt connection that survives drops.
type Backend struct {
	uri    string
	opts   Options
	log    *slog.Logger
	events *backends.EventQueue

	mu      sync.RWMutex
	conn    *lv.Connect // nil while disconnected
	cbs     callbacks   // the current connection's event subscriptions
	closed  bool
	stop    chan struct{}
	workers sync.WaitGroup
}

var _ backends.Backend = (*Backend)(nil)

// Open connects to uri ("" means libvirt's own default) and starts
// following its events. It fails at once when the first connection fails.
func Open(ctx context.Context, uri string, opts Options) (*Backend, error) {
	opts.defaults()
	if err := startEventLoop(); err != nil {
		return nil, err
	}
	b := &Backend{uri: uri, opts: opts, log: opts.Logger.With("backend", "libvirt", "uri", uri),
		events: backends.NewEventQueue(opts.EventQueueMax), stop: make(chan struct{})}
	c, err := connect(ctx, uri)
	if err != nil {
		b.events.Close()
		return nil, err
	}
	if err := b.attach(c); err != nil {
		c.Close()
		b.events.Close()
		return nil, err
	}
	return b, nil
}

// connect opens a connection, giving up when ctx ends. libvirt's call
// cannot be interrupted, so a late success is closed in the background.
func connect(ctx context.Context, uri string) (*lv.Connect, error) {
	type result struct {
		c   *lv.Connect
		err error
	}
	if err := checkTestFile(uri); err != nil {
		return nil, fmt.Errorf("connecting to libvirt %s: %w", describeURI(uri), &backends.Error{Op: "connect", Kind: backends.ErrInvalidArgument, Err: err})
	}
	ch := make(chan result, 1)
	go func() {
		c, err := lv.NewConnect(uri)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("connecting to libvirt %s: %w", describeURI(uri), wrap("connect", "", r.err))
		}
		return r.c, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("connecting to libvirt %s: %w", describeURI(uri), &backends.Error{Op: "connect", Kind: backends.ErrTimeout, Err: ctx.Err()})
	}
}

// checkTestFile opens the node file of a test:///PATH URI before libvirt
// does: libvirt hands it to libxml2, which prints "I/O warning : failed to
// load external entity" or "I/O error" on the process's stderr, besides
// libvirt's error, when the file is missing, unreadable or a directory.
func checkTestFile(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "test" || u.Host != "" || u.Path == "" || u.Path == "/default" {
		return nil
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", u.Path)
	}
	return nil
}

func describeURI(uri string) string {
	if uri == "" {
		return "(libvirt's default URI)"
	}
	return uri
}

// isRemote reports whether the URI reaches another process, so keepalive
// matters; test:/// and other in-process drivers have no socket.
func isRemote(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil {
		return true
	}
	return u.Scheme != "test"
}

// attach makes c the current connection and subscribes to its events.
func (b *Backend) attach(c *lv.Connect) error {
	if isRemote(b.uri) {
		if err := c.SetKeepAlive(b.opts.KeepaliveInterval, b.opts.KeepaliveCount); err != nil {
			b.log.Debug("keepalive not available on this connection", "error", err)
		}
	}
	cbs, err := b.register(c)
	if err != nil {
		return fmt.Errorf("subscribing to libvirt events on %s: %w", describeURI(b.uri), wrap("register events", "", err))
	}
	if err := c.RegisterCloseCallback(func(cc *lv.Connect, reason lv.ConnectCloseReason) {
		// Runs on libvirt's event loop: hand off, never block it.
		go b.dropped(c, reason)
	}); err != nil {
		b.log.Debug("close callback not available on this connection", "error", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		cbs.deregister()
		_ = c.UnregisterCloseCallback()
		return errClosed
	}
	b.conn, b.cbs = c, cbs
	return nil
}

var errClosed = errors.New("backend closed")

var closeReasons = map[lv.ConnectCloseReason]string{
	lv.CONNECT_CLOSE_REASON_ERROR:     "socket error",
	lv.CONNECT_CLOSE_REASON_EOF:       "end of file",
	lv.CONNECT_CLOSE_REASON_KEEPALIVE: "keepalive timeout",
	lv.CONNECT_CLOSE_REASON_CLIENT:    "closed by client",
}

// dropped handles the loss of c and starts reconnecting.
func (b *Backend) dropped(c *lv.Connect, reason lv.ConnectCloseReason) {
	b.mu.Lock()
	if b.closed || b.conn != c {
		b.mu.Unlock()
		return
	}
	b.conn, b.cbs = nil, nil
	b.workers.Add(1)
	b.mu.Unlock()
	_ = c.UnregisterCloseCallback()
	c.Close()
	why := closeReasons[reason]
	b.log.Warn("libvirt connection lost; reconnecting", "reason", why)
	b.events.Push(backends.Event{Kind: backends.EventConnectionLost, Detail: why})
	go b.reconnect()
}

// reconnect retries with jittered exponential back-off until it succeeds
// or the backend is closed.
func (b *Backend) reconnect() {
	defer b.workers.Done()
	backends.Retry(b.stop, b.opts.ReconnectMin, b.opts.ReconnectMax, func(attempt int, _ bool) bool {
		ctx, cancel := context.WithTimeout(context.Background(), b.opts.ReconnectMax)
		c, err := connect(ctx, b.uri)
		cancel()
		if err == nil {
			if err = b.attach(c); err != nil {
				c.Close()
			}
		}
		if errors.Is(err, errClosed) {
			return true
		}
		if err == nil {
			b.log.Info("libvirt connection restored", "attempts", attempt)
			b.events.Push(backends.Event{Kind: backends.EventConnectionRestored})
			return true
		}
		b.log.Debug("libvirt reconnect failed", "attempt", attempt, "error", err)
		return false
	})
}

// conn returns the live connection, or ErrNotConnected naming op.
func (b *Backend) connection(op string) (*lv.Connect, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.conn == nil {
		return nil, &backends.Error{Op: op, Kind: backends.ErrNotConnected, Err: errors.New("reconnecting to " + describeURI(b.uri))}
	}
	return b.conn, nil
}

// Name identifies the backend in logs.
func (b *Backend) Name() string { return "libvirt " + describeURI(b.uri) }

// Events delivers libvirt's events in order.
func (b *Backend) Events() <-chan backends.Event { return b.events.C() }

// Close disconnects and stops reconnecting.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	c, cbs := b.conn, b.cbs
	b.conn, b.cbs = nil, nil
	close(b.stop)
	b.mu.Unlock()
	b.workers.Wait()
	var err error
	if c != nil {
		cbs.deregister()
		_ = c.UnregisterCloseCallback()
		if _, cerr := c.Close(); cerr != nil {
			err = fmt.Errorf("closing libvirt connection: %w", cerr)
		}
	}
	b.events.Close()
	return err
}
