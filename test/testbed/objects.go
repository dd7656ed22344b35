package testbed

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// Labels MCS controllers put on the EndpointSlices they import, as the
// implementations' shapes (test/shapes) name them.
const (
	LabelServiceName   = shapes.LabelServiceName
	LabelSourceCluster = shapes.LabelSourceCluster
	LabelManagedBy     = shapes.LabelManagedBy
	// ManagedByMCS is the managed-by value of the mcs-api reference controller.
	ManagedByMCS = "mcs-controller.multicluster.x-k8s.io"
	// ManagedBySubmariner is Submariner's Lighthouse agent.
	ManagedBySubmariner = shapes.ManagedByLighthouse
)

// EnsureNamespace creates namespace name unless it exists.
func (b *Bed) EnsureNamespace(ctx context.Context, name string) error {
	_, err := b.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	return nil
}

// ApplyServiceImport creates or replaces a v1beta1 ServiceImport, spec and
// status (status is a subresource, written separately).
func (b *Bed) ApplyServiceImport(ctx context.Context, si *mcsv1beta1.ServiceImport) error {
	return applyImport(ctx, b.MCS.MulticlusterV1beta1().ServiceImports(si.Namespace), si, "ServiceImport",
		func(dst, src *mcsv1beta1.ServiceImport) { dst.Status = src.Status })
}

// ApplyServiceImportV1Alpha1 is ApplyServiceImport for the v1alpha1 API.
func (b *Bed) ApplyServiceImportV1Alpha1(ctx context.Context, si *mcsv1alpha1.ServiceImport) error {
	return applyImport(ctx, b.MCS.MulticlusterV1alpha1().ServiceImports(si.Namespace), si, "ServiceImport (v1alpha1)",
		func(dst, src *mcsv1alpha1.ServiceImport) { dst.Status = src.Status })
}

// importClient is what applyImport needs of a typed ServiceImport client;
// the v1alpha1 and v1beta1 clients differ only in their types.
type importClient[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// applyImport creates or replaces si through c, then writes its status.
func applyImport[T interface {
	metav1.Object
	runtime.Object
}](ctx context.Context, c importClient[T], si T, kind string, copyStatus func(dst, src T)) error {
	cur, err := c.Get(ctx, si.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur, err = c.Create(ctx, si, metav1.CreateOptions{})
	case err == nil:
		want := si.DeepCopyObject().(T)
		want.SetResourceVersion(cur.GetResourceVersion())
		cur, err = c.Update(ctx, want, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", kind, si.GetNamespace(), si.GetName(), err)
	}
	copyStatus(cur, si)
	if _, err := c.UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("%s %s/%s status: %w", kind, si.GetNamespace(), si.GetName(), err)
	}
	return nil
}

// DeleteServiceImport deletes a v1beta1 ServiceImport.
func (b *Bed) DeleteServiceImport(ctx context.Context, ns, name string) error {
	return b.MCS.MulticlusterV1beta1().ServiceImports(ns).Delete(ctx, name, metav1.DeleteOptions{})
}

// ServiceImport builds a v1beta1 ServiceImport with status.clusters set.
func ServiceImport(ns, name string, typ mcsv1beta1.ServiceImportType, ips []string, ports []mcsv1beta1.ServicePort, clusters ...string) *mcsv1beta1.ServiceImport {
	si := &mcsv1beta1.ServiceImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       mcsv1beta1.ServiceImportSpec{Type: typ, IPs: ips, Ports: ports},
	}
	if ports == nil {
		si.Spec.Ports = []mcsv1beta1.ServicePort{}
	}
	for _, ip := range ips {
		fam := corev1.IPv4Protocol
		if strings.Contains(ip, ":") {
			fam = corev1.IPv6Protocol
		}
		si.Spec.IPFamilies = append(si.Spec.IPFamilies, fam)
	}
	for _, c := range clusters {
		si.Status.Clusters = append(si.Status.Clusters, mcsv1beta1.ClusterStatus{Cluster: c})
	}
	return si
}

