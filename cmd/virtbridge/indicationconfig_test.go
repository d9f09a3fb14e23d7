package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndicationsConfig: bad indications: values are refused naming the
// key; the store file defaults into the CIM state directory.
func TestIndicationsConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"queue_size: 0", "indications.queue_size 0"},
		{"delivery_retry_attempts: -1", "indications.delivery_retry_attempts -1"},
		{"delivery_retry_interval: 1ms", "indications.delivery_retry_interval 1ms"},
		{"delivery_timeout: 1ms", "indications.delivery_timeout 1ms"},
		{"max_subscriptions: 0", "indications.max_subscriptions 0"},
		{"queue_size: many", "indications.queue_size"},
	} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte("indications:\n  "+tc.yaml+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.yaml, err, tc.want)
		}
	}
	cfg := defaultConfig()
	cfg.CIM.StateDir = "/var/lib/x"
	if got := cfg.Indications.storeFile(&cfg.CIM); got != "/var/lib/x/indications.db" {
		t.Errorf("default store file %s", got)
	}
}
