package wsman

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/broker"
	"github.com/virtbridge/virtbridge/cim/xmltree"
)

// supportedDialects is the detail of FilterDialectRequestedUnavailable.
var supportedDialects = []string{dialectWQL, dialectCQL, dialectSelector, dialectAssoc}

// openFor chooses the broker operation the filter asks for (DSP0226
// §8.3, DSP0227 §8): none, WQL, CQL, SelectorFilter, or the association
// filters. class is "" for the wildcard resource URI.
func (c *call) openFor(ns, class string, sels []Selector, b *xmltree.Node, o broker.PullOptions) (opener, error) {
	if len(sels) > 0 {
		return nil, fault(faultInvalidSelectors, "UnexpectedSelectors", "Enumerate takes only the %s selector; filter instances with a SelectorFilter", namespaceSelector)
	}
	br := c.h.Broker
	o.Kind = broker.WithPath
	f := b.Kid(nsWSMan, "Filter")
	if wf := b.Kid(nsWSEN, "Filter"); wf != nil {
		if f != nil {
			return nil, fault(faultCannotProcessFilter, "", "both wsman:Filter and wsen:Filter are given")
		}
		f = wf
	}
	if f == nil {
		if class == "" {
			class = "CIM_ManagedElement" // the wildcard without a filter: everything
		}
		return func(emit func(*cim.Instance) error) (broker.Page, error) {
			return br.OpenEnumerateInstances(ns, class, o, emit)
		}, nil
	}
	dialect, _ := f.Attr("Dialect")
	switch dialect {
	case dialectWQL, dialectCQL:
		lang := "WQL"
		if dialect == dialectCQL {
			lang = "DMTF:CQL"
		}
		q := text(f)
		if q == "" {
			return nil, fault(faultCannotProcessFilter, "", "the %s filter is empty", lang)
		}
		if class != "" {
			// In the enumeration itself, not around the first page's
			// emit: every Pull is narrowed, and so is the count.
			o.Match = onlyClass(br.Repo(), ns, class)
		}
		return func(emit func(*cim.Instance) error) (broker.Page, error) {
			return br.OpenQueryInstances(ns, lang, q, o, emit)
		}, nil
	case dialectSelector:
		return c.selectorFilter(ns, class, f, o)
	case dialectAssoc:
		return c.associationFilter(ns, f, o)
	}
	var detail strings.Builder
	for _, d := range supportedDialects {
		detail.WriteString("<wsen:SupportedDialect>" + d + "</wsen:SupportedDialect>")
	}
	return nil, &Fault{kind: faultFilterDialectUnavailable, Text: "dialect " + dialect, extra: detail.String()}
}

// onlyClass keeps the query results of class: a class resource URI
// narrows a query over a wider FROM class.
func onlyClass(repo *cim.Repository, ns, class string) func(*cim.Instance) bool {
	return func(inst *cim.Instance) bool { return repo.IsA(ns, inst.ClassName, class) }
}

// selectorFilter enumerates the class keeping instances whose keys equal
// the filter's selectors (DSP0226 §8.3.2 SelectorFilter).
func (c *call) selectorFilter(ns, class string, f *xmltree.Node, o broker.PullOptions) (opener, error) {
	if class == "" {
		return nil, fault(faultCannotProcessFilter, "", "a SelectorFilter needs a class resource URI")
	}
	set := f.Kid(nsWSMan, "SelectorSet")
	if set == nil {
		return nil, fault(faultCannotProcessFilter, "", "the SelectorFilter holds no wsman:SelectorSet")
	}
	sels, err := selectors(set, 0)
	if err != nil {
		return nil, err
	}
	ns, sels = namespaceOf(sels, ns)
	c2, err := c.h.Broker.Repo().Class(ns, class)
	if err != nil {
		return nil, fault(faultDestinationUnreachable, "InvalidResourceURI", "no class %s in namespace %s", class, ns)
	}
	want := map[string]cim.Value{}
	for _, s := range sels {
		k := c2.Property(s.Name)
		if k == nil {
			return nil, fault(faultInvalidSelectors, "UnexpectedSelectors", "%s has no property %s", c2.Name, s.Name)
		}
		v, err := selectorValue(c.h.Broker.Repo(), ns, s, k)
		if err != nil {
			return nil, err
		}
		want[strings.ToLower(k.Name)] = v
	}
	o.Match = func(inst *cim.Instance) bool {
		for name, v := range want {
			got, ok := inst.Get(name)
			if !ok || !got.Equal(v) {
				if r1, ok1 := got.Ref(); ok1 {
					if r2, ok2 := v.Ref(); ok2 && samePath(r1, r2) {
						continue
					}
				}
				return false
			}
		}
		return true
	}
	return func(emit func(*cim.Instance) error) (broker.Page, error) {
		return c.h.Broker.OpenEnumerateInstances(ns, class, o, emit)
	}, nil
}

func samePath(a, b cim.ObjectPath) bool { return a.Local().Equal(b.Local()) }

// associationFilter reads wsmb:AssociatedInstances (Associators) or
// wsmb:AssociationInstances (References) (DSP0227 §8.2).
func (c *call) associationFilter(ns string, f *xmltree.Node, o broker.PullOptions) (opener, error) {
	var kind *xmltree.Node
	for _, k := range f.Kids {
		if k.Space == nsWSMB && (k.Name == "AssociatedInstances" || k.Name == "AssociationInstances") {
			kind = k
		}
	}
	if kind == nil {
		return nil, fault(faultCannotProcessFilter, "", "the association filter holds neither wsmb:AssociatedInstances nor wsmb:AssociationInstances")
	}
	obj := kind.Kid(nsWSMB, "Object")
	if obj == nil {
		return nil, fault(faultCannotProcessFilter, "", "the association filter has no wsmb:Object")
	}
	epr, err := readEPR(obj, 0)
	if err != nil {
		return nil, err
	}
	class, err := classOf(epr.ResourceURI)
	if err != nil || class == "" {
		return nil, fault(faultCannotProcessFilter, "", "wsmb:Object: resource URI %q names no class", epr.ResourceURI)
	}
	ons, sels := namespaceOf(epr.Selectors, ns)
	path, err := pathOf(c.h.Broker.Repo(), ons, class, sels)
	if err != nil {
		return nil, err
	}
	af := broker.AssocFilter{
		AssocClass:  kidText(kind, nsWSMB, "AssociationClassName"),
		ResultClass: kidText(kind, nsWSMB, "ResultClassName"),
		Role:        kidText(kind, nsWSMB, "Role"),
		ResultRole:  kidText(kind, nsWSMB, "ResultRole"),
	}
	br := c.h.Broker
	if kind.Name == "AssociationInstances" {
		return func(emit func(*cim.Instance) error) (broker.Page, error) {
			return br.OpenReferences(ons, path, af, o, emit)
		}, nil
	}
	return func(emit func(*cim.Instance) error) (broker.Page, error) {
		return br.OpenAssociators(ons, path, af, o, emit)
	}, nil
}
