package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

// TestUpdatesAndDeletes changes imports and slices through the API and
// waits for each change on the wire.
func TestUpdatesAndDeletes(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
	const ns = "upd"
	must(t, bed.EnsureNamespace(ctx, ns))
	name := fqdn("svc." + ns + ".svc")
	tcp := corev1.ProtocolTCP
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", tcp, 80)}

	step := func(desc string, change func(), qname, qtype string, w answers.Want) {
		t.Helper()
		change()
		t.Run(desc, func(t *testing.T) { expect(t, c, converge, qname, qtype, w) })
	}
	step("a new ClusterSetIP import is served", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.1.1"}, ports, "east")))
	}, name, "A", answer(name+" A 10.100.1.1"))
	step("a changed VIP replaces the old one", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.1.2"}, ports, "east")))
	}, name, "A", answer(name+" A 10.100.1.2"))
	step("an added IPv6 VIP is served as AAAA", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.1.2", "fd00:101::2"}, ports, "east")))
	}, name, "AAAA", answer(name+" AAAA fd00:101::2"))
	step("a renamed port moves the SRV name", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.1.2", "fd00:101::2"},
			[]mcsv1beta1.ServicePort{fixtures.Port("web", tcp, 80)}, "east")))
	}, fqdn("_http._tcp.svc."+ns+".svc"), "SRV", nxdomain)
	step("a deleted import is NXDOMAIN", func() {
		must(t, bed.DeleteServiceImport(ctx, ns, "svc"))
	}, name, "A", nxdomain)

	hs := fqdn("hs." + ns + ".svc")
	ep := func(host, addr string) fixtures.Endpoint {
		return fixtures.Endpoint{Hostname: host, Addresses: []string{addr}}
	}
	step("a headless import with one slice serves its endpoint", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "hs", mcsv1beta1.Headless, nil, ports, "east", "west")))
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "hs", Cluster: "east", Endpoints: []fixtures.Endpoint{ep("a", "10.1.1.1")}})
		must(t, err)
	}, hs, "A", answer(hs+" A 10.1.1.1"))
	var west string
	step("a slice from a second cluster adds its endpoints", func() {
		var err error
		west, err = bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "hs", Cluster: "west", Endpoints: []fixtures.Endpoint{ep("b", "10.1.1.2")}})
		must(t, err)
	}, hs, "A", answer(hs+" A 10.1.1.1", hs+" A 10.1.1.2"))
	step("the new endpoint has its own name", func() {}, fqdn("b.west.hs."+ns+".svc"), "A", answer(fqdn("b.west.hs."+ns+".svc")+" A 10.1.1.2"))
	step("an endpoint turning not ready leaves the answer", func() {
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "hs", Cluster: "east",
			Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.1.1.1"}, NotReady: true}}})
		must(t, err)
	}, hs, "A", answer(hs+" A 10.1.1.2"))
	step("its per-endpoint name goes with it", func() {}, fqdn("a.east.hs."+ns+".svc"), "A", nxdomain)
	step("deleting the last slice with a ready endpoint makes the service NXDOMAIN", func() {
		must(t, bed.DeleteEndpointSlice(ctx, ns, west))
	}, hs, "A", nxdomain)
	step("an endpoint turning ready again is served", func() {
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "hs", Cluster: "east", Endpoints: []fixtures.Endpoint{ep("a", "10.1.1.1")}})
		must(t, err)
	}, hs, "A", answer(hs+" A 10.1.1.1"))
	step("a headless import turning ClusterSetIP serves its VIP", func() {
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "hs", mcsv1beta1.ClusterSetIP, []string{"10.100.1.3"}, ports, "east")))
	}, hs, "A", answer(hs+" A 10.100.1.3"))
	step("and loses its per-endpoint names", func() {}, fqdn("a.east.hs."+ns+".svc"), "A", nxdomain)
}

// TestNamespaceRemovedLocally deletes the namespace of an import while the
// import stays in the API (no namespace controller runs, and the namespace
// is finalized by hand): namespace sameness says no answer (docs/dns-contract.md, "no ServiceImport; namespace absent here").
func TestNamespaceRemovedLocally(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
	const ns = "ghost"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.4.1"}, nil, "east")))
	name := fqdn("svc." + ns + ".svc")
	expect(t, c, converge, name, "A", answer(name+" A 10.100.4.1"))

	removeNamespaceKeepObjects(t, ns)
	if _, err := bed.MCS.MulticlusterV1beta1().ServiceImports(ns).Get(ctx, "svc", metav1.GetOptions{}); err != nil {
		t.Fatalf("the ServiceImport should outlive its namespace here: %v", err)
	}
	expect(t, c, converge, name, "A", nxdomain)
	expect(t, c, settle, fqdn(ns+".svc"), "A", nxdomain)
}

