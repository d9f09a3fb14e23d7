// Package wsman serves the CIM model over WS-Management 1.2 (DSP0226)
// with the WS-CIM binding (DSP0227, DSP0230): SOAP 1.2 over HTTP(S) on
// POST /wsman, decoded into the same broker operations CIM-XML uses.
package wsman

// XML namespaces.
const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsWSA      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSEN     = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsWXF      = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMID    = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	nsWSMB     = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	nsCIM      = "http://schemas.dmtf.org/wbem/wscim/1/common"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	anonymous  = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	faultURI   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
	wsmanFault = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	wsaFault   = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
	wsenFault  = nsWSEN + "/fault"
	wxfFault   = nsWXF + "/fault"
	nsSOAP11   = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSE      = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	wseFault   = nsWSE + "/fault"
)

// Resource URI prefixes (DSP0227 §5): DMTF classes, our VB_ classes, and
// the wildcard for filtered enumerations of any class.
const (
	DMTFPrefix   = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	VendorPrefix = "http://schemas.virtbridge.dev/wbem/wscim/1/cim-schema/2/"
	AllClasses   = "http://schemas.dmtf.org/wbem/wscim/1/*"
)

// Actions.
const (
	actionGet         = nsWXF + "/Get"
	actionPut         = nsWXF + "/Put"
	actionCreate      = nsWXF + "/Create"
	actionDelete      = nsWXF + "/Delete"
	actionEnumerate   = nsWSEN + "/Enumerate"
	actionPull        = nsWSEN + "/Pull"
	actionRelease     = nsWSEN + "/Release"
	actionRenew       = nsWSEN + "/Renew"
	actionGetStatus   = nsWSEN + "/GetStatus"
	actionSubscribe   = nsWSE + "/Subscribe"
	actionEvRenew     = nsWSE + "/Renew"
	actionEvGetStatus = nsWSE + "/GetStatus"
	actionUnsubscribe = nsWSE + "/Unsubscribe"
	actionSubEnd      = nsWSE + "/SubscriptionEnd"
	responseSuffix    = "Response"
	dialectWQL        = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	dialectCQL        = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf"
	dialectSelector   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
	dialectAssoc      = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
	modeEPR           = "EnumerateEPR"
	modeObjectAndEPR  = "EnumerateObjectAndEPR"
	namespaceSelector = "__cimnamespace"
)

// WS-Eventing as DSP0226 §10 extends it: delivery modes, the actions of
// delivered messages.
const (
	deliveryPush        = nsWSE + "/DeliveryModes/Push"
	deliveryPushWithAck = "http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck"
	deliveryEvents      = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Events"
	deliveryPull        = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull"
	actionEvent         = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Event"
	actionEvents        = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Events"
	actionHeartbeat     = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Heartbeat"
	actionDropped       = "http://schemas.dmtf.org/wbem/wsman/1/wsman/DroppedEvents"
	actionAck           = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack"
)
