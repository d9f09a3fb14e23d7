package cimxml

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/mof"
)

// computerSystem loads CIM_ComputerSystem from the DMTF schema subset.
func computerSystem(t *testing.T) *cim.Class {
	t.Helper()
	dir := filepath.Join(referenceDir(t), "cim")
	if _, err := os.Stat(filepath.Join(dir, "CIM241")); err != nil {
		t.Skip("DMTF schema not found under the reference directory")
	}
	fsys := os.DirFS(dir)
	var files []*mof.File
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || path.Ext(p) != ".mof" || path.Base(p) == "cim_schema_2.41.0.mof" {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := mof.Parse(p, src)
		files = append(files, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ordered, err := mof.Order(files)
	if err != nil {
		t.Fatal(err)
	}
	repo := cim.NewRepository()
	if _, err := mof.Compile(fsys, repo, "root/cimv2", ordered...); err != nil {
		t.Fatal(err)
	}
	c, err := repo.Class("root/cimv2", "CIM_ComputerSystem")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncodeClassGolden(t *testing.T) {
	c := computerSystem(t)
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.StartIMethodResponse("4711", "GetClass")
	e.StartReturnValue()
	e.WriteClass(c, Filter{IncludeQualifiers: true, IncludeClassOrigin: true})
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`<CLASS NAME="CIM_ComputerSystem" SUPERCLASS="CIM_System">`,
		`<METHOD NAME="RequestStateChange" TYPE="uint32" CLASSORIGIN="CIM_EnabledLogicalElement" PROPAGATED="true">`,
		`<PARAMETER NAME="RequestedState" TYPE="uint16">`,
		`<PARAMETER.REFERENCE NAME="Job" REFERENCECLASS="CIM_ConcreteJob">`,
		`<PARAMETER NAME="TimeoutPeriod" TYPE="datetime">`,
		`<PROPERTY NAME="Name" TYPE="string" CLASSORIGIN="CIM_System" PROPAGATED="true"><QUALIFIER NAME="Key" TYPE="boolean" PROPAGATED="true" OVERRIDABLE="false"><VALUE>TRUE</VALUE></QUALIFIER>`,
		`<PROPERTY.ARRAY NAME="OperationalStatus" TYPE="uint16"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("class XML lacks %s", want)
		}
	}
	golden(t, "computer_system_class.xml", buf.Bytes())

	buf.Reset()
	e = NewEncoder(&buf)
	e.WriteClass(c, Filter{UsePropertyList: true, PropertyList: []string{"Name"}})
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "QUALIFIER") || strings.Contains(buf.String(), "CLASSORIGIN") ||
		strings.Count(buf.String(), "<PROPERTY") != 1 || !strings.Contains(buf.String(), `<METHOD NAME="RequestStateChange"`) {
		t.Errorf("filtered class: %s", buf.String())
	}
}
