package test

// Behaviour beyond the contract table, as plugin/clusterset/README.md
// documents it (Startup, and the options that bound what a peer can make
// this cluster answer), shown against a real API server.

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
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
// the MCS CRDs: it is not ready and answers SERVFAIL (docs/dns-contract.md, "before the caches' first sync") until the
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
			if err := answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeServerFailure, NoAA: true}); err != nil {
				t.Errorf("%s A over %s: %v\n%s", name, tr, err, r.text)
			}
		}
	})
	must(t, b.InstallCRDs(ctx, false))
	must(t, b.EnsureNamespace(ctx, ns))
	must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.11.1"}, nil, "east")))
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
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "before", mcsv1beta1.ClusterSetIP, []string{"10.100.12.1"}, nil, "east")))
	proxy := newAPIProxy(t, strings.TrimPrefix(bed.URL, "https://"), proxyPass)
	c := startCoreDNS(t, "observability.Corefile", serverEnv{"KUBECONFIG": kubeconfigVia(t, bed, proxy.addr())}, nil)
	before, after := fqdn("before."+ns+".svc"), fqdn("after."+ns+".svc")
	cached := func(w answers.Want) answers.Want { w.AnyTTL = true; return w }

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
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "after", mcsv1beta1.ClusterSetIP, []string{"10.100.12.2"}, nil, "east")))
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
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}
	// spec.ips is not validated by the CRD; EndpointSlice addresses are.
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "metadata", mcsv1beta1.ClusterSetIP, []string{"169.254.169.254"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "mixed", mcsv1beta1.ClusterSetIP, []string{"127.0.0.1", "10.100.13.1"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport("kube-system", "sys", mcsv1beta1.ClusterSetIP, []string{"10.100.13.2"}, ports, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "zz-done", mcsv1beta1.ClusterSetIP, []string{"10.100.13.9"}, ports, "east")))
	done := fqdn("zz-done." + ns + ".svc")
	expect(t, c, converge, done, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{done + " A 10.100.13.9"}, AnyTTL: true})

	t.Run("a loopback VIP is dropped and the other one served", func(t *testing.T) {
		name := fqdn("mixed." + ns + ".svc")
		expect(t, c, settle, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.13.1"}, AnyTTL: true})
	})
	t.Run("the cloud metadata address is never served", func(t *testing.T) {
		name := fqdn("metadata." + ns + ".svc")
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, name, "A", tr)
			must(t, err)
			if len(r.Answer) != 0 {
				t.Errorf("%s A over %s answered %v", name, tr, r.Answer)
			}
		}
	})
	t.Run("imports in kube-system are not served", func(t *testing.T) {
		expect(t, c, settle, fqdn("sys.kube-system.svc"), "A", answers.Want{Rcode: dns.RcodeNameError, AnyTTL: true})
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

// waitLogLine polls the coredns log until one line holds every part, and
// returns that line.
func waitLogLine(t *testing.T, c *coreDNS, within time.Duration, parts ...string) string {
	t.Helper()
	var found string
	must(t, poll(within, func() (string, error) {
		for _, line := range strings.Split(c.proc.Log(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				found = line
				return "", nil
			}
		}
		return c.proc.Tail(3000), fmt.Errorf("no log line with all of %q", parts)
	}))
	return found
}

// expectServfail asks each name over UDP and TCP once and wants SERVFAIL:
// the plugin does not know, so it must not say NXDOMAIN (docs/dns-contract.md, "before the caches' first sync").
func expectServfail(t *testing.T, c *coreDNS, names ...string) {
	t.Helper()
	for _, name := range names {
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, name, "A", tr)
			must(t, err)
			if err := answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeServerFailure, NoAA: true}); err != nil {
				t.Errorf("%s A over %s: %v\n%s", name, tr, err, r.text)
			}
		}
	}
}

