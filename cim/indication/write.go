package indication

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// CreateInstance makes a filter, a CIM-XML listener destination or a
// subscription in the interop namespace (broker.Writer). Keys the
// client leaves out or gives differently are the agent's own: the
// scoping system is this host.
func (s *Service) CreateInstance(_ context.Context, ns string, inst *cim.Instance) (cim.ObjectPath, error) {
	if !strings.EqualFold(strings.Trim(ns, "/"), s.cfg.Interop) {
		return cim.ObjectPath{}, fmt.Errorf("instances of %s are created in %s only: %w", inst.ClassName, s.cfg.Interop, cim.ErrNotSupported)
	}
	isa := func(c string) bool { return s.cfg.Repo.IsA(s.cfg.Interop, inst.ClassName, c) }
	if cc := str(inst, "CreationClassName"); cc != "" && !strings.EqualFold(cc, inst.ClassName) {
		return cim.ObjectPath{}, fmt.Errorf("CreationClassName %q differs from the class %s: %w", cc, inst.ClassName, cim.ErrInvalidParameter)
	}
	var (
		out *cim.Instance
		err error
	)
	switch {
	case strings.EqualFold(inst.ClassName, classFilter):
		out, err = s.createFilter(inst)
	case strings.EqualFold(inst.ClassName, classDestCIMXML):
		out, err = s.createDest(inst)
	case strings.EqualFold(inst.ClassName, classSubscription):
		out, err = s.createSub(inst)
	case isa(classDestWSMan):
		err = fmt.Errorf("%s: WS-Management destinations are made by a WS-Eventing Subscribe request to the WS-Management service: %w", inst.ClassName, cim.ErrNotSupported)
	case isa(classDestination):
		err = fmt.Errorf("%s: only CIM-XML listener destinations (%s) are supported: %w", inst.ClassName, classDestCIMXML, cim.ErrNotSupported)
	default:
		err = fmt.Errorf("instances of %s are the agent's own and cannot be created: %w", inst.ClassName, cim.ErrNotSupported)
	}
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p := out.Path
	p.Namespace = ""
	return p, nil
}

