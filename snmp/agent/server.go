package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

type job struct {
	conn *net.UDPConn
	from netip.AddrPort
	pkt  []byte
}

// Run serves until ctx ends, then closes the sockets. One goroutine reads
// each socket; GOMAXPROCS workers answer, so a slow Commit or a burst of
// GETBULKs cannot take more than the machine. It returns nil when ctx
// ends, or the error a socket failed with.
func (a *Agent) Run(ctx context.Context) error {
	if !a.state.CompareAndSwap(stateNew, stateRunning) {
		return errors.New("snmp agent: Run called twice or after Close")
	}
	defer a.Close()
	a.log.Info("snmp agent: serving", "addrs", a.Addrs(), "engineID", fmt.Sprintf("%x", a.engineID), "engineBoots", a.boots)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan job)
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			for j := range jobs {
				a.serve(ctx, j)
			}
		})
	}
	var (
		readers sync.WaitGroup
		mu      sync.Mutex
		failed  error
	)
	for _, c := range a.conns {
		readers.Go(func() {
			if err := a.read(ctx, c, jobs); err != nil {
				mu.Lock()
				failed = errors.Join(failed, err)
				mu.Unlock()
				cancel()
			}
		})
	}
	if len(a.conns) > 0 {
		// Sockets closed under us (Close): nothing left to serve.
		go func() { readers.Wait(); cancel() }()
	}
	<-ctx.Done()
	a.closeConns() // unblocks the readers
	readers.Wait()
	close(jobs)
	workers.Wait()
	return failed
}

// Close releases the sockets; a running agent's Run returns.
func (a *Agent) Close() error {
	a.state.Store(stateDone)
	return a.closeConns()
}

func (a *Agent) closeConns() error {
	var errs error
	for _, c := range a.conns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = errors.Join(errs, err)
		}
	}
	return errs
}

func (a *Agent) read(ctx context.Context, c *net.UDPConn, jobs chan<- job) error {
	// Larger than any UDP payload, so nothing arrives truncated.
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("snmp agent: reading from %s: %w", c.LocalAddr(), err)
		}
		select {
		case jobs <- job{conn: c, from: from, pkt: append([]byte(nil), buf[:n]...)}:
		case <-ctx.Done():
			return nil
		}
	}
}

func (a *Agent) serve(ctx context.Context, j job) {
	if ctx.Err() != nil {
		return // shutting down: what is still queued goes unanswered
	}
	// A request under way finishes even if Run is told to stop: a SET cut
	// between two Commits would leave half its varbinds applied.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.reqTimeout)
	defer cancel()
	defer func() {
		// The MIB is other packages' code; one bad Get must not stop
		// the agent.
		if p := recover(); p != nil {
			a.log.Error("snmp agent: panic answering a request", "from", j.from, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	resp := a.handle(rctx, j.pkt)
	if resp == nil {
		return
	}
	if err := j.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		a.log.Debug("snmp agent: setting a write deadline", "err", err)
	}
	if _, err := j.conn.WriteToUDPAddrPort(resp, j.from); err != nil {
		a.log.Debug("snmp agent: sending a response", "to", j.from, "err", err)
	}
}
