package indication

import (
	"math"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// serviceName names the one CIM_IndicationService.
func (s *Service) serviceName() string { return "virtbridge:indications:" + s.cfg.Host }

// serviceInstance is the CIM_IndicationService (DSP1054 §7.2): its
// delivery settings are the agent's configuration.
func (s *Service) serviceInstance() (*cim.Instance, error) {
	inst, c, err := s.newInstance(classService)
	if err != nil {
		return nil, err
	}
	inst.Set("SystemCreationClassName", cim.String(classSystem))
	inst.Set("SystemName", cim.String(s.cfg.Host))
	inst.Set("CreationClassName", cim.String(classService))
	inst.Set("Name", cim.String(s.serviceName()))
	inst.Set("ElementName", cim.String("virtbridge indication service"))
	inst.Set("EnabledState", cim.Uint16(2))
	inst.Set("Started", cim.Bool(true))
	inst.Set("FilterCreationEnabled", cim.Bool(true))
	inst.Set("DeliveryRetryAttempts", cim.Uint16(uint16(min(s.cfg.RetryAttempts, math.MaxUint16))))
	inst.Set("DeliveryRetryInterval", cim.Uint32(uint32(min((s.cfg.RetryInterval+time.Second-1)/time.Second, math.MaxUint32))))
	return s.finish(inst, c)
}

// capabilitiesInstance is the CIM_IndicationServiceCapabilities: nothing
// of the service is settable through CIM; the limits are configured.
func (s *Service) capabilitiesInstance() (*cim.Instance, error) {
	inst, c, err := s.newInstance(classCapabilities)
	if err != nil {
		return nil, err
	}
	inst.Set("InstanceID", cim.String("VB:caps/indications"))
	inst.Set("ElementName", cim.String("virtbridge indication service capabilities"))
	for _, p := range []string{"FilterCreationEnabledIsSettable", "DeliveryRetryAttemptsIsSettable", "DeliveryRetryIntervalIsSettable",
		"SubscriptionRemovalActionIsSettable", "SubscriptionRemovalTimeIntervalIsSettable"} {
		inst.Set(p, cim.Bool(false))
	}
	inst.Set("MaxListenerDestinations", cim.Uint32(uint32(s.cfg.MaxInstances)))
	inst.Set("MaxActiveSubscriptions", cim.Uint32(uint32(s.cfg.MaxInstances)))
	inst.Set("SubscriptionsPersisted", cim.Bool(true))
	return s.finish(inst, c)
}