// kubeconfigForCert writes a kubeconfig for b that authenticates with a
// client certificate for user: a user the shared test bed's token file
// does not know, so a test can give it a role of its own.
func kubeconfigForCert(t *testing.T, b *testbed.Bed, user string) string {
	t.Helper()
	cert, key, err := b.ClientCert(user)
	must(t, err)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bed"] = &clientcmdapi.Cluster{Server: b.URL, CertificateAuthority: b.CAFile}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key}
	cfg.Contexts["bed"] = &clientcmdapi.Context{Cluster: "bed", AuthInfo: user}
	cfg.CurrentContext = "bed"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// bindClusterRole binds user to the cluster role named role, replacing the
// binding name if it exists (roleRef cannot be changed in place), and
// removes the binding when the test ends.
func bindClusterRole(t *testing.T, b *testbed.Bed, name, role, user string) {
	t.Helper()
	ctx := t.Context()
	err := b.Kube.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	_, err = b.Kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		_ = b.Kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

// TestRBACForbidden runs CoreDNS as a user whose role lacks verbs on one
// resource, then swaps the binding to the full role (README, Startup: watch
// errors name the verb and resource).
//
// Without read access to a resource (no list, no watch) the log says which
// verb and resource, /ready stays 503, and names are SERVFAIL, never
// NXDOMAIN. Without watch alone the informer still lists: the plugin serves
// what the list gave and logs the forbidden watch. Either way, once the full
// role is bound, CoreDNS is ready and serves changes without a restart.
//
// A role without list alone is not a case: client-go's informers first ask
// for a streaming list (a watch with sendInitialEvents), which needs only
// watch, so such a server syncs and works.
func TestRBACForbidden(t *testing.T) {
	ctx := t.Context()
	const ns = "rbac"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.14.1"}, nil, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "hs", mcsv1beta1.Headless, nil, nil, "east")))
	slice := fixtures.Slice{Namespace: ns, Service: "hs", Cluster: "east", Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.14.0.1"}}}}
	_, err := bed.ApplyEndpointSlice(ctx, slice)
	must(t, err)
	// current is the slice's address; each case changes it.
	current := "10.14.0.1"
	name, unknown, hs := fqdn("svc."+ns+".svc"), fqdn("nosuch."+ns+".svc"), fqdn("hs."+ns+".svc")

	cases := []struct {
		user string
		// verbs are taken away on group/res (resource in the log's words);
		// logged is the verb the log line names.
		verbs                        []string
		group, res, resource, logged string
	}{
		{"coredns-noread-si", []string{"list", "watch"}, "multicluster.x-k8s.io", "serviceimports", "serviceimports.multicluster.x-k8s.io", "list"},
		{"coredns-noread-es", []string{"list", "watch"}, "discovery.k8s.io", "endpointslices", "endpointslices.discovery.k8s.io", "list"},
		{"coredns-nowatch-es", []string{"watch"}, "discovery.k8s.io", "endpointslices", "endpointslices.discovery.k8s.io", "watch"},
	}
	for i, tc := range cases {
		t.Run("without "+strings.Join(tc.verbs, " and ")+" on "+tc.resource, func(t *testing.T) {
			// The role a deployment needs (grantCoreDNS) less the verbs.
			full, err := bed.Kube.RbacV1().ClusterRoles().Get(ctx, "system:coredns-clusterset", metav1.GetOptions{})
			must(t, err)
			limited := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test:" + tc.user}}
			for _, r := range full.Rules {
				if slices.Contains(r.APIGroups, tc.group) && slices.Contains(r.Resources, tc.res) {
					r = *r.DeepCopy()
					r.Verbs = slices.DeleteFunc(r.Verbs, func(v string) bool { return slices.Contains(tc.verbs, v) })
					if len(r.Verbs) == 0 {
						continue // the API refuses a rule without verbs
					}
				}
				limited.Rules = append(limited.Rules, r)
			}
			_, err = bed.Kube.RbacV1().ClusterRoles().Create(ctx, limited, metav1.CreateOptions{})
			must(t, err)
			t.Cleanup(func() {
				_ = bed.Kube.RbacV1().ClusterRoles().Delete(context.Background(), limited.Name, metav1.DeleteOptions{})
			})
			binding := "test:" + tc.user
			bindClusterRole(t, bed, binding, limited.Name, tc.user)

			c := startCoreDNS(t, "observability.Corefile", serverEnv{"KUBECONFIG": kubeconfigForCert(t, bed, tc.user)}, func(s string) string {
				return strings.Replace(s, "startup_timeout 10s", "startup_timeout 1s", 1)
			})
			line := waitLogLine(t, c, converge, "Watching "+tc.resource+":", "User \""+tc.user+"\" cannot "+tc.logged+" resource \""+tc.res+"\"")
			t.Logf("logged: %s", line)
			if !strings.Contains(line, "needs list and watch on "+tc.resource) {
				t.Errorf("the log line does not say what the role needs: %s", line)
			}
			errorsSeries := `coredns_clusterset_watch_errors_total{resource="` + tc.resource + `"}`
			if slices.Contains(tc.verbs, "list") {
				// Look again after a second failed attempt, so that "stays"
				// is more than one look.
				must(t, poll(converge, func() (string, error) {
					if v, err := metric(c.metricsAddr, errorsSeries); err != nil || v < 2 {
						return "", fmt.Errorf("%s = %v (%v), want a second failed attempt", errorsSeries, v, err)
					}
					return "", nil
				}))
				if code, body, err := httpGet(c.readyAddr, "/ready"); err != nil || code != http.StatusServiceUnavailable {
					t.Errorf("/ready: HTTP %d (%v) %s, want 503 while the role cannot read %s", code, err, body, tc.resource)
				}
				if v, _ := metric(c.metricsAddr, "coredns_clusterset_synced"); v != 0 {
					t.Errorf("coredns_clusterset_synced = %v, want 0", v)
				}
				expectServfail(t, c, name, unknown, hs)
			} else {
				// The list worked: what it gave is served, not an NXDOMAIN;
				// but with no watch it goes stale unseen, so not ready.
				if v, err := metric(c.metricsAddr, errorsSeries); err != nil || v < 1 {
					t.Errorf("%s = %v (%v), want the forbidden watch counted", errorsSeries, v, err)
				}
				if code, body, err := httpGet(c.readyAddr, "/ready"); err != nil || code != http.StatusServiceUnavailable {
					t.Errorf("/ready: HTTP %d (%v) %s, want 503 while the role cannot watch %s", code, err, body, tc.resource)
				}
				expect(t, c, converge, hs, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{hs + " A " + current}, AnyTTL: true})
			}

			// Swap the role for the full one, and change the data: the
			// change must arrive through the watch now allowed.
			bindClusterRole(t, bed, binding, "system:coredns-clusterset", tc.user)
			current = fmt.Sprintf("10.14.0.%d", 10+i)
			slice.Endpoints = []fixtures.Endpoint{{Addresses: []string{current}}}
			_, err = bed.ApplyEndpointSlice(ctx, slice)
			must(t, err)
			// A failing reflector retries with a backoff of up to 30 s,
			// with jitter.
			waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, 70*time.Second)
			expect(t, c, 70*time.Second, hs, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{hs + " A " + current}, AnyTTL: true})
			expect(t, c, converge, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.14.1"}, AnyTTL: true})
			expect(t, c, settle, unknown, "A", answers.Want{Rcode: dns.RcodeNameError, AnyTTL: true})
		})
	}
}

// TestServiceImportCRDDeletedAndRecreated deletes the ServiceImport CRD under
// a running CoreDNS, which makes the API server delete every ServiceImport:
// the imports stop being served (never a crash, and the other names keep
// being answered). Once the CRD is back and an import written again, it is
// served without a restart. It runs on a test bed of its own, so that the
// shared one keeps its CRDs.
func TestServiceImportCRDDeletedAndRecreated(t *testing.T) {
	ctx := t.Context()
	b := testbed.StartT(t, testbed.Options{Users: []testbed.User{{Name: coreDNSUser}}})
	must(t, grantCoreDNS(ctx, b))
	const ns = "crd"
	must(t, b.EnsureNamespace(ctx, ns))
	must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.15.1"}, nil, "east")))
	// No cache in this Corefile: the answers are the plugin's own.
	c := startCoreDNS(t, "clusterset-server.Corefile", serverEnv{"KUBECONFIG": b.Kubeconfig(coreDNSUser)}, nil)
	name := fqdn("svc." + ns + ".svc")
	version := "dns-version." + zone
	expect(t, c, converge, name, "A", answer(name+" A 10.100.15.1"))
	waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, converge)

	must(t, b.Dynamic.Resource(testbed.CRDResource).Delete(ctx, testbed.ServiceImportCRDName, metav1.DeleteOptions{}))
	// The API server deletes the custom resources before the CRD itself.
	must(t, poll(time.Minute, func() (string, error) {
		_, err := b.Dynamic.Resource(testbed.CRDResource).Get(ctx, testbed.ServiceImportCRDName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("CRD still there (%v)", err)
	}))

	t.Run("without the CRD the import is no longer served", func(t *testing.T) {
		// The ServiceImports were deleted: NXDOMAIN is the truth. SERVFAIL
		// would be acceptable (not known), the old VIP or a crash is not.
		var last *reply
		must(t, poll(converge, func() (string, error) {
			r, err := dig(c.addr, name, "A", udp)
			if err != nil {
				return "", err
			}
			last = r
			if r.Rcode == dns.RcodeNameError || r.Rcode == dns.RcodeServerFailure {
				return "", nil
			}
			return r.text, fmt.Errorf("rcode %s, answer %v; want NXDOMAIN (or SERVFAIL)", dns.RcodeToString[r.Rcode], r.Answer)
		}))
		t.Logf("%s A without the CRD: %s", name, dns.RcodeToString[last.Rcode])
	})
	t.Run("without the CRD the process serves the other names", func(t *testing.T) {
		if exited, err := c.proc.Exited(); exited {
			t.Fatalf("coredns exited (%v)", err)
		}
		r, err := dig(c.addr, version, "TXT", udp)
		must(t, err)
		if err := answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{version + ` TXT "1.0.0"`}, TTL: 28800}); err != nil {
			t.Errorf("%v\n%s", err, r.text)
		}
	})

	must(t, b.InstallCRDs(ctx, false))
	must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.15.2"}, nil, "east")))
	t.Run("once the CRD is back the new import is served", func(t *testing.T) {
		// The failed ServiceImport watch retries with a backoff of up to
		// 30 s, with jitter.
		expect(t, c, 70*time.Second, name, "A", answer(name+" A 10.100.15.2"))
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, settle)
		if exited, err := c.proc.Exited(); exited {
			t.Fatalf("coredns exited (%v)", err)
		}
	})
}

