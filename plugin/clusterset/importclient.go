package clusterset

import (
	"net/http"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/importdecode"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsclientset "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
	mcsscheme "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned/scheme"
	mcsv1alpha1client "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned/typed/apis/v1alpha1"
	mcsv1beta1client "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned/typed/apis/v1beta1"
)

// importClientset is the MCS clientset of the ServiceImport informer: the
// generated group clients over REST clients whose JSON decoder reads a
// watched ServiceImport only for what the informer's transform keeps
// (package importdecode), the sync's main cost at scale otherwise. The
// generated constructors would set their own serializer, hence New over
// our REST clients.
type importClientset struct {
	discovery *discovery.DiscoveryClient
	v1alpha1  *mcsv1alpha1client.MulticlusterV1alpha1Client
	v1beta1   *mcsv1beta1client.MulticlusterV1beta1Client
}

var _ mcsclientset.Interface = (*importClientset)(nil)

func (c *importClientset) Discovery() discovery.DiscoveryInterface { return c.discovery }

func (c *importClientset) MulticlusterV1alpha1() mcsv1alpha1client.MulticlusterV1alpha1Interface {
	return c.v1alpha1
}

func (c *importClientset) MulticlusterV1beta1() mcsv1beta1client.MulticlusterV1beta1Interface {
	return c.v1beta1
}

// newImportClientset builds the clientset as the generated NewForConfig
// does, one transport and one rate limiter for both versions, with the
// fast decoder in the serializer.
func newImportClientset(cfg *rest.Config) (*importClientset, error) {
	cfg, httpClient, err := sharedTransport(cfg)
	if err != nil {
		return nil, err
	}
	beta, err := importRESTClient(cfg, httpClient, mcsv1beta1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	alpha, err := importRESTClient(cfg, httpClient, mcsv1alpha1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return &importClientset{
		discovery: dc,
		v1alpha1:  mcsv1alpha1client.New(alpha),
		v1beta1:   mcsv1beta1client.New(beta),
	}, nil
}

// importRESTClient is the REST client of one MCS group version, set up as
// the generated client's (setConfigDefaults) but for the serializer.
func importRESTClient(cfg *rest.Config, httpClient *http.Client, gv schema.GroupVersion) (*rest.RESTClient, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	standard := rest.CodecFactoryForGeneratedClient(mcsscheme.Scheme, mcsscheme.Codecs).WithoutConversion()
	c.NegotiatedSerializer = importdecode.NewNegotiatedSerializer(standard)
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientForConfigAndClient(c, httpClient)
}
