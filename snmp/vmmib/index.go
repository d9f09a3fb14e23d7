package vmmib

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
)

// Indexes hands out vmIndex values: one per UUID, never reused, kept in a
// file so a VM keeps its vmIndex across agent restarts (RFC 7666 asks for
// stability "at least from one re-initialization of the hypervisor to the
// next"; NMS graphs key on it).
type Indexes struct {
	path string

	mu     sync.Mutex
	byUUID map[string]int32
	last   int32
}

type indexFile struct {
	Version int              `json:"version"`
	Indexes map[string]int32 `json:"indexes"`
}

// LoadIndexes reads path, or starts empty when it does not exist. An empty
// path keeps the map in memory only.
func LoadIndexes(path string) (*Indexes, error) {
	x := &Indexes{path: path, byUUID: map[string]int32{}}
	if path == "" {
		return x, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return x, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading vmIndex map: %w", err)
	}
	var f indexFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		return nil, fmt.Errorf("vmIndex map %s is not a version 1 map (move it aside to start afresh): %v", path, err)
	}
	for u, i := range f.Indexes {
		if i < 1 {
			return nil, fmt.Errorf("vmIndex map %s: %s has index %d, want at least 1", path, u, i)
		}
		x.byUUID[u] = i
		x.last = max(x.last, i)
	}
	return x, nil
}

// Assign returns the vmIndex of each UUID, giving new UUIDs the next free
// values, and saves the map when it grew.
func (x *Indexes) Assign(uuids []string) ([]int32, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]int32, len(uuids))
	grew := false
	for i, u := range uuids {
		n, ok := x.byUUID[u]
		if !ok {
			if x.last == math.MaxInt32 {
				return nil, errors.New("vmIndex space exhausted")
			}
			x.last++
			n = x.last
			x.byUUID[u] = n
			grew = true
		}
		out[i] = n
	}
	if grew && x.path != "" {
		if err := x.save(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// save writes the map atomically: a crash leaves the old or the new file.
func (x *Indexes) save() error {
	data, err := json.Marshal(indexFile{Version: 1, Indexes: x.byUUID})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(x.path), 0o755); err != nil {
		return fmt.Errorf("saving vmIndex map: %w", err)
	}
	tmp := x.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("saving vmIndex map: %w", err)
	}
	if err := os.Rename(tmp, x.path); err != nil {
		return fmt.Errorf("saving vmIndex map: %w", err)
	}
	return nil
}
