// Package conformance drives the built virtbridge binary with real
// clients: net-snmp's tools against the SNMP agent, compared with virsh,
// over libvirt test-driver test beds.
package conformance
