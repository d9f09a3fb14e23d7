package indication

import (
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// Classes served in the interop namespace. Clients create the DMTF
// classes directly, as DSP1054 shows them; no vendor subclass is needed.
const (
	classFilter       = "CIM_IndicationFilter"
	classDestination  = "CIM_ListenerDestination"
	classDestCIMXML   = "CIM_ListenerDestinationCIMXML"
	classDestWSMan    = "CIM_ListenerDestinationWSManagement"
	classSubscription = "CIM_IndicationSubscription"
	classService      = "CIM_IndicationService"
	classCapabilities = "CIM_IndicationServiceCapabilities"
	classSystem       = "VB_ComputerSystem" // the scoping system, as interop names it
)

// SubscriptionState, OnFatalErrorPolicy and RepeatNotificationPolicy
// values (CIM_AbstractIndicationSubscription).
const (
	stateEnabled  = 2
	stateDisabled = 4

	policyIgnore  = 2
	policyDisable = 3
	policyRemove  = 4

	repeatNone = 2

	protocolCIMXML = 2 // CIM_ListenerDestination.Protocol
	protocolWSMan  = 4
)

// filterRec is a stored CIM_IndicationFilter.
type filterRec struct {
	Name             string    `json:"name"`
	Query            string    `json:"query"`
	Language         string    `json:"language"`
	SourceNamespaces []string  `json:"source_namespaces,omitempty"`
	ElementName      string    `json:"element_name,omitempty"`
	Created          time.Time `json:"created"`
}

// destRec is a stored CIM_ListenerDestinationCIMXML, or with WSMan a
// CIM_ListenerDestinationWSManagement: a WS-Eventing subscriber.
type destRec struct {
	Name            string    `json:"name"`
	Destination     string    `json:"destination"`
	PersistenceType uint16    `json:"persistence_type,omitempty"`
	ElementName     string    `json:"element_name,omitempty"`
	Created         time.Time `json:"created"`
	WSMan           *Delivery `json:"wsman,omitempty"`
}

// class is the CIM class the destination is an instance of.
func (d *destRec) class() string {
	if d.WSMan != nil {
		return classDestWSMan
	}
	return classDestCIMXML
}

// subRec is a stored CIM_IndicationSubscription; Filter and Handler are
// the names of the filter and destination.
type subRec struct {
	Filter       string    `json:"filter"`
	Handler      string    `json:"handler"`
	State        uint16    `json:"state"`
	OnFatal      uint16    `json:"on_fatal_error_policy"`
	Repeat       uint16    `json:"repeat_notification_policy,omitempty"`
	Info         string    `json:"subscription_info,omitempty"`
	Started      time.Time `json:"started"`
	StateChanged time.Time `json:"state_changed"`
	// ID is a WS-Eventing subscription's wse:Identifier, Expires when it
	// ends (zero: never).
	ID      string    `json:"id,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// nameKey is how records are keyed: CIM names compare case-insensitively.
func nameKey(name string) string { return strings.ToLower(name) }

func subKey(filter, handler string) string { return nameKey(filter) + "\x00" + nameKey(handler) }

// scoped is the keys filters and destinations share.
func (s *Service) scoped(inst *cim.Instance, class, name string) {
	inst.Set("SystemCreationClassName", cim.String(classSystem))
	inst.Set("SystemName", cim.String(s.cfg.Host))
	inst.Set("CreationClassName", cim.String(class))
	inst.Set("Name", cim.String(name))
}

// newInstance is an empty instance of class in the interop namespace.
func (s *Service) newInstance(class string) (*cim.Instance, *cim.Class, error) {
	c, err := s.cfg.Repo.Class(s.cfg.Interop, class)
	if err != nil {
		return nil, nil, err
	}
	return c.NewInstance(), c, nil
}

// finish checks inst and gives it its path.
func (s *Service) finish(inst *cim.Instance, c *cim.Class) (*cim.Instance, error) {
	if err := c.Validate(inst); err != nil {
		return nil, err
	}
	p, err := c.InstancePath(inst, "", s.cfg.Interop)
	if err != nil {
		return nil, err
	}
	inst.Path = p
	return inst, nil
}

func (s *Service) filterInstance(r *filterRec) (*cim.Instance, error) {
	inst, c, err := s.newInstance(classFilter)
	if err != nil {
		return nil, err
	}
	s.scoped(inst, classFilter, r.Name)
	inst.Set("Query", cim.String(r.Query))
	inst.Set("QueryLanguage", cim.String(r.Language))
	if len(r.SourceNamespaces) > 0 {
		inst.Set("SourceNamespaces", cim.Strings(r.SourceNamespaces...))
		inst.Set("SourceNamespace", cim.String(r.SourceNamespaces[0]))
	}
	if r.ElementName != "" {
		inst.Set("ElementName", cim.String(r.ElementName))
	}
	return s.finish(inst, c)
}

func (s *Service) destInstance(r *destRec) (*cim.Instance, error) {
	inst, c, err := s.newInstance(r.class())
	if err != nil {
		return nil, err
	}
	s.scoped(inst, r.class(), r.Name)
	inst.Set("Destination", cim.String(r.Destination))
	inst.Set("Protocol", cim.Uint16(protocolCIMXML))
	if d := r.WSMan; d != nil {
		inst.Set("Protocol", cim.Uint16(protocolWSMan))
		inst.Set("DeliveryMode", cim.Uint16(uint16(d.Mode)))
		if d.EndTo != nil {
			inst.Set("DestinationEndTo", cim.String(d.EndTo.Address))
		}
		if d.Heartbeat > 0 {
			inst.Set("Heartbeat", cim.Uint64(uint64((d.Heartbeat+time.Second-1)/time.Second)))
		}
		inst.Set("SendBookmark", cim.Bool(d.SendBookmarks))
		if d.MaxTime > 0 {
			inst.Set("MaxTime", cim.Uint64(uint64((d.MaxTime+time.Second-1)/time.Second)))
		}
		if d.Locale != "" {
			inst.Set("Locale", cim.String(d.Locale))
		}
		if d.ContentEncoding != "" {
			inst.Set("ContentEncoding", cim.String(d.ContentEncoding))
		}
	}
	if r.PersistenceType != 0 {
		inst.Set("PersistenceType", cim.Uint16(r.PersistenceType))
	}
	if r.ElementName != "" {
		inst.Set("ElementName", cim.String(r.ElementName))
	}
	return s.finish(inst, c)
}

// refTo is the path of a filter or destination, for a subscription's
// references.
func (s *Service) refTo(class, name string) cim.ObjectPath {
	return cim.ObjectPath{Namespace: s.cfg.Interop, ClassName: class, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String(class)},
		{Name: "Name", Value: cim.String(name)},
		{Name: "SystemCreationClassName", Value: cim.String(classSystem)},
		{Name: "SystemName", Value: cim.String(s.cfg.Host)},
	}}
}

func (s *Service) subInstance(r *subRec, handlerClass string) (*cim.Instance, error) {
	inst, c, err := s.newInstance(classSubscription)
	if err != nil {
		return nil, err
	}
	inst.Set("Filter", cim.Ref(s.refTo(classFilter, r.Filter)))
	inst.Set("Handler", cim.Ref(s.refTo(handlerClass, r.Handler)))
	if !r.Expires.IsZero() {
		left := max(time.Until(r.Expires), 0)
		inst.Set("SubscriptionDuration", cim.Uint64(uint64(r.Expires.Sub(r.Started)/time.Second)))
		inst.Set("SubscriptionTimeRemaining", cim.Uint64(uint64(left/time.Second)))
	}
	inst.Set("SubscriptionState", cim.Uint16(r.State))
	inst.Set("OnFatalErrorPolicy", cim.Uint16(r.OnFatal))
	inst.Set("RepeatNotificationPolicy", cim.Uint16(max(r.Repeat, repeatNone)))
	if r.Info != "" {
		inst.Set("SubscriptionInfo", cim.String(r.Info))
	}
	if t, err := cim.NewTimestamp(r.Started.UTC()); err == nil {
		inst.Set("SubscriptionStartTime", cim.DatetimeValue(t))
	}
	if t, err := cim.NewTimestamp(r.StateChanged.UTC()); err == nil {
		inst.Set("TimeOfLastStateChange", cim.DatetimeValue(t))
	}
	return s.finish(inst, c)
}