func (s *Service) createFilter(inst *cim.Instance) (*cim.Instance, error) {
	r := &filterRec{Name: str(inst, "Name"), Query: str(inst, "Query"), Language: str(inst, "QueryLanguage"),
		ElementName: str(inst, "ElementName"), Created: time.Now().UTC()}
	if r.Name == "" || r.Query == "" || r.Language == "" {
		return nil, fmt.Errorf("%s needs Name, Query and QueryLanguage: %w", classFilter, cim.ErrInvalidParameter)
	}
	if v, ok := inst.Get("SourceNamespaces"); ok {
		r.SourceNamespaces, _ = v.StringSlice()
	}
	if one := str(inst, "SourceNamespace"); one != "" && len(r.SourceNamespaces) == 0 {
		r.SourceNamespaces = []string{one}
	}
	for _, n := range r.SourceNamespaces {
		if n = strings.Trim(n, "/"); !strings.EqualFold(n, s.cfg.Schema.Namespace) && !strings.EqualFold(n, s.cfg.Interop) {
			return nil, fmt.Errorf("source namespace %q: indications come from %s: %w", n, s.cfg.Schema.Namespace, cim.ErrInvalidParameter)
		}
	}
	f, err := s.compile(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.room(classFilter, len(s.filters), s.filters[nameKey(r.Name)] != nil, r.Name); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.put(bucketFilters, nameKey(r.Name), r); err != nil {
		return nil, err
	}
	s.filters[nameKey(r.Name)] = f
	return s.filterInstance(r)
}

func (s *Service) createDest(inst *cim.Instance) (*cim.Instance, error) {
	r := &destRec{Name: str(inst, "Name"), Destination: strings.TrimSpace(str(inst, "Destination")),
		ElementName: str(inst, "ElementName"), Created: time.Now().UTC()}
	if r.Name == "" {
		return nil, fmt.Errorf("%s needs a Name: %w", classDestCIMXML, cim.ErrInvalidParameter)
	}
	if err := checkDestination(r.Destination); err != nil {
		return nil, err
	}
	if v, ok := inst.Get("Protocol"); ok && !v.IsNull() {
		if p, _ := v.Uint(); p != 2 {
			return nil, fmt.Errorf("protocol %d: only CIM-XML (2) is delivered: %w", p, cim.ErrNotSupported)
		}
	}
	if v, ok := inst.Get("PersistenceType"); ok && !v.IsNull() {
		p, _ := v.Uint()
		if p < 1 || p > 3 {
			return nil, fmt.Errorf("PersistenceType %d: want 1, 2 or 3: %w", p, cim.ErrInvalidParameter)
		}
		r.PersistenceType = uint16(p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.room(classDestCIMXML, len(s.dests), s.dests[nameKey(r.Name)] != nil, r.Name); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.put(bucketDestinations, nameKey(r.Name), r); err != nil {
		return nil, err
	}
	s.dests[nameKey(r.Name)] = r
	return s.destInstance(r)
}

func (s *Service) createSub(inst *cim.Instance) (*cim.Instance, error) {
	fname, err := s.refName(inst, "Filter", classFilter)
	if err != nil {
		return nil, err
	}
	hname, err := s.refName(inst, "Handler", classDestination)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	r := &subRec{State: stateEnabled, OnFatal: policyIgnore, Repeat: repeatNone, Info: str(inst, "SubscriptionInfo"), Started: now, StateChanged: now}
	if err := checkSubscription(inst, r); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, d := s.filters[nameKey(fname)], s.dests[nameKey(hname)]
	if f == nil {
		return nil, fmt.Errorf("the subscription's Filter %q does not exist: create the %s first: %w", fname, classFilter, cim.ErrInvalidParameter)
	}
	if d == nil {
		return nil, fmt.Errorf("the subscription's Handler %q does not exist: create the %s first: %w", hname, classDestCIMXML, cim.ErrInvalidParameter)
	}
	if d.WSMan != nil || f.private {
		return nil, fmt.Errorf("the filter %q or destination %q belongs to a WS-Eventing subscription: %w", fname, hname, cim.ErrInvalidParameter)
	}
	r.Filter, r.Handler = f.rec.Name, d.Name
	key := subKey(r.Filter, r.Handler)
	if err := s.room(classSubscription, len(s.subs), s.subs[key] != nil, r.Filter+" → "+r.Handler); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.put(bucketSubscriptions, key, r); err != nil {
		return nil, err
	}
	s.elog.setCursor(s.startSubscription(r, f, d).key, s.ids.peek()-1)
	s.cfg.Log.Info("indication subscription created", "filter", r.Filter, "handler", r.Handler, "destination", d.Destination)
	return s.subInstance(r, d.class())
}

// room refuses a duplicate (CIM_ERR_ALREADY_EXISTS) or one too many
// (CIM_ERR_SERVER_LIMITS_EXCEEDED). The caller holds s.mu.
func (s *Service) room(class string, n int, dup bool, name string) error {
	if dup {
		return fmt.Errorf("%s %q exists already: %w", class, name, cim.ErrAlreadyExists)
	}
	if n >= s.cfg.MaxInstances {
		return fmt.Errorf("%d instances of %s exist, the most this agent keeps: %w", n, class, cim.ErrServerLimitsExceeded)
	}
	return nil
}

// refName reads a subscription's reference property: the Name key of an
// instance of class.
func (s *Service) refName(inst *cim.Instance, prop, class string) (string, error) {
	v, _ := inst.Get(prop)
	p, ok := v.Ref()
	if !ok {
		return "", fmt.Errorf("%s.%s (a reference to a %s) is required: %w", classSubscription, prop, class, cim.ErrInvalidParameter)
	}
	if !s.cfg.Repo.IsA(s.cfg.Interop, p.ClassName, class) {
		return "", fmt.Errorf("%s.%s refers to a %s, not a %s: %w", classSubscription, prop, p.ClassName, class, cim.ErrInvalidParameter)
	}
	name, _ := p.Key("Name")
	n, _ := name.Str()
	if n == "" {
		return "", fmt.Errorf("%s.%s: the reference has no Name key: %w", classSubscription, prop, cim.ErrInvalidParameter)
	}
	return n, nil
}

// str is a string property, "" when absent or NULL.
func str(inst *cim.Instance, name string) string {
	v, _ := inst.Get(name)
	x, _ := v.Str()
	return x
}
