package wsman

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// enumRun is what one whole enumeration gave.
type enumRun struct {
	items     []*xmltree.Node // each item as the mode renders it
	estimates []string        // TotalItemsCountEstimate of every response
	replies   []*reply
}

// enumerate runs Enumerate (body: the content of wsen:Enumerate), then
// Pull with pullMax until the end.
func (e *env) enumerate(t testing.TB, resource string, sels []Selector, headers, body string, pullMax int) enumRun {
	t.Helper()
	var run enumRun
	r := e.op(req{action: actionEnumerate, resource: resource, selectors: sels, headers: headers, body: "<wsen:Enumerate>" + body + "</wsen:Enumerate>"}.String())
	mustOK(t, r, actionEnumerate+responseSuffix)
	run.replies = append(run.replies, r)
	run.estimates = append(run.estimates, r.headerText(nsWSMan, "TotalItemsCountEstimate"))
	resp := r.body()
	ctx := r.textAt(resp, nsWSEN, "EnumerationContext")
	if items := resp.Kid(nsWSMan, "Items"); items != nil {
		run.items = append(run.items, items.Kids...)
		if resp.Kid(nsWSMan, "EndOfSequence") != nil {
			if ctx != "" {
				t.Errorf("an optimized Enumerate that ended hands out context %q; clients such as wsl would pull on", ctx)
			}
			return run
		}
	} else if strings.Contains(body, "OptimizeEnumeration") {
		t.Fatalf("optimized Enumerate without wsman:Items:\n%s", r.raw)
	}
	if ctx == "" {
		t.Fatalf("no EnumerationContext:\n%s", r.raw)
	}
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("no end")
		}
		r := e.op(req{action: actionPull, resource: resource, headers: headers,
			body: fmt.Sprintf("<wsen:Pull><wsen:EnumerationContext>%s</wsen:EnumerationContext><wsen:MaxElements>%d</wsen:MaxElements></wsen:Pull>", ctx, pullMax)}.String())
		mustOK(t, r, actionPull+responseSuffix)
		run.replies = append(run.replies, r)
		run.estimates = append(run.estimates, r.headerText(nsWSMan, "TotalItemsCountEstimate"))
		resp := r.body()
		if items := resp.Kid(nsWSEN, "Items"); items != nil {
			run.items = append(run.items, items.Kids...)
		}
		next := r.textAt(resp, nsWSEN, "EnumerationContext")
		if resp.Kid(nsWSEN, "EndOfSequence") != nil {
			if next != "" {
				t.Errorf("EndOfSequence with a context")
			}
			return run
		}
		if next == "" {
			t.Fatalf("no context and no EndOfSequence:\n%s", r.raw)
		}
		ctx = next
	}
}

