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
		rsp := theirs.kids[0].kids[0].kids[0] // MESSAGE, SIMPLERSP, IMETHODRESPONSE
		method, _ := rsp.attr("NAME")
		id, _ := theirs.kids[0].attr("ID")
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.StartIMethodResponse(id, method)
		e.StartReturnValue()
		d := &decoder{budget: budget{lim: DefaultLimits()}}
		for _, item := range rsp.kids[0].kids {
			switch item.name {
			case "INSTANCENAME":
				p, err := d.instanceName(item)
				if err != nil {
					t.Fatal(err)
				}
				e.WriteInstanceName(p)
			case "VALUE.NAMEDINSTANCE":
				p, err := d.instanceName(item.kids[0])
				if err != nil {
					t.Fatal(err)
				}
				inst, err := d.instance(item.kids[1])
				if err != nil {
					t.Fatal(err)
				}
				inst.Path = p
				e.WriteNamedInstance(inst, Filter{})
			default:
				t.Fatalf("unexpected %s in sfcb's answer", item.name)
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
	at += a.name
	if a.name != b.name {
		return at + ": element " + b.name + ", sfcb has " + a.name
	}
	if len(a.attrs) != len(b.attrs) {
		return at + ": attribute count differs"
	}
	for _, x := range a.attrs {
		if v, ok := b.attr(x.Name.Local); !ok || v != x.Value {
			return at + ": attribute " + x.Name.Local + "=" + v + ", sfcb has " + x.Value
		}
	}
	if strings.TrimSpace(a.text.String()) != strings.TrimSpace(b.text.String()) {
		return at + ": text differs"
	}
	if len(a.kids) != len(b.kids) {
		return at + ": child count differs"
	}
	for i := range a.kids {
		if d := compareTrees(a.kids[i], b.kids[i], at+"/"); d != "" {
			return d
		}
	}
	return ""
}
