package object

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ObjectMeta is the metadata a trimmed object keeps: what the caches key on
// (namespace and name) and what tells a change from a resync (the resource
// version). A metav1.ObjectMeta is some 250 bytes even when only these are
// set; this is 48.
//
// It implements metav1.Object, so client-go's key functions, stores and
// apimeta.Accessor work on the types that embed it. The getters of the
// fields it does not keep return their zero value and the setters of those
// fields do nothing: a trimmed object has no labels, UID or timestamps to
// report, and nothing in the caches sets them.
type ObjectMeta struct {
	Name            string
	Namespace       string
	ResourceVersion string
}

var _ metav1.Object = (*ObjectMeta)(nil)

// GetNamespace returns the namespace.
func (m *ObjectMeta) GetNamespace() string { return m.Namespace }

// SetNamespace sets the namespace.
func (m *ObjectMeta) SetNamespace(namespace string) { m.Namespace = namespace }

// GetName returns the name.
func (m *ObjectMeta) GetName() string { return m.Name }

// SetName sets the name.
func (m *ObjectMeta) SetName(name string) { m.Name = name }

// GetResourceVersion returns the resource version.
func (m *ObjectMeta) GetResourceVersion() string { return m.ResourceVersion }

// SetResourceVersion sets the resource version.
func (m *ObjectMeta) SetResourceVersion(version string) { m.ResourceVersion = version }

// The metadata a trimmed object does not keep: always zero, never set.

// GetGenerateName returns "".
func (m *ObjectMeta) GetGenerateName() string { return "" }

// SetGenerateName does nothing.
func (m *ObjectMeta) SetGenerateName(string) {}

// GetUID returns "".
func (m *ObjectMeta) GetUID() types.UID { return "" }

// SetUID does nothing.
func (m *ObjectMeta) SetUID(types.UID) {}

// GetGeneration returns 0.
func (m *ObjectMeta) GetGeneration() int64 { return 0 }

// SetGeneration does nothing.
func (m *ObjectMeta) SetGeneration(int64) {}

// GetSelfLink returns "".
func (m *ObjectMeta) GetSelfLink() string { return "" }

// SetSelfLink does nothing.
func (m *ObjectMeta) SetSelfLink(string) {}

// GetCreationTimestamp returns the zero time.
func (m *ObjectMeta) GetCreationTimestamp() metav1.Time { return metav1.Time{} }

// SetCreationTimestamp does nothing.
func (m *ObjectMeta) SetCreationTimestamp(metav1.Time) {}

// GetDeletionTimestamp returns nil.
func (m *ObjectMeta) GetDeletionTimestamp() *metav1.Time { return nil }

// SetDeletionTimestamp does nothing.
func (m *ObjectMeta) SetDeletionTimestamp(*metav1.Time) {}

// GetDeletionGracePeriodSeconds returns nil.
func (m *ObjectMeta) GetDeletionGracePeriodSeconds() *int64 { return nil }

// SetDeletionGracePeriodSeconds does nothing.
func (m *ObjectMeta) SetDeletionGracePeriodSeconds(*int64) {}

// GetLabels returns nil: the labels an answer needs are fields of the
// trimmed object.
func (m *ObjectMeta) GetLabels() map[string]string { return nil }

// SetLabels does nothing.
func (m *ObjectMeta) SetLabels(map[string]string) {}

// GetAnnotations returns nil.
func (m *ObjectMeta) GetAnnotations() map[string]string { return nil }

// SetAnnotations does nothing.
func (m *ObjectMeta) SetAnnotations(map[string]string) {}

// GetFinalizers returns nil.
func (m *ObjectMeta) GetFinalizers() []string { return nil }

// SetFinalizers does nothing.
func (m *ObjectMeta) SetFinalizers([]string) {}

// GetOwnerReferences returns nil.
func (m *ObjectMeta) GetOwnerReferences() []metav1.OwnerReference { return nil }

// SetOwnerReferences does nothing.
func (m *ObjectMeta) SetOwnerReferences([]metav1.OwnerReference) {}

// GetManagedFields returns nil.
func (m *ObjectMeta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }

// SetManagedFields does nothing.
func (m *ObjectMeta) SetManagedFields([]metav1.ManagedFieldsEntry) {}
