package cimxml

import (
	"strings"

	"github.com/virtbridge/virtbridge/cim"
)

func localNamespace(n *node) (string, error) {
	var parts []string
	for _, k := range n.Kids {
		name, ok := k.Attr("NAME")
		if k.Name != "NAMESPACE" || !ok || !cim.ValidName(name) {
			return "", notValid("LOCALNAMESPACEPATH holds %s %q, not a NAMESPACE", k.Name, name)
		}
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return "", notValid("LOCALNAMESPACEPATH without NAMESPACE")
	}
	return strings.Join(parts, "/"), nil
}

// namespacePath reads NAMESPACEPATH: HOST, LOCALNAMESPACEPATH.
func namespacePath(n *node) (host, ns string, err error) {
	if len(n.Kids) != 2 || n.Kids[0].Name != "HOST" || n.Kids[1].Name != "LOCALNAMESPACEPATH" {
		return "", "", notValid("NAMESPACEPATH must hold HOST and LOCALNAMESPACEPATH")
	}
	ns, err = localNamespace(n.Kids[1])
	return strings.TrimSpace(n.Kids[0].Text.String()), ns, err
}

func className(n *node) (string, error) {
	name, _ := n.Attr("NAME")
	if n.Name != "CLASSNAME" || !cim.ValidName(name) {
		return "", notValid("expected CLASSNAME with a class name, found %s %q", n.Name, name)
	}
	return name, nil
}

// pair checks that n holds two children of the given names.
func pair(n *node, first, second string) error {
	if len(n.Kids) != 2 || n.Kids[0].Name != first || n.Kids[1].Name != second {
		return notValid("%s must hold %s and %s", n.Name, first, second)
	}
	return nil
}

func (d *decoder) localInstancePath(n *node) (cim.ObjectPath, error) {
	if err := pair(n, "LOCALNAMESPACEPATH", "INSTANCENAME"); err != nil {
		return cim.ObjectPath{}, err
	}
	ns, err := localNamespace(n.Kids[0])
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p, err := d.instanceName(n.Kids[1])
	p.Namespace = ns
	return p, err
}

func localClassPath(n *node) (cim.ObjectPath, error) {
	if err := pair(n, "LOCALNAMESPACEPATH", "CLASSNAME"); err != nil {
		return cim.ObjectPath{}, err
	}
	ns, err := localNamespace(n.Kids[0])
	if err != nil {
		return cim.ObjectPath{}, err
	}
	c, err := className(n.Kids[1])
	return cim.ObjectPath{Namespace: ns, ClassName: c}, err
}

// reference reads the content of VALUE.REFERENCE.
func (d *decoder) reference(n *node) (cim.ObjectPath, error) {
	if len(n.Kids) != 1 {
		return cim.ObjectPath{}, notValid("VALUE.REFERENCE must hold one path")
	}
	k := n.Kids[0]
	switch k.Name {
	case "INSTANCENAME":
		return d.instanceName(k)
	case "LOCALINSTANCEPATH":
		return d.localInstancePath(k)
	case "LOCALCLASSPATH":
		return localClassPath(k)
	case "CLASSNAME":
		c, err := className(k)
		return cim.ObjectPath{ClassName: c}, err
	case "INSTANCEPATH", "CLASSPATH":
		last := "INSTANCENAME"
		if k.Name == "CLASSPATH" {
			last = "CLASSNAME"
		}
		if err := pair(k, "NAMESPACEPATH", last); err != nil {
			return cim.ObjectPath{}, err
		}
		host, ns, err := namespacePath(k.Kids[0])
		if err != nil {
			return cim.ObjectPath{}, err
		}
		var p cim.ObjectPath
		if last == "CLASSNAME" {
			p.ClassName, err = className(k.Kids[1])
		} else {
			p, err = d.instanceName(k.Kids[1])
		}
		p.Host, p.Namespace = host, ns
		return p, err
	}
	return cim.ObjectPath{}, notValid("VALUE.REFERENCE holds %s", k.Name)
}

// instanceName reads INSTANCENAME: KEYBINDING*, or a single KEYVALUE or
// VALUE.REFERENCE for a class with one unnamed key.
func (d *decoder) instanceName(n *node) (cim.ObjectPath, error) {
	cn, _ := n.Attr("CLASSNAME")
	if n.Name != "INSTANCENAME" || !cim.ValidName(cn) {
		return cim.ObjectPath{}, notValid("expected INSTANCENAME with CLASSNAME, found %s %q", n.Name, cn)
	}
	p := cim.ObjectPath{ClassName: cn}
	for _, k := range n.Kids {
		var name string
		v := k
		if k.Name == "KEYBINDING" {
			name, _ = k.Attr("NAME")
			if !cim.ValidName(name) || len(k.Kids) != 1 {
				return p, notValid("KEYBINDING %q must have a NAME and one value", name)
			}
			if _, dup := p.Key(name); dup {
				return p, notValid("key %s bound twice", name)
			}
			v = k.Kids[0]
		} else if len(n.Kids) != 1 {
			return p, notValid("INSTANCENAME holds %s among others", k.Name)
		}
		val, err := d.keyValue(v)
		if err != nil {
			return p, err
		}
		p.Keys = append(p.Keys, cim.KeyBinding{Name: name, Value: val})
	}
	return p, nil
}

func (d *decoder) keyValue(n *node) (cim.Value, error) {
	switch n.Name {
	case "VALUE.REFERENCE":
		p, err := d.reference(n)
		return cim.Ref(p), err
	case "KEYVALUE":
	default:
		return cim.Value{}, notValid("key value is %s", n.Name)
	}
	if len(n.Kids) != 0 {
		return cim.Value{}, notValid("KEYVALUE holds elements")
	}
	text := n.Text.String()
	if tn, ok := n.Attr("TYPE"); ok {
		t, ok := cim.ParseType(tn)
		if !ok || t.IsEmbedded() || t == cim.TypeReference {
			return cim.Value{}, notValid("KEYVALUE TYPE %q", tn)
		}
		return parseScalar(t, text)
	}
	vt, ok := n.Attr("VALUETYPE")
	if !ok {
		vt = "string" // the DTD default
	}
	switch vt {
	case "string":
		return cim.String(text), nil
	case "boolean":
		return parseScalar(cim.TypeBoolean, text)
	case "numeric":
		return parseNumeric(text)
	}
	return cim.Value{}, notValid("KEYVALUE VALUETYPE %q", vt)
}
