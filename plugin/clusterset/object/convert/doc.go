// Package convert is the watch side's half of the trimmed objects: it turns
// the API types the informers list and watch (k8s.io/api, mcs-api,
// unstructured ClusterProperties) into the types of package object, and
// provides the informers' transforms (client-go cache.TransformFunc).
//
// It may import client-go, k8s.io/api, mcs-api and package object; only the
// watch side imports it, so that the answer side never depends on the API
// types at compile time.
package convert
