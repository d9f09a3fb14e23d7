package wsman

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// messageIDs are the random parts of a response.
var messageIDs = regexp.MustCompile(`<wsa:MessageID>uuid:[0-9a-f-]{36}</wsa:MessageID>`)

// golden compares a response, its MessageID normalized, with
// testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = messageIDs.ReplaceAll(got, []byte("<wsa:MessageID>uuid:MESSAGE-ID</wsa:MessageID>"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

// TestGolden: representative responses, byte for byte: Identify, a Get
// of a VM, an optimized EPR enumeration, and faults.
func TestGolden(t *testing.T) {
	e := newEnv(t, smallBed)
	d := e.bed.Inventory.Snapshot().Domains()[0]
	golden(t, "identify.xml", e.post("", identifyEnv).raw)
	golden(t, "get_vm.xml", e.op(req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem", messageID: "f7998725-7c69-4fba-a9ae-abc2bb3875c1",
		selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}.String()).raw)
	golden(t, "enumerate_epr.xml", e.op(req{action: actionEnumerate, resource: DMTFPrefix + "CIM_ComputerSystem", headers: "<wsman:RequestTotalItemsCountEstimate/>",
		body: "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>10</wsman:MaxElements><wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode></wsen:Enumerate>"}.String()).raw)
	golden(t, "fault_invalid_selectors.xml", e.op(req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem",
		selectors: []Selector{{Name: "Name", Value: d.UUID}}}.String()).raw)
	golden(t, "fault_dialect.xml", e.op(req{action: actionEnumerate, resource: DMTFPrefix + "CIM_ComputerSystem",
		body: `<wsen:Enumerate><wsman:Filter Dialect="urn:x">x</wsman:Filter></wsen:Enumerate>`}.String()).raw)
	golden(t, "fault_must_understand.xml", e.op(req{action: actionGet, resource: DMTFPrefix + "CIM_ComputerSystem",
		headers: `<x:Unknown xmlns:x="urn:x" s:mustUnderstand="true"/>`}.String()).raw)
	golden(t, "fault_soap11.xml", e.op(`<s:Envelope xmlns:s="`+nsSOAP11+`"><s:Body/></s:Envelope>`).raw)
}
