// Package cimxml is the CIM-XML codec of DSP0201: it decodes operation
// requests (DSP0200 intrinsic and extrinsic method calls) into cim types
// and streams responses to an io.Writer. It holds no HTTP or provider
// logic; DSP0200 status codes and request errors carry what the HTTP layer
// needs to answer.
package cimxml
