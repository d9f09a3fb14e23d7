package wsman

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/server"
	"github.com/virtbridge/virtbridge/cim/virt"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// dsp1057 is the EnabledState a domain state maps to (DSP1057 §7.1.2 as
// cim/provider applies it: running Enabled, paused Quiesce, shut off
// Disabled, saved or suspended Enabled but Offline).
func dsp1057(d *backends.Domain) uint16 {
	switch d.State {
	case backends.StateRunning, backends.StateBlocked:
		return 2
	case backends.StatePaused:
		return 9
	case backends.StateShuttingDown:
		return 4
	case backends.StateShutOff:
		if d.ManagedSave {
			return 6
		}
		return 3
	case backends.StateCrashed:
		return 3
	case backends.StatePMSuspended:
		return 6
	}
	return 0
}

func vmSelectors(uuid, ccn string) []Selector {
	return []Selector{{Name: "Name", Value: uuid}, {Name: "CreationClassName", Value: ccn}}
}

// props indexes an instance element's property elements by name, checking
// they are in the class's namespace.
func props(t testing.TB, el *xmltree.Node, class string) map[string][]*xmltree.Node {
	t.Helper()
	if el == nil || el.Name != class || el.Space != resourceURI(class) {
		t.Fatalf("instance element %+v, want {%s}%s", el, resourceURI(class), class)
	}
	out := map[string][]*xmltree.Node{}
	for _, k := range el.Kids {
		if k.Space != el.Space {
			t.Errorf("%s.%s in namespace %s", class, k.Name, k.Space)
		}
		out[k.Name] = append(out[k.Name], k)
	}
	return out
}

func isNil(n *xmltree.Node) bool {
	v, _ := n.AttrNS(nsXSI, "nil")
	return v == "true"
}

// checkRendered checks el renders inst as DSP0230 says: every property,
// in class order; NULL as one xsi:nil element; arrays as repeated
// elements; datetimes as cim:Datetime or cim:Interval; references as EPRs
// whose selectors are the keys and the namespace.
func checkRendered(t testing.TB, inst *cim.Instance, el *xmltree.Node) {
	t.Helper()
	ps := props(t, el, inst.ClassName)
	if len(ps) != len(inst.Properties) {
		t.Errorf("%s: %d properties on the wire, %d in the instance", inst.ClassName, len(ps), len(inst.Properties))
	}
	i := 0
	for _, pv := range inst.Properties {
		els := ps[pv.Name]
		if len(els) == 0 {
			t.Errorf("%s.%s missing", inst.ClassName, pv.Name)
			continue
		}
		if el.Kids[i].Name != pv.Name {
			t.Errorf("%s: property %d is %s, want %s (class order)", inst.ClassName, i, el.Kids[i].Name, pv.Name)
		}
		i += len(els)
		v := pv.Value
		if v.IsNull() {
			if len(els) != 1 || !isNil(els[0]) || len(els[0].Kids) != 0 || text(els[0]) != "" {
				t.Errorf("%s.%s: NULL not as one xsi:nil element", inst.ClassName, pv.Name)
			}
			continue
		}
		vals := []cim.Value{v}
		if v.IsArray() {
			vals = v.Elems()
		}
		if len(els) != len(vals) {
			t.Errorf("%s.%s: %d elements for %d values", inst.ClassName, pv.Name, len(els), len(vals))
			continue
		}
		for j, x := range vals {
			checkValue(t, inst.ClassName+"."+pv.Name, x, els[j])
		}
	}
}

func checkValue(t testing.TB, what string, v cim.Value, el *xmltree.Node) {
	t.Helper()
	if isNil(el) {
		t.Errorf("%s: xsi:nil for a value", what)
	}
	switch v.Type() {
	case cim.TypeDatetime:
		d, _ := v.Datetime()
		if len(el.Kids) != 1 || el.Kids[0].Space != nsCIM {
			t.Fatalf("%s: datetime not a cim: element", what)
		}
		got := el.Kids[0]
		switch {
		case d.IsInterval():
			want, _ := d.Duration()
			dur, err := parseDuration(text(got))
			if got.Name != "Interval" || err != nil || dur != want {
				t.Errorf("%s: interval %s %q (%v, %v), want %v", what, got.Name, text(got), dur, err, want)
			}
		default:
			want, err := d.Time()
			ts, err2 := time.Parse(time.RFC3339Nano, text(got))
			if err != nil || got.Name != "Datetime" || err2 != nil || !ts.Equal(want) {
				t.Errorf("%s: %s %q, want Datetime %v (%v %v)", what, got.Name, text(got), want, err, err2)
			}
		}
	case cim.TypeReference:
		p, _ := v.Ref()
		checkEPR(t, what, p, el)
	default:
		if got := text(el); got != scalarText(v) || len(el.Kids) != 0 {
			t.Errorf("%s = %q, want %q", what, got, scalarText(v))
		}
	}
}

