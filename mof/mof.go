// Package mof holds virtbridge's CIM class definitions as MOF (DSP0221)
// files, embedded in the binary.
//
// The CIM_ classes carry the names, types, keys, value maps and method
// signatures of the DMTF CIM Schema 2.41.0 (two, the migration service and
// its capabilities, from its Experimental package) with our own short
// descriptions; the VB_ classes are the concrete subclasses the agent
// serves. mof_test.go checks the CIM_ classes against the DMTF schema.
package mof

import "embed"

// FS holds the MOF files of this package.
//
//go:embed *.mof
var FS embed.FS

// Files lists the files in FS in the order they must be compiled: each
// file uses only qualifiers and classes declared by itself or by the files
// before it.
var Files = []string{
	"qualifiers.mof",     // qualifier declarations (DSP0004)
	"core.mof",           // CIM_ManagedElement … services, capabilities, settings, jobs, generic associations
	"system.mof",         // CIM_ComputerSystem
	"device.mof",         // logical devices: processor, memory, disk, Ethernet port
	"resource.mof",       // resource allocation settings and pools
	"virtualization.mof", // virtual system settings, management, snapshots, migration
	"interop.mof",        // registered profiles, object manager, namespaces
	"event.mof",          // indications, filters, listener destinations, subscriptions
	"virtbridge.mof",     // the VB_ classes
}
