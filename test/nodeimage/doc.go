// Package nodeimage builds the container images that the real-cluster tests
// run on their kubelets, without a registry: each image is written as a
// docker-archive tarball (the format of `docker save`: manifest.json, an
// image config and layer tars) and imported into a node's containerd with
// `ctr images import`; pods then use it with imagePullPolicy: Never.
//
// The images:
//
//   - PauseImage, the pod sandbox (containerd's sandbox_image): a static Go
//     program (./pause) that sleeps until signalled and reaps orphans.
//   - ClientImage, what tests `kubectl exec` into to resolve names as a pod
//     does: Debian's static busybox, BIND's nslookup (the resolver the MCS
//     conformance suite runs) and glibc's getent (getaddrinfo), each with
//     the shared libraries it loads, copied from the host.
//   - the project's own image (`make image`, in buildah's storage), pushed
//     to an archive under any tag with Buildah.PushArchive.
//
// Archives are deterministic: fixed modification times, owners and entry
// order, so the same inputs give the same image ID.
//
// A cluster harness writes the archives once and imports them into every
// node's containerd once it answers on its socket:
//
//	archives, err := nodeimage.WriteTestImages(ctx, dir)
//	ours := filepath.Join(dir, "coredns.tar")
//	err = nodeimage.Buildah{}.PushArchive(ctx, "clusterset-coredns:dev", ours, "clusterset-coredns:dev")
//	node := nodeimage.Containerd{Address: sock, Snapshotter: "overlayfs"}
//	for _, f := range []string{archives.Pause, archives.Client, ours} {
//		err = node.Import(ctx, f)
//	}
//
// with containerd's CRI plugin configured to use the pause image and the
// same snapshotter (containerd 1.6, config version 2):
//
//	[plugins."io.containerd.grpc.v1.cri"]
//	  sandbox_image = "localhost/clusterset-test/pause:1"
//	[plugins."io.containerd.grpc.v1.cri".containerd]
//	  snapshotter = "overlayfs"
package nodeimage
