package clusterset

import "time"

// Defaults for the Corefile options.
const (
	defaultTTL            = 5
	maxTTL                = 3600
	defaultStartupTimeout = 5 * time.Second
	defaultQPS            = 50
	defaultBurst          = 100
)

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
	// noEndpoints turns off the EndpointSlice watch (`noendpoints`).
	noEndpoints bool
}

// answerOptions shape the answers the builder prepares.
type answerOptions struct {
	// ttl of every record, and the SOA minimum.
	ttl uint32
	// ignoreEmptyService makes a ClusterSetIP service without any ready
	// endpoint NXDOMAIN instead of serving its VIP (`ignore empty_service`).
	ignoreEmptyService bool
}