// TestTruncation serves a headless service of 100 endpoints: over UDP the
// answer does not fit and must come back truncated with TC set, never
// malformed or oversized; over TCP it is complete (docs/dns-contract.md, the line "an answer larger than the UDP buffer (512…").
func TestTruncation(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
	const ns = "big"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "big", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}, "east")))
	var eps []fixtures.Endpoint
	var all []string
	name := fqdn("big." + ns + ".svc")
	for i := 1; i <= 100; i++ {
		addr := fmt.Sprintf("10.5.0.%d", i)
		eps = append(eps, fixtures.Endpoint{Addresses: []string{addr}})
		all = append(all, name+" A "+addr)
	}
	_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "big", Cluster: "east",
		Ports: []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}, Endpoints: eps})
	must(t, err)

	t.Run("over TCP the answer has all 100 addresses", func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			r, err := dig(c.addr, name, "A", tcp)
			if err != nil {
				return "", err
			}
			return r.text, answers.Check(r.Msg, answer(all...))
		}))
	})
	t.Run("over UDP without EDNS0 the answer is truncated to 512 octets with TC set", func(t *testing.T) {
		r, err := ask(c.addr, name, dns.TypeA, udp, 0)
		must(t, err)
		if !r.Truncated {
			t.Errorf("TC not set on a %d-octet answer of %d records", r.size, len(r.Answer))
		}
		if r.size > 512 {
			t.Errorf("UDP answer of %d octets, over the 512 a client without EDNS0 accepts", r.size)
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
			t.Errorf("rcode %s aa %v, want NOERROR with AA", dns.RcodeToString[r.Rcode], r.Authoritative)
		}
	})
	t.Run("dig over UDP with +noedns sees TC and a well-formed message", func(t *testing.T) {
		r, err := dig(c.addr, name, "A", udp, "+noedns")
		must(t, err)
		if !r.Truncated {
			t.Errorf("TC not set:\n%s", r.text)
		}
	})
	t.Run("dig over UDP with its default EDNS0 buffer sees TC", func(t *testing.T) {
		r, err := dig(c.addr, name, "A", udp)
		must(t, err)
		if !r.Truncated {
			t.Errorf("TC not set on 100 A records (1600+ octets) in a 1232-octet buffer:\n%s", r.text)
		}
	})
	t.Run("over UDP with a 4096-octet EDNS0 buffer the answer is complete", func(t *testing.T) {
		r, err := ask(c.addr, name, dns.TypeA, udp, 4096)
		must(t, err)
		if err := answers.Check(r.Msg, answer(all...)); err != nil {
			t.Error(err)
		}
		if r.size > 4096 {
			t.Errorf("answer of %d octets in a 4096 buffer", r.size)
		}
	})
	t.Run("the bare-name SRV over TCP has one record per endpoint", func(t *testing.T) {
		r, err := dig(c.addr, name, "SRV", tcp)
		must(t, err)
		if len(r.Answer) != 100 || r.Truncated {
			t.Errorf("%d SRV records, tc %v; want 100 without TC", len(r.Answer), r.Truncated)
		}
	})
	t.Run("the bare-name SRV over UDP is truncated, not malformed", func(t *testing.T) {
		r, err := ask(c.addr, name, dns.TypeSRV, udp, 1232)
		must(t, err)
		if !r.Truncated || r.size > 1232 {
			t.Errorf("tc %v size %d, want TC within 1232 octets", r.Truncated, r.size)
		}
	})
}

