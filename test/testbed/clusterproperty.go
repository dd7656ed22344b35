package testbed

import (
	"context"
	"fmt"
	"os"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ClusterPropertyResource is the about.k8s.io ClusterProperty (KEP-2149,
// about-api): cluster-scoped, one string in spec.value.
var ClusterPropertyResource = schema.GroupVersionResource{Group: "about.k8s.io", Version: "v1alpha1", Resource: "clusterproperties"}

// ClusterPropertyCRDName is the name of the ClusterProperty CRD.
const ClusterPropertyCRDName = "clusterproperties.about.k8s.io"

// ClusterPropertyCRDPath is where the repository ships the ClusterProperty
// CRD, relative to the module root.
const ClusterPropertyCRDPath = "deploy/crds/about.k8s.io_clusterproperties.yaml"

// InstallCRDFiles creates the CustomResourceDefinitions in the YAML files
// (one CRD per file) and waits until each is Established. A CRD that exists
// already is left as it is.
func (b *Bed) InstallCRDFiles(ctx context.Context, paths ...string) error {
	var names []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("CRD file: %w", err)
		}
		obj, err := parseCRD(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if _, err := b.Dynamic.Resource(CRDResource).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating CRD %s from %s: %w", obj.GetName(), path, err)
		}
		names = append(names, obj.GetName())
	}
	for _, name := range names {
		if err := b.WaitCRDEstablished(ctx, name, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// ApplyClusterProperty creates the ClusterProperty name with spec.value
// value, or sets the value of the one that exists.
func (b *Bed) ApplyClusterProperty(ctx context.Context, name, value string) error {
	c := b.Dynamic.Resource(ClusterPropertyResource)
	cur, err := c.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": ClusterPropertyResource.GroupVersion().String(),
			"kind":       "ClusterProperty",
			"metadata":   map[string]any{"name": name},
			"spec":       map[string]any{"value": value},
		}}
		_, err = c.Create(ctx, obj, metav1.CreateOptions{})
	case err == nil:
		if err = unstructured.SetNestedField(cur.Object, value, "spec", "value"); err == nil {
			_, err = c.Update(ctx, cur, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("ClusterProperty %s: %w", name, err)
	}
	return nil
}

// DeleteClusterProperty deletes the ClusterProperty name; one that does not
// exist is not an error.
func (b *Bed) DeleteClusterProperty(ctx context.Context, name string) error {
	err := b.Dynamic.Resource(ClusterPropertyResource).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ClusterProperty %s: %w", name, err)
	}
	return nil
}
