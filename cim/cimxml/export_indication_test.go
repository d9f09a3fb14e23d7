package cimxml

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// TestExportRoundTrip: an ExportIndication request carrying an
// indication with an embedded instance decodes to the same indication;
// the listener's answer is success or its CIM error.
func TestExportRoundTrip(t *testing.T) {
	src := &cim.Instance{ClassName: "VB_ComputerSystem", Properties: []cim.PropertyValue{
		{Name: "Name", Value: cim.String("a<b>&\"c")}, {Name: "EnabledState", Value: cim.Uint16(9)}}}
	ind := &cim.Instance{ClassName: "VB_InstModification", Properties: []cim.PropertyValue{
		{Name: "IndicationIdentifier", Value: cim.String("42")},
		{Name: "SourceInstance", Value: cim.ObjectValue(src)},
		{Name: "PerceivedSeverity", Value: cim.Uint16(2)},
	}}
	var req bytes.Buffer
	if err := WriteExportIndication(&req, "42", ind); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<SIMPLEEXPREQ>", `<EXPMETHODCALL NAME="ExportIndication">`, `<EXPPARAMVALUE NAME="NewIndication">`, `EmbeddedObject="object"`} {
		if !strings.Contains(req.String(), want) {
			t.Errorf("request lacks %s:\n%s", want, req.String())
		}
	}
	got, err := DecodeExportRequest(&req)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != "42" || got.Indication.ClassName != ind.ClassName {
		t.Fatalf("decoded %q %s", got.MessageID, got.Indication.ClassName)
	}
	v, _ := got.Indication.Get("SourceInstance")
	emb, ok := v.Instance()
	if !ok || emb.ClassName != "VB_ComputerSystem" {
		t.Fatalf("SourceInstance %v", v)
	}
	if name, _ := emb.Get("Name"); name.String() != `"a<b>&\"c"` {
		t.Errorf("embedded Name %s", name)
	}

	var ok200, fail bytes.Buffer
	if err := WriteExportResponse(&ok200, "42", nil); err != nil {
		t.Fatal(err)
	}
	if err := DecodeExportResponse(&ok200); err != nil {
		t.Errorf("success answer: %v", err)
	}
	if err := WriteExportResponse(&fail, "42", Errorf(StatusFailed, "listener full")); err != nil {
		t.Fatal(err)
	}
	var ce *Error
	if err := DecodeExportResponse(&fail); !errors.As(err, &ce) || ce.Status != StatusFailed || ce.Description != "listener full" {
		t.Errorf("error answer: %v", err)
	}
	if err := DecodeExportResponse(strings.NewReader("<html>no</html>")); !errors.Is(err, ErrExportResponse) {
		t.Errorf("not CIM-XML: %v", err)
	}
}