// TestReadyAfterSync starts CoreDNS while the API server does not answer
// yet (a proxy holds the connections): /ready is 503 and names are
// SERVFAIL (docs/dns-contract.md, the line "before the caches' first sync"); once the API answers, /ready turns 200 and the
// answers are right.
func TestReadyAfterSync(t *testing.T) {
	ctx := t.Context()
	const ns = "early"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.2.1"}, nil, "east")))
	name := fqdn("svc." + ns + ".svc")

	proxy := newAPIProxy(t, strings.TrimPrefix(bed.URL, "https://"), proxyHold)
	kubeconfig := kubeconfigVia(t, bed, proxy.addr())
	c := startCoreDNS(t, "clusterset-server.Corefile", serverEnv{"KUBECONFIG": kubeconfig}, func(s string) string {
		return strings.Replace(s, "kubeconfig {$KUBECONFIG}", "kubeconfig {$KUBECONFIG}\n        startup_timeout 1s", 1)
	})

	t.Run("before the first sync /ready is 503", func(t *testing.T) {
		must(t, poll(10*time.Second, func() (string, error) {
			code, body, err := httpGet(c.readyAddr, "/ready")
			if err != nil {
				return "", err // not listening yet
			}
			if code != http.StatusServiceUnavailable {
				return body, fmt.Errorf("/ready: HTTP %d, want 503", code)
			}
			return "", nil
		}))
	})
	t.Run("before the first sync a name is SERVFAIL", func(t *testing.T) {
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, name, "A", tr)
			must(t, err)
			if err := answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeServerFailure, NoAA: true}); err != nil {
				t.Errorf("%s A over %s: %v\n%s", name, tr, err, r.text)
			}
		}
	})
	proxy.set(proxyPass)
	t.Run("after the sync /ready is 200", func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			code, body, err := httpGet(c.readyAddr, "/ready")
			if err != nil {
				return "", err
			}
			if code != http.StatusOK {
				return body, fmt.Errorf("/ready: HTTP %d, want 200", code)
			}
			return "", nil
		}))
	})
	t.Run("after the sync the name is answered", func(t *testing.T) {
		expect(t, c, settle, name, "A", answer(name+" A 10.100.2.1"))
		expect(t, c, settle, fqdn("nosuch."+ns+".svc"), "A", nxdomain)
	})
}

// kubeconfigVia writes a copy of the coredns user's kubeconfig whose
// server is addr (same certificate: the proxy passes TLS through).
func kubeconfigVia(t *testing.T, b *testbed.Bed, addr string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(b.Kubeconfig(coreDNSUser))
	must(t, err)
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + addr
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// TestClusterDNSExample runs corefile-examples/cluster-dns.Corefile:
// kubernetes and clusterset in one server block, forward for the rest.
func TestClusterDNSExample(t *testing.T) {
	ctx := t.Context()
	loadContractData(t, ctx)
	c := startCoreDNS(t, "cluster-dns.Corefile", nil, nil)
	waitContractData(t, c)
	svc, err := bed.Kube.CoreV1().Services(ns).Get(ctx, "local-only", metav1.GetOptions{})
	must(t, err)
	cached := func(w answers.Want) answers.Want { w.AnyTTL = true; return w }

	t.Run("clusterset.local names are answered by clusterset", func(t *testing.T) {
		vip := fqdn("vip." + ns + ".svc")
		expect(t, c, settle, vip, "A", cached(answer(vip+" A 10.100.0.10")))
		expect(t, c, settle, fqdn("db-0.west.dc.example.db."+ns+".svc"), "A", cached(answer(fqdn("db-0.west.dc.example.db."+ns+".svc")+" A 10.3.0.10")))
		expect(t, c, settle, fqdn("dns-version"), "TXT", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{fqdn("dns-version") + ` TXT "1.0.0"`}, AnyTTL: true})
	})
	// docs/dns-contract.md, the line "no ServiceImport".
	t.Run("a Service that is not imported is in cluster.local only", func(t *testing.T) {
		local := "local-only." + ns + ".svc.cluster.local."
		expect(t, c, settle, local, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{local + " A " + svc.Spec.ClusterIP}, AnyTTL: true})
		expect(t, c, settle, fqdn("local-only."+ns+".svc"), "A", cached(nxdomain))
	})
	t.Run("names outside both zones go to the upstream", func(t *testing.T) {
		expect(t, c, settle, "example.org.", "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{"example.org. A 192.0.2.1"}, AnyTTL: true, NoAA: true})
	})
	// docs/dns-contract.md, the line "PTR".
	t.Run("the reverse name of a VIP has no clusterset.local PTR", func(t *testing.T) {
		r, err := dig(c.addr, "10.0.100.10.in-addr.arpa.", "PTR", udp)
		must(t, err)
		for _, rr := range r.Answer {
			if strings.Contains(strings.ToLower(rr.String()), "clusterset.local") {
				t.Errorf("PTR into the clusterset zone: %s", rr)
			}
		}
	})
}