// checkEPR checks el holds the EPR of p: its class's resource URI, every
// key, and __cimnamespace.
func checkEPR(t testing.TB, what string, p cim.ObjectPath, el *xmltree.Node) {
	t.Helper()
	if a := el.Kid(nsWSA, "Address"); a == nil || text(a) != anonymous {
		t.Errorf("%s: EPR address", what)
	}
	rp := el.Kid(nsWSA, "ReferenceParameters")
	if rp == nil {
		t.Fatalf("%s: no ReferenceParameters", what)
	}
	if u := rp.Kid(nsWSMan, "ResourceURI"); u == nil || text(u) != resourceURI(p.ClassName) {
		t.Errorf("%s: resource URI of %s", what, p.ClassName)
	}
	sels, err := selectors(rp.Kid(nsWSMan, "SelectorSet"), 0)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ns, rest := namespaceOf(sels, "")
	if ns == "" || !strings.EqualFold(ns, p.Namespace) {
		t.Errorf("%s: __cimnamespace %q, want %q", what, ns, p.Namespace)
	}
	if len(rest) != len(p.Keys) {
		t.Errorf("%s: %d selectors for %d keys", what, len(rest), len(p.Keys))
	}
	for _, s := range rest {
		k, ok := p.Key(s.Name)
		if !ok {
			t.Errorf("%s: selector %s is no key", what, s.Name)
			continue
		}
		if r, isRef := k.Ref(); isRef {
			if s.EPR == nil {
				t.Errorf("%s: reference key %s without EPR", what, s.Name)
			}
			_ = r
			continue
		}
		if s.Value != scalarText(k) {
			t.Errorf("%s: selector %s = %q, want %q", what, s.Name, s.Value, scalarText(k))
		}
	}
}

// TestGetVM gets every domain by its selectors, through the DMTF resource
// URI and the vendor one, and compares with the inventory.
func TestGetVM(t *testing.T) {
	e := defaultEnv(t)
	snap := e.bed.Inventory.Snapshot()
	if snap.Len() != 20 {
		t.Fatalf("%d domains", snap.Len())
	}
	for _, d := range snap.Domains() {
		for _, uri := range []string{DMTFPrefix + "CIM_ComputerSystem", VendorPrefix + "VB_ComputerSystem"} {
			r := e.post(server.RoleReadOnly, req{action: actionGet, resource: uri, selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}.String())
			mustOK(t, r, actionGet+responseSuffix)
			ps := props(t, r.body(), "VB_ComputerSystem")
			one := func(name string) string {
				if len(ps[name]) != 1 {
					t.Fatalf("%s: %d %s elements", d.Name, len(ps[name]), name)
				}
				return text(ps[name][0])
			}
			if one("Name") != d.UUID || one("ElementName") != d.Name || one("CreationClassName") != "VB_ComputerSystem" {
				t.Errorf("%s: Name %q ElementName %q", d.Name, one("Name"), one("ElementName"))
			}
			if got := one("EnabledState"); got != strconv.Itoa(int(dsp1057(d))) {
				t.Errorf("%s (%s): EnabledState %s, want %d", d.Name, d.State, got, dsp1057(d))
			}
			if d.Title != "" && one("Description") != d.Title {
				t.Errorf("%s: Description %q, want %q", d.Name, one("Description"), d.Title)
			}
			// The rendering, property by property, of what the broker has.
			inst, err := e.br.GetInstance(testNamespace, cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
				{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(d.UUID)}}})
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, inst, r.body())
		}
	}
}

