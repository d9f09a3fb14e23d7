// Package idcache is a small bounded cache by identity: what was made
// from a value is kept for the next use of the same value, the oldest
// entry making room for the newest. The encoders use it to write the
// instances an indication embeds once for all the subscriptions it goes
// to.
package idcache

import "sync"

// Cache maps keys to values, holding at most its size. Safe for
// concurrent use; a nil *Cache holds nothing.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]V
	order []K // a ring: the oldest is evicted first
	used  int
	next  int
}

// New holds up to size entries (at least one).
func New[K comparable, V any](size int) *Cache[K, V] {
	size = max(size, 1)
	return &Cache[K, V]{m: make(map[K]V, size), order: make([]K, size)}
}

// Load returns the value kept for k.
func (c *Cache[K, V]) Load(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Store keeps v for k unless k is kept already, evicting the oldest
// entry when full.
func (c *Cache[K, V]) Store(k K, v V) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if c.used == len(c.order) {
		delete(c.m, c.order[c.next])
	} else {
		c.used++
	}
	c.order[c.next] = k
	c.next = (c.next + 1) % len(c.order)
	c.m[k] = v
}

// Len is how many entries are kept.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