// TestSeparateServerExample runs corefile-examples/clusterset-server.Corefile
// and, in front of it, cluster-dns-forward.Corefile, and asks the latter.
func TestSeparateServerExample(t *testing.T) {
	ctx := t.Context()
	loadContractData(t, ctx)
	backend := startCoreDNS(t, "clusterset-server.Corefile", nil, nil)
	waitContractData(t, backend)
	front := startCoreDNS(t, "cluster-dns-forward.Corefile", serverEnv{"CLUSTERSET_SERVER": backend.addr}, nil)
	fwd := func(w answers.Want) answers.Want { w.AnyTTL, w.NoAA = true, true; return w }

	db := fqdn("db." + ns + ".svc")
	expect(t, front, converge, db, "A", fwd(answer(db+" A 10.1.0.10", db+" A 10.1.0.11", db+" A 10.2.0.10", db+" A 10.2.0.20", db+" A 10.3.0.10")))
	vip := fqdn("_http._tcp.vip." + ns + ".svc")
	expect(t, front, settle, vip, "SRV", fwd(answer(vip+" SRV 80 "+fqdn("vip."+ns+".svc"))))
	expect(t, front, settle, fqdn("nosuch."+ns+".svc"), "A", fwd(nxdomain))
	t.Run("a forwarded negative answer keeps the zone SOA", func(t *testing.T) {
		r, err := dig(front.addr, fqdn("nosuch2."+ns+".svc"), "A", udp)
		must(t, err)
		if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("want NXDOMAIN with the SOA in authority:\n%s", r.text)
		}
	})
	expect(t, front, settle, "example.org.", "A", fwd(answer("example.org. A 192.0.2.1")))
}

