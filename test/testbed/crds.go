package testbed

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/mcs-api/config/crd"
	"sigs.k8s.io/yaml"
)

// CRDResource is the CustomResourceDefinition resource.
var CRDResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Names of the MCS CRDs.
const (
	ServiceImportCRDName = "serviceimports.multicluster.x-k8s.io"
	ServiceExportCRDName = "serviceexports.multicluster.x-k8s.io"
)

// InstallCRDs creates the ServiceImport and ServiceExport CRDs shipped in
// sigs.k8s.io/mcs-api (v1alpha1 and v1beta1 served, v1beta1 stored) and waits
// until they are Established. With v1alpha1Only, the ServiceImport CRD serves
// and stores only v1alpha1.
func (b *Bed) InstallCRDs(ctx context.Context, v1alpha1Only bool) error {
	imp, err := ServiceImportCRD(v1alpha1Only)
	if err != nil {
		return err
	}
	exp, err := parseCRD(crd.ServiceExportCRD)
	if err != nil {
		return err
	}
	for _, obj := range []*unstructured.Unstructured{imp, exp} {
		if _, err := b.Dynamic.Resource(CRDResource).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating CRD %s: %w", obj.GetName(), err)
		}
	}
	for _, name := range []string{ServiceImportCRDName, ServiceExportCRDName} {
		if err := b.WaitCRDEstablished(ctx, name, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// WaitCRDEstablished waits until the named CRD has condition Established.
func (b *Bed) WaitCRDEstablished(ctx context.Context, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		obj, err := b.Dynamic.Resource(CRDResource).Get(ctx, name, metav1.GetOptions{})
		if err == nil && established(obj) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s not Established: %w (last get error: %v)", name, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func established(obj *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// ServiceImportCRD returns the ServiceImport CRD from sigs.k8s.io/mcs-api;
// with v1alpha1Only, edited to serve and store only v1alpha1.
func ServiceImportCRD(v1alpha1Only bool) (*unstructured.Unstructured, error) {
	obj, err := parseCRD(crd.ServiceImportCRD)
	if err != nil {
		return nil, err
	}
	if !v1alpha1Only {
		return obj, nil
	}
	versions, _, err := unstructured.NestedSlice(obj.Object, "spec", "versions")
	if err != nil {
		return nil, fmt.Errorf("ServiceImport CRD versions: %w", err)
	}
	var kept []any
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok || m["name"] != "v1alpha1" {
			continue
		}
		m["served"], m["storage"] = true, true
		kept = append(kept, m)
	}
	if len(kept) != 1 {
		return nil, fmt.Errorf("ServiceImport CRD has no v1alpha1 version")
	}
	if err := unstructured.SetNestedSlice(obj.Object, kept, "spec", "versions"); err != nil {
		return nil, err
	}
	return obj, nil
}

func parseCRD(data []byte) (*unstructured.Unstructured, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing CRD YAML: %w", err)
	}
	obj := &unstructured.Unstructured{Object: m}
	if obj.GetKind() != "CustomResourceDefinition" {
		return nil, fmt.Errorf("embedded YAML is a %q, not a CustomResourceDefinition", obj.GetKind())
	}
	return obj, nil
}
