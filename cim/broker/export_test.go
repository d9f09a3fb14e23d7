package broker

// OpenEnumerations is the number of open pull enumeration contexts, for
// the tests of package broker_test.
func (b *Broker) OpenEnumerations() int {
	b.enums.mu.Lock()
	defer b.enums.mu.Unlock()
	return len(b.enums.m)
}
