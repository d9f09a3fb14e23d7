package wsman

import (
	"testing"

	"github.com/virtbridge/virtbridge/backends/libvirt/testbed"
	"github.com/virtbridge/virtbridge/cim/server"
)

// BenchmarkEnumeratePull32K: an Enumerate, then Pulls of
// CIM_ComputerSystem on a 1,000-VM bed with MaxEnvelopeSize 32768 (about
// a dozen instances a page) until the end: the per-page cost that decides
// WS-Man throughput with small envelopes. One op is the whole walk.
func BenchmarkEnumeratePull32K(b *testing.B) {
	e := newEnv(b, testbed.Options{Domains: 1000, Seed: 1})
	size := `<wsman:MaxEnvelopeSize s:mustUnderstand="true">32768</wsman:MaxEnvelopeSize>`
	items := 0
	for b.Loop() {
		r := e.post(server.RoleOperator, req{action: actionEnumerate, resource: DMTFPrefix + "CIM_ComputerSystem", headers: size,
			body: `<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>100</wsman:MaxElements></wsen:Enumerate>`}.String())
		items = 0
		for {
			if r.status != 200 {
				b.Fatalf("HTTP %d\n%s", r.status, r.raw)
			}
			if it := find(r.root, nsWSMan, "Items"); it != nil {
				items += len(it.Kids)
			} else if it := find(r.root, nsWSEN, "Items"); it != nil {
				items += len(it.Kids)
			}
			ctx := find(r.root, nsWSEN, "EnumerationContext")
			if ctx == nil || textOf(ctx) == "" || find(r.root, nsWSMan, "EndOfSequence") != nil || find(r.root, nsWSEN, "EndOfSequence") != nil {
				break
			}
			r = e.post(server.RoleOperator, req{action: actionPull, resource: DMTFPrefix + "CIM_ComputerSystem", headers: size,
				body: `<wsen:Pull><wsen:EnumerationContext>` + textOf(ctx) + `</wsen:EnumerationContext><wsen:MaxElements>100</wsen:MaxElements></wsen:Pull>`}.String())
		}
		if items != 1001 {
			b.Fatalf("%d items, want 1001 (the host and 1,000 VMs)", items)
		}
	}
	b.ReportMetric(float64(items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
