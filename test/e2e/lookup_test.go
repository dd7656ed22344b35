package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The MCS conformance suite's reading of BIND nslookup's output: every
// address after a Name line, and from each SRV line (those with "=") the
// port and the target.
var (
	nslookupAddress = regexp.MustCompile(`Name:.*\s*Address:\s*(.*)`)
	nslookupSRV     = regexp.MustCompile(`.*=\s*\d*\s*\d*\s*(\d*)\s*([a-zA-Z0-9-.]*)`)
)

// srv is one SRV answer as the conformance suite reads it.
type srv struct {
	port   string
	target string
}

func (s srv) String() string { return s.port + " " + s.target }

// lookup is one way to resolve a name from the client pod.
type lookup struct {
	name    string
	resolve func(ctx context.Context, c *cluster.Cluster, name string) ([]string, error)
}

// addressLookups are the resolvers the tests ask for addresses: BIND
// nslookup, as the MCS conformance suite runs it, and glibc's getaddrinfo.
var addressLookups = []lookup{
	{"nslookup", nslookupAddresses},
	{"getaddrinfo", getaddrinfoAddresses},
}

// nslookupAddresses runs `nslookup NAME` in the client pod and returns
// the addresses, sorted.
func nslookupAddresses(ctx context.Context, c *cluster.Cluster, name string) ([]string, error) {
	out, err := c.Exec(ctx, demo, clientPod, "nslookup", name)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	var addrs []string
	for _, m := range nslookupAddress.FindAllStringSubmatch(out, -1) {
		addrs = append(addrs, strings.TrimSpace(m[1]))
	}
	slices.Sort(addrs)
	return addrs, nil
}

// getaddrinfoAddresses runs `getent ahosts NAME` (getaddrinfo with
// AF_UNSPEC) in the client pod and returns the distinct addresses, sorted.
func getaddrinfoAddresses(ctx context.Context, c *cluster.Cluster, name string) ([]string, error) {
	out, err := c.Exec(ctx, demo, clientPod, "getent", "ahosts", name)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	var addrs []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !slices.Contains(addrs, f[0]) {
			addrs = append(addrs, f[0])
		}
	}
	slices.Sort(addrs)
	return addrs, nil
}

// nslookupSRVs runs `nslookup -type=SRV NAME` in the client pod and
// returns the answers, sorted.
func nslookupSRVs(ctx context.Context, c *cluster.Cluster, name string) ([]srv, error) {
	out, err := c.Exec(ctx, demo, clientPod, "nslookup", "-type=SRV", name)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	var got []srv
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "=") {
			continue
		}
		if m := nslookupSRV.FindStringSubmatch(line); m != nil {
			got = append(got, srv{port: m[1], target: strings.TrimSuffix(m[2], ".")})
		}
	}
	slices.SortFunc(got, func(a, b srv) int { return strings.Compare(a.String(), b.String()) })
	return got, nil
}

// expectAddresses waits until every lookup of name from the client pod
// answers exactly want: answers follow the API within seconds, through the
// exporter, the informers and the DNS cache of the Corefile.
func expectAddresses(t *testing.T, c *cluster.Cluster, name string, want func() []string) {
	t.Helper()
	for _, l := range addressLookups {
		var got []string
		var err error
		var wanted []string
		ok := poll(t.Context(), 60*time.Second, func() bool {
			wanted = want()
			got, err = l.resolve(t.Context(), c, name)
			return err == nil && slices.Equal(got, wanted)
		})
		if !ok {
			t.Errorf("%s %s = %v (error %v), want %v", l.name, name, got, err, wanted)
		}
	}
}

// expectSRV waits until `nslookup -type=SRV name` from the client pod
// answers exactly want, in any order.
func expectSRV(t *testing.T, c *cluster.Cluster, name string, want []srv) {
	t.Helper()
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b srv) int { return strings.Compare(a.String(), b.String()) })
	var got []srv
	var err error
	if !poll(t.Context(), 30*time.Second, func() bool {
		got, err = nslookupSRVs(t.Context(), c, name)
		return err == nil && slices.Equal(got, want)
	}) {
		t.Errorf("SRV %s = %v (error %v), want %v", name, got, err, want)
	}
}

// poll calls f until it returns true or timeout passes.
func poll(ctx context.Context, timeout time.Duration, f func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if f() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// importIPs reads the spec.ips of ServiceImport demo/NAME in cluster c.
func importIPs(t *testing.T, c *cluster.Cluster, name string) []string {
	t.Helper()
	return importIPsIn(t, c, demo, name)
}

// importIPsIn is importIPs in namespace ns.
func importIPsIn(t *testing.T, c *cluster.Cluster, ns, name string) []string {
	t.Helper()
	si, err := c.MCS.MulticlusterV1beta1().ServiceImports(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ServiceImport %s/%s in %s: %v", ns, name, c.Name, err)
	}
	ips := slices.Clone(si.Spec.IPs)
	slices.Sort(ips)
	return ips
}

// readyPods maps hostname.cluster to the IP of every ready pod labelled
// app=APP in namespace demo of the clusters.
func readyPods(t *testing.T, app string, clusters ...*cluster.Cluster) map[string]string {
	t.Helper()
	return readyPodsIn(t, demo, app, clusters...)
}

// readyPodsIn is readyPods in namespace ns.
func readyPodsIn(t *testing.T, ns, app string, clusters ...*cluster.Cluster) map[string]string {
	t.Helper()
	byHost := map[string]string{}
	for _, c := range clusters {
		pods, err := c.Kube.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			t.Fatal(err)
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if podReady(p) && p.Status.PodIP != "" {
				byHost[p.Name+"."+c.Name] = p.Status.PodIP
			}
		}
	}
	return byHost
}

func values(m map[string]string) []string {
	var v []string
	for _, s := range m {
		v = append(v, s)
	}
	slices.Sort(v)
	return v
}

// serviceIP is the ClusterIP of Service demo/NAME in cluster c.
func serviceIP(t *testing.T, c *cluster.Cluster, name string) string {
	t.Helper()
	return serviceIPIn(t, c, demo, name)
}

// serviceIPIn is serviceIP in namespace ns.
func serviceIPIn(t *testing.T, c *cluster.Cluster, ns, name string) string {
	t.Helper()
	svc, err := c.Kube.CoreV1().Services(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return svc.Spec.ClusterIP
}

// setReady makes a workload pod pass or fail its readiness probe.
func setReady(ctx context.Context, t *testing.T, c *cluster.Cluster, pod string, ready bool) {
	t.Helper()
	cmd := []string{"rm", "-f", "/tmp/ready"}
	if ready {
		cmd = []string{"touch", "/tmp/ready"}
	}
	if _, err := c.Exec(ctx, demo, pod, cmd...); err != nil {
		t.Fatal(err)
	}
}

// deleteNow deletes without a grace period.
func deleteNow() metav1.DeleteOptions { return metav1.DeleteOptions{GracePeriodSeconds: new(int64)} }