// itemName is the Name key of an item in any mode, checking instance and
// EPR agree.
func itemName(t testing.TB, item *xmltree.Node) (name, class string) {
	t.Helper()
	var inst, epr *xmltree.Node
	switch {
	case item.Is(nsWSA, "EndpointReference"):
		epr = item
	case item.Is(nsWSMan, "Item"):
		if len(item.Kids) != 2 {
			t.Fatalf("wsman:Item with %d children", len(item.Kids))
		}
		inst, epr = item.Kids[0], item.Kid(nsWSA, "EndpointReference")
	default:
		inst = item
	}
	if inst != nil {
		if inst.Space != resourceURI(inst.Name) {
			t.Errorf("%s in namespace %s", inst.Name, inst.Space)
		}
		n := inst.Kid(inst.Space, "Name")
		if n == nil {
			t.Fatalf("%s without Name", inst.Name)
		}
		name, class = text(n), inst.Name
	}
	if epr != nil {
		rp := epr.Kid(nsWSA, "ReferenceParameters")
		uri := text(rp.Kid(nsWSMan, "ResourceURI"))
		sels, err := selectors(rp.Kid(nsWSMan, "SelectorSet"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var en string
		for _, s := range sels {
			if s.Name == "Name" {
				en = s.Value
			}
		}
		if inst != nil && (en != name || uri != resourceURI(class)) {
			t.Errorf("EPR %s %s for instance %s %s", uri, en, class, name)
		}
		name, class = en, strings.TrimPrefix(strings.TrimPrefix(uri, VendorPrefix), DMTFPrefix)
	}
	return name, class
}

// names lists the Name of every item, sorted, failing on duplicates.
func names(t testing.TB, run enumRun) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, it := range run.items {
		n, class := itemName(t, it)
		if class != "VB_ComputerSystem" {
			t.Errorf("item of class %s", class)
		}
		if seen[n] {
			t.Errorf("%s twice", n)
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// systems is the host and every domain, as the inventory has them.
func (e *env) systems(keep func(*backends.Domain) bool) []string {
	snap := e.bed.Inventory.Snapshot()
	out := []string{snap.Host.Hostname}
	for _, d := range snap.Domains() {
		if keep == nil || keep(d) {
			out = append(out, d.UUID)
		}
	}
	sort.Strings(out)
	return out
}

const csURI = DMTFPrefix + "CIM_ComputerSystem"

// TestEnumerateModes: every mode, optimized or not, over CIM_ComputerSystem
// gives the host and every domain once, as VB_ComputerSystem.
func TestEnumerateModes(t *testing.T) {
	e := defaultEnv(t)
	want := e.systems(nil)
	for _, mode := range []string{"", modeEPR, modeObjectAndEPR} {
		for _, opt := range []string{"", "<wsman:OptimizeEnumeration/><wsman:MaxElements>3</wsman:MaxElements>", "<wsman:OptimizeEnumeration/>", "<wsman:OptimizeEnumeration/><wsman:MaxElements>512</wsman:MaxElements>"} {
			for _, pullMax := range []int{1, 7, 1000} {
				body := opt
				if mode != "" {
					body += "<wsman:EnumerationMode>" + mode + "</wsman:EnumerationMode>"
				}
				run := e.enumerate(t, csURI, nil, "<wsman:RequestTotalItemsCountEstimate/>", body, pullMax)
				if got := names(t, run); !slices.Equal(got, want) {
					t.Errorf("mode %q %q pull %d: %d items %v, want %d", mode, opt, pullMax, len(got), got, len(want))
				}
				for i, est := range run.estimates {
					if est != strconv.Itoa(len(want)) {
						t.Errorf("mode %q %q: response %d: TotalItemsCountEstimate %q, want %d", mode, opt, i, est, len(want))
					}
				}
				// Pull returns at most MaxElements.
				for _, r := range run.replies[1:] {
					if n := len(r.body().Kid(nsWSEN, "Items").Kids); n > pullMax {
						t.Errorf("%d items for MaxElements %d", n, pullMax)
					}
				}
				if strings.Contains(opt, ">3<") && len(run.replies[0].body().Kid(nsWSMan, "Items").Kids) != 3 {
					t.Errorf("optimized Enumerate did not give MaxElements 3 items")
				}
			}
		}
	}
	// The wildcard URI with the namespace selector, and the vendor URI.
	run := e.enumerate(t, VendorPrefix+"VB_ComputerSystem", []Selector{{Name: "__cimnamespace", Value: testNamespace}}, "", "", 5)
	if got := names(t, run); !slices.Equal(got, want) {
		t.Errorf("VB_ComputerSystem: %v", got)
	}
}

// TestEnumerateEnvelopeSize: a small MaxEnvelopeSize splits the pages;
// nothing is lost or repeated, no response is over the size.
func TestEnumerateEnvelopeSize(t *testing.T) {
	e := defaultEnv(t)
	want := e.systems(nil)
	for _, mode := range []string{"", modeObjectAndEPR, modeEPR} {
		for _, size := range []int{8192, 9000, 20000} {
			body := "<wsman:OptimizeEnumeration/><wsman:MaxElements>100</wsman:MaxElements>"
			if mode != "" {
				body += "<wsman:EnumerationMode>" + mode + "</wsman:EnumerationMode>"
			}
			hdr := fmt.Sprintf("<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">%d</wsman:MaxEnvelopeSize><wsman:RequestTotalItemsCountEstimate/>", size)
			run := e.enumerate(t, csURI, nil, hdr, body, 100)
			if got := names(t, run); !slices.Equal(got, want) {
				t.Errorf("mode %q size %d: %v", mode, size, got)
			}
			for _, r := range run.replies {
				if len(r.raw) > size {
					t.Errorf("mode %q: a %d byte response for MaxEnvelopeSize %d", mode, len(r.raw), size)
				}
			}
			if mode != modeEPR && len(run.replies) < 3 {
				t.Errorf("mode %q size %d: %d responses; the pages did not split", mode, size, len(run.replies))
			}
		}
	}
}

// TestPullMaxCharacters: Pull keeps its items within MaxCharacters; an
// item over it alone is refused and stays for the next Pull.
func TestPullMaxCharacters(t *testing.T) {
	e := defaultEnv(t)
	r := e.op(req{action: actionEnumerate, resource: csURI, body: "<wsen:Enumerate/>"}.String())
	mustOK(t, r, actionEnumerate+responseSuffix)
	ctx := r.textAt(r.body(), nsWSEN, "EnumerationContext")
	pull := func(ctx string, extra string) *reply {
		return e.op(req{action: actionPull, resource: csURI, body: "<wsen:Pull><wsen:EnumerationContext>" + ctx + "</wsen:EnumerationContext>" + extra + "</wsen:Pull>"}.String())
	}
	mustFault(t, pull(ctx, "<wsen:MaxElements>5</wsen:MaxElements><wsen:MaxCharacters>100</wsen:MaxCharacters>"), faultEncodingLimit, "")
	var got []string
	for ctx != "" {
		r := pull(ctx, "<wsen:MaxElements>50</wsen:MaxElements><wsen:MaxCharacters>6000</wsen:MaxCharacters>")
		mustOK(t, r, actionPull+responseSuffix)
		items := r.body().Kid(nsWSEN, "Items")
		size := 0
		for _, it := range items.Kids {
			n, _ := itemName(t, it)
			got = append(got, n)
		}
		raw := string(r.raw)
		size = strings.Index(raw, "</wsen:Items>") - strings.Index(raw, "<wsen:Items>") - len("<wsen:Items>")
		if size > 6000 {
			t.Errorf("%d characters of items", size)
		}
		ctx = r.textAt(r.body(), nsWSEN, "EnumerationContext")
	}
	sort.Strings(got)
	if !slices.Equal(got, e.systems(nil)) {
		t.Errorf("got %v", got)
	}
}

// TestEnumerationContexts: Release, Renew, GetStatus, contexts that are
// not open.
func TestEnumerationContexts(t *testing.T) {
	e := newEnv(t, smallBed)
	open := func(extra string) string {
		r := e.op(req{action: actionEnumerate, resource: csURI, body: "<wsen:Enumerate>" + extra + "</wsen:Enumerate>"}.String())
		mustOK(t, r, actionEnumerate+responseSuffix)
		return r.textAt(r.body(), nsWSEN, "EnumerationContext")
	}
	call := func(action, ctx, extra string) *reply {
		el := strings.TrimPrefix(action, nsWSEN+"/")
		return e.op(req{action: action, resource: csURI, body: "<wsen:" + el + "><wsen:EnumerationContext>" + ctx + "</wsen:EnumerationContext>" + extra + "</wsen:" + el + ">"}.String())
	}
	ctx := open("<wsen:Expires>PT120S</wsen:Expires>")
	r := call(actionGetStatus, ctx, "")
	mustOK(t, r, actionGetStatus+responseSuffix)
	if d, err := parseDuration(r.textAt(r.body(), nsWSEN, "Expires")); err != nil || d <= 0 || d > 120*time.Second {
		t.Errorf("GetStatus Expires %q", r.textAt(r.body(), nsWSEN, "Expires"))
	}
	r = call(actionRenew, ctx, "<wsen:Expires>PT600S</wsen:Expires>")
	mustOK(t, r, actionRenew+responseSuffix)
	if d, err := parseDuration(r.textAt(r.body(), nsWSEN, "Expires")); err != nil || d <= 120*time.Second || d > 600*time.Second {
		t.Errorf("Renew Expires %q", r.textAt(r.body(), nsWSEN, "Expires"))
	}
	if got := r.textAt(r.body(), nsWSEN, "EnumerationContext"); got != ctx {
		t.Errorf("Renew context %q, want %q", got, ctx)
	}
	mustFault(t, call(actionRenew, ctx, "<wsen:Expires>PT100000S</wsen:Expires>"), faultInvalidExpirationTime, "")
	mustFault(t, call(actionRenew, ctx, "<wsen:Expires>2001-01-01T00:00:00Z</wsen:Expires>"), faultInvalidExpirationTime, "")
	mustOK(t, call(actionRelease, ctx, ""), actionRelease+responseSuffix)
	for _, a := range []string{actionPull, actionRelease, actionRenew, actionGetStatus} {
		mustFault(t, call(a, ctx, ""), faultInvalidEnumerationContext, "")
	}
	// Contexts this service never issued.
	for _, bad := range []string{"uuid:abc", "ctx-1", "O:", "X0:abc", "O-1:abc", "O0:" + strings.Repeat("a", 100), "O99999999999999999999999:a"} {
		mustFault(t, call(actionPull, bad, ""), faultInvalidEnumerationContext, "")
	}
	// An enumeration with nothing in it: the Pull after a plain Enumerate
	// says EndOfSequence; so does one after an optimized Enumerate that did.
	sf := `<wsman:Filter Dialect="` + dialectSelector + `"><wsman:SelectorSet><wsman:Selector Name="Name">no-such</wsman:Selector></wsman:SelectorSet></wsman:Filter>`
	for _, extra := range []string{sf, sf + "<wsman:OptimizeEnumeration/>"} {
		ctx := open(extra)
		r := call(actionPull, ctx, "")
		mustOK(t, r, actionPull+responseSuffix)
		if r.body().Kid(nsWSEN, "EndOfSequence") == nil || len(r.body().Kid(nsWSEN, "Items").Kids) != 0 {
			t.Errorf("empty enumeration:\n%s", r.raw)
		}
		mustOK(t, call(actionRelease, ctx, ""), actionRelease+responseSuffix)
		mustFault(t, call(actionRenew, ctx, ""), faultInvalidEnumerationContext, "")
	}
	// Enumerate's own faults.
	for _, tc := range []struct {
		body   string
		sels   []Selector
		kind   faultKind
		detail string
	}{
		{"<wsman:EnumerationMode>EnumerateEverything</wsman:EnumerationMode>", nil, faultUnsupportedFeature, "EnumerationMode"},
		{"<wsman:OptimizeEnumeration/><wsman:MaxElements>0</wsman:MaxElements>", nil, faultInvalidParameter, ""},
		{"<wsman:OptimizeEnumeration/><wsman:MaxElements>many</wsman:MaxElements>", nil, faultInvalidParameter, ""},
		{"<wsen:Expires>PT0S</wsen:Expires>", nil, faultInvalidExpirationTime, ""},
		{"<wsen:Expires>2001-01-01T00:00:00Z</wsen:Expires>", nil, faultInvalidExpirationTime, ""},
		{"<wsen:Expires>soon</wsen:Expires>", nil, faultInvalidExpirationTime, ""},
		{"", []Selector{{Name: "Name", Value: "x"}}, faultInvalidSelectors, "UnexpectedSelectors"},
	} {
		r := e.op(req{action: actionEnumerate, resource: csURI, selectors: tc.sels, body: "<wsen:Enumerate>" + tc.body + "</wsen:Enumerate>"}.String())
		mustFault(t, r, tc.kind, tc.detail)
	}
	// A huge MaxElements is not an error: fewer is always a valid answer.
	run := e.enumerate(t, csURI, nil, "", "<wsman:OptimizeEnumeration/><wsman:MaxElements>4000000000</wsman:MaxElements>", 4000000000)
	if len(run.items) != len(e.systems(nil)) || len(run.replies) != 1 {
		t.Errorf("%d items in %d responses", len(run.items), len(run.replies))
	}
	// Bodies that are not what the action needs.
	for _, a := range []string{actionEnumerate, actionPull, actionRelease, actionRenew, actionGetStatus} {
		mustFault(t, e.op(req{action: a, resource: csURI, body: "<wsen:Other/>"}.String()), faultSchemaValidationError, "")
	}
}

func wql(q string) string {
	return `<wsman:Filter Dialect="` + dialectWQL + `">` + q + `</wsman:Filter>`
}

// TestFilters: WQL, CQL, SelectorFilter and the association filters, with
// results compared to the inventory.
func TestFilters(t *testing.T) {
	e := defaultEnv(t)
	snap := e.bed.Inventory.Snapshot()
	enabled := e.systems(func(d *backends.Domain) bool { return dsp1057(d) == 2 }) // the host is Enabled too
	if len(enabled) < 3 || len(enabled) == len(e.systems(nil)) {
		t.Fatalf("bed: %d enabled systems", len(enabled))
	}
	for _, tc := range []struct {
		resource, filter string
		sels             []Selector
		want             []string
	}{
		{csURI, wql("select * from CIM_ComputerSystem where EnabledState = 2"), nil, enabled},
		{csURI, `<wsen:Filter Dialect="` + dialectWQL + `">SELECT * FROM CIM_ComputerSystem WHERE EnabledState = 2</wsen:Filter>`, nil, enabled},
		{csURI, `<wsman:Filter Dialect="` + dialectCQL + `">select * from CIM_ComputerSystem where EnabledState = 2</wsman:Filter>`, nil, enabled},
		{AllClasses, wql("select * from CIM_ComputerSystem where EnabledState = 2"), []Selector{{Name: "__cimnamespace", Value: testNamespace}}, enabled},
		{AllClasses, wql("select * from CIM_ComputerSystem where EnabledState &lt;&gt; 2"), nil, minus(e.systems(nil), enabled)},
		{csURI, `<wsman:Filter Dialect="` + dialectSelector + `"><wsman:SelectorSet><wsman:Selector Name="Name">` + snap.Domains()[3].UUID +
			`</wsman:Selector><wsman:Selector Name="CreationClassName">VB_ComputerSystem</wsman:Selector></wsman:SelectorSet></wsman:Filter>`, nil, []string{snap.Domains()[3].UUID}},
		{csURI, `<wsman:Filter Dialect="` + dialectSelector + `"><wsman:SelectorSet><wsman:Selector Name="EnabledState">2</wsman:Selector></wsman:SelectorSet></wsman:Filter>`, nil, enabled},
	} {
		for _, opt := range []string{"", "<wsman:OptimizeEnumeration/><wsman:MaxElements>4</wsman:MaxElements>"} {
			run := e.enumerate(t, tc.resource, tc.sels, "", opt+tc.filter, 3)
			if got := names(t, run); !slices.Equal(got, tc.want) {
				t.Errorf("%s:\n got %v\nwant %v", tc.filter, got, tc.want)
			}
		}
	}
	// A WQL filter over a wider class than the resource URI's is narrowed.
	run := e.enumerate(t, VendorPrefix+"VB_ComputerSystem", nil, "", wql("select * from CIM_ManagedElement"), 100)
	if got := names(t, run); !slices.Equal(got, e.systems(nil)) {
		t.Errorf("narrowed: %v", got)
	}

	// Association filters from each VM.
	for _, d := range snap.Domains() {
		vm := `<wsmb:Object>` + eprXML(EPR{ResourceURI: csURI, Selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}) + `</wsmb:Object>`
		assoc := func(kind, extra string) string {
			return `<wsman:Filter Dialect="` + dialectAssoc + `"><wsmb:` + kind + `>` + vm + extra + `</wsmb:` + kind + `></wsman:Filter>`
		}
		cpus := e.enumerate(t, AllClasses, nil, "", assoc("AssociatedInstances", "<wsmb:AssociationClassName>CIM_SystemDevice</wsmb:AssociationClassName><wsmb:ResultClassName>CIM_Processor</wsmb:ResultClassName>"), 100)
		if len(cpus.items) != d.VCPUs || len(cpus.items) != len(d.VCPUInfo) {
			t.Errorf("%s: %d processors, the domain has %d vCPUs", d.Name, len(cpus.items), d.VCPUs)
		}
		for _, it := range cpus.items {
			if it.Name != "VB_Processor" {
				t.Errorf("%s: associated %s", d.Name, it.Name)
			}
		}
		devices := e.enumerate(t, AllClasses, nil, "", assoc("AssociatedInstances", "<wsmb:AssociationClassName>CIM_SystemDevice</wsmb:AssociationClassName>"), 100)
		refs := e.enumerate(t, AllClasses, nil, "", assoc("AssociationInstances", "<wsmb:ResultClassName>CIM_SystemDevice</wsmb:ResultClassName>"), 100)
		if len(refs.items) != len(devices.items) || len(refs.items) < d.VCPUs+len(d.Disks) {
			t.Errorf("%s: %d SystemDevice associations, %d devices, %d vCPUs %d disks", d.Name, len(refs.items), len(devices.items), d.VCPUs, len(d.Disks))
		}
		vmPath := mustGet(t, e, d.UUID).Path
		for _, it := range refs.items {
			ps := props(t, it, it.Name)
			if len(ps["GroupComponent"]) != 1 || len(ps["PartComponent"]) != 1 {
				t.Fatalf("%s: association %s", d.Name, it.Name)
			}
			checkEPR(t, it.Name+".GroupComponent", vmPath, ps["GroupComponent"][0])
		}
		// With the role that names the VM, and the one that does not.
		byRole := e.enumerate(t, AllClasses, nil, "", assoc("AssociationInstances", "<wsmb:ResultClassName>CIM_SystemDevice</wsmb:ResultClassName><wsmb:Role>GroupComponent</wsmb:Role>"), 100)
		none := e.enumerate(t, AllClasses, nil, "", assoc("AssociationInstances", "<wsmb:ResultClassName>CIM_SystemDevice</wsmb:ResultClassName><wsmb:Role>PartComponent</wsmb:Role>"), 100)
		if len(byRole.items) != len(refs.items) || len(none.items) != 0 {
			t.Errorf("%s: roles: %d and %d", d.Name, len(byRole.items), len(none.items))
		}
	}

	// Faults.
	vm := `<wsmb:Object>` + eprXML(EPR{ResourceURI: csURI, Selectors: vmSelectors(snap.Domains()[0].UUID, "VB_ComputerSystem")}) + `</wsmb:Object>`
	for _, tc := range []struct {
		resource, filter string
		kind             faultKind
		detail           string
	}{
		{csURI, wql("select from where"), faultCannotProcessFilter, ""},
		{csURI, wql(""), faultCannotProcessFilter, ""},
		{csURI, wql("select * from CIM_Nothing"), faultCannotProcessFilter, ""},
		{csURI, wql("select * from CIM_ComputerSystem") + `<wsen:Filter Dialect="` + dialectWQL + `">select * from CIM_ComputerSystem</wsen:Filter>`, faultCannotProcessFilter, ""},
		{AllClasses, `<wsman:Filter Dialect="` + dialectSelector + `"><wsman:SelectorSet><wsman:Selector Name="Name">x</wsman:Selector></wsman:SelectorSet></wsman:Filter>`, faultCannotProcessFilter, ""},
		{csURI, `<wsman:Filter Dialect="` + dialectSelector + `"><wsman:SelectorSet><wsman:Selector Name="Colour">x</wsman:Selector></wsman:SelectorSet></wsman:Filter>`, faultInvalidSelectors, "UnexpectedSelectors"},
		{AllClasses, `<wsman:Filter Dialect="` + dialectAssoc + `"><wsmb:AssociatedInstances/></wsman:Filter>`, faultCannotProcessFilter, ""},
		{AllClasses, `<wsman:Filter Dialect="` + dialectAssoc + `"/>`, faultCannotProcessFilter, ""},
		{AllClasses, `<wsman:Filter Dialect="` + dialectAssoc + `"><wsmb:AssociatedInstances>` + vm + `<wsmb:AssociationClassName>CIM_Nothing</wsmb:AssociationClassName></wsmb:AssociatedInstances></wsman:Filter>`, faultDestinationUnreachable, "InvalidResourceURI"},
	} {
		r := e.op(req{action: actionEnumerate, resource: tc.resource, body: "<wsen:Enumerate>" + tc.filter + "</wsen:Enumerate>"}.String())
		mustFault(t, r, tc.kind, tc.detail)
	}
	// An unknown dialect (and none, XPath by default) lists the supported ones.
	for _, f := range []string{`<wsman:Filter Dialect="http://www.w3.org/TR/1999/REC-xpath-19991116">/a</wsman:Filter>`, `<wsman:Filter>/a</wsman:Filter>`} {
		r := e.op(req{action: actionEnumerate, resource: csURI, body: "<wsen:Enumerate>" + f + "</wsen:Enumerate>"}.String())
		fi := mustFault(t, r, faultFilterDialectUnavailable, "")
		var got []string
		for _, d := range kids(fi.detail, nsWSEN, "SupportedDialect") {
			got = append(got, text(d))
		}
		if !slices.Equal(got, supportedDialects) {
			t.Errorf("SupportedDialect %v", got)
		}
	}
}

func brokerAssocFilter(assoc, result string) broker.AssocFilter {
	return broker.AssocFilter{AssocClass: assoc, ResultClass: result}
}

func minus(all, some []string) []string {
	var out []string
	for _, s := range all {
		if !slices.Contains(some, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestRendering: DSP0230 rendering of what the model has beyond strings
// and numbers: snapshot times (cim:Datetime), association references
// (EPRs with __cimnamespace), NULLs and arrays, against the broker and
// the inventory.
func TestRendering(t *testing.T) {
	e := defaultEnv(t)
	snap := e.bed.Inventory.Snapshot()
	created := map[string]time.Time{}
	for _, d := range snap.Domains() {
		for _, sn := range d.Snapshots {
			created[d.UUID+"/"+sn.Name] = sn.Created
		}
	}
	if len(created) == 0 {
		t.Fatal("no snapshots in the bed")
	}
	byID := map[string]*cim.Instance{}
	if err := e.br.EnumerateInstances(testNamespace, "CIM_VirtualSystemSettingData", true, func(i *cim.Instance) error {
		id, _ := i.Get("InstanceID")
		s, _ := id.Str()
		byID[s] = i
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	run := e.enumerate(t, DMTFPrefix+"CIM_VirtualSystemSettingData", nil, "", "<wsman:OptimizeEnumeration/><wsman:MaxElements>20</wsman:MaxElements>", 20)
	if len(run.items) != len(byID) {
		t.Fatalf("%d settings on the wire, %d in the broker", len(run.items), len(byID))
	}
	times := 0
	for _, it := range run.items {
		ps := props(t, it, it.Name)
		id := text(ps["InstanceID"][0])
		inst := byID[id]
		if inst == nil {
			t.Fatalf("unknown %s", id)
		}
		checkRendered(t, inst, it)
		ct := ps["CreationTime"]
		if len(ct) != 1 || isNil(ct[0]) {
			continue
		}
		dt := ct[0].Kid(nsCIM, "Datetime")
		if dt == nil {
			t.Fatalf("%s: CreationTime not a cim:Datetime", id)
		}
		ts, err := time.Parse(time.RFC3339Nano, text(dt))
		if err != nil {
			t.Fatal(err)
		}
		var want time.Time
		for k, c := range created {
			if strings.HasSuffix(id, strings.SplitN(k, "/", 2)[1]) && strings.Contains(id, strings.SplitN(k, "/", 2)[0]) {
				want = c
			}
		}
		if !ts.Equal(want.Truncate(time.Microsecond)) {
			t.Errorf("%s: CreationTime %v, snapshot created %v", id, ts, want)
		}
		times++
	}
	if times != len(created) {
		t.Errorf("%d snapshot times on the wire, %d snapshots", times, len(created))
	}
	// References, against the broker's associations.
	d := snap.Domains()[1]
	vm := mustGet(t, e, d.UUID)
	var assocs []*cim.Instance
	if err := e.br.References(testNamespace, vm.Path, brokerAssocFilter("", "CIM_SystemDevice"), func(i *cim.Instance) error {
		assocs = append(assocs, i)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f := `<wsman:Filter Dialect="` + dialectAssoc + `"><wsmb:AssociationInstances><wsmb:Object>` +
		eprXML(EPR{ResourceURI: csURI, Selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}) +
		`</wsmb:Object><wsmb:ResultClassName>CIM_SystemDevice</wsmb:ResultClassName></wsmb:AssociationInstances></wsman:Filter>`
	run = e.enumerate(t, AllClasses, nil, "", f, 100)
	if len(run.items) != len(assocs) || len(assocs) == 0 {
		t.Fatalf("%d associations, the broker has %d", len(run.items), len(assocs))
	}
	for i, it := range run.items {
		checkRendered(t, assocs[i], it)
	}
}

// TestDatetimeXML: the three forms of a CIM datetime (DSP0230 cim:cimDateTime).
func TestDatetimeXML(t *testing.T) {
	iv, err := cim.NewInterval(26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	el, s := datetimeXML(iv)
	if d, err := parseDuration(s); el != "Interval" || err != nil || d != 26*time.Hour+3*time.Minute+4*time.Second+5*time.Microsecond {
		t.Errorf("interval: %s %q", el, s)
	}
	ts, err := cim.ParseDatetime("20240229123456.123456+060")
	if err != nil {
		t.Fatal(err)
	}
	el, s = datetimeXML(ts)
	if el != "Datetime" || s != "2024-02-29T12:34:56.123456+01:00" {
		t.Errorf("timestamp: %s %q", el, s)
	}
	ts, _ = cim.ParseDatetime("20240229123456.123456+000")
	if el, s = datetimeXML(ts); el != "Datetime" || s != "2024-02-29T12:34:56.123456Z" {
		t.Errorf("UTC: %s %q", el, s)
	}
	unknown, err := cim.ParseDatetime("2024022912****.******+000")
	if err != nil {
		t.Fatal(err)
	}
	if el, s = datetimeXML(unknown); el != "CIM_DateTime" || s != "2024022912****.******+000" {
		t.Errorf("with unknown fields: %s %q", el, s)
	}
}

// TestWriteValue: embedded instances and NULL array elements.
func TestWriteValue(t *testing.T) {
	inner := &cim.Instance{ClassName: "CIM_Setting", Properties: []cim.PropertyValue{{Name: "InstanceID", Value: cim.String("a<b")}}}
	arr, _ := cim.Array(cim.TypeUint16, cim.Uint16(1), cim.Null(cim.TypeUint16), cim.Uint16(3))
	outer := &cim.Instance{ClassName: "VB_Thing", Properties: []cim.PropertyValue{
		{Name: "Embedded", Value: cim.InstanceValue(inner)},
		{Name: "Arr", Value: arr},
		{Name: "Empty", Value: cim.Strings()},
		{Name: "Nothing", Value: cim.NullArray(cim.TypeString)},
		{Name: "Flag", Value: cim.Bool(true)},
		{Name: "Real", Value: cim.Real64(1.5)},
	}}
	var w writer
	w.WriteString(`<r xmlns:xsi="` + nsXSI + `" xmlns:cim="` + nsCIM + `">`)
	w.writeInstance(outer, 0)
	w.WriteString("</r>")
	r := parseReply(t, &w)
	ps := props(t, r.root.Kids[0], "VB_Thing")
	emb := ps["Embedded"][0].Kid(DMTFPrefix+"CIM_Setting", "CIM_Setting")
	if emb == nil || text(emb.Kid(DMTFPrefix+"CIM_Setting", "InstanceID")) != "a<b" {
		t.Errorf("embedded instance:\n%s", w.Bytes())
	}
	if a := ps["Arr"]; len(a) != 3 || text(a[0]) != "1" || !isNil(a[1]) || text(a[2]) != "3" {
		t.Errorf("array:\n%s", w.Bytes())
	}
	if len(ps["Empty"]) != 0 || len(ps["Nothing"]) != 1 || !isNil(ps["Nothing"][0]) {
		t.Errorf("empty and NULL arrays:\n%s", w.Bytes())
	}
	if text(ps["Flag"][0]) != "true" || text(ps["Real"][0]) != "1.5" {
		t.Errorf("scalars:\n%s", w.Bytes())
	}
}
