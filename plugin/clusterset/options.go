package clusterset

import (
	"net/netip"
	"time"
)

// Defaults for the Corefile options.
const (
	defaultTTL = 5
	maxTTL     = 3600
	// defaultStartupTimeout holds nothing: the server listens at once and
	// answers SERVFAIL until the first sync, which a client takes as "try
	// another server"; a listener held back makes it wait out a timeout
	// instead (README, Startup).
	defaultStartupTimeout = 0 * time.Second
	defaultQPS            = 50
	defaultBurst          = 100
	// defaultMaxAddresses bounds the addresses of one name: room for 1000
	// dual-stack endpoints, far below what would let one hostile import
	// crowd a server's memory.
	defaultMaxAddresses = 2000
)

// defaultDeniedNamespaces are never served: an import into them would put
// names beside the cluster's own control plane.
var defaultDeniedNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// watchOptions says how to reach the API server and what to watch. setup
// fills it from the Corefile without any I/O; the watch side uses it in
// OnStartup.
type watchOptions struct {
	// kubeconfig and kubecontext come from `kubeconfig KUBECONFIG [CONTEXT]`.
	kubeconfig  string
	kubecontext string
	// endpoint is `endpoint URL`.
	endpoint string
	// tlsCert, tlsKey and tlsCA come from `tls CERT KEY CACERT`.
	tlsCert, tlsKey, tlsCA string
	// qps and burst limit the client (`apiserver_qps`, `apiserver_burst`).
	qps   float32
	burst int
	// namespaces, when not empty, is the set of namespaces served
	// (`namespaces NAMESPACE...`); other namespaces serve nothing.
	namespaces map[string]struct{}
	// namespaceLabels is a label selector (`namespace_labels EXPRESSION`),
	// already validated by setup: only namespaces matching it serve.
	namespaceLabels string
	// excludedNamespaces are never watched (`exclude_namespaces`): the
	// namespaces an implementation keeps its own ServiceImports in, which
	// are no services. Sorted, so that equal options compare equal.
	excludedNamespaces []string
	// importLabels is a label selector (`import_labels EXPRESSION`), already
	// validated by setup: only ServiceImports matching it are watched, so
	// that an implementation's bookkeeping imports never reach the cache.
	importLabels string
	// noEndpoints turns off the EndpointSlice watch (`noendpoints`).
	noEndpoints bool
	// clusterProperties turns on the ClusterProperty watch (about.k8s.io,
	// KEP-2149): `cluster_id` without a value, `topology` without a value,
	// or `cluster_health`.
	clusterProperties bool
}

// answerOptions shape the answers the builder prepares.
type answerOptions struct {
	// ttl of every record, and the SOA minimum.
	ttl uint32
	// ignoreEmptyService makes a ClusterSetIP service without any ready
	// endpoint NXDOMAIN instead of serving its VIP (`ignore empty_service`).
	ignoreEmptyService bool
	// deniedNamespaces serve nothing (`deny_namespaces`).
	deniedNamespaces map[string]struct{}
	// addresses decides which imported addresses may be served.
	addresses addressPolicy
	// maxAddresses bounds the A plus AAAA records of one name
	// (`max_addresses`).
	maxAddresses int

	// locality says where this server stands and how that orders answers.
	locality localityOptions
	// scopedZone and scopedCluster serve the `ZONE.pin._zone…` and
	// `C.pin._cluster…` names of headless services (`scoped_names`).
	scopedZone, scopedCluster bool
	// answerEndpoints serves the ready endpoint addresses of a ClusterSetIP
	// import without a VIP (`answer endpoints`).
	answerEndpoints bool
	// healthProperty names the ClusterProperty listing unreachable clusters
	// (`cluster_health`); empty: every cluster is reachable.
	healthProperty string
	// extendedErrors attaches RFC 8914 errors to explained negative answers
	// (`extended_errors`).
	extendedErrors bool
	// rotate turns the records of each answer within their locality tiers,
	// query by query (`rotate`).
	rotate bool
}

// localityOptions come from `cluster_id`, `topology` and `prefer`.
type localityOptions struct {
	// clusterID is this cluster's fixed ID; clusterIDFromProperty reads it
	// from the KEP-2149 ClusterProperty instead.
	clusterID             string
	clusterIDFromProperty bool
	// zone and region are this server's topology; zoneFromProperty reads
	// them from ClusterProperties instead.
	zone, region     string
	zoneFromProperty bool
	// prefer orders aggregate answers; restrict serves only their best tier.
	prefer   preferMode
	restrict bool
}

// addressPolicy is what a cluster trusts its peers to make it answer
// (`allow_addresses`, `deny_addresses`, `allow_special_addresses`). Imports
// come from other clusters: a compromised member must not make this cluster
// resolve a service to its own loopback or to the cloud metadata address.
type addressPolicy struct {
	// allow, when not empty, holds the only prefixes served.
	allow []netip.Prefix
	// deny holds prefixes never served.
	deny []netip.Prefix
	// special serves loopback, link-local, unspecified, multicast and
	// broadcast addresses too.
	special bool
}

// permits reports whether a may be served.
func (p *addressPolicy) permits(a netip.Addr) bool {
	if !p.special && isSpecialAddr(a) {
		return false
	}
	for _, d := range p.deny {
		if d.Contains(a) {
			return false
		}
	}
	if len(p.allow) == 0 {
		return true
	}
	for _, al := range p.allow {
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
