package xmltree

import (
	"errors"
	"strings"
	"testing"
)

var lim = Limits{MaxBytes: 1 << 16, MaxDepth: 8, MaxElements: 50}

func read(s string, namespaces bool) (*Node, error) {
	var n int
	return Read(strings.NewReader(s), lim, namespaces, &n)
}

func TestReadNamespaces(t *testing.T) {
	root, err := read(`<?xml version="1.0" encoding="utf-8"?><!-- c --><a:r xmlns:a="urn:a" xmlns="urn:d" k="v" a:k="w"><x>t1<![CDATA[<&>]]>&lt;&#65;</x><a:y/></a:r>`, true)
	if err != nil {
		t.Fatal(err)
	}
	if !root.Is("urn:a", "r") || len(root.Kids) != 2 {
		t.Fatalf("root %+v", root)
	}
	if v, ok := root.Attr("k"); !ok || v != "v" {
		t.Errorf("Attr k = %q %v", v, ok)
	}
	if v, ok := root.AttrNS("urn:a", "k"); !ok || v != "w" {
		t.Errorf("AttrNS a:k = %q %v", v, ok)
	}
	if _, ok := root.Attr("missing"); ok {
		t.Error("missing attribute found")
	}
	x := root.Kid("urn:d", "x")
	if x == nil || x.Text.String() != "t1<&><A" {
		t.Errorf("default namespace child %+v", x)
	}
	if root.Kid("urn:a", "y") == nil || root.Kid("urn:a", "x") != nil {
		t.Error("Kid by namespace")
	}
}

func TestReadRaw(t *testing.T) {
	root, err := read(`<CIM CIMVERSION="2.0"><MESSAGE ID="1"/></CIM>`, false)
	if err != nil || root.Name != "CIM" || root.Space != "" || root.Kids[0].Name != "MESSAGE" {
		t.Fatalf("%+v %v", root, err)
	}
	if _, err := read(`<a:CIM xmlns:a="urn:a"/>`, false); !errors.Is(err, ErrLimit) {
		t.Errorf("prefixed element without namespaces: %v", err)
	}
	if _, err := read(`<a><b></a></b>`, false); !errors.Is(err, ErrNotWellFormed) {
		t.Errorf("mismatched end tags, raw: %v", err)
	}
}

func TestReadRefused(t *testing.T) {
	for name, doc := range map[string]string{
		"DTD":              `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		"entity":           `<a>&x;</a>`,
		"external entity":  `<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>`,
		"two roots":        `<a/><b/>`,
		"text after root":  `<a/>x`,
		"text before root": `x<a/>`,
		"unclosed":         `<a><b>`,
		"empty":            ``,
		"only a comment":   `<!-- -->`,
		"mismatched":       `<a></b>`,
		"bad encoding":     `<?xml version="1.0" encoding="ISO-2022-JP"?><a/>`,
	} {
		for _, ns := range []bool{true, false} {
			if _, err := read(doc, ns); !errors.Is(err, ErrNotWellFormed) {
				t.Errorf("%s (namespaces %v): %v, want ErrNotWellFormed", name, ns, err)
			}
		}
	}
	// A processing instruction other than the declaration.
	if _, err := read(`<a><?php x?></a>`, true); err == nil {
		t.Error("processing instruction accepted")
	}
}

func TestReadLimits(t *testing.T) {
	deep := strings.Repeat("<a>", 9) + strings.Repeat("</a>", 9)
	if _, err := read(deep, true); !errors.Is(err, ErrLimit) || errors.Is(err, ErrTooBig) {
		t.Errorf("depth 9: %v", err)
	}
	if _, err := read(strings.Repeat("<a>", 8)+strings.Repeat("</a>", 8), true); err != nil {
		t.Errorf("depth 8: %v", err)
	}
	many := "<r>" + strings.Repeat("<a/>", 50) + "</r>"
	if _, err := read(many, true); !errors.Is(err, ErrLimit) {
		t.Errorf("51 elements: %v", err)
	}
	big := "<r>" + strings.Repeat("x", 1<<16) + "</r>"
	_, err := read(big, true)
	if !errors.Is(err, ErrLimit) || !errors.Is(err, ErrTooBig) || errors.Is(err, ErrNotWellFormed) {
		t.Errorf("too big: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrLimit {
		t.Errorf("too big: %T", err)
	}
	// The element budget is shared across documents.
	var n int
	for i := 0; i < 2; i++ {
		_, err = Read(strings.NewReader("<r>"+strings.Repeat("<a/>", 20)+"</r>"), lim, true, &n)
	}
	if err != nil || n != 42 {
		t.Errorf("two documents: %d elements, %v", n, err)
	}
	if _, err = Read(strings.NewReader("<r>"+strings.Repeat("<a/>", 20)+"</r>"), lim, true, &n); !errors.Is(err, ErrLimit) {
		t.Errorf("third document over the shared budget: %v", err)
	}
	// Exactly MaxBytes is fine.
	exact := "<r>" + strings.Repeat("x", (1<<16)-7) + "</r>"
	if len(exact) != 1<<16 {
		t.Fatal(len(exact))
	}
	if _, err := read(exact, true); err != nil {
		t.Errorf("exactly MaxBytes: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{`<a xmlns="u"><b c="d">e</b></a>`, `<?xml version="1.0"?><s:E xmlns:s="u"><s:B/></s:E>`, `<!DOCTYPE a><a/>`, `<a>&amp;&#x41;</a>`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, doc string, namespaces bool) {
		var n int
		root, err := Read(strings.NewReader(doc), lim, namespaces, &n)
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrNotWellFormed) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if root == nil || n > lim.MaxElements {
			t.Fatalf("root %v, %d elements", root, n)
		}
		var depth func(*Node) int
		depth = func(x *Node) int {
			d := 0
			for _, k := range x.Kids {
				d = max(d, depth(k))
			}
			return d + 1
		}
		if depth(root) > lim.MaxDepth {
			t.Fatalf("depth %d", depth(root))
		}
	})
}
