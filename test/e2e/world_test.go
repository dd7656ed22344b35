package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"
	"github.com/clusterset-dns/clusterset/test/exporter"
	"github.com/clusterset-dns/clusterset/test/nodeimage"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Images the clusters run, besides the pause and client images.
const (
	// dnsImage is the tag deploy/base's Deployment runs.
	dnsImage = "clusterset-coredns:dev"
	// dnsImageNext is the same build under another tag, for a rolling
	// update.
	dnsImageNext = "clusterset-coredns:next"
)

// Where the clients resolve from, and the namespace of the workloads.
const (
	demo         = "demo"
	lighthouseNS = "lh"
	clientPod    = "client"
	dnsNS        = "kube-system"
	dnsDeploy    = "coredns"
	dnsConfig    = "coredns"
	dnsloadBin   = "/usr/local/bin/dnsload"
)

// world is two clusters, a and b, each with the project's cluster DNS,
// the workloads of testdata/, and the exporter between them.
type world struct {
	dir       string
	repo      string
	a, b      *cluster.Cluster
	exporters []*exporter.Exporter
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s e2e: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// setUp builds the images, starts both clusters, deploys the cluster DNS
// and the workloads, and starts the exporter.
func setUp(ctx context.Context) (_ *world, err error) {
	w := &world{}
	defer func() {
		if err != nil {
			w.tearDown()
		}
	}()
	_, file, _, _ := runtime.Caller(0)
	w.repo = filepath.Join(filepath.Dir(file), "..", "..")
	if w.dir, err = os.MkdirTemp("", "clusterset-e2e-"); err != nil {
		return nil, err
	}
	begin := time.Now()
	images, err := w.buildImages(ctx)
	if err != nil {
		return nil, err
	}
	logf("images built after %v", time.Since(begin).Round(time.Millisecond))

	opts := func(name string, index int) cluster.Options {
		return cluster.Options{Name: name, Index: index, Images: images, SandboxImage: nodeimage.PauseImage, Logf: logf}
	}
	cs, err := cluster.StartAll(ctx, opts("a", 1), opts("b", 2))
	if err != nil {
		return nil, err
	}
	w.a, w.b = cs[0], cs[1]
	logf("clusters started: a in %v, b in %v (in parallel)", w.a.StartTook.Round(time.Millisecond), w.b.StartTook.Round(time.Millisecond))

	for _, c := range cs {
		if err := w.installClusterDNS(ctx, c); err != nil {
			return nil, err
		}
	}
	logf("cluster DNS available in both after %v", time.Since(begin).Round(time.Millisecond))
	for _, c := range cs {
		if _, err := c.Kubectl(ctx, "apply", "-f", filepath.Join(w.repo, "test", "e2e", "testdata", "cluster-"+c.Name+".yaml")); err != nil {
			return nil, err
		}
	}
	// Two test-side MCS implementations, each in its own namespace: the
	// mcs-api shape in demo, the Lighthouse shape in lh. They outlive the
	// setup's deadline: they run until tearDown.
	members := []exporter.Cluster{
		{ID: w.a.Name, Kube: w.a.Kube, MCS: w.a.MCS},
		{ID: w.b.Name, Kube: w.b.Kube, MCS: w.b.MCS},
	}
	for _, e := range []struct {
		shape     exporter.Shape
		namespace string
	}{{exporter.MCSAPIShape, demo}, {exporter.LighthouseShape, lighthouseNS}} {
		x, err := exporter.StartIn(context.Background(), e.shape, e.namespace, members, logf)
		if err != nil {
			return nil, err
		}
		w.exporters = append(w.exporters, x)
	}
	for _, c := range cs {
		if err := waitWorkloads(ctx, c); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	for _, x := range w.exporters {
		if err := x.WaitSynced(ctx); err != nil {
			return nil, err
		}
	}
	logf("workloads ready and exported after %v", time.Since(begin).Round(time.Millisecond))
	return w, nil
}

func (w *world) tearDown() {
	if w == nil {
		return
	}
	for _, x := range w.exporters {
		x.Stop()
	}
	w.a.Stop()
	w.b.Stop()
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
}

// buildImages writes the archives of the pause image, the client image
// (with dnsload) and the project's image under both tags.
func (w *world) buildImages(ctx context.Context) ([]string, error) {
	dir := filepath.Join(w.dir, "images")
	pauseBin, err := nodeimage.BuildPause(ctx, dir)
	if err != nil {
		return nil, err
	}
	client, err := nodeimage.Client(ctx, pauseBin)
	if err != nil {
		return nil, err
	}
	load := filepath.Join(dir, "dnsload")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", load, "./test/e2e/dnsload")
	build.Dir, build.Env = w.repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building dnsload: %v: %s", err, out)
	}
	client.Files = append(client.Files, nodeimage.File{Path: dnsloadBin, Mode: 0o755, Source: load})

	archives := map[string]nodeimage.Image{
		filepath.Join(dir, "pause.tar"):  nodeimage.Pause(pauseBin),
		filepath.Join(dir, "client.tar"): client,
	}
	var files []string
	for path, img := range archives {
		if _, err := nodeimage.WriteArchiveFile(path, img); err != nil {
			return nil, err
		}
		files = append(files, path)
	}

	storage := nodeimage.Buildah{Root: filepath.Join(w.dir, "buildah", "root"), RunRoot: filepath.Join(w.dir, "buildah", "run")}
	if _, err := storage.MakeImage(ctx, w.repo, dnsImage, filepath.Join(w.dir, "image-context")); err != nil {
		return nil, err
	}
	for _, tag := range []string{dnsImage, dnsImageNext} {
		path := filepath.Join(dir, strings.NewReplacer(":", "-", "/", "-").Replace(tag)+".tar")
		if err := storage.PushArchive(ctx, dnsImage, path, tag); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// installClusterDNS deploys the project's image as the cluster DNS the way
// a user replaces kubeadm's CoreDNS: kubeadm created Service kube-dns with
// the address kubelet hands to pods, and `kubectl apply -k
// deploy/cluster-dns`, as shipped, takes it over and keeps that address.
func (w *world) installClusterDNS(ctx context.Context, c *cluster.Cluster) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: dnsNS, Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: c.Addr.DNS.String(),
			Selector:  map[string]string{"k8s-app": "kube-dns"},
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
				{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9153)},
			},
		},
	}
	if _, err := c.Kube.CoreV1().Services(dnsNS).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if _, err := c.Kubectl(ctx, "apply", "-k", filepath.Join(w.repo, "deploy", "cluster-dns")); err != nil {
		return err
	}
	return waitDNSRolledOut(ctx, c, 3*time.Minute)
}

