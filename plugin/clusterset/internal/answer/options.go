package answer

import "net/netip"

// Options shape the answers the builder prepares.
type Options struct {
	// TTL of every record, and the SOA minimum.
	TTL uint32
	// IgnoreEmptyService makes a ClusterSetIP service without any ready
	// endpoint NXDOMAIN instead of serving its VIP (`ignore empty_service`).
	IgnoreEmptyService bool
	// DeniedNamespaces serve nothing (`deny_namespaces`).
	DeniedNamespaces map[string]struct{}
	// Addresses decides which imported addresses may be served.
	Addresses AddressPolicy
	// MaxAddresses bounds the A plus AAAA records of one name
	// (`max_addresses`).
	MaxAddresses int

	// Locality says where this server stands and how that orders answers.
	Locality LocalityOptions
	// ScopedZone and ScopedCluster serve the `ZONE.pin._zone…` and
	// `C.pin._cluster…` names of headless services (`scoped_names`).
	ScopedZone, ScopedCluster bool
	// AnswerEndpoints serves the ready endpoint addresses of a ClusterSetIP
	// import without a VIP (`answer endpoints`).
	AnswerEndpoints bool
	// HealthProperty names the ClusterProperty listing unreachable clusters
	// (`cluster_health`); empty: every cluster is reachable.
	HealthProperty string
	// ExtendedErrors attaches RFC 8914 errors to explained negative answers
	// (`extended_errors`).
	ExtendedErrors bool
	// Rotate turns the records of each answer within their locality tiers,
	// query by query (`rotate`).
	Rotate bool
}

// LocalityOptions come from `cluster_id`, `topology` and `prefer`.
type LocalityOptions struct {
	// ClusterID is this cluster's fixed ID; ClusterIDFromProperty reads it
	// from the KEP-2149 ClusterProperty instead.
	ClusterID             string
	ClusterIDFromProperty bool
	// Zone and Region are this server's topology; ZoneFromProperty reads
	// them from ClusterProperties instead.
	Zone, Region     string
	ZoneFromProperty bool
	// Prefer orders aggregate answers; Restrict serves only their best tier.
	Prefer   PreferMode
	Restrict bool
}

// AddressPolicy is what a cluster trusts its peers to make it answer
// (`allow_addresses`, `deny_addresses`, `allow_special_addresses`). Imports
// come from other clusters: a compromised member must not make this cluster
// resolve a service to its own loopback or to the cloud metadata address.
type AddressPolicy struct {
	// Allow, when not empty, holds the only prefixes served.
	Allow []netip.Prefix
	// Deny holds prefixes never served.
	Deny []netip.Prefix
	// Special serves loopback, link-local, unspecified, multicast and
	// broadcast addresses too.
	Special bool
}

// Permits reports whether a may be served.
func (p *AddressPolicy) Permits(a netip.Addr) bool {
	if !p.Special && isSpecialAddr(a) {
		return false
	}
	for _, d := range p.Deny {
		if d.Contains(a) {
			return false
		}
	}
	if len(p.Allow) == 0 {
		return true
	}
	for _, al := range p.Allow {
		if al.Contains(a) {
			return true
		}
	}
	return false
}

// limitedBroadcast is 255.255.255.255.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// isSpecialAddr reports addresses that never name a service's backend: the
// node's own loopback, link-local (which holds 169.254.169.254, the cloud
// metadata service, and fe80::/10), the unspecified address, multicast and
// the limited broadcast.
func isSpecialAddr(a netip.Addr) bool {
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || a == limitedBroadcast
}
