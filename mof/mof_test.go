package mof

// The drift test: our CIM_ classes must match the DMTF CIM Schema 2.41.0
// reference they were written after, and our VB_ classes must hang off
// them. The reference is read in place (…/shared/reference/cim); it is not
// part of this repository.

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/virtbridge/virtbridge/internal/reference"

	"github.com/virtbridge/virtbridge/cim"
	cimmof "github.com/virtbridge/virtbridge/cim/mof"
)

const (
	ourNS = "root/virtbridge"
	refNS = "root/dmtf"
)

// notServed are the DMTF classes of the reference that we do not define.
var notServed = []string{
	"CIM_VirtualEthernetSwitchSettingData", // no virtual switches yet
}

// vbClasses are the virtbridge classes the agent serves.
var vbClasses = []string{
	"VB_ComputerSystem", "VB_VirtualSystemManagementService", "VB_VirtualSystemManagementCapabilities",
	"VB_VirtualSystemSnapshotService", "VB_VirtualSystemSnapshotServiceCapabilities",
	"VB_VirtualSystemMigrationService", "VB_EnabledLogicalElementCapabilities",
	"VB_VirtualSystemSettingData", "VB_ProcessorAllocationSettingData", "VB_MemoryAllocationSettingData",
	"VB_StorageAllocationSettingData", "VB_EthernetPortAllocationSettingData",
	"VB_Processor", "VB_Memory", "VB_LogicalDisk", "VB_EthernetPort",
	"VB_ResourcePool", "VB_AllocationCapabilities", "VB_ConcreteJob",
	"VB_HostedService", "VB_HostedDependency", "VB_ElementCapabilities", "VB_SystemDevice",
	"VB_SettingsDefineState", "VB_ElementSettingData", "VB_VirtualSystemSettingDataComponent",
	"VB_HostedResourcePool", "VB_ElementAllocatedFromPool", "VB_ResourceAllocationFromPool",
	"VB_SettingsDefineCapabilities", "VB_SnapshotOfVirtualSystem", "VB_LastAppliedSnapshot", "VB_AffectedJobElement", "VB_VirtualSystemMigrationCapabilities", "VB_VirtualSystemMigrationSettingData",
	"VB_InstCreation", "VB_InstDeletion", "VB_InstModification", "VB_AlertIndication", "VB_LostIndications",
}

func loadOurs(t *testing.T) *cim.Repository {
	t.Helper()
	repo := cim.NewRepository()
	if _, err := cimmof.Load(FS, Files, repo, ourNS); err != nil {
		t.Fatalf("loading our MOF: %v", err)
	}
	return repo
}

