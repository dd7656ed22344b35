package clusterset

import (
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
