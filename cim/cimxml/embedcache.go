package cimxml

import (
	"bytes"
	"io"
	"sync"

	"github.com/virtbridge/virtbridge/cim"
)

// EmbeddedCache keeps the escaped text of recently written embedded
// instances, by identity. An indication exported to many listeners
// carries the same embedded instances (SourceInstance, PreviousInstance)
// in each subscription's copy: they are encoded once. Instances are
// immutable once written, and a cached one stays alive while cached, so
// its address is not reused. Safe for concurrent use; a nil cache
// caches nothing.
type EmbeddedCache struct {
	mu    sync.Mutex
	m     map[*cim.Instance][]byte
	order []*cim.Instance // a ring: the oldest is evicted first
	next  int
}

// NewEmbeddedCache keeps up to size instances.
func NewEmbeddedCache(size int) *EmbeddedCache {
	size = max(size, 1)
	return &EmbeddedCache{m: make(map[*cim.Instance][]byte, size), order: make([]*cim.Instance, size)}
}

func (c *EmbeddedCache) load(inst *cim.Instance) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[inst]
	return b, ok
}

func (c *EmbeddedCache) store(inst *cim.Instance, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[inst]; ok {
		return
	}
	if old := c.order[c.next]; old != nil {
		delete(c.m, old)
	}
	c.order[c.next] = inst
	c.next = (c.next + 1) % len(c.order)
	c.m[inst] = b
}

// WriteExportIndication is the package's WriteExportIndication with
// embedded instances taken from, and added to, the cache.
func (c *EmbeddedCache) WriteExportIndication(w io.Writer, messageID string, indication *cim.Instance) error {
	e := NewEncoder(w)
	e.cache = c
	e.exportEnvelope(messageID, "SIMPLEEXPREQ")
	e.start("EXPMETHODCALL", "NAME", ExportIndication)
	e.start("EXPPARAMVALUE", "NAME", "NewIndication")
	e.WriteInstance(indication, Filter{})
	return e.End()
}

// embeddedValue writes VALUE holding an embedded instance or class,
// escaped; a cached instance's text is written as it was.
func (e *Encoder) embeddedValue(v cim.Value) {
	inst, isInst := v.Instance()
	if e.cache == nil || !isInst || inst == nil {
		e.leaf("VALUE", e.embedded(v))
		return
	}
	e.tag("VALUE", nil, ">")
	if b, ok := e.cache.load(inst); ok {
		if e.err == nil {
			_, e.err = e.w.Write(b)
		}
	} else {
		var buf bytes.Buffer
		esc := NewEncoder(&buf)
		esc.text(e.embedded(v))
		if err := esc.End(); err != nil {
			e.fail(err)
		}
		if e.err == nil {
			e.cache.store(inst, buf.Bytes())
			_, e.err = e.w.Write(buf.Bytes())
		}
	}
	e.closeTag("VALUE")
}
