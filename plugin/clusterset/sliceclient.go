package clusterset

import (
	"errors"
	"net/http"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/slicedecode"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	discoveryv1client "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// kubeClientset is the core clientset but for its discovery/v1 group,
// whose REST client's protobuf decoder reads a watched EndpointSlice only
// for what the informer's transform keeps (package slicedecode): with the
// standard decoder, filling whole EndpointSlices is the largest part of
// the sync's CPU at scale. Only the EndpointSlice informer uses that group.
type kubeClientset struct {
	kubernetes.Interface
	discoveryV1 *discoveryv1client.DiscoveryV1Client
}

func (c *kubeClientset) DiscoveryV1() discoveryv1client.DiscoveryV1Interface { return c.discoveryV1 }

// newKubeClientset builds the core clientset and the fast discovery/v1
// client over one transport and one rate limiter, as NewForConfig shares
// them among the groups.
func newKubeClientset(cfg *rest.Config) (*kubeClientset, error) {
	cfg, httpClient, err := sharedTransport(cfg)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	c := rest.CopyConfig(cfg)
	gv := discoveryv1.SchemeGroupVersion
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	standard := rest.CodecFactoryForGeneratedClient(scheme.Scheme, scheme.Codecs).WithoutConversion()
	c.NegotiatedSerializer = slicedecode.NewNegotiatedSerializer(standard)
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientForConfigAndClient(c, httpClient)
	if err != nil {
		return nil, err
	}
	return &kubeClientset{Interface: kube, discoveryV1: discoveryv1client.New(rc)}, nil
}

// errBurstNotPositive is a rate limit with no burst, which would let no
// request through.
var errBurstNotPositive = errors.New("burst must be positive when qps is set")

// sharedTransport is cfg with its rate limiter made, and the HTTP client
// for it, for clients built group by group to share as the generated
// NewForConfig shares them.
func sharedTransport(cfg *rest.Config) (*rest.Config, *http.Client, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.RateLimiter == nil && cfg.QPS > 0 {
		if cfg.Burst <= 0 {
			return nil, nil, errBurstNotPositive
		}
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, httpClient, nil
}
