package vmmib

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/snmp/mib"
)

// vbVmControlRequest values (VIRTBRIDGE-MIB) and the operation each asks.
const reqNone = 1

var controlOps = map[int]backends.PowerOp{
	2: backends.OpStart, 3: backends.OpShutdown, 4: backends.OpDestroy, 5: backends.OpReboot,
	6: backends.OpReset, 7: backends.OpSuspend, 8: backends.OpResume,
}

// vbVmControlStatus values.
const (
	statusIdle       = 1
	statusInProgress = 2
	statusSucceeded  = 3
	statusFailed     = 4
)

// controlTimeout bounds one requested operation.
const controlTimeout = 2 * time.Minute

// Control carries out VIRTBRIDGE-MIB control requests through the backend
// and remembers, per VM, the last one and how it went. The request runs
// after the SET is answered; its effect reaches the MIB as an inventory
// event like any other change.
type Control struct {
	ops    backends.Operations
	uptime func() uint32
	log    *slog.Logger

	mu    sync.Mutex
	state map[string]controlState // by UUID
	wg    sync.WaitGroup

	Requests, Failures atomic.Uint64
	// OnFailure, when set, is told of every failed request.
	OnFailure func(uuid string, request int, errText string)
}

type controlState struct {
	request, status int
	errText         string
	changed         uint32
}

func newControl(ops backends.Operations, uptime func() uint32, log *slog.Logger) *Control {
	return &Control{ops: ops, uptime: uptime, log: log, state: map[string]controlState{}}
}

// Wait blocks until every request in flight has finished.
func (c *Control) Wait() { c.wg.Wait() }

func (c *Control) get(uuid string) controlState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.state[uuid]; ok {
		return s
	}
	return controlState{request: reqNone, status: statusIdle}
}

func (c *Control) set(uuid string, s controlState) {
	s.changed = c.uptime()
	c.mu.Lock()
	c.state[uuid] = s
	c.mu.Unlock()
}

// test is phase one: the action must exist, the VM's backend must support
// it (Domain.Unsupported) and the VM's state (as of this snapshot) allow
// it (backends' transition table). An action the backend can never carry
// out is wrongValue (RFC 3416 §4.2.5: under no circumstances), one the
// state forbids now inconsistentValue.
func (c *Control) test(r *vmRow, vb mib.Varbind) gosnmp.SNMPError {
	v, _ := vb.Value.(int)
	op, ok := controlOps[v]
	switch {
	case !ok || r.d.Unsupported.Has(op):
		return gosnmp.WrongValue
	case c.get(r.d.UUID).status == statusInProgress:
		return gosnmp.InconsistentValue // one request at a time per VM
	case !r.d.Allows(op):
		return gosnmp.InconsistentValue
	}
	return gosnmp.NoError
}

// commit starts the operation; the SET's answer does not wait for it.
func (c *Control) commit(_ context.Context, r *vmRow, vb mib.Varbind) error {
	v := vb.Value.(int)
	op, uuid, name := controlOps[v], r.d.UUID, r.d.Name
	c.Requests.Add(1)
	c.set(uuid, controlState{request: v, status: statusInProgress})
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
		defer cancel()
		err := op.Apply(ctx, c.ops, uuid)
		if err != nil {
			c.Failures.Add(1)
			c.set(uuid, controlState{request: v, status: statusFailed, errText: truncate(err.Error(), 255)})
			c.log.Warn("SNMP control request failed", "domain", name, "request", op.String(), "error", err)
			if c.OnFailure != nil {
				c.OnFailure(uuid, v, err.Error())
			}
			return
		}
		c.set(uuid, controlState{request: v, status: statusSucceeded})
		c.log.Info("SNMP control request done", "domain", name, "request", op.String())
	})
	return nil
}

// truncate cuts s to at most n bytes on a character boundary
// (SnmpAdminString is UTF-8).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// table is vbVmControlTable, which AUGMENTS vmEntry: the same rows and
// indexes as vmTable.
func (c *Control) table(entry mib.OID, vms []*vmRow) mib.Subtree {
	return mib.NewTable(entry, []mib.Column[*vmRow]{
		{ID: 1, Type: gosnmp.Integer, Get: func(r *vmRow) any { return c.get(r.d.UUID).request },
			Test: c.test, Commit: c.commit},
		{ID: 2, Type: gosnmp.Integer, Get: func(r *vmRow) any { return c.get(r.d.UUID).status }},
		{ID: 3, Type: gosnmp.OctetString, Get: func(r *vmRow) any { return c.get(r.d.UUID).errText }},
		{ID: 4, Type: gosnmp.TimeTicks, Get: func(r *vmRow) any { return c.get(r.d.UUID).changed }},
	}, vms, vmIndexOID)
}
