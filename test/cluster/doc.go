// Package cluster runs whole Kubernetes clusters for the project's
// end-to-end tests, each on one node in a network namespace of its own:
// etcd and kube-apiserver (test/testbed) on the host end of the node's link,
// and inside the namespace kube-controller-manager, kube-scheduler,
// containerd with runc and the bridge CNI plugin, kubelet and kube-proxy
// (iptables mode). Pods get their /etc/resolv.conf from kubelet, reach
// Services through kube-proxy and the API through the `kubernetes`
// Service, as in any cluster; nothing is routed beyond the namespace.
//
// The Kubernetes binaries are the ones hack/testbins.sh builds (v1.37.2);
// containerd, runc, the CNI plugins and iptables are Debian's (make
// nodedeps). Images come from docker-archive tarballs (test/nodeimage),
// imported into the node's containerd: there is no registry.
//
// Addresses, for the cluster with index i (1 to 9):
//
//	link      10.250.i.0/24   host end .1 (the API server), node .2
//	pods      10.24i.0.0/16   bridge cni0, masqueraded when leaving the node
//	services  10.9i.0.0/16    kubernetes at .0.1, the cluster DNS at .0.10
//
// A Cluster stops what it started by PID, then every process left in its
// network namespace (containerd's shims) or its cgroups (the containers),
// unmounts what is mounted under its directory, removes its cgroups and
// namespace, and restores the host sysctls kubelet changes
// (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) once the last
// cluster is gone. A cluster left behind by a test binary that died is
// removed the same way by the next Start of that name.
//
// Start needs root, network namespaces and the packages above; when any is
// missing it returns an error wrapping ErrUnsupported that names it, which
// tests turn into a skip.
package cluster
