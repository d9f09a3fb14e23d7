package mof

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

// FuzzParse parses arbitrary MOF and compiles what parses into a
// repository that has the common qualifiers: neither may panic, and every
// error must carry a position.
func FuzzParse(f *testing.F) {
	for _, s := range []string{sampleMOF, testQualifiers, "class X { };", `instance of X { A = {1, "b", 'c', 1.5, true, null, $a}; };`, "/* x", "\"\\x"} {
		f.Add([]byte(s))
	}
	for _, name := range testFS() {
		f.Add(name.Data)
	}
	// A few real schema files, when the reference data is here.
	for _, name := range []string{"CIM241/DMTF/Core/CIM_EnabledLogicalElement.mof", "CIM241/DMTF/Core/CIM_VirtualSystemManagementService.mof", "CIM241/DMTF/Core/CIM_ElementSettingData.mof"} {
		if ref := os.Getenv("VIRTBRIDGE_REFERENCE"); ref != "" {
			if src, err := os.ReadFile(filepath.Join(ref, "cim", name)); err == nil {
				f.Add(src)
			}
		} else if src, err := os.ReadFile(filepath.Join("/work/shared/reference/cim", name)); err == nil {
			f.Add(src)
		}
	}
	quals, err := Parse("qualifiers.mof", []byte(testQualifiers))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.mof", src)
		if err != nil {
			checkPositioned(t, err)
			return
		}
		if _, err := Order([]*File{quals, file}); err != nil {
			t.Fatalf("Order of two files failed: %v", err)
		}
		repo := cim.NewRepository()
		if _, err := Compile(nil, repo, "root/fuzz", quals); err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(nil, repo, "root/fuzz", file); err != nil {
			checkPositioned(t, err)
		}
	})
}

func checkPositioned(t *testing.T, err error) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) || me.Pos.Line < 1 || me.Pos.Col < 1 || me.Pos.File == "" {
		t.Fatalf("error without a position: %v", err)
	}
}
