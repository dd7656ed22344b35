// Package exporter is test code: it stands in for the controller of a
// Multi-Cluster Services implementation in the project's tests. It watches
// ServiceExports (multicluster.x-k8s.io) in every cluster of a ClusterSet
// and writes, into every cluster, the ServiceImports and MCS EndpointSlices
// that real implementations write, in one of two shapes:
//
//   - LighthouseShape, as Submariner's Lighthouse agent writes them: a
//     ClusterSetIP import has no spec.ips, and each exporting cluster
//     contributes one EndpointSlice whose single endpoint is that cluster's
//     Service ClusterIP; a Headless import has `ports: []` and never
//     spec.ipFamilies, and its slices copy the pod endpoints. In a cluster
//     that has Lighthouse's namespaces, it also writes the imports
//     Lighthouse keeps for itself (test/shapes.LighthouseBookkeeping): the
//     per-cluster one in the agent's namespace of each exporting cluster,
//     and the aggregated one in the broker's namespace of the first
//     cluster.
//   - MCSAPIShape, as the sigs.k8s.io/mcs-api reference controller leaves
//     them: a ClusterSetIP import's spec.ips is the ClusterIP of a derived,
//     selector-less Service in the importing cluster; every import has its
//     ports and ipFamilies; every source EndpointSlice is copied as one MCS
//     slice, also labelled with the derived Service's name so that a
//     kube-proxy routes the derived ClusterIP.
//
// The source data is what a cluster's kube-controller-manager writes: the
// exported Service and its EndpointSlices (label kubernetes.io/service-name).
// The written data is what the clusterset plugin reads (KEP-1645; see the
// plugin's README): ServiceImports v1beta1, EndpointSlices labelled
// multicluster.kubernetes.io/service-name and
// multicluster.kubernetes.io/source-cluster.
//
// Each change is coalesced by service in a work queue and rewritten in
// full, idempotently: a pod that turns unready or goes away, a Service or
// ServiceExport deleted, another cluster joining the export. The exporter
// reacts to informer events only; it never polls.
package exporter