// TestAPIUnreachableAtStart starts CoreDNS with a kubeconfig whose server
// port has no listener (connection refused, unlike TestReadyAfterSync's
// server that holds connections): SERVFAIL and never NXDOMAIN, /ready 503,
// and the log says it keeps retrying. Once something answers on that port
// the server syncs without a restart.
func TestAPIUnreachableAtStart(t *testing.T) {
	ctx := t.Context()
	const ns = "unreach"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.16.1"}, nil, "east")))
	ports, err := testbed.FreePorts(1)
	must(t, err)
	apiAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	c := startCoreDNS(t, "observability.Corefile", serverEnv{"KUBECONFIG": kubeconfigVia(t, bed, apiAddr)}, func(s string) string {
		return strings.Replace(s, "startup_timeout 10s", "startup_timeout 1s", 1)
	})
	name, unknown := fqdn("svc."+ns+".svc"), fqdn("nosuch."+ns+".svc")

	t.Run("the log says it is not synced and retries", func(t *testing.T) {
		t.Logf("logged: %s", waitLogLine(t, c, converge, "Not synced with the API after 1s", "SERVFAIL"))
		t.Logf("logged: %s", waitLogLine(t, c, converge, "discovering multicluster.x-k8s.io/v1beta1", "connection refused", "retrying"))
		// The informers retry a refused connection inside client-go
		// without reporting it to the plugin; its probe reports it.
		t.Logf("logged: %s", waitLogLine(t, c, converge, "The API server does not answer", "connection refused"))
		waitMetricValue(t, c.metricsAddr, "coredns_clusterset_api_reachable", 0, converge)
	})
	t.Run("/ready is 503", func(t *testing.T) {
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusServiceUnavailable, converge)
	})
	t.Run("names are SERVFAIL, never NXDOMAIN", func(t *testing.T) {
		expectServfail(t, c, name, unknown)
	})
	t.Run("the zone's own names are answered", func(t *testing.T) {
		version := "dns-version." + zone
		expect(t, c, settle, version, "TXT", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{version + ` TXT "1.0.0"`}, TTL: 28800, AnyTTL: true})
	})

	newAPIProxyAt(t, apiAddr, strings.TrimPrefix(bed.URL, "https://"), proxyPass)
	t.Run("once the API server answers on that port it syncs", func(t *testing.T) {
		// Discovery retries at most every 10 s, a failed watch with a
		// backoff of up to 30 s, with jitter.
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, 70*time.Second)
		expect(t, c, converge, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.16.1"}, AnyTTL: true})
		expect(t, c, settle, unknown, "A", answers.Want{Rcode: dns.RcodeNameError, AnyTTL: true})
	})
}