// TestLoad needs no reference: the embedded files compile in the order of
// Files, and Files names every embedded file.
func TestLoad(t *testing.T) {
	repo := loadOurs(t)
	names, err := fs.Glob(FS, "*.mof")
	if err != nil {
		t.Fatal(err)
	}
	listed := slices.Clone(Files)
	sort.Strings(listed)
	if !slices.Equal(names, listed) {
		t.Errorf("Files = %v, embedded MOF files = %v", Files, names)
	}
	for _, name := range vbClasses {
		if _, err := repo.Class(ourNS, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// referenceDir finds the shared reference directory (the one holding
// cim/CIM241): $VIRTBRIDGE_REFERENCE, else ../shared/reference beside the
// repository root, else /work/shared/reference.
func referenceDir() (string, bool) {
	d := reference.Find(filepath.Join("cim", "CIM241", "DMTF", "qualifiers.mof"))
	return d, d != ""
}

// loadReference compiles the DMTF subset: the two qualifier files and every
// CIM_*.mof class file (Final and Experimental), ordered by their
// dependencies with cimmof.Order. The master files cim_schema_*.mof name
// classes that are not in the subset and are left out.
func loadReference(t *testing.T, dir string) *cim.Repository {
	t.Helper()
	fsys := os.DirFS(filepath.Join(dir, "cim"))
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if !d.IsDir() && strings.HasSuffix(base, ".mof") &&
			(strings.HasPrefix(base, "CIM_") || strings.HasPrefix(base, "qualifiers")) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing the reference: %v", err)
	}
	files := make([]*cimmof.File, 0, len(names))
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := cimmof.Parse(name, src)
		if err != nil {
			t.Fatalf("parsing the reference: %v", err)
		}
		files = append(files, f)
	}
	files, err = cimmof.Order(files)
	if err != nil {
		t.Fatalf("ordering the reference: %v", err)
	}
	repo := cim.NewRepository()
	if _, err := cimmof.Compile(fsys, repo, refNS, files...); err != nil {
		t.Fatalf("compiling the reference: %v", err)
	}
	return repo
}

func classes(t *testing.T, repo *cim.Repository, ns string) []*cim.Class {
	t.Helper()
	cs, err := repo.Classes(ns)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestMatchesDMTF(t *testing.T) {
	dir, ok := referenceDir()
	if !ok {
		t.Skip("DMTF CIM 2.41 reference not found (set VIRTBRIDGE_REFERENCE to …/shared/reference)")
	}
	ref := loadReference(t, dir)
	ours := loadOurs(t)

	refByName := map[string]*cim.Class{}
	for _, c := range classes(t, ref, refNS) {
		refByName[strings.ToLower(c.Name)] = c
	}
	if len(refByName) < 80 {
		t.Fatalf("reference has %d classes; expected the 81-class DMTF subset", len(refByName))
	}
	oursByName := map[string]*cim.Class{}
	compared := 0
	for _, c := range classes(t, ours, ourNS) {
		oursByName[strings.ToLower(c.Name)] = c
		switch {
		case strings.HasPrefix(c.Name, "CIM_"):
			d := refByName[strings.ToLower(c.Name)]
			if d == nil {
				t.Errorf("%s: not a class of the DMTF reference", c.Name)
				continue
			}
			compareClass(t, c, d)
			compared++
		case strings.HasPrefix(c.Name, "VB_"):
		default:
			t.Errorf("%s: neither a DMTF (CIM_) nor a virtbridge (VB_) class", c.Name)
		}
	}
	t.Logf("compared %d classes with the DMTF reference", compared)

	// Completeness: we define every class of the reference we serve.
	for name, d := range refByName {
		if oursByName[name] == nil && !slices.Contains(notServed, d.Name) {
			t.Errorf("%s: in the DMTF reference but not defined by us (nor listed in notServed)", d.Name)
		}
	}

	// Our subclasses hang off DMTF classes (or ours), and keep their
	// superclass's kind and keys.
	for _, c := range classes(t, ours, ourNS) {
		if !strings.HasPrefix(c.Name, "VB_") {
			continue
		}
		sup := oursByName[strings.ToLower(c.SuperClass)]
		switch {
		case c.SuperClass == "" || sup == nil:
			t.Errorf("%s: superclass %q is not defined", c.Name, c.SuperClass)
			continue
		case strings.HasPrefix(sup.Name, "VB_"):
		case strings.HasPrefix(sup.Name, "CIM_") && refByName[strings.ToLower(sup.Name)] != nil:
		default:
			t.Errorf("%s: superclass %s is neither a DMTF class nor ours", c.Name, sup.Name)
		}
		if c.IsAssociation() != sup.IsAssociation() || c.IsIndication() != sup.IsIndication() {
			t.Errorf("%s: association/indication = %v/%v, superclass %s %v/%v",
				c.Name, c.IsAssociation(), c.IsIndication(), sup.Name, sup.IsAssociation(), sup.IsIndication())
		}
		if got, want := keyNames(c), keyNames(sup); !slices.Equal(got, want) {
			t.Errorf("%s: keys %v, superclass %s has %v", c.Name, got, sup.Name, want)
		}
		for _, p := range c.References() {
			sp := sup.Property(p.Name)
			if sp == nil || !ours.IsA(ourNS, p.RefClass, sp.RefClass) {
				t.Errorf("%s.%s: %s does not narrow the superclass's reference", c.Name, p.Name, p.TypeName())
			}
		}
	}

	// Polymorphism: a client asking for CIM_ComputerSystem (deep) finds ours.
	for _, tc := range []struct{ base, sub string }{
		{"CIM_ComputerSystem", "VB_ComputerSystem"},
		{"CIM_ManagedElement", "VB_ComputerSystem"},
		{"CIM_LogicalDevice", "VB_Processor"},
		{"CIM_ResourceAllocationSettingData", "VB_MemoryAllocationSettingData"},
		{"CIM_Dependency", "VB_HostedService"},
		{"CIM_Component", "VB_SystemDevice"},
		{"CIM_Indication", "VB_InstModification"},
	} {
		subs, err := ours.Subclasses(ourNS, tc.base, true)
		if err != nil {
			t.Errorf("subclasses of %s: %v", tc.base, err)
			continue
		}
		if !slices.ContainsFunc(subs, func(c *cim.Class) bool { return strings.EqualFold(c.Name, tc.sub) }) {
			t.Errorf("deep subclasses of %s do not include %s", tc.base, tc.sub)
		}
	}
}

func keyNames(c *cim.Class) []string {
	var names []string
	for _, p := range c.Keys() {
		names = append(names, strings.ToLower(p.Name))
	}
	sort.Strings(names)
	return names
}

// compareClass reports where our class c differs from the DMTF class d.
// Both are resolved, so inherited properties and methods are compared too.
func compareClass(t *testing.T, c, d *cim.Class) {
	if c.Name != d.Name {
		t.Errorf("class %s: DMTF spells it %s", c.Name, d.Name)
	}
	if !strings.EqualFold(c.SuperClass, d.SuperClass) {
		t.Errorf("%s: superclass %q, DMTF %q", c.Name, c.SuperClass, d.SuperClass)
	}
	if c.IsAssociation() != d.IsAssociation() || c.IsIndication() != d.IsIndication() || c.IsAbstract() != d.IsAbstract() {
		t.Errorf("%s: association/indication/abstract = %v/%v/%v, DMTF %v/%v/%v", c.Name,
			c.IsAssociation(), c.IsIndication(), c.IsAbstract(), d.IsAssociation(), d.IsIndication(), d.IsAbstract())
	}

	// An inherited property or method is compared in full where it is
	// defined (or overridden), and here only for presence and origin, so
	// that one drift is reported once.
	for _, dp := range d.Properties {
		cp := c.Property(dp.Name)
		if cp == nil {
			t.Errorf("%s.%s: missing (DMTF %s)", c.Name, dp.Name, dp.TypeName())
			continue
		}
		where := c.Name + "." + dp.Name
		if !strings.EqualFold(cp.ClassOrigin, dp.ClassOrigin) {
			t.Errorf("%s: defined or overridden in %s, DMTF in %s", where, cp.ClassOrigin, dp.ClassOrigin)
		}
		if cp.Propagated && dp.Propagated {
			continue
		}
		if cp.Name != dp.Name {
			t.Errorf("%s: spelt %s", where, cp.Name)
		}
		compareType(t, where, cp.DataType, dp.DataType)
		if cp.IsKey() != dp.IsKey() {
			t.Errorf("%s: key %v, DMTF %v", where, cp.IsKey(), dp.IsKey())
		}
		compareStrings(t, where+" ValueMap", cp.ValueMap(), dp.ValueMap())
		compareStrings(t, where+" Values", cp.Values(), dp.Values())
		if !(cp.Value.IsNull() && dp.Value.IsNull()) && !cp.Value.Equal(dp.Value) {
			t.Errorf("%s: default %v, DMTF %v", where, cp.Value, dp.Value)
		}
	}
	for _, cp := range c.Properties {
		if !cp.Propagated && d.Property(cp.Name) == nil {
			t.Errorf("%s.%s: not in DMTF", c.Name, cp.Name)
		}
	}

	for _, dm := range d.Methods {
		cm := c.Method(dm.Name)
		if cm == nil {
			t.Errorf("%s.%s(): missing", c.Name, dm.Name)
			continue
		}
		where := c.Name + "." + dm.Name + "()"
		if !strings.EqualFold(cm.ClassOrigin, dm.ClassOrigin) {
			t.Errorf("%s: defined or overridden in %s, DMTF in %s", where, cm.ClassOrigin, dm.ClassOrigin)
		}
		if cm.Propagated && dm.Propagated {
			continue
		}
		if cm.Name != dm.Name {
			t.Errorf("%s: spelt %s", where, cm.Name)
		}
		compareType(t, where+" return", cm.DataType, dm.DataType)
		compareStrings(t, where+" ValueMap", cm.ValueMap(), dm.ValueMap())
		if len(cm.Parameters) != len(dm.Parameters) {
			t.Errorf("%s: %d parameters, DMTF %d", where, len(cm.Parameters), len(dm.Parameters))
			continue
		}
		for i, dpar := range dm.Parameters {
			cpar := cm.Parameters[i]
			pw := where + " parameter " + dpar.Name
			if cpar.Name != dpar.Name {
				t.Errorf("%s: is %s", pw, cpar.Name)
			}
			compareType(t, pw, cpar.DataType, dpar.DataType)
			if cpar.In() != dpar.In() || cpar.Out() != dpar.Out() {
				t.Errorf("%s: In/Out %v/%v, DMTF %v/%v", pw, cpar.In(), cpar.Out(), dpar.In(), dpar.Out())
			}
		}
	}
	for _, cm := range c.Methods {
		if !cm.Propagated && d.Method(cm.Name) == nil {
			t.Errorf("%s.%s(): not in DMTF", c.Name, cm.Name)
		}
	}
}

func compareType(t *testing.T, where string, got, want cim.DataType) {
	t.Helper()
	if got.Type != want.Type || got.Array != want.Array || got.ArraySize != want.ArraySize ||
		!strings.EqualFold(got.RefClass, want.RefClass) || !strings.EqualFold(got.EmbeddedClass, want.EmbeddedClass) {
		t.Errorf("%s: type %s (embedded %q), DMTF %s (embedded %q)",
			where, got.TypeName(), got.EmbeddedClass, want.TypeName(), want.EmbeddedClass)
	}
}

func compareStrings(t *testing.T, where string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: %q, DMTF %q", where, got, want)
	}
}
