package answer

// Reason is why a name has no answer, when the plugin knows it: the builder
// stores it beside the records, the handler turns it into an Extended DNS
// Error (RFC 8914) with `extended_errors`. Zero means no known reason.
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonNotSynced
	ReasonNamespaceDenied
	ReasonNamespaceAbsent
	ReasonAddressFiltered
	ReasonNoReadyEndpoints
	ReasonNoIPv4
	ReasonNoIPv6
	ReasonSlicesAbsent
	ReasonCount
)
