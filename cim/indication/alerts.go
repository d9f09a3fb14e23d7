package indication

import (
	"fmt"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// Alert classes and the CIM_AlertIndication values used.
const (
	classAlert = "VB_AlertIndication"
	classLost  = "VB_LostIndications"

	alertCommunications  = 2
	alertProcessingError = 4
	causeOther           = 1
	formatObjectPath     = 2

	severityInformation = 2
	severityMinor       = 4
	severityMajor       = 5
	severityCritical    = 6
)

// alert is a VB_AlertIndication about element (a path, "" for the agent).
func (s *Service) alert(at, eventTime time.Time, alertType, severity uint16, eventID, element, msg string) (*cim.Instance, error) {
	inst, c, err := s.newInstance(classAlert)
	if err != nil {
		return nil, err
	}
	s.stamp(inst, at, severity)
	inst.Set("AlertType", cim.Uint16(alertType))
	inst.Set("ProbableCause", cim.Uint16(causeOther))
	inst.Set("ProbableCauseDescription", cim.String(eventID))
	inst.Set("Description", cim.String(msg))
	inst.Set("Message", cim.String(msg))
	inst.Set("EventID", cim.String(eventID))
	inst.Set("MessageID", cim.String("VB:"+eventID))
	inst.Set("OwningEntity", cim.String("virtbridge"))
	inst.Set("ProviderName", cim.String("virtbridge"))
	inst.Set("SystemCreationClassName", cim.String(classSystem))
	inst.Set("SystemName", cim.String(s.cfg.Host))
	if element != "" {
		inst.Set("AlertingManagedElement", cim.String(element))
		inst.Set("AlertingElementFormat", cim.Uint16(formatObjectPath))
	}
	if eventTime.IsZero() {
		eventTime = at
	}
	if t, err := cim.NewTimestamp(eventTime.UTC()); err == nil {
		inst.Set("EventTime", cim.DatetimeValue(t))
	}
	return inst, c.Validate(inst)
}

// crashAlert reports a VM that crashed.
func (s *Service) crashAlert(d *backends.Domain, cause backends.Event, at time.Time) (*cim.Instance, error) {
	vm, err := s.cfg.Schema.VirtualSystem(d, at)
	if err != nil {
		return nil, err
	}
	p := vm.Path
	p.Namespace = s.cfg.Schema.Namespace
	return s.alert(at, cause.Time, alertProcessingError, severityCritical, "vm-crashed", p.String(),
		fmt.Sprintf("virtual machine %s (%s) crashed", d.Name, d.UUID))
}

// connectionAlert reports the hypervisor connection lost, or restored
// and the inventory resynchronised.
func (s *Service) connectionAlert(restored bool, cause backends.Event, at time.Time) (*cim.Instance, error) {
	if restored {
		return s.alert(at, cause.Time, alertCommunications, severityInformation, "connection-restored", "",
			"the connection to the hypervisor is restored and the inventory resynchronised")
	}
	return s.alert(at, cause.Time, alertCommunications, severityMajor, "connection-lost", "",
		"the connection to the hypervisor is lost; what is served is the last state known")
}

// lostIndication is the VB_LostIndications reporting l to a subscription
// of filter; it is numbered when made, so its identifier follows those
// already delivered.
func (s *Service) lostIndication(l loss, filter string) *cim.Instance {
	inst, c, err := s.newInstance(classLost)
	if err != nil {
		// The class is ours and always loaded; still, report something.
		s.cfg.Log.Error("VB_LostIndications missing", "err", err)
		return &cim.Instance{ClassName: classLost}
	}
	now := time.Now()
	s.stamp(inst, now, severityMinor)
	inst.Set("LostIndications", cim.Uint64(l.n))
	inst.Set("Reason", cim.Uint16(l.reason))
	for prop, t := range map[string]time.Time{"FirstLostTime": l.first, "LastLostTime": l.last} {
		if ts, err := cim.NewTimestamp(t.UTC()); err == nil {
			inst.Set(prop, cim.DatetimeValue(ts))
		}
	}
	inst.Set("IndicationFilterName", cim.String(filter))
	s.pubMu.Lock()
	inst.Set("IndicationIdentifier", cim.String(fmt.Sprint(s.ids.take(s.cfg.Log))))
	s.pubMu.Unlock()
	if err := c.Validate(inst); err != nil {
		s.cfg.Log.Error("VB_LostIndications invalid", "err", err)
	}
	return inst
}
