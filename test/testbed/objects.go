package testbed

import (
	"context"
	"fmt"

	"github.com/clusterset-dns/clusterset/test/fixtures"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// EnsureNamespace creates namespace name unless it exists.
func (b *Bed) EnsureNamespace(ctx context.Context, name string) error {
	_, err := b.Kube.CoreV1().Namespaces().Create(ctx, fixtures.Namespace(name, nil), metav1.CreateOptions{})
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

// ApplyEndpointSlice creates or replaces the EndpointSlice s describes and
// returns its name.
func (b *Bed) ApplyEndpointSlice(ctx context.Context, s fixtures.Slice) (string, error) {
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
