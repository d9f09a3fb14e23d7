package wsman

import (
	"errors"
	"fmt"

	"github.com/virtbridge/virtbridge/cim"
)

// Fault is a SOAP fault as DSP0226 §14 defines each one: code, subcode,
// reason and detail. Its Error is the reason plus what went wrong.
type Fault struct {
	kind   faultKind
	Text   string // what exactly was wrong, added to the reason
	Detail string // a wsman:FaultDetail URI suffix, e.g. "InsufficientSelectors"
	// extra is detail XML written as is (e.g. wsen:SupportedDialect).
	extra string
	// action is the request's wsa:Action, the detail of
	// wsa:ActionNotSupported; the handler fills it in.
	action string
	// notUnderstood is the header an s:MustUnderstand fault is about,
	// named in an s:NotUnderstood header block (SOAP 1.2 §5.4.8).
	notUnderstood [2]string
	// envelope is the namespace of the envelope a VersionMismatch fault
	// answers.
	envelope string
}

func (f *Fault) Error() string {
	d := faults[f.kind]
	if f.Text == "" {
		return d.reason
	}
	return d.reason + ": " + f.Text
}

type faultKind uint8

// The faults served (DSP0226 Table 14 and the WS-* specifications).
const (
	faultAccessDenied faultKind = iota + 1
	faultActionNotSupported
	faultCannotProcessFilter
	faultDestinationUnreachable
	faultEncodingLimit
	faultFilterDialectUnavailable
	faultInternalError
	faultInvalidEnumerationContext
	faultInvalidExpirationTime
	faultInvalidParameter
	faultInvalidRepresentation
	faultInvalidSelectors
	faultMessageInformationHeaderRequired
	faultInvalidMessageInformationHeader
	faultMustUnderstand
	faultQuotaLimit
	faultSchemaValidationError
	faultTimedOut
	faultUnsupportedFeature
	faultAlreadyExists
	faultEndpointUnavailable
	faultInvalidOptions
	faultEventInvalidExpirationTime
	faultDeliveryModeUnavailable
	faultEventSourceUnableToProcess
	faultUnableToRenew
	faultInvalidBookmark
	// faultVersionMismatch is SOAP's, for an envelope of another SOAP
	// version (SOAP 1.2 §5.4.7): written in that version's form for
	// SOAP 1.1, with an s:Upgrade header.
	faultVersionMismatch
)

type faultDef struct {
	code     string // SOAP Code: Sender, Receiver, MustUnderstand
	subNS    string // Subcode namespace; "" for none
	sub      string
	action   string
	reason   string
	httpCode int
}