// TestGetFaults: selectors that are missing, unknown or of the wrong type,
// resources that do not exist.
func TestGetFaults(t *testing.T) {
	e := newEnv(t, smallBed)
	d := e.bed.Inventory.Snapshot().Domains()[0]
	cs := DMTFPrefix + "CIM_ComputerSystem"
	vmRef := &EPR{ResourceURI: VendorPrefix + "VB_ComputerSystem", Selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}
	for _, tc := range []struct {
		name     string
		resource string
		sels     []Selector
		kind     faultKind
		detail   string
	}{
		{"missing key", cs, []Selector{{Name: "Name", Value: d.UUID}}, faultInvalidSelectors, "InsufficientSelectors"},
		{"no selectors", cs, nil, faultInvalidSelectors, "InsufficientSelectors"},
		{"unknown selector", cs, append(vmSelectors(d.UUID, "VB_ComputerSystem"), Selector{Name: "Colour", Value: "red"}), faultInvalidSelectors, "UnexpectedSelectors"},
		{"not a key", cs, append(vmSelectors(d.UUID, "VB_ComputerSystem"), Selector{Name: "ElementName", Value: d.Name}), faultInvalidSelectors, "UnexpectedSelectors"},
		{"EPR for a string", cs, []Selector{{Name: "Name", EPR: vmRef}, {Name: "CreationClassName", Value: "VB_ComputerSystem"}}, faultInvalidSelectors, "TypeMismatch"},
		{"text for a reference", VendorPrefix + "VB_SystemDevice", []Selector{{Name: "GroupComponent", Value: d.UUID}, {Name: "PartComponent", EPR: vmRef}}, faultInvalidSelectors, "TypeMismatch"},
		{"no such VM", cs, vmSelectors("00000000-0000-0000-0000-000000000000", "VB_ComputerSystem"), faultDestinationUnreachable, ""},
		{"no such class", DMTFPrefix + "CIM_Nothing", vmSelectors(d.UUID, "VB_ComputerSystem"), faultDestinationUnreachable, "InvalidResourceURI"},
		{"foreign URI", "http://example.com/thing", vmSelectors(d.UUID, "VB_ComputerSystem"), faultDestinationUnreachable, "InvalidResourceURI"},
		{"no URI", "", vmSelectors(d.UUID, "VB_ComputerSystem"), faultDestinationUnreachable, "InvalidResourceURI"},
		{"wildcard URI", AllClasses, vmSelectors(d.UUID, "VB_ComputerSystem"), faultDestinationUnreachable, "InvalidResourceURI"},
		{"no such namespace", cs, append(vmSelectors(d.UUID, "VB_ComputerSystem"), Selector{Name: "__cimnamespace", Value: "root/nowhere"}), faultDestinationUnreachable, "InvalidResourceURI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustFault(t, e.op(req{action: actionGet, resource: tc.resource, selectors: tc.sels}.String()), tc.kind, tc.detail)
		})
	}
}

