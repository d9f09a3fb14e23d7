package main

import (
	"fmt"
	"path/filepath"
	"time"
)

// IndicationsConfig is the indications: section: CIM indications
// (DSP1054) delivered to CIM-XML listeners that clients subscribe in
// root/interop, and to WS-Eventing subscribers of the WS-Man service.
type IndicationsConfig struct {
	Enabled          bool          `yaml:"enabled"`
	StoreFile        string        `yaml:"store_file"`
	QueueSize        int           `yaml:"queue_size"`
	RetryAttempts    int           `yaml:"delivery_retry_attempts"`
	RetryInterval    time.Duration `yaml:"delivery_retry_interval"`
	DeliveryTimeout  time.Duration `yaml:"delivery_timeout"`
	MaxSubscriptions int           `yaml:"max_subscriptions"`
	AllowInsecureTLS bool          `yaml:"allow_insecure_tls"`
	// History is how many of the latest indications are held for
	// WS-Eventing subscribers to replay from a bookmark.
	History int `yaml:"history"`
}

func defaultIndications() IndicationsConfig {
	return IndicationsConfig{Enabled: true, QueueSize: 1000, RetryAttempts: 3, RetryInterval: 30 * time.Second,
		DeliveryTimeout: 10 * time.Second, MaxSubscriptions: 100, History: 1000}
}

// storeFile is the bbolt file of the subscriptions, by default in the
// CIM state directory.
func (c *IndicationsConfig) storeFile(cim *CIMConfig) string {
	if c.StoreFile != "" {
		return c.StoreFile
	}
	return filepath.Join(cim.stateDir(), "indications.db")
}

func (c *IndicationsConfig) validate() []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if c.QueueSize < 1 || c.QueueSize > 1_000_000 {
		errs = append(errs, fmt.Errorf("indications.queue_size %d: want 1 to 1000000", c.QueueSize))
	}
	if c.RetryAttempts < 0 || c.RetryAttempts > 65535 {
		errs = append(errs, fmt.Errorf("indications.delivery_retry_attempts %d: want 0 to 65535", c.RetryAttempts))
	}
	if c.RetryInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("indications.delivery_retry_interval %v: want at least 10ms", c.RetryInterval))
	}
	if c.DeliveryTimeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("indications.delivery_timeout %v: want at least 100ms", c.DeliveryTimeout))
	}
	if c.History < 0 || c.History > 1_000_000 {
		errs = append(errs, fmt.Errorf("indications.history %d: want 0 to 1000000", c.History))
	}
	if c.MaxSubscriptions < 1 {
		errs = append(errs, fmt.Errorf("indications.max_subscriptions %d: want at least 1", c.MaxSubscriptions))
	}
	return errs
}
