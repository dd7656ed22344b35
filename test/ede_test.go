package test

// extended_errors: negative answers with a knowable reason carry
// an Extended DNS Error (RFC 8914, EDNS option 15) with EXTRA-TEXT when the
// query had EDNS0; a query without EDNS0 gets no OPT record at all.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// askMsg sends one question with miekg/dns over tr, with EDNS0 (buffer
// 1232) or without, and returns the whole response, OPT included.
func askMsg(addr, name string, qtype uint16, tr transport, edns bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns {
		m.SetEdns0(1232, false)
	}
	cl := &dns.Client{Net: tr.String(), Timeout: 3 * time.Second, UDPSize: 1232}
	resp, _, err := cl.Exchange(m, addr)
	return resp, err
}

// edes returns the Extended DNS Error options of resp.
func edes(resp *dns.Msg) []*dns.EDNS0_EDE {
	var out []*dns.EDNS0_EDE
	if opt := resp.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

// edeWant is an expected negative answer with its Extended DNS Error;
// code < 0 means no EDE option.
type edeWant struct {
	rcode int
	code  int
	text  string
}

func (w edeWant) String() string {
	if w.code < 0 {
		return fmt.Sprintf("%s without EDE", dns.RcodeToString[w.rcode])
	}
	return fmt.Sprintf("%s with EDE %d %q", dns.RcodeToString[w.rcode], w.code, w.text)
}

// checkEDE compares resp with w: rcode, AA on NXDOMAIN and NOERROR, no
// answer records, the zone SOA in authority, an OPT record (the query had
// one) and exactly the expected EDE option.
func checkEDE(resp *dns.Msg, w edeWant) error {
	var errs []string
	if resp.Rcode != w.rcode {
		errs = append(errs, fmt.Sprintf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[w.rcode]))
	}
	if w.rcode != dns.RcodeServerFailure {
		if !resp.Authoritative {
			errs = append(errs, "AA bit not set")
		}
		if len(resp.Answer) != 0 {
			errs = append(errs, fmt.Sprintf("answer %v, want none", resp.Answer))
		}
		if len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != dns.TypeSOA {
			errs = append(errs, fmt.Sprintf("authority %v, want the zone SOA", resp.Ns))
		}
	}
	if resp.IsEdns0() == nil {
		errs = append(errs, "no OPT record in the answer to a query with EDNS0")
	}
	got := edes(resp)
	switch {
	case w.code < 0 && len(got) != 0:
		errs = append(errs, fmt.Sprintf("EDE %d %q, want none", got[0].InfoCode, got[0].ExtraText))
	case w.code >= 0 && len(got) != 1:
		errs = append(errs, fmt.Sprintf("%d EDE options, want one: %d %q", len(got), w.code, w.text))
	case w.code >= 0 && (int(got[0].InfoCode) != w.code || got[0].ExtraText != w.text):
		errs = append(errs, fmt.Sprintf("EDE %d %q, want %d %q", got[0].InfoCode, got[0].ExtraText, w.code, w.text))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// expectEDE asks name/qtype with EDNS0 over UDP and TCP until the answer
// matches w or within passes.
func expectEDE(t *testing.T, c *coreDNS, within time.Duration, name string, qtype uint16, w edeWant) {
	t.Helper()
	for _, tr := range []transport{udp, tcp} {
		if err := poll(within, func() (string, error) {
			resp, err := askMsg(c.addr, name, qtype, tr, true)
			if err != nil {
				return "", err
			}
			return resp.String(), checkEDE(resp, w)
		}); err != nil {
			t.Errorf("%s %s over %s, want %v: %v", name, dns.TypeToString[qtype], tr, w, err)
		}
	}
}

// EDE INFO-CODEs (RFC 8914).
const (
	edeOther    = 0
	edeNotReady = 14
	edeBlocked  = 15
)

// removeNamespaceKeepObjects deletes namespace ns and finalizes it by hand
// (no namespace controller runs): its objects stay in the API, as imports
// of a namespace that does not exist locally.
func removeNamespaceKeepObjects(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}))
	obj, err := bed.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	must(t, err)
	obj.Spec.Finalizers = nil
	_, err = bed.Kube.CoreV1().Namespaces().Finalize(ctx, obj, metav1.UpdateOptions{})
	must(t, err)
	must(t, poll(converge, func() (string, error) {
		_, err := bed.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("namespace %s still present (%v)", ns, err)
	}))
}

