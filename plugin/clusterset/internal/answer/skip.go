package answer

// Skip records a piece of imported data left out of the answers.
type Skip struct {
	Object  string // "ServiceImport ns/name" or "EndpointSlice ns/name"
	Version string // the object's resourceVersion
	Reason  string // one of the Skip* constants
	Detail  string // the offending value
}

// ID identifies the skip across rebuilds, so that it is logged and counted
// once per object version.
func (s Skip) ID() string {
	return s.Object + "@" + s.Version + "/" + s.Reason + "/" + s.Detail
}

// Reasons a piece of imported data is skipped; the values of the `reason`
// label of coredns_clusterset_skipped_total. The set is closed so the label
// stays bounded.
const (
	SkipInvalidIP         = "invalid_ip"          // an address that does not parse, or of the wrong family
	SkipMissingCluster    = "missing_cluster"     // an EndpointSlice without the source-cluster label
	SkipInvalidCluster    = "invalid_cluster"     // a source-cluster label that cannot be DNS labels
	SkipUnknownType       = "unknown_type"        // a ServiceImport type other than ClusterSetIP or Headless
	SkipInvalidName       = "invalid_name"        // a service or namespace name that cannot be a DNS label
	SkipInvalidHostname   = "invalid_hostname"    // an endpoint hostname that cannot be a DNS label
	SkipInvalidPort       = "invalid_port"        // a port name or protocol that cannot make an SRV name
	SkipNameTooLong       = "name_too_long"       // a name longer than 253 octets
	SkipUnsupportedFamily = "unsupported_address" // an EndpointSlice address type other than IPv4/IPv6
	SkipDisallowedIP      = "disallowed_ip"       // an address the address policy refuses (loopback, link-local, a denied CIDR...)
	SkipDeniedNamespace   = "denied_namespace"    // a ServiceImport in a namespace of deny_namespaces
	SkipTooManyAddresses  = "too_many_addresses"  // addresses past max_addresses for one name
)
