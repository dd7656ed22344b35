package test

// Behaviour beyond the contract table, as plugin/clusterset/README.md
// documents it (Startup, and the options that bound what a peer can make
// this cluster answer), shown against a real API server.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// waitHTTPStatus polls http://addr/path until it answers code.
func waitHTTPStatus(t *testing.T, addr, path string, code int, within time.Duration) {
	t.Helper()
	must(t, poll(within, func() (string, error) {
		got, body, err := httpGet(addr, path)
		if err != nil {
			return "", err
		}
		if got != code {
			return body, fmt.Errorf("%s: HTTP %d, want %d", path, got, code)
		}
		return "", nil
	}))
}

// waitMetricValue polls a series on the metrics listener until it is want.
func waitMetricValue(t *testing.T, addr, series string, want float64, within time.Duration) {
	t.Helper()
	must(t, poll(within, func() (string, error) {
		v, err := metric(addr, series)
		if err != nil {
			return "", err
		}
		if v != want {
			return "", fmt.Errorf("%s = %v, want %v", series, v, want)
		}
		return "", nil
	}))
}

// TestCRDsInstalledAfterStart starts CoreDNS against an API server without
// the MCS CRDs: it is not ready and answers SERVFAIL (row 16) until the
// CRDs appear, then picks up the ServiceImports without a restart.
func TestCRDsInstalledAfterStart(t *testing.T) {
	ctx := t.Context()
	b := testbed.StartT(t, testbed.Options{SkipCRDs: true, Users: []testbed.User{{Name: coreDNSUser}}})
	must(t, grantCoreDNS(ctx, b))
	c := startCoreDNS(t, "clusterset-server.Corefile", serverEnv{"KUBECONFIG": b.Kubeconfig(coreDNSUser)}, func(s string) string {
		return strings.Replace(s, "kubeconfig {$KUBECONFIG}", "kubeconfig {$KUBECONFIG}\n        startup_timeout 1s", 1)
	})
	const ns = "late"
	name := fqdn("svc." + ns + ".svc")

	t.Run("without the CRDs /ready is 503", func(t *testing.T) {
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusServiceUnavailable, converge)
	})
	t.Run("without the CRDs a name is SERVFAIL", func(t *testing.T) {
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, name, "A", tr)
			must(t, err)
			if err := check(r, want{rcode: dns.RcodeServerFailure, noAA: true}); err != nil {
				t.Errorf("%s A over %s: %v\n%s", name, tr, err, r.text)
			}
		}
	})
	must(t, b.InstallCRDs(ctx, false))
	must(t, b.EnsureNamespace(ctx, ns))
	must(t, b.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.11.1"}, nil, "east")))
	// The plugin asks for the CRD at most every ten seconds.
	t.Run("once the CRDs exist /ready turns 200", func(t *testing.T) {
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, 40*time.Second)
	})
	t.Run("and the import is served", func(t *testing.T) {
		expect(t, c, converge, name, "A", answer(name+" A 10.100.11.1"))
	})
}

