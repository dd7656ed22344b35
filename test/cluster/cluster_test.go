package cluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"
	"github.com/clusterset-dns/clusterset/test/nodeimage"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTwoClusters starts two clusters side by side, runs a pod in each and
// checks what kubelet gave it (the resolv.conf every lookup goes through)
// and that it reaches the API through kube-proxy; then stops them and
// checks that nothing of them is left on the host.
func TestTwoClusters(t *testing.T) {
	ctx := t.Context()
	sysctlsBefore := readSysctls(t)
	images, err := nodeimage.WriteTestImages(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("images: %v", err)
	}
	opts := func(name string, index int) cluster.Options {
		return cluster.Options{
			Name: name, Index: index,
			Images:       []string{images.Pause, images.Client},
			SandboxImage: nodeimage.PauseImage,
			Logf:         t.Logf,
		}
	}
	cs, err := cluster.StartAll(ctx, opts("ta", 3), opts("tb", 4))
	if errors.Is(err, cluster.ErrUnsupported) {
		t.Skipf("real clusters need root and network namespaces: %v", err)
	}
	if err != nil {
		t.Fatalf("starting two clusters: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			for _, c := range cs {
				c.Stop()
			}
		}
	})
	for _, c := range cs {
		t.Logf("cluster %s started in %v", c.Name, c.StartTook.Round(time.Millisecond))
	}

	for _, c := range cs {
		t.Run("pod in "+c.Name, func(t *testing.T) {
			pod := startClientPod(t, c)
			resolv, err := c.Exec(ctx, "default", pod, "cat", "/etc/resolv.conf")
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"search default.svc.cluster.local svc.cluster.local cluster.local",
				"nameserver " + c.Addr.DNS.String(),
				"options ndots:5",
			}
			got := strings.Split(strings.TrimSpace(resolv), "\n")
			for _, line := range want {
				if !slices.Contains(got, line) {
					t.Errorf("resolv.conf lacks %q:\n%s", line, resolv)
				}
			}
			// The kubernetes Service's first IP, rewritten by kube-proxy to
			// the API server on the host end of the link. Plain HTTP to its
			// TLS port gets Go's own refusal, which only a Go HTTPS server
			// such as kube-apiserver sends (busybox has no TLS client).
			apiVIP := c.Addr.Services.Addr().Next().String()
			probe := `printf 'GET /version HTTP/1.0\r\n\r\n' | nc -w 5 ` + apiVIP + ` 443`
			out, err := c.Exec(ctx, "default", pod, "sh", "-c", probe)
			if err != nil || !strings.Contains(out, "Client sent an HTTP request to an HTTPS server") {
				t.Errorf("a pod's request to %s:443 got %q (error %v), want the API server's TLS refusal", apiVIP, out, err)
			}
		})
	}

	var dirs []string
	for _, c := range cs {
		dirs = append(dirs, c.Dir)
		c.Stop()
	}
	stopped = true
	for i, c := range cs {
		if _, err := os.Stat(filepath.Join("/run/netns", "clusterset-"+c.Name)); err == nil {
			t.Errorf("cluster %s: its network namespace is left", c.Name)
		}
		if _, err := os.Stat(dirs[i]); err == nil {
			t.Errorf("cluster %s: its directory %s is left", c.Name, dirs[i])
		}
		if left := mountsContaining(t, dirs[i]); len(left) > 0 {
			t.Errorf("cluster %s: mounts left: %v", c.Name, left)
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", "clusterset-"+c.Name)); err == nil {
			t.Errorf("cluster %s: its memory cgroup is left", c.Name)
		}
	}
	if after := readSysctls(t); !slices.Equal(after, sysctlsBefore) {
		t.Errorf("host sysctls after the stop = %v, want them as before: %v", after, sysctlsBefore)
	}
}

// startClientPod runs the client image in the default namespace and waits
// until it runs.
func startClientPod(t *testing.T, c *cluster.Cluster) string {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            "client",
				Image:           nodeimage.ClientImage,
				ImagePullPolicy: corev1.PullNever,
			}},
			TerminationGracePeriodSeconds: new(int64),
		},
	}
	if _, err := c.Kube.CoreV1().Pods("default").Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := waitPodRunning(t.Context(), c, "default", pod.Name, 2*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, c.Logs(3000))
	}
	return pod.Name
}

func waitPodRunning(ctx context.Context, c *cluster.Cluster, ns, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		p, err := c.Kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			return nil
		}
		if err == nil {
			last = string(p.Status.Phase)
			for _, s := range p.Status.ContainerStatuses {
				if s.State.Waiting != nil {
					last += ": " + s.State.Waiting.Reason + " " + s.State.Waiting.Message
				}
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("pod " + ns + "/" + name + " not running: " + last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func readSysctls(t *testing.T) []string {
	t.Helper()
	var vals []string
	for _, k := range []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops"} {
		b, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, k+"="+strings.TrimSpace(string(b)))
	}
	return vals
}

func mountsContaining(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, dir) {
			left = append(left, line)
		}
	}
	return left
}