// TestExtendedErrors writes one import per reason and checks the EDE of
// each negative answer, the plain answers, and the counter.
func TestExtendedErrors(t *testing.T) {
	ctx := t.Context()
	const ns, denied, gone = "ede", "ede-denied", "ede-gone"
	for _, n := range []string{ns, denied, gone} {
		must(t, bed.EnsureNamespace(ctx, n))
	}
	tcpP := corev1.ProtocolTCP
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}
	http := []fixtures.SlicePort{{Name: "http", Protocol: tcpP, Port: 80}}
	absent := fixtures.ServiceImport(ns, "absent", mcsv1beta1.Headless, nil, ports, "east")
	absent.Status.EndpointSliceObjects = mcsv1beta1.EndpointSliceObjectsAbsent
	for _, si := range []*mcsv1beta1.ServiceImport{
		fixtures.ServiceImport(ns, "down", mcsv1beta1.Headless, nil, ports, "east"),
		fixtures.ServiceImport(ns, "v4only", mcsv1beta1.ClusterSetIP, []string{"10.100.60.1"}, ports, "east"),
		fixtures.ServiceImport(ns, "v6only", mcsv1beta1.ClusterSetIP, []string{"fd00:160::1"}, ports, "east"),
		fixtures.ServiceImport(ns, "hv4", mcsv1beta1.Headless, nil, ports, "east"),
		fixtures.ServiceImport(ns, "filtered", mcsv1beta1.ClusterSetIP, []string{"192.168.60.1"}, ports, "east"),
		fixtures.ServiceImport(ns, "hfiltered", mcsv1beta1.Headless, nil, ports, "east"),
		absent,
		fixtures.ServiceImport(denied, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.60.2"}, ports, "east"),
		fixtures.ServiceImport(gone, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.60.3"}, ports, "east"),
	} {
		must(t, bed.ApplyServiceImport(ctx, si))
	}
	applySlices(t, ns, http, []fixtures.Slice{
		{Service: "down", Cluster: "east", Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.60.0.1"}, NotReady: true}}},
		{Service: "hv4", Cluster: "east", Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.60.0.2"}}}},
		{Service: "hfiltered", Cluster: "east", Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"192.168.60.2"}}}},
		{Service: "absent", Cluster: "east", Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.60.0.3"}}}},
	})
	removeNamespaceKeepObjects(t, gone)

	c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    errors
    prometheus {$METRICS_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        extended_errors
        deny_namespaces kube-system `+denied+`
        allow_addresses 10.0.0.0/8 fd00::/8
    }
}
`), nil, nil)
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	nx := func(code int, text string) edeWant { return edeWant{rcode: dns.RcodeNameError, code: code, text: text} }
	nod := func(code int, text string) edeWant { return edeWant{rcode: dns.RcodeSuccess, code: code, text: text} }
	expect(t, c, converge, n("hv4"), "A", answer(n("hv4")+" A 10.60.0.2"))

	for _, tc := range []struct {
		reason string
		name   string
		qtype  uint16
		want   edeWant
	}{
		{"no_ready_endpoints", n("down"), dns.TypeA, nx(edeOther, "clusterset: no ready endpoints")},
		{"no_ready_endpoints", n("down"), dns.TypeSRV, nx(edeOther, "clusterset: no ready endpoints")},
		{"no_ready_endpoints", n("_http._tcp.down"), dns.TypeSRV, nx(edeOther, "clusterset: no ready endpoints")},
		{"no_ready_endpoints", n("a.east.down"), dns.TypeA, nx(edeOther, "clusterset: no ready endpoints")},
		{"family_not_exported", n("v4only"), dns.TypeAAAA, nod(edeOther, "clusterset: no IPv6 address exported")},
		{"family_not_exported", n("v6only"), dns.TypeA, nod(edeOther, "clusterset: no IPv4 address exported")},
		{"family_not_exported", n("hv4"), dns.TypeAAAA, nod(edeOther, "clusterset: no IPv6 address exported")},
		{"address_filtered", n("filtered"), dns.TypeA, nod(edeBlocked, "clusterset: addresses filtered by policy")},
		{"address_filtered", n("hfiltered"), dns.TypeA, nx(edeBlocked, "clusterset: addresses filtered by policy")},
		{"endpoint_slices_absent", n("absent"), dns.TypeA, nx(edeOther, "clusterset: endpointSliceObjects is Absent")},
		{"endpoint_slices_absent", n("a.east.absent"), dns.TypeA, nx(edeOther, "clusterset: endpointSliceObjects is Absent")},
		{"namespace_denied", fqdn("svc." + denied + ".svc"), dns.TypeA, nx(edeBlocked, "clusterset: namespace denied by policy")},
		{"namespace_denied", fqdn("_http._tcp.svc." + denied + ".svc"), dns.TypeSRV, nx(edeBlocked, "clusterset: namespace denied by policy")},
		{"namespace_absent", fqdn("svc." + gone + ".svc"), dns.TypeA, nx(edeOther, "clusterset: namespace not present in this cluster")},
		{"namespace_absent", fqdn("_http._tcp.svc." + gone + ".svc"), dns.TypeSRV, nx(edeOther, "clusterset: namespace not present in this cluster")},
		{"no ServiceImport: plain NXDOMAIN", n("nosuch"), dns.TypeA, edeWant{rcode: dns.RcodeNameError, code: -1}},
		{"no ServiceImport: plain NXDOMAIN", fqdn("svc.nosuchns.svc"), dns.TypeA, edeWant{rcode: dns.RcodeNameError, code: -1}},
		{"an existing name without that type: plain NODATA", n("v4only"), dns.TypeTXT, edeWant{rcode: dns.RcodeSuccess, code: -1}},
		{"an empty non-terminal: plain NODATA", fqdn(ns + ".svc"), dns.TypeA, edeWant{rcode: dns.RcodeSuccess, code: -1}},
	} {
		t.Run(fmt.Sprintf("%s: %s %s", tc.reason, tc.name, dns.TypeToString[tc.qtype]), func(t *testing.T) {
			expectEDE(t, c, settle, tc.name, tc.qtype, tc.want)
		})
	}
	t.Run("positive answers carry no EDE", func(t *testing.T) {
		for _, tr := range []transport{udp, tcp} {
			resp, err := askMsg(c.addr, n("v4only"), dns.TypeA, tr, true)
			must(t, err)
			if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 || len(edes(resp)) != 0 {
				t.Errorf("over %s:\n%s", tr, resp)
			}
		}
	})
	t.Run("without EDNS0 in the query there is no OPT record at all", func(t *testing.T) {
		for _, name := range []string{n("down"), fqdn("svc." + denied + ".svc"), n("nosuch")} {
			for _, tr := range []transport{udp, tcp} {
				resp, err := askMsg(c.addr, name, dns.TypeA, tr, false)
				must(t, err)
				if resp.Rcode != dns.RcodeNameError || resp.IsEdns0() != nil {
					t.Errorf("%s A over %s without EDNS0: rcode %s, OPT %v\n%s", name, tr, dns.RcodeToString[resp.Rcode], resp.IsEdns0(), resp)
				}
			}
		}
		r, err := askMsg(c.addr, n("v4only"), dns.TypeAAAA, udp, false)
		must(t, err)
		if r.Rcode != dns.RcodeSuccess || r.IsEdns0() != nil {
			t.Errorf("%s AAAA without EDNS0:\n%s", n("v4only"), r)
		}
	})
	t.Run("dig shows the EDE", func(t *testing.T) {
		r, err := dig(c.addr, n("down"), "A", udp)
		must(t, err)
		if !strings.Contains(r.text, "EDE: 0 (Other): (clusterset: no ready endpoints)") {
			t.Errorf("dig does not show the EDE:\n%s", r.text)
		}
	})
	t.Run("each explained answer is counted by reason", func(t *testing.T) {
		series := `coredns_clusterset_explained_answers_total{reason="no_ready_endpoints"}`
		before, _ := metric(c.metricsAddr, series) // absent until the first one
		const asked = 3
		for i := 0; i < asked; i++ {
			resp, err := askMsg(c.addr, n("down"), dns.TypeA, udp, true)
			must(t, err)
			must(t, checkEDE(resp, nx(edeOther, "clusterset: no ready endpoints")))
		}
		must(t, poll(converge, func() (string, error) {
			v, err := metric(c.metricsAddr, series)
			if err != nil {
				return "", err
			}
			if v < before+asked {
				return "", fmt.Errorf("%s = %v, want at least %v", series, v, before+asked)
			}
			return "", nil
		}))
		for _, reason := range []string{"family_not_exported", "address_filtered", "endpoint_slices_absent", "namespace_denied", "namespace_absent"} {
			s := `coredns_clusterset_explained_answers_total{reason="` + reason + `"}`
			if v, err := metric(c.metricsAddr, s); err != nil || v < 1 {
				t.Errorf("%s = %v (%v), want at least 1 after the questions above", s, v, err)
			}
		}
	})
}

// TestExtendedErrorsNotSynced starts a server whose API server does not
// answer yet: SERVFAIL with EDE 14 Not Ready, and the not_synced counter.
func TestExtendedErrorsNotSynced(t *testing.T) {
	proxy := newAPIProxy(t, strings.TrimPrefix(bed.URL, "https://"), proxyHold)
	c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    errors
    prometheus {$METRICS_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        startup_timeout 1s
        extended_errors
    }
}
`), serverEnv{"KUBECONFIG": kubeconfigVia(t, bed, proxy.addr())}, nil)
	name := fqdn("svc.nosuchns.svc")
	want := edeWant{rcode: dns.RcodeServerFailure, code: edeNotReady, text: "clusterset: not synced with the API yet"}
	expectEDE(t, c, settle, name, dns.TypeA, want)
	t.Run("without EDNS0: SERVFAIL without OPT", func(t *testing.T) {
		resp, err := askMsg(c.addr, name, dns.TypeA, udp, false)
		must(t, err)
		if resp.Rcode != dns.RcodeServerFailure || resp.IsEdns0() != nil {
			t.Errorf("rcode %s, OPT %v:\n%s", dns.RcodeToString[resp.Rcode], resp.IsEdns0(), resp)
		}
	})
	t.Run("counted", func(t *testing.T) {
		waitMetricAtLeast(t, c.metricsAddr, `coredns_clusterset_explained_answers_total{reason="not_synced"}`, 2)
	})
	proxy.set(proxyPass)
	t.Run("once synced, a name without ServiceImport is a plain NXDOMAIN", func(t *testing.T) {
		expectEDE(t, c, converge, name, dns.TypeA, edeWant{rcode: dns.RcodeNameError, code: -1})
	})
}

// waitMetricAtLeast polls series until it is at least min.
func waitMetricAtLeast(t *testing.T, addr, series string, min float64) {
	t.Helper()
	must(t, poll(converge, func() (string, error) {
		v, err := metric(addr, series)
		if err != nil {
			return "", err
		}
		if v < min {
			return "", fmt.Errorf("%s = %v, want at least %v", series, v, min)
		}
		return "", nil
	}))
}
