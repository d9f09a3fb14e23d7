package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// ModifyInstance changes the given properties of the instance at path
// (DSP0200 §5.3.2.4, WS-Transfer Put) and returns the instance once the
// inventory shows the change, or as it stands when ctx ends first. Keys
// never change; properties the class lacks are refused.
func (b *Broker) ModifyInstance(ctx context.Context, ns string, path cim.ObjectPath, changes map[string]cim.Value) (*cim.Instance, error) {
	s, err := b.open(ns)
	if err != nil {
		return nil, err
	}
	inst, err := s.getInstance(path)
	if err != nil {
		return nil, err
	}
	c, err := s.class(inst.ClassName)
	if err != nil {
		return nil, err
	}
	for name, v := range changes {
		p := c.Property(name)
		if p == nil {
			return nil, fmt.Errorf("class %s has no property %q: %w", c.Name, name, cim.ErrNoSuchProperty)
		}
		if old, _ := inst.Get(name); old.Equal(v) || (old.IsNull() && v.IsNull()) {
			delete(changes, name)
			continue
		}
		if p.IsKey() {
			return nil, fmt.Errorf("%s.%s is a key and never changes: %w", c.Name, p.Name, cim.ErrInvalidParameter)
		}
	}
	if len(changes) == 0 {
		return inst, nil
	}
	if b.cfg.Modify == nil {
		return nil, fmt.Errorf("modifying %s: %w", c.Name, cim.ErrNotSupported)
	}
	if err := b.cfg.Modify(ctx, s.ns, inst.Path, changes); err != nil {
		return nil, err
	}
	// The change comes back through the hypervisor's events.
	for {
		now, err := b.GetInstance(ns, inst.Path)
		if err != nil {
			return nil, err
		}
		if applied(now, changes) {
			return now, nil
		}
		select {
		case <-ctx.Done():
			return now, nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func applied(inst *cim.Instance, changes map[string]cim.Value) bool {
	for name, v := range changes {
		if got, _ := inst.Get(name); !got.Equal(v) && !strings.EqualFold(got.String(), v.String()) {
			return false
		}
	}
	return true
}