// Port is shorthand for a ServiceImport port.
func Port(name string, proto corev1.Protocol, port int32) mcsv1beta1.ServicePort {
	return mcsv1beta1.ServicePort{Name: name, Protocol: proto, Port: port}
}

// Endpoint describes one EndpointSlice endpoint.
type Endpoint struct {
	Addresses []string
	Hostname  string
	// NotReady sets conditions.ready=false; the default leaves ready unset
	// (nil means ready).
	NotReady bool
	// Ready sets conditions.ready=true explicitly.
	Ready bool
	Zone  string
}

// SlicePort is shorthand for an EndpointSlice port.
type SlicePort struct {
	Name     string
	Protocol corev1.Protocol
	Port     int32
}

// Slice describes an imported EndpointSlice.
type Slice struct {
	Namespace, Service, Cluster string
	// Name defaults to "<service>-<cluster>-<ipv4|ipv6>" (dots in the
	// cluster replaced by dashes).
	Name        string
	AddressType discoveryv1.AddressType // default IPv4
	ManagedBy   string                  // default ManagedByMCS; "-" for none
	Ports       []SlicePort
	Endpoints   []Endpoint
	// ExtraLabels are added to the standard ones.
	ExtraLabels map[string]string
	// NoClusterLabel leaves out the source-cluster label.
	NoClusterLabel bool
}

// Object returns the EndpointSlice s describes.
func (s Slice) Object() *discoveryv1.EndpointSlice {
	at := s.AddressType
	if at == "" {
		at = discoveryv1.AddressTypeIPv4
	}
	name := s.Name
	if name == "" {
		name = strings.ToLower(fmt.Sprintf("%s-%s-%s", s.Service, strings.ReplaceAll(s.Cluster, ".", "-"), at))
	}
	labels := map[string]string{LabelServiceName: s.Service}
	if !s.NoClusterLabel {
		labels[LabelSourceCluster] = s.Cluster
	}
	switch s.ManagedBy {
	case "":
		labels[LabelManagedBy] = ManagedByMCS
	case "-":
	default:
		labels[LabelManagedBy] = s.ManagedBy
	}
	for k, v := range s.ExtraLabels {
		labels[k] = v
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: s.Namespace, Name: name, Labels: labels},
		AddressType: at,
		Endpoints:   []discoveryv1.Endpoint{},
	}
	for _, p := range s.Ports {
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: ptr(p.Name), Protocol: ptr(p.Protocol), Port: ptr(p.Port)})
	}
	for _, e := range s.Endpoints {
		ep := discoveryv1.Endpoint{Addresses: e.Addresses}
		if e.Hostname != "" {
			ep.Hostname = ptr(e.Hostname)
		}
		if e.NotReady {
			ep.Conditions.Ready = ptr(false)
		} else if e.Ready {
			ep.Conditions.Ready = ptr(true)
		}
		if e.Zone != "" {
			ep.Zone = ptr(e.Zone)
		}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

// ApplyEndpointSlice creates or replaces the EndpointSlice s describes and
// returns its name.
func (b *Bed) ApplyEndpointSlice(ctx context.Context, s Slice) (string, error) {
	es := s.Object()
	return es.Name, b.ApplyEndpointSliceObject(ctx, es)
}

// ApplyEndpointSliceObject creates or replaces es.
func (b *Bed) ApplyEndpointSliceObject(ctx context.Context, es *discoveryv1.EndpointSlice) error {
	es = es.DeepCopy()
	c := b.Kube.DiscoveryV1().EndpointSlices(es.Namespace)
	cur, err := c.Get(ctx, es.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = c.Create(ctx, es, metav1.CreateOptions{})
	case err == nil:
		es.ResourceVersion = cur.ResourceVersion
		_, err = c.Update(ctx, es, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("EndpointSlice %s/%s: %w", es.Namespace, es.Name, err)
	}
	return nil
}

// DeleteEndpointSlice deletes an EndpointSlice by name.
func (b *Bed) DeleteEndpointSlice(ctx context.Context, ns, name string) error {
	return b.Kube.DiscoveryV1().EndpointSlices(ns).Delete(ctx, name, metav1.DeleteOptions{})
}

func ptr[T any](v T) *T { return &v }