// waitDNSRolledOut waits until the DNS Deployment is Available with every
// replica updated and ready.
func waitDNSRolledOut(ctx context.Context, c *cluster.Cluster, timeout time.Duration) error {
	return eventually(ctx, timeout, "cluster "+c.Name+": DNS deployment rolled out", func() (string, bool) {
		d, err := c.Kube.AppsV1().Deployments(dnsNS).Get(ctx, dnsDeploy, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return deploymentState(d)
	})
}

func deploymentState(d *appsv1.Deployment) (string, bool) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	state := fmt.Sprintf("generation %d/%d, replicas %d, updated %d, ready %d, available %d (want %d)",
		s.ObservedGeneration, d.Generation, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas, want)
	done := s.ObservedGeneration >= d.Generation && s.Replicas == want && s.UpdatedReplicas == want &&
		s.ReadyReplicas == want && s.AvailableReplicas == want
	return state, done
}

// waitWorkloads waits until every pod of the workloads' namespaces is
// Ready.
func waitWorkloads(ctx context.Context, c *cluster.Cluster) error {
	return eventually(ctx, 3*time.Minute, "workloads ready", func() (string, bool) {
		pods, err := c.Kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: "app"})
		if err != nil {
			return err.Error(), false
		}
		if len(pods.Items) == 0 {
			return "no pods yet", false
		}
		for _, p := range pods.Items {
			if !podReady(&p) {
				return fmt.Sprintf("pod %s: %s", p.Name, p.Status.Phase), false
			}
		}
		return "", true
	})
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// eventually polls check until it reports done or timeout passes; the error
// carries check's last word.
func eventually(ctx context.Context, timeout time.Duration, what string, check func() (string, bool)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		state, done := check()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not after %v: %s", what, timeout, state)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
