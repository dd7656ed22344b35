package answer

import "github.com/clusterset-dns/clusterset/plugin/clusterset/object"

// Source is what the builder reads from the watch side: the cached,
// trimmed objects behind one service. Implementations are safe for
// concurrent use and return objects the caller must not modify.
type Source interface {
	// ServiceImport returns the ServiceImport for key, or nil.
	ServiceImport(key object.ServiceKey) *object.ServiceImport
	// EndpointSlices returns every cached slice labelled for key.
	EndpointSlices(key object.ServiceKey) []*object.EndpointSlice
	// NamespaceServed reports whether namespace exists locally and passes the
	// namespaces and namespace_labels filters (namespace sameness).
	NamespaceServed(namespace string) bool
	// ServiceKeys returns the keys of every cached ServiceImport.
	ServiceKeys() []object.ServiceKey
	// ClusterProperties returns the value of every ClusterProperty of the
	// local cluster by name, or nil when they are not watched (or not
	// served). The map is not modified after it is returned.
	ClusterProperties() map[string]string
}
