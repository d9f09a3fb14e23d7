package indication

import (
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/backends/inventory"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/provider"
)

// Indication classes made here.
const (
	classCreation     = "VB_InstCreation"
	classDeletion     = "VB_InstDeletion"
	classModification = "VB_InstModification"
)

// fromChange makes the indications of one inventory change, in the
// order a listener should see them: a new VM before its settings, a
// removed VM's settings before the VM.
func (s *Service) fromChange(ch inventory.Change) []*cim.Instance {
	b := &batch{s: s, at: ch.Time}
	host := s.cfg.Inventory.Snapshot().Host
	switch ch.Kind {
	case inventory.DomainAdded:
		b.system(classCreation, nil, ch.After)
		b.settings(&host, nil, ch.After)
	case inventory.DomainRemoved:
		b.settings(&host, ch.Before, nil)
		b.system(classDeletion, ch.Before, nil)
	case inventory.DomainModified:
		b.system(classModification, ch.Before, ch.After)
		b.settings(&host, ch.Before, ch.After)
		if ch.After.State == backends.StateCrashed && ch.Before.State != backends.StateCrashed {
			b.add(s.crashAlert(ch.After, ch.Cause, ch.Time))
		}
	case inventory.InventoryStale:
		b.add(s.connectionAlert(false, ch.Cause, ch.Time))
	case inventory.InventoryFresh:
		b.add(s.connectionAlert(true, ch.Cause, ch.Time))
	}
	return b.out
}

// fromJob makes the indication of a job kept (created) or ended
// (modified: JobState running → completed or exception).
func (s *Service) fromJob(ev provider.JobEvent) []*cim.Instance {
	b := &batch{s: s, at: ev.Time}
	before, after, err := s.cfg.Schema.JobInstances(ev)
	b.fail(err)
	if err == nil && before == nil {
		b.add(s.instIndication(classCreation, after, nil, ev.Time))
	} else if err == nil {
		b.add(s.instIndication(classModification, after, before, ev.Time))
	}
	return b.out
}

// batch collects one change's indications; what cannot be built is
// logged and left out.
type batch struct {
	s   *Service
	at  time.Time
	out []*cim.Instance
}

func (b *batch) fail(err error) {
	if err != nil {
		b.s.cfg.Log.Warn("indication not built", "err", err)
	}
}

func (b *batch) add(inst *cim.Instance, err error) {
	b.fail(err)
	if err == nil && inst != nil {
		b.out = append(b.out, inst)
	}
}

// system adds the indication of a VM's VB_ComputerSystem; a
// modification only when something other than the uptime changed.
func (b *batch) system(class string, before, after *backends.Domain) {
	var src, prev *cim.Instance
	var err error
	if after != nil {
		src, err = b.s.cfg.Schema.VirtualSystem(after, b.at)
		b.fail(err)
	}
	if before != nil {
		prev, err = b.s.cfg.Schema.VirtualSystem(before, b.at)
		b.fail(err)
	}
	switch {
	case class == classCreation && src != nil:
		b.add(b.s.instIndication(class, src, nil, b.at))
	case class == classDeletion && prev != nil:
		b.add(b.s.instIndication(class, prev, nil, b.at))
	case class == classModification && src != nil && prev != nil && differ(prev, src, "OnTimeInMilliseconds"):
		b.add(b.s.instIndication(class, src, prev, b.at))
	}
}

// settings adds the indications of the VSSD and RASDs that appeared,
// went or changed between before and after (either may be nil).
func (b *batch) settings(h *backends.Host, before, after *backends.Domain) {
	var old, cur []*cim.Instance
	var err error
	if before != nil {
		old, err = b.s.cfg.Schema.SettingsOf(h, before)
		b.fail(err)
	}
	if after != nil {
		cur, err = b.s.cfg.Schema.SettingsOf(h, after)
		b.fail(err)
	}
	byID := func(insts []*cim.Instance) map[string]*cim.Instance {
		m := map[string]*cim.Instance{}
		for _, inst := range insts {
			m[str(inst, "InstanceID")] = inst
		}
		return m
	}
	oldBy, curBy := byID(old), byID(cur)
	for _, inst := range old {
		if curBy[str(inst, "InstanceID")] == nil {
			b.add(b.s.instIndication(classDeletion, inst, nil, b.at))
		}
	}
	for _, inst := range cur {
		switch prev := oldBy[str(inst, "InstanceID")]; {
		case prev == nil:
			b.add(b.s.instIndication(classCreation, inst, nil, b.at))
		case differ(prev, inst):
			b.add(b.s.instIndication(classModification, inst, prev, b.at))
		}
	}
}

// differ reports whether a and b differ in a property not ignored.
func differ(a, b *cim.Instance, ignore ...string) bool {
	skip := func(n string) bool {
		for _, x := range ignore {
			if x == n {
				return true
			}
		}
		return false
	}
	for _, pv := range a.Properties {
		if skip(pv.Name) {
			continue
		}
		v, ok := b.Get(pv.Name)
		if !ok || !(v.Equal(pv.Value) || (v.IsNull() && pv.Value.IsNull())) {
			return true
		}
	}
	return len(a.Properties) != len(b.Properties)
}

// instIndication is a VB_InstCreation, VB_InstDeletion or
// VB_InstModification about src (and prev, for a modification).
func (s *Service) instIndication(class string, src, prev *cim.Instance, at time.Time) (*cim.Instance, error) {
	inst, c, err := s.newInstance(class)
	if err != nil {
		return nil, err
	}
	s.stamp(inst, at, 2)
	inst.Set("SourceInstance", cim.ObjectValue(embedded(src)))
	inst.Set("SourceInstanceModelPath", cim.String(src.Path.String()))
	inst.Set("SourceInstanceHost", cim.String(s.cfg.Host))
	if prev != nil {
		inst.Set("PreviousInstance", cim.ObjectValue(embedded(prev)))
	}
	return inst, c.Validate(inst)
}

// embedded is inst without its path: an embedded instance has none.
func embedded(inst *cim.Instance) *cim.Instance {
	return &cim.Instance{ClassName: inst.ClassName, Properties: inst.Properties}
}

// stamp sets what every indication carries; IndicationIdentifier is
// set when it is published.
func (s *Service) stamp(inst *cim.Instance, at time.Time, severity uint16) {
	if t, err := cim.NewTimestamp(at.UTC()); err == nil {
		inst.Set("IndicationTime", cim.DatetimeValue(t))
	}
	inst.Set("PerceivedSeverity", cim.Uint16(severity))
}
