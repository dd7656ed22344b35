package answer

// Reason is why a name has no answer, when the plugin knows it: the builder
// stores it beside the records, the handler turns it into an Extended DNS
// Error (RFC 8914) with `extended_errors`. Zero means no known reason.
type Reason uint8

// The reasons; the plugin keeps their wire text and metric labels.
const (
	ReasonNone             Reason = iota // no known reason
	ReasonNotSynced                      // no snapshot yet
	ReasonNamespaceDenied                // the namespace is in deny_namespaces
	ReasonNamespaceAbsent                // the namespace does not exist here (namespace sameness)
	ReasonAddressFiltered                // the address policy refused every address
	ReasonNoReadyEndpoints               // no ready endpoint in any serving cluster
	ReasonNoIPv4                         // A asked, only IPv6 exported
	ReasonNoIPv6                         // AAAA asked, only IPv4 exported
	ReasonSlicesAbsent                   // status.endpointSliceObjects is Absent
	ReasonCount                          // how many reasons there are, for tables
)