// TestObservabilityExample runs corefile-examples/observability.Corefile and
// checks health, ready and the clusterset metrics.
func TestObservabilityExample(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "observability.Corefile", nil, nil)
	t.Run("/health is 200", func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			code, body, err := httpGet(c.healthAddr, "/health")
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("/health: HTTP %d", code)
			}
			return body, err
		}))
	})
	t.Run("/ready is 200 once synced", func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			code, body, err := httpGet(c.readyAddr, "/ready")
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("/ready: HTTP %d", code)
			}
			return body, err
		}))
	})
	read := func(series string) float64 {
		v, err := metric(c.metricsAddr, series)
		if err != nil {
			return 0 // an unset label value of a vector is absent
		}
		return v
	}
	waitMetric := func(t *testing.T, series string, want float64) {
		t.Helper()
		must(t, poll(converge, func() (string, error) {
			v, err := metric(c.metricsAddr, series)
			if err != nil {
				return "", err
			}
			if v != want {
				return "", fmt.Errorf("%s = %v, want %v", series, v, want)
			}
			return "", nil
		}))
	}
	t.Run("coredns_clusterset_synced is 1", func(t *testing.T) { waitMetric(t, "coredns_clusterset_synced", 1) })

	const ns = "obs"
	must(t, bed.EnsureNamespace(ctx, ns))
	// The data set of the package is shared: count relative to now.
	time.Sleep(500 * time.Millisecond)
	headless, vip := read(`coredns_clusterset_services{type="Headless"}`), read(`coredns_clusterset_services{type="ClusterSetIP"}`)
	v4 := read(`coredns_clusterset_endpoints{family="IPv4"}`)
	invalid := read(`coredns_clusterset_skipped_total{reason="invalid_ip"}`)
	noCluster := read(`coredns_clusterset_skipped_total{reason="missing_cluster"}`)

	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "h", mcsv1beta1.Headless, nil, nil, "east")))
	_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "h", Cluster: "east",
		Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.8.0.1"}}, {Addresses: []string{"10.8.0.2"}}}})
	must(t, err)
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "c", mcsv1beta1.ClusterSetIP, []string{"10.100.5.1"}, nil, "east")))
	// spec.ips is not validated by the CRD: a hostile value reaches the
	// plugin, which must skip that address and serve the rest.
	bad := fixtures.ServiceImport(ns, "bad", mcsv1beta1.ClusterSetIP, []string{"10.100.5.2"}, nil, "east")
	bad.Spec.IPs = append(bad.Spec.IPs, "10.100.5.300")
	must(t, bed.ApplyServiceImport(ctx, bad))
	_, err = bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "h", Name: "h-nocluster", NoClusterLabel: true,
		Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.8.0.3"}}}})
	must(t, err)

	t.Run(`coredns_clusterset_services{type} counts the new imports`, func(t *testing.T) {
		waitMetric(t, `coredns_clusterset_services{type="Headless"}`, headless+1)
		waitMetric(t, `coredns_clusterset_services{type="ClusterSetIP"}`, vip+2)
	})
	t.Run(`coredns_clusterset_endpoints{family="IPv4"} counts the new endpoints`, func(t *testing.T) {
		waitMetric(t, `coredns_clusterset_endpoints{family="IPv4"}`, v4+2)
	})
	t.Run(`an invalid spec.ips entry counts in coredns_clusterset_skipped_total{reason="invalid_ip"}`, func(t *testing.T) {
		// Counted once per object version: the import was written twice
		// (spec, then the status subresource).
		must(t, poll(converge, func() (string, error) {
			v, err := metric(c.metricsAddr, `coredns_clusterset_skipped_total{reason="invalid_ip"}`)
			if err != nil {
				return "", err
			}
			if v < invalid+1 || v > invalid+2 {
				return "", fmt.Errorf("skipped_total{reason=\"invalid_ip\"} = %v, want %v or %v", v, invalid+1, invalid+2)
			}
			return "", nil
		}))
	})
	t.Run(`a slice without the source-cluster label counts in coredns_clusterset_skipped_total{reason="missing_cluster"}`, func(t *testing.T) {
		must(t, poll(converge, func() (string, error) {
			v, err := metric(c.metricsAddr, `coredns_clusterset_skipped_total{reason="missing_cluster"}`)
			if err != nil {
				return "", err
			}
			if v < noCluster+1 {
				return "", fmt.Errorf("skipped_total{reason=\"missing_cluster\"} = %v, want at least %v", v, noCluster+1)
			}
			return "", nil
		}))
		name := fqdn("h." + ns + ".svc")
		expect(t, c, settle, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.8.0.1", name + " A 10.8.0.2"}, AnyTTL: true})
	})
	t.Run("the valid VIP of an import with an invalid one is still served", func(t *testing.T) {
		name := fqdn("bad." + ns + ".svc")
		expect(t, c, converge, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.5.2"}, TTL: 10, AnyTTL: true})
	})
	t.Run("answers carry the configured ttl", func(t *testing.T) {
		name := fqdn("c." + ns + ".svc")
		r, err := ask(c.addr, name, dns.TypeA, udp, 1232)
		must(t, err)
		if err := answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.5.1"}, AnyTTL: true}); err != nil {
			t.Fatal(err)
		}
		if ttl := r.Answer[0].Header().Ttl; ttl > 10 || ttl == 0 {
			t.Errorf("TTL %d, want 1..10 (ttl 10, cache may count down)", ttl)
		}
	})
	t.Run("the programming latency and rebuild metrics are exported", func(t *testing.T) {
		for _, s := range []string{"coredns_clusterset_programming_latency_seconds_count", "coredns_clusterset_snapshot_rebuilds_total"} {
			if v, err := metric(c.metricsAddr, s); err != nil || v == 0 {
				t.Errorf("%s = %v (%v), want > 0", s, v, err)
			}
		}
	})
}

