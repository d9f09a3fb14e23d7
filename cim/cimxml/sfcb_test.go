package cimxml

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSfcbStructure decodes sfcb's EnumerateInstanceNames and
// EnumerateInstances answers with our own decoder, re-encodes what it
// read, and compares the two documents element by element (names,
// attributes, trimmed text): we write what a mature CIMOM writes.
func TestSfcbStructure(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(referenceDir(t), "wire", "wbemcli-sfcb-exchange.log"))
	if err != nil {
		t.Fatal(err)
	}
	caps := splitCaptures(t, string(b))
	var responses int
	for _, c := range caps {
		if c.headers["cimoperation"] != "MethodResponse" {
			continue
		}
		responses++
		theirs, err := readTree(strings.NewReader(c.body), &budget{lim: DefaultLimits()})
		if err != nil {
			t.Fatal(err)
		}
		rsp := theirs.Kids[0].Kids[0].Kids[0] // MESSAGE, SIMPLERSP, IMETHODRESPONSE
		method, _ := rsp.Attr("NAME")
		id, _ := theirs.Kids[0].Attr("ID")
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.StartIMethodResponse(id, method)
		e.StartReturnValue()
		d := &decoder{budget: budget{lim: DefaultLimits()}}
		for _, item := range rsp.Kids[0].Kids {
			switch item.Name {
			case "INSTANCENAME":
				p, err := d.instanceName(item)
				if err != nil {
					t.Fatal(err)
				}
				e.WriteInstanceName(p)
			case "VALUE.NAMEDINSTANCE":
				p, err := d.instanceName(item.Kids[0])
				if err != nil {
					t.Fatal(err)
				}
				inst, err := d.instance(item.Kids[1])
				if err != nil {
					t.Fatal(err)
				}
				inst.Path = p
				e.WriteNamedInstance(inst, Filter{})
			default:
				t.Fatalf("unexpected %s in sfcb's answer", item.Name)
			}
		}
		if err := e.End(); err != nil {
			t.Fatal(err)
		}
		ours, err := readTree(&buf, &budget{lim: DefaultLimits()})
		if err != nil {
			t.Fatal(err)
		}
		if diff := compareTrees(theirs, ours, "/"); diff != "" {
			t.Errorf("%s: %s", method, diff)
		}
	}
	if responses != 2 {
		t.Errorf("compared %d sfcb responses, want 2", responses)
	}
}

func compareTrees(a, b *node, at string) string {
	at += a.Name
	if a.Name != b.Name {
		return at + ": element " + b.Name + ", sfcb has " + a.Name
	}
	if len(a.Attrs) != len(b.Attrs) {
		return at + ": attribute count differs"
	}
	for _, x := range a.Attrs {
		if v, ok := b.Attr(x.Name.Local); !ok || v != x.Value {
			return at + ": attribute " + x.Name.Local + "=" + v + ", sfcb has " + x.Value
		}
	}
	if strings.TrimSpace(a.Text.String()) != strings.TrimSpace(b.Text.String()) {
		return at + ": text differs"
	}
	if len(a.Kids) != len(b.Kids) {
		return at + ": child count differs"
	}
	for i := range a.Kids {
		if d := compareTrees(a.Kids[i], b.Kids[i], at+"/"); d != "" {
			return d
		}
	}
	return ""
}
