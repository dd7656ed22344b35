package clusterset

import (
	"fmt"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	mcsclientset "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// userAgent names the plugin in the API server's audit logs and metrics,
// apart from the kubernetes plugin running in the same process.
const userAgent = "coredns-clusterset"

// restConfig builds the client configuration from the Corefile options. It
// reads files (kubeconfig, certificates) but never contacts the API server,
// so a wrong address shows up later as a watch that does not sync, not as a
// failed start.
func restConfig(opts watchOptions) (*rest.Config, error) {
	var cfg *rest.Config
	switch {
	case opts.kubeconfig != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: opts.kubeconfig}
		overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.kubecontext}
		c, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig %q: %w", opts.kubeconfig, err)
		}
		cfg = c
	case opts.endpoint != "":
		// As in the kubernetes plugin: without tls files the endpoint is
		// used as written (http, or https verified against the system
		// roots).
		cfg = &rest.Config{
			Host: opts.endpoint,
			TLSClientConfig: rest.TLSClientConfig{
				CertFile: opts.tlsCert,
				KeyFile:  opts.tlsKey,
				CAFile:   opts.tlsCA,
			},
		}
	default:
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config: %w", err)
		}
		cfg = c
	}
	if opts.qps > 0 {
		cfg.QPS = opts.qps
	}
	if opts.burst > 0 {
		cfg.Burst = opts.burst
	}
	cfg.UserAgent = userAgent
	// Responses stay gzipped where the API server compresses them
	// (client-go's default): with make bench at 100k endpoints, asking for
	// them uncompressed made the sync slower in time and in the plugin's
	// CPU, though the controller-manager does so to spare the server's.
	return cfg, nil
}

// newClients builds the clients the watcher needs: the core and MCS
// clientsets, and a dynamic client for the about.k8s.io ClusterProperties,
// which have no published Go client. Only the core client speaks protobuf,
// and decodes watched EndpointSlices its own way (sliceclient.go); custom
// resources such as ServiceImport are served as JSON only, which the MCS
// clientset decodes its own way (importclient.go). None of them contacts
// the API server here.
func newClients(opts watchOptions) (kubernetes.Interface, mcsclientset.Interface, dynamic.Interface, error) {
	cfg, err := restConfig(opts)
	if err != nil {
		return nil, nil, nil, err
	}
	kubeCfg := rest.CopyConfig(cfg)
	kubeCfg.ContentType = "application/vnd.kubernetes.protobuf"
	kubeCfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kube, err := newKubeClientset(kubeCfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	mcs, err := newImportClientset(cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("multicluster client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dynamic client: %w", err)
	}
	return kube, mcs, dyn, nil
}