// TestReload rewrites the Corefile of a running server (reload plugin,
// 2 s interval) several times: each new ttl shows on the wire, and the
// goroutine count does not grow with the number of reloads.
func TestReload(t *testing.T) {
	ctx := t.Context()
	const ns = "rel"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.6.1"}, nil, "east")))
	name := fqdn("svc." + ns + ".svc")
	ttlLine := regexp.MustCompile(`(?m)^(\s*)ttl \d+$`)
	c := startCoreDNS(t, "observability.Corefile", nil, func(s string) string {
		s = strings.Replace(s, "    reload\n", "    reload 2s 1s\n", 1)
		s = strings.Replace(s, "    cache 30\n", "", 1) // TTLs straight from the plugin
		return s
	})
	body, err := os.ReadFile(c.corefile)
	must(t, err)
	if !strings.Contains(string(body), "reload 2s 1s") || !ttlLine.Match(body) {
		t.Fatalf("observability.Corefile no longer has the reload and ttl lines this test edits:\n%s", body)
	}
	goroutines := func() float64 {
		v, err := metric(c.metricsAddr, "go_goroutines")
		must(t, err)
		return v
	}
	reloadTo := func(ttl int) {
		t.Helper()
		must(t, os.WriteFile(c.corefile, ttlLine.ReplaceAll(body, []byte(fmt.Sprintf("${1}ttl %d", ttl))), 0o600))
		expect(t, c, 30*time.Second, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.6.1"}, TTL: uint32(ttl)})
		if t.Failed() {
			t.FailNow()
		}
	}
	expect(t, c, converge, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.6.1"}, TTL: 10})
	reloadTo(21)
	time.Sleep(2 * time.Second) // let the old instance wind down
	base := goroutines()
	const reloads = 6
	for i := 0; i < reloads; i++ {
		reloadTo(22 + i)
	}
	time.Sleep(2 * time.Second)
	after := goroutines()
	t.Logf("go_goroutines: %v after the first reload, %v after %d more", base, after, reloads)
	if after > base+15 {
		t.Errorf("go_goroutines grew from %v to %v over %d reloads: the old instances' watches leak", base, after, reloads)
	}
	if exited, err := c.proc.Exited(); exited {
		t.Errorf("coredns exited during the reloads: %v", err)
	}
}

// TestV1Alpha1Only runs against a second API server whose ServiceImport
// CRD serves only v1alpha1: the plugin must fall back to it.
func TestV1Alpha1Only(t *testing.T) {
	ctx := t.Context()
	old := testbed.StartT(t, testbed.Options{ServiceImportV1Alpha1Only: true, Users: []testbed.User{{Name: coreDNSUser}}})
	must(t, grantCoreDNS(ctx, old))
	c := startCoreDNS(t, "clusterset-alone.Corefile", serverEnv{"KUBECONFIG": old.Kubeconfig(coreDNSUser)}, nil)

	const ns = "legacy"
	must(t, old.EnsureNamespace(ctx, ns))
	must(t, old.ApplyServiceImportV1Alpha1(ctx, fixtures.ServiceImportV1Alpha1(ns, "vip", mcsv1alpha1.ClusterSetIP, []string{"10.100.9.1", "fd00:109::1"},
		[]mcsv1alpha1.ServicePort{fixtures.PortV1Alpha1("http", corev1.ProtocolTCP, 80)}, "east")))
	must(t, old.ApplyServiceImportV1Alpha1(ctx, fixtures.ServiceImportV1Alpha1(ns, "db", mcsv1alpha1.Headless, nil,
		[]mcsv1alpha1.ServicePort{fixtures.PortV1Alpha1("pg", corev1.ProtocolTCP, 5432)}, "east")))
	_, err := old.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "db", Cluster: "east",
		Ports:     []fixtures.SlicePort{{Name: "pg", Protocol: corev1.ProtocolTCP, Port: 5432}},
		Endpoints: []fixtures.Endpoint{{Hostname: "db-0", Addresses: []string{"10.9.0.1"}}}})
	must(t, err)
	_, err = old.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "db", Cluster: "east", AddressType: discoveryv1.AddressTypeIPv6,
		Ports:     []fixtures.SlicePort{{Name: "pg", Protocol: corev1.ProtocolTCP, Port: 5432}},
		Endpoints: []fixtures.Endpoint{{Hostname: "db-0", Addresses: []string{"fd00:9::1"}}}})
	must(t, err)

	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	expect(t, c, converge, n("vip"), "A", answer(n("vip")+" A 10.100.9.1"))
	expect(t, c, settle, n("vip"), "AAAA", answer(n("vip")+" AAAA fd00:109::1"))
	expect(t, c, converge, n("db"), "A", answer(n("db")+" A 10.9.0.1"))
	expect(t, c, settle, n("db-0.east.db"), "AAAA", answer(n("db-0.east.db")+" AAAA fd00:9::1"))
	expect(t, c, settle, n("_pg._tcp.db"), "SRV", answer(n("_pg._tcp.db")+" SRV 5432 "+n("db-0.east.db")))
	expect(t, c, settle, n("nosuch"), "A", nxdomain)
}
