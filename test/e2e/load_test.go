package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// loadSummary is what dnsload prints (test/e2e/dnsload).
type loadSummary struct {
	Lookups    int            `json:"lookups"`
	Failed     int            `json:"failed"`
	Unexpected int            `json:"unexpected"`
	Slow       int            `json:"slow"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Problems   []string       `json:"problems"`
	Errors     map[string]int `json:"errors"`
}

func (s loadSummary) String() string {
	return fmt.Sprintf("%d lookups, %d failed, %d unexpected, %d over 1 s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		s.Lookups, s.Failed, s.Unexpected, s.Slow, s.P50Ms, s.P99Ms, s.MaxMs)
}

// Load is 20 lookups a second from the client pod in cluster b.
const loadRate = 20

// startLoad runs dnsload in the client pod for duration, resolving the
// names as applications do (search list, ndots:5), each expected to answer
// what it answers now. The summary arrives on the channel when it ends.
//
// It starts once every DNS replica answers the current data: a test before
// may have changed it, and a replica's cache (the Corefile's `cache 30`)
// holds the old answer for up to its TTL. Short loads are run until one
// sees nothing unexpected.
func startLoad(t *testing.T, duration time.Duration) <-chan loadSummary {
	t.Helper()
	w := env
	expect := map[string][]string{
		"web.demo." + zone:           importIPs(t, w.b, "web"),
		"db.demo." + zone:            values(readyPods(t, "db", w.a, w.b)),
		"web.demo.svc.cluster.local": {serviceIP(t, w.b, "web")},
	}
	var names []string
	for name, addrs := range expect {
		names = append(names, "-expect", name+"="+strings.Join(addrs, ","))
	}
	settled := poll(t.Context(), time.Minute, func() bool {
		s := runLoad(t.Context(), w, 2*time.Second, names)
		return s.Lookups > 0 && s.Failed == 0 && s.Unexpected == 0
	})
	if !settled {
		t.Fatalf("the DNS replicas did not all answer %v within a minute", expect)
	}
	done := make(chan loadSummary, 1)
	go func() { done <- runLoad(context.Background(), w, duration, names) }()
	return done
}

// runLoad runs dnsload for duration with the -expect arguments and returns
// its summary; a dnsload that did not run counts as failed.
func runLoad(ctx context.Context, w *world, duration time.Duration, expect []string) loadSummary {
	ctx, cancel := context.WithTimeout(ctx, duration+2*time.Minute)
	defer cancel()
	args := append([]string{dnsloadBin, "-rate", fmt.Sprint(loadRate), "-duration", duration.String()}, expect...)
	var s loadSummary
	out, err := w.b.Exec(ctx, demo, clientPod, args...)
	if err == nil {
		err = json.Unmarshal([]byte(out), &s)
	}
	if err != nil {
		s.Failed = -1
		s.Problems = []string{fmt.Sprintf("dnsload: %v: %s", err, out)}
	}
	return s
}

// checkLoad reports the summary and fails the test for any lookup that
// failed or answered something else than before.
func checkLoad(t *testing.T, what string, s loadSummary) {
	t.Helper()
	t.Logf("%s: %v", what, s)
	for _, p := range s.Problems {
		t.Logf("  %s", p)
	}
	if s.Failed != 0 || s.Unexpected != 0 {
		t.Errorf("%s: %d failed and %d unexpected lookups, want none; errors %v; first problems:\n%s",
			what, s.Failed, s.Unexpected, s.Errors, strings.Join(s.Problems, "\n"))
	}
	if s.Lookups < loadRate*10 {
		t.Errorf("%s: only %d lookups: the load did not run", what, s.Lookups)
	}
}

// TestRollingUpdateUnderLoad rolls the DNS Deployment of cluster b to a new
// image tag while a pod keeps resolving: no lookup may fail.
func TestRollingUpdateUnderLoad(t *testing.T) {
	w := need(t)
	load := startLoad(t, 60*time.Second)
	timeline := watchDNSPods(t, w.b, time.Now())
	time.Sleep(5 * time.Second) // a steady start before the roll
	began := time.Now()
	if _, err := w.b.Kubectl(t.Context(), "-n", dnsNS, "set", "image", "deployment/"+dnsDeploy, "coredns="+dnsImageNext); err != nil {
		t.Fatal(err)
	}
	if err := waitDNSRolledOut(t.Context(), w.b, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("rolled out to %s in %v", dnsImageNext, time.Since(began).Round(time.Millisecond))
	summary := <-load
	t.Logf("the DNS pods, from the start of the load:\n%s", strings.Join(timeline(), "\n"))
	checkLoad(t, "during the rolling update", summary)
}

// TestReloadUnderLoad edits the Corefile in cluster b's ConfigMap, as a
// user does (`answer endpoints`, for VIP-less imports), while a pod keeps
// resolving: kubelet updates the mounted file, the reload plugin re-reads
// it in every replica, no lookup may fail, and the new option then
// answers.
func TestReloadUnderLoad(t *testing.T) {
	w := need(t)
	ctx := t.Context()
	before, err := reloadsLogged(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := w.b.Kube.CoreV1().ConfigMaps(dnsNS).Get(ctx, dnsConfig, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The edit a user of an implementation that writes VIP-less imports
	// (the Lighthouse shape) makes.
	corefile := cm.Data["Corefile"]
	edited := strings.Replace(corefile, "    clusterset clusterset.local\n", "    clusterset clusterset.local {\n        answer endpoints\n    }\n", 1)
	if edited == corefile {
		t.Fatalf("the shipped Corefile has no `clusterset clusterset.local` line to edit:\n%s", corefile)
	}
	// The reload plugin looks every 30 s (up to 15 s more of jitter), after
	// kubelet has updated the file: the load covers both.
	load := startLoad(t, 80*time.Second)
	time.Sleep(5 * time.Second)
	cm.Data["Corefile"] = edited
	if _, err := w.b.Kube.CoreV1().ConfigMaps(dnsNS).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var after map[string]int
	if !poll(ctx, 70*time.Second, func() bool {
		after, err = reloadsLogged(ctx, w)
		if err != nil || len(after) == 0 {
			return false
		}
		for pod, n := range after {
			if n <= before[pod] {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("not every DNS pod reloaded within 70 s: reloads before %v, after %v (error %v)", before, after, err)
	}
	t.Logf("every DNS pod reloaded %v after the edit", time.Since(began).Round(time.Second))
	checkLoad(t, "during the reload", <-load)

	// The new configuration answers: the Lighthouse-shaped ClusterSetIP
	// import gets cluster a's Service IP, the address in a's one slice.
	expectAddresses(t, w.b, "web.lh."+zone, func() []string { return []string{serviceIPIn(t, w.a, lighthouseNS, "web")} })
}

// reloadsLogged counts, per DNS pod of cluster b, the reloads its log
// records.
func reloadsLogged(ctx context.Context, w *world) (map[string]int, error) {
	pods, err := w.b.Kube.CoreV1().Pods(dnsNS).List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for i := range pods.Items {
		p := &pods.Items[i]
		if !podReady(p) {
			continue
		}
		log, err := w.b.Kubectl(ctx, "-n", dnsNS, "logs", p.Name)
		if err != nil {
			return nil, err
		}
		counts[p.Name] = strings.Count(log, "Reloading complete")
	}
	return counts, nil
}

// watchDNSPods records, until the test ends, when each DNS pod of c was
// first seen running, ready, terminating and gone, from start on; the
// returned function reads the lines so far.
func watchDNSPods(t *testing.T, c *cluster.Cluster, start time.Time) func() []string {
	var mu sync.Mutex
	var lines []string
	seen := map[string]string{}
	note := func(pod, state string) {
		if seen[pod+state] == "" {
			seen[pod+state] = state
			lines = append(lines, fmt.Sprintf("%8v %s %s", time.Since(start).Round(10*time.Millisecond), pod, state))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pods, err := c.Kube.CoreV1().Pods(dnsNS).List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
			if err == nil {
				mu.Lock()
				present := map[string]bool{}
				for i := range pods.Items {
					p := &pods.Items[i]
					present[p.Name] = true
					if p.Status.Phase == corev1.PodRunning {
						note(p.Name, "running")
					}
					if podReady(p) {
						note(p.Name, "ready")
					}
					if p.DeletionTimestamp != nil {
						note(p.Name, "terminating")
					}
				}
				for key, state := range seen {
					pod := strings.TrimSuffix(key, state)
					if !present[pod] {
						note(pod, "gone")
					}
				}
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}