// TestGetInterop: __cimnamespace reaches the interop namespace, where the
// registered profiles are.
func TestGetInterop(t *testing.T) {
	e := newEnv(t, smallBed)
	var profiles []*cim.Instance
	if err := e.br.EnumerateInstances(virt.Interop, "CIM_RegisteredProfile", true, func(i *cim.Instance) error {
		profiles = append(profiles, i)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(profiles) == 0 {
		t.Fatal("no registered profiles")
	}
	for _, p := range profiles {
		id, _ := p.Get("InstanceID")
		idText, _ := id.Str()
		r := e.post(server.RoleReadOnly, req{action: actionGet, resource: DMTFPrefix + "CIM_RegisteredProfile",
			selectors: []Selector{{Name: "InstanceID", Value: idText}, {Name: "__cimnamespace", Value: virt.Interop}}}.String())
		mustOK(t, r, actionGet+responseSuffix)
		checkRendered(t, p, r.body())
		name, _ := p.Get("RegisteredName")
		if ps := props(t, r.body(), p.ClassName); text(ps["RegisteredName"][0]) != scalarText(name) {
			t.Errorf("RegisteredName %q", text(ps["RegisteredName"][0]))
		}
		// Not in the implementation namespace.
		mustFault(t, e.op(req{action: actionGet, resource: DMTFPrefix + "CIM_RegisteredProfile",
			selectors: []Selector{{Name: "InstanceID", Value: idText}}}.String()), faultDestinationUnreachable, "")
	}
}

// TestPut: an unchanged representation is accepted, a change the model
// cannot make is refused, a wrong body is InvalidRepresentation.
func TestPut(t *testing.T) {
	e := newEnv(t, smallBed)
	var running *backends.Domain
	for _, d := range e.bed.Inventory.Snapshot().Domains() {
		if d.State == backends.StateRunning {
			running = d
		}
	}
	if running == nil {
		t.Fatal("no running domain")
	}
	sels := vmSelectors(running.UUID, "VB_ComputerSystem")
	get := e.op(req{action: actionGet, resource: VendorPrefix + "VB_ComputerSystem", selectors: sels}.String())
	mustOK(t, get, actionGet+responseSuffix)
	body := string(get.raw[strings.Index(string(get.raw), "<p:VB_ComputerSystem"):strings.Index(string(get.raw), "</s:Body>")])
	put := func(role server.Role, body string) *reply {
		return e.post(role, req{action: actionPut, resource: VendorPrefix + "VB_ComputerSystem", selectors: sels, body: body}.String())
	}
	body = strings.Replace(body, "<p:VB_ComputerSystem ", `<p:VB_ComputerSystem xmlns:xsi="`+nsXSI+`" `, 1)
	r := put(server.RoleOperator, body)
	mustOK(t, r, actionPut+responseSuffix)
	checkRendered(t, mustGet(t, e, running.UUID), r.body())

	mustFault(t, put(server.RoleReadOnly, body), faultAccessDenied, "")
	renamed := strings.Replace(body, "<p:ElementName>"+running.Name+"<", "<p:ElementName>"+running.Name+"-new<", 1)
	if renamed == body {
		t.Fatal("no ElementName in the body")
	}
	if f, ok := put(server.RoleOperator, renamed).fault(); !ok {
		t.Errorf("renaming a running domain was accepted")
	} else if f.subcode[1] == "" {
		t.Errorf("fault without subcode")
	}
	if got, _ := e.bed.Inventory.Snapshot().Domain(running.UUID); got.Name != running.Name {
		t.Errorf("renamed to %q", got.Name)
	}
	// What Put never writes must come back as it was.
	for what, changed := range map[string]string{
		"an array element": strings.Replace(body, "<p:OperationalStatus>2<", "<p:OperationalStatus>6<", 1),
		"NULL for a value": strings.Replace(body, "<p:ElementName>"+running.Name+"</p:ElementName>", `<p:ElementName xsi:nil="true"/>`, 1),
	} {
		if changed == body {
			t.Fatalf("%s: the body did not change", what)
		}
		mustFault(t, put(server.RoleOperator, changed), faultInvalidRepresentation, "InvalidValues")
	}
	mustFault(t, put(server.RoleOperator, ""), faultInvalidRepresentation, "")
	mustFault(t, put(server.RoleOperator, `<p:VB_Other xmlns:p="`+VendorPrefix+`VB_Other"/>`), faultInvalidRepresentation, "")
	mustFault(t, put(server.RoleOperator, `<p:VB_ComputerSystem xmlns:p="`+VendorPrefix+`VB_ComputerSystem"><p:Colour>red</p:Colour></p:VB_ComputerSystem>`), faultInvalidRepresentation, "")
}

func mustGet(t testing.TB, e *env, uuid string) *cim.Instance {
	t.Helper()
	inst, err := e.br.GetInstance(testNamespace, cim.ObjectPath{ClassName: "VB_ComputerSystem", Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String("VB_ComputerSystem")}, {Name: "Name", Value: cim.String(uuid)}}})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestInvoke: RequestStateChange reaches the broker for operators only.
func TestInvoke(t *testing.T) {
	e := newEnv(t, smallBed)
	d := e.bed.Inventory.Snapshot().Domains()[0]
	q := req{action: DMTFPrefix + "CIM_ComputerSystem/RequestStateChange", resource: DMTFPrefix + "CIM_ComputerSystem",
		selectors: vmSelectors(d.UUID, "VB_ComputerSystem"),
		body:      `<p:RequestStateChange_INPUT xmlns:p="` + DMTFPrefix + `CIM_ComputerSystem"><p:RequestedState>` + strconv.Itoa(int(dsp1057(d))) + `</p:RequestedState></p:RequestStateChange_INPUT>`}
	mustFault(t, e.post(server.RoleReadOnly, q.String()), faultAccessDenied, "")
	r := e.op(q.String())
	if f, ok := r.fault(); ok {
		// Until the write side implements it.
		mustFault(t, r, faultActionNotSupported, "")
		if a := f.detail.Kid(nsWSA, "Action"); a == nil || text(a) != q.action {
			t.Errorf("detail:\n%s", r.raw)
		}
	} else {
		mustOK(t, r, q.action+responseSuffix)
		if b := r.body(); b == nil || b.Name != "RequestStateChange_OUTPUT" || b.Kid(b.Space, "ReturnValue") == nil {
			t.Errorf("output:\n%s", r.raw)
		}
	}
	// No such method; a body that is not the input; a wildcard URI.
	bad := q
	bad.action = DMTFPrefix + "CIM_ComputerSystem/Explode"
	bad.body = `<p:Explode_INPUT xmlns:p="` + DMTFPrefix + `CIM_ComputerSystem"/>`
	mustFault(t, e.op(bad.String()), faultActionNotSupported, "")
	bad = q
	bad.body = `<p:Other xmlns:p="` + DMTFPrefix + `CIM_ComputerSystem"/>`
	mustFault(t, e.op(bad.String()), faultInvalidParameter, "")
	// Create and Delete: not for these resources (DSP0226 §7: ActionNotSupported).
	for _, a := range []string{actionCreate, actionDelete} {
		r := e.op(req{action: a, resource: DMTFPrefix + "CIM_ComputerSystem", selectors: vmSelectors(d.UUID, "VB_ComputerSystem")}.String())
		mustFault(t, r, faultActionNotSupported, "ActionMismatch")
		mustFault(t, e.post(server.RoleReadOnly, req{action: a, resource: DMTFPrefix + "CIM_ComputerSystem"}.String()), faultAccessDenied, "")
	}
}