// faults is the table: one row per fault, as DSP0226 §14.6 lists them.
// The action of a fault follows the specification its subcode comes
// from: WS-Addressing, WS-Enumeration, WS-Transfer or WS-Management.
var faults = map[faultKind]faultDef{
	faultAccessDenied:                     {"Sender", nsWSMan, "AccessDenied", wsmanFault, "The sender was not authorized to access the resource", 500},
	faultActionNotSupported:               {"Sender", nsWSA, "ActionNotSupported", wsaFault, "The action is not supported by the service", 500},
	faultCannotProcessFilter:              {"Sender", nsWSEN, "CannotProcessFilter", wsenFault, "The requested filter could not be processed", 500},
	faultDestinationUnreachable:           {"Sender", nsWSA, "DestinationUnreachable", wsaFault, "No route can be determined to reach the destination role defined by the WS-Addressing To", 500},
	faultEncodingLimit:                    {"Sender", nsWSMan, "EncodingLimit", wsmanFault, "An internal encoding limit was exceeded in a request or would be violated if the message were processed", 500},
	faultFilterDialectUnavailable:         {"Sender", nsWSEN, "FilterDialectRequestedUnavailable", wsenFault, "The requested filtering dialect is not supported", 500},
	faultInternalError:                    {"Receiver", nsWSMan, "InternalError", wsmanFault, "The service cannot comply with the request due to internal processing errors", 500},
	faultInvalidEnumerationContext:        {"Receiver", nsWSEN, "InvalidEnumerationContext", wsenFault, "The supplied enumeration context is invalid", 500},
	faultInvalidExpirationTime:            {"Sender", nsWSEN, "InvalidExpirationTime", wsenFault, "The expiration time is not valid", 500},
	faultInvalidParameter:                 {"Sender", nsWSMan, "InvalidParameter", wsmanFault, "An operation parameter is not valid", 500},
	faultInvalidRepresentation:            {"Sender", nsWXF, "InvalidRepresentation", wxfFault, "The XML content is not valid", 500},
	faultInvalidSelectors:                 {"Sender", nsWSMan, "InvalidSelectors", wsmanFault, "The selectors for the resource are not valid", 500},
	faultMessageInformationHeaderRequired: {"Sender", nsWSA, "MessageInformationHeaderRequired", wsaFault, "A required header property is missing", 500},
	faultInvalidMessageInformationHeader:  {"Sender", nsWSA, "InvalidMessageInformationHeader", wsaFault, "A message information header is not valid and the message cannot be processed", 500},
	faultMustUnderstand:                   {"MustUnderstand", "", "", wsaFault, "A header marked mustUnderstand was not understood", 500},
	faultQuotaLimit:                       {"Sender", nsWSMan, "QuotaLimit", wsmanFault, "The service is busy servicing other requests", 500},
	faultSchemaValidationError:            {"Sender", nsWSMan, "SchemaValidationError", wsmanFault, "The supplied SOAP message violates the schema", 500},
	faultTimedOut:                         {"Receiver", nsWSMan, "TimedOut", wsmanFault, "The operation has timed out", 500},
	faultUnsupportedFeature:               {"Sender", nsWSMan, "UnsupportedFeature", wsmanFault, "The specified feature is not supported", 500},
	faultAlreadyExists:                    {"Sender", nsWSMan, "AlreadyExists", wsmanFault, "The sender attempted to create a resource which already exists", 500},
	faultEndpointUnavailable:              {"Receiver", nsWSA, "EndpointUnavailable", wsaFault, "The endpoint is not available", 500},
	faultInvalidOptions:                   {"Sender", nsWSMan, "InvalidOptions", wsmanFault, "One or more options are not valid", 500},
	faultEventInvalidExpirationTime:       {"Sender", nsWSE, "InvalidExpirationTime", wseFault, "The expiration time requested is invalid", 500},
	faultDeliveryModeUnavailable:          {"Sender", nsWSE, "DeliveryModeRequestedUnavailable", wseFault, "The requested delivery mode is not supported", 500},
	faultEventSourceUnableToProcess:       {"Receiver", nsWSE, "EventSourceUnableToProcess", wseFault, "The event source cannot process the subscription", 500},
	faultUnableToRenew:                    {"Receiver", nsWSE, "UnableToRenew", wseFault, "The subscription could not be renewed", 500},
	faultInvalidBookmark:                  {"Sender", nsWSMan, "InvalidBookmark", wsmanFault, "The bookmark supplied with the subscription is not valid", 500},
	faultVersionMismatch:                  {"VersionMismatch", "", "", "", "Version Mismatch", 500},
}

func fault(k faultKind, detail, format string, args ...any) *Fault {
	return &Fault{kind: k, Detail: detail, Text: fmt.Sprintf(format, args...)}
}

// faultFor maps a broker error onto the fault DSP0227 §? pairs with its
// CIM status.
func faultFor(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	var kind cim.ErrorKind
	if !errors.As(err, &kind) {
		return &Fault{kind: faultInternalError, Text: err.Error()}
	}
	k, detail := faultInternalError, ""
	switch kind {
	case cim.ErrAccessDenied:
		k = faultAccessDenied
	case cim.ErrInvalidNamespace:
		k, detail = faultDestinationUnreachable, "InvalidResourceURI"
	case cim.ErrInvalidClass:
		k, detail = faultDestinationUnreachable, "InvalidResourceURI"
	case cim.ErrNotFound:
		k = faultDestinationUnreachable
	case cim.ErrInvalidParameter, cim.ErrNoSuchProperty:
		k = faultInvalidParameter
	case cim.ErrNotSupported, cim.ErrMethodNotAvailable, cim.ErrMethodNotFound:
		k = faultActionNotSupported
	case cim.ErrQueryLanguage:
		k = faultFilterDialectUnavailable
	case cim.ErrInvalidQuery:
		k = faultCannotProcessFilter
	case cim.ErrInvalidEnumerationContext:
		k = faultInvalidEnumerationContext
	case cim.ErrInvalidOperationTimeout:
		k = faultInvalidExpirationTime
	case cim.ErrServerLimitsExceeded:
		k = faultQuotaLimit
	case cim.ErrAlreadyExists:
		k = faultAlreadyExists
	}
	return &Fault{kind: k, Detail: detail, Text: err.Error()}
}