// TestAPIOutage cuts the connection to the API server after the first
// sync: the last data stays served, coredns_clusterset_api_reachable goes
// to 0, and once the server is back the changes made meanwhile show up.
func TestAPIOutage(t *testing.T) {
	ctx := t.Context()
	const ns = "outage"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "before", mcsv1beta1.ClusterSetIP, []string{"10.100.12.1"}, nil, "east")))
	proxy := newAPIProxy(t, strings.TrimPrefix(bed.URL, "https://"), proxyPass)
	c := startCoreDNS(t, "observability.Corefile", serverEnv{"KUBECONFIG": kubeconfigVia(t, bed, proxy.addr())}, nil)
	before, after := fqdn("before."+ns+".svc"), fqdn("after."+ns+".svc")
	cached := func(w want) want { w.anyTTL = true; return w }

	expect(t, c, converge, before, "A", cached(answer(before+" A 10.100.12.1")))
	waitMetricValue(t, c.metricsAddr, "coredns_clusterset_api_reachable", 1, converge)

	proxy.set(proxyCut)
	t.Run("while the API server is unreachable the metric says so", func(t *testing.T) {
		waitMetricValue(t, c.metricsAddr, "coredns_clusterset_api_reachable", 0, 40*time.Second)
	})
	t.Run("while the API server is unreachable the last data is served", func(t *testing.T) {
		expect(t, c, settle, before, "A", cached(answer(before+" A 10.100.12.1")))
		waitHTTPStatus(t, c.healthAddr, "/health", http.StatusOK, settle)
	})
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "after", mcsv1beta1.ClusterSetIP, []string{"10.100.12.2"}, nil, "east")))
	must(t, bed.DeleteServiceImport(ctx, ns, "before"))

	proxy.set(proxyPass)
	t.Run("once the API server is back the metric recovers", func(t *testing.T) {
		waitMetricValue(t, c.metricsAddr, "coredns_clusterset_api_reachable", 1, 40*time.Second)
	})
	t.Run("and the changes made during the outage are served", func(t *testing.T) {
		// A watch that failed retries with a backoff of up to 30 s.
		expect(t, c, 60*time.Second, after, "A", cached(answer(after+" A 10.100.12.2")))
		expect(t, c, converge, before, "A", cached(nxdomain))
	})
}

// TestHostilePeerDefaults writes imports that a compromised peer could
// produce: the default options serve none of the dangerous parts.
func TestHostilePeerDefaults(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "observability.Corefile", nil, nil)
	waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, converge)
	read := func(series string) float64 {
		v, _ := metric(c.metricsAddr, series)
		return v
	}
	disallowed := read(`coredns_clusterset_skipped_total{reason="disallowed_ip"}`)
	denied := read(`coredns_clusterset_skipped_total{reason="denied_namespace"}`)

	const ns = "hostile"
	must(t, bed.EnsureNamespace(ctx, ns))
	ports := []mcsv1beta1.ServicePort{testbed.Port("http", corev1.ProtocolTCP, 80)}
	// spec.ips is not validated by the CRD; EndpointSlice addresses are.
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "metadata", mcsv1beta1.ClusterSetIP, []string{"169.254.169.254"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "mixed", mcsv1beta1.ClusterSetIP, []string{"127.0.0.1", "10.100.13.1"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport("kube-system", "sys", mcsv1beta1.ClusterSetIP, []string{"10.100.13.2"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, testbed.ServiceImport(ns, "zz-done", mcsv1beta1.ClusterSetIP, []string{"10.100.13.9"}, ports, "east")))
	done := fqdn("zz-done." + ns + ".svc")
	expect(t, c, converge, done, "A", want{rcode: dns.RcodeSuccess, answer: []string{done + " A 10.100.13.9"}, anyTTL: true})

	t.Run("a loopback VIP is dropped and the other one served", func(t *testing.T) {
		name := fqdn("mixed." + ns + ".svc")
		expect(t, c, settle, name, "A", want{rcode: dns.RcodeSuccess, answer: []string{name + " A 10.100.13.1"}, anyTTL: true})
	})
	t.Run("the cloud metadata address is never served", func(t *testing.T) {
		name := fqdn("metadata." + ns + ".svc")
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, name, "A", tr)
			must(t, err)
			if len(r.answer) != 0 {
				t.Errorf("%s A over %s answered %v", name, tr, r.answer)
			}
		}
	})
	t.Run("imports in kube-system are not served", func(t *testing.T) {
		expect(t, c, settle, fqdn("sys.kube-system.svc"), "A", want{rcode: dns.RcodeNameError, anyTTL: true})
	})
	t.Run("each refusal is counted", func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			d, n := read(`coredns_clusterset_skipped_total{reason="disallowed_ip"}`), read(`coredns_clusterset_skipped_total{reason="denied_namespace"}`)
			if d < disallowed+2 || n < denied+1 {
				return "", fmt.Errorf("skipped_total disallowed_ip %v (want >= %v), denied_namespace %v (want >= %v)", d, disallowed+2, n, denied+1)
			}
			return "", nil
		}))
	})
}
