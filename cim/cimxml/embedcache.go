package cimxml

import (
	"bytes"
	"io"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/internal/idcache"
)

// EmbeddedCache keeps the escaped text of recently written embedded
// instances, by identity. An indication exported to many listeners
// carries the same embedded instances (SourceInstance, PreviousInstance)
// in each subscription's copy: they are encoded once. Instances are
// immutable once written, and a cached one stays alive while cached, so
// its address is not reused. Safe for concurrent use; a nil cache
// caches nothing.
type EmbeddedCache struct {
	c *idcache.Cache[*cim.Instance, []byte]
}

// NewEmbeddedCache keeps up to size instances.
func NewEmbeddedCache(size int) *EmbeddedCache {
	return &EmbeddedCache{c: idcache.New[*cim.Instance, []byte](size)}
}

func (c *EmbeddedCache) load(inst *cim.Instance) ([]byte, bool) { return c.c.Load(inst) }

func (c *EmbeddedCache) store(inst *cim.Instance, b []byte) { c.c.Store(inst, b) }

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
