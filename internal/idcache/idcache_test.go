package idcache

import (
	"sync"
	"testing"
)

func TestBoundedOldestOut(t *testing.T) {
	c := New[int, string](3)
	for i := range 5 {
		c.Store(i, string(rune('a'+i)))
	}
	if c.Len() != 3 {
		t.Fatalf("holds %d, want 3", c.Len())
	}
	for i, want := range map[int]bool{0: false, 1: false, 2: true, 3: true, 4: true} {
		if _, ok := c.Load(i); ok != want {
			t.Errorf("key %d kept %v, want %v", i, ok, want)
		}
	}
	c.Store(4, "other")
	if v, _ := c.Load(4); v != "e" {
		t.Errorf("a second Store replaced %q with %q", "e", v)
	}
	var nilCache *Cache[int, int]
	nilCache.Store(1, 1)
	if _, ok := nilCache.Load(1); ok || nilCache.Len() != 0 {
		t.Error("a nil cache kept something")
	}
}

func TestConcurrent(t *testing.T) {
	c := New[int, int](16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.Store(g*1000+i, i)
				c.Load(i)
			}
		}()
	}
	wg.Wait()
	if c.Len() != 16 {
		t.Errorf("holds %d, want 16", c.Len())
	}
}
