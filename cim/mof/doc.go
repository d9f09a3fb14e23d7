// Package mof parses the Managed Object Format of DSP0221 (the MOF of the
// CIM 2.x schemas, with the DSP0221 3.0 additions that matter) and
// compiles it into a cim.Repository.
//
// Parse turns one file into a File of declarations: pragmas, qualifier
// declarations, classes and instances. Compile adds files to a repository
// in order, following #pragma include through an fs.FS (so go:embed
// works); Load parses and compiles named files; Order sorts parsed files so
// that superclasses, referenced classes and qualifier declarations come
// before their use.
package mof
