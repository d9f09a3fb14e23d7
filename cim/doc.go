// Package cim is the CIM object model of DSP0004: typed values, datetimes,
// object paths, qualifiers, classes with their properties and methods,
// instances, and a Repository that resolves inheritance between classes.
//
// Names of CIM elements (classes, properties, methods, parameters,
// qualifiers, namespaces) are case-insensitive: every lookup here folds case,
// while the spelling of the definition is kept for output.
//
// The package parses nothing but datetimes and object paths; MOF lives in
// cim/mof.
package cim
