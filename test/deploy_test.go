package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The tests of deploy/: the Kustomize overlays render with kubectl's own
// kustomize, pass a server-side dry run on the test bed (RBAC on), and the
// ServiceAccount, ClusterRole and binding they ship are enough for
// bin/coredns, with the overlay's own Corefile, to sync and answer; with a
// permission taken away it says so and never answers NXDOMAIN.

// overlay is one deploy/ variant and what its manifests must hold.
type overlay struct {
	dir       string
	namespace string
	// service is the Service's name; deployment the Deployment's.
	service, deployment, serviceAccount, clusterRole string
	// rules is the exact grant: "group/resource" -> verbs.
	rules map[string][]string
}

// pluginRules is what the clusterset plugin reads; nothing more.
var pluginRules = map[string][]string{
	"multicluster.x-k8s.io/serviceimports": {"list", "watch"},
	"discovery.k8s.io/endpointslices":      {"list", "watch"},
	"/namespaces":                          {"list", "watch"},
	"about.k8s.io/clusterproperties":       {"list", "watch"},
}

var overlays = []overlay{
	{
		dir: "cluster-dns", namespace: "kube-system",
		service: "kube-dns", deployment: "coredns", serviceAccount: "coredns", clusterRole: "system:coredns",
		// plus what the kubernetes plugin reads with `pods insecure`.
		rules: withRules(pluginRules, map[string][]string{"/services": {"list", "watch"}}),
	},
	{
		dir: "clusterset-server", namespace: "clusterset-dns",
		service: "clusterset-dns", deployment: "clusterset-dns", serviceAccount: "clusterset-dns", clusterRole: "clusterset-dns",
		rules: pluginRules,
	},
}

func withRules(a, b map[string][]string) map[string][]string {
	m := map[string][]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// kubectlPath is the kubectl that hack/testbins.sh builds next to
// kube-apiserver (KUBECTL overrides it).
func kubectlPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUBECTL")
	if p == "" {
		dir := os.Getenv(testbed.EnvDir)
		if dir == "" {
			dir = testbed.CacheDir()
		}
		p = filepath.Join(dir, "kubectl")
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("kubectl %s is missing: run `make testbins` (hack/testbins.sh builds kubectl %s with kube-apiserver), or set KUBECTL", p, testbed.Version)
	}
	return p
}

// kubectl runs kubectl with args (and stdin, if not nil) and returns its
// stdout; the error carries stderr.
func kubectl(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath(t), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=/dev/null") // only the --kubeconfig given
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// render runs `kubectl kustomize deploy/<dir>` and decodes the objects.
func render(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	out, err := kubectl(t, nil, "kustomize", filepath.Join(repoRoot, "deploy", dir))
	if err != nil {
		t.Fatal(err)
	}
	return decodeObjects(t, "kubectl kustomize deploy/"+dir, out)
}

// find returns the one object of kind, or fails.
func find(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s rendered, want 1", len(found), kind)
	}
	return found[0]
}

func typed[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return &v
}

// grantOf flattens a ClusterRole into "group/resource" -> sorted verbs.
func grantOf(role *rbacv1.ClusterRole) map[string][]string {
	m := map[string][]string{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				m[g+"/"+res] = append(m[g+"/"+res], r.Verbs...)
			}
		}
	}
	for k := range m {
		sort.Strings(m[k])
		m[k] = slices.Compact(m[k])
	}
	return m
}

// TestDeployManifests renders each overlay, checks what the issue asks of
// the manifests, and has the API server validate them with a server-side
// dry run as admin.
func TestDeployManifests(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.dir, func(t *testing.T) {
			objs := render(t, ov.dir)
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
				if o.GetKind() != "ClusterRole" && o.GetKind() != "ClusterRoleBinding" && o.GetKind() != "Namespace" && o.GetNamespace() != ov.namespace {
					t.Errorf("%s %s in namespace %q, want %q", o.GetKind(), o.GetName(), o.GetNamespace(), ov.namespace)
				}
			}
			for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service"} {
				if !slices.Contains(kinds, k) {
					t.Errorf("no %s rendered (got %q)", k, kinds)
				}
			}

			role := typed[rbacv1.ClusterRole](t, find(t, objs, "ClusterRole"))
			if role.Name != ov.clusterRole {
				t.Errorf("ClusterRole %q, want %q", role.Name, ov.clusterRole)
			}
			got, _ := json.Marshal(grantOf(role))
			want, _ := json.Marshal(ov.rules)
			if string(got) != string(want) {
				t.Errorf("ClusterRole grants %s, want exactly %s", got, want)
			}
			crb := typed[rbacv1.ClusterRoleBinding](t, find(t, objs, "ClusterRoleBinding"))
			if crb.RoleRef.Name != ov.clusterRole || len(crb.Subjects) != 1 || crb.Subjects[0].Kind != "ServiceAccount" ||
				crb.Subjects[0].Name != ov.serviceAccount || crb.Subjects[0].Namespace != ov.namespace {
				t.Errorf("ClusterRoleBinding %s binds %+v to %+v, want ServiceAccount %s/%s to %s", crb.Name, crb.RoleRef, crb.Subjects, ov.namespace, ov.serviceAccount, ov.clusterRole)
			}

			svc := typed[corev1.Service](t, find(t, objs, "Service"))
			if svc.Name != ov.service {
				t.Errorf("Service %q, want %q", svc.Name, ov.service)
			}
			var svcPorts []string
			for _, p := range svc.Spec.Ports {
				svcPorts = append(svcPorts, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
			}
			for _, p := range []string{"53/UDP", "53/TCP"} {
				if !slices.Contains(svcPorts, p) {
					t.Errorf("Service ports %q lack %s", svcPorts, p)
				}
			}

			d := typed[appsv1.Deployment](t, find(t, objs, "Deployment"))
			checkDeployment(t, ov, d, svc)

			cm := typed[corev1.ConfigMap](t, find(t, objs, "ConfigMap"))
			if !strings.Contains(cm.Data["Corefile"], "clusterset") {
				t.Errorf("the ConfigMap's Corefile does not use clusterset:\n%s", cm.Data["Corefile"])
			}
			vols := d.Spec.Template.Spec.Volumes
			if len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != cm.Name {
				t.Errorf("the Deployment mounts %+v, want the ConfigMap %s", vols, cm.Name)
			}

			// The API server's verdict: admission, validation, RBAC of the
			// objects themselves. Namespaced objects need their namespace
			// to exist even in a dry run.
			must(t, bed.EnsureNamespace(t.Context(), ov.namespace))
			out, err := kubectl(t, nil, "--kubeconfig", bed.Kubeconfig(testbed.AdminUser), "apply", "--dry-run=server", "-k", filepath.Join(repoRoot, "deploy", ov.dir))
			if err != nil {
				t.Fatalf("server-side dry run: %v", err)
			}
			t.Logf("kubectl apply --dry-run=server -k deploy/%s:\n%s", ov.dir, out)
			if n := strings.Count(out, "(server dry run)"); n != len(objs) {
				t.Errorf("%d objects passed the dry run, want all %d", n, len(objs))
			}
		})
	}
}

// checkDeployment checks the pod template against the issue: replicas,
// spreading, probes, resources, and the locked-down security context.
func checkDeployment(t *testing.T, ov overlay, d *appsv1.Deployment, svc *corev1.Service) {
	t.Helper()
	if d.Name != ov.deployment {
		t.Errorf("Deployment %q, want %q", d.Name, ov.deployment)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	pod := d.Spec.Template
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	must(t, err)
	if !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not match its pods %v", sel, pod.Labels)
	}
	for k, v := range svc.Spec.Selector {
		if pod.Labels[k] != v {
			t.Errorf("the Service selects %v, the pods are labelled %v", svc.Spec.Selector, pod.Labels)
		}
	}
	if a := pod.Spec.Affinity; a == nil || a.PodAntiAffinity == nil ||
		len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution)+len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Errorf("no pod anti-affinity")
	} else {
		for _, term := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			s, err := metav1.LabelSelectorAsSelector(term.PodAffinityTerm.LabelSelector)
			if err != nil || !s.Matches(labels.Set(pod.Labels)) || term.PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
				t.Errorf("anti-affinity term %+v does not spread these pods over hosts", term.PodAffinityTerm)
			}
		}
	}
	if pod.Spec.ServiceAccountName != ov.serviceAccount {
		t.Errorf("serviceAccountName %q, want %q", pod.Spec.ServiceAccountName, ov.serviceAccount)
	}
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"-conf", "/etc/coredns/Corefile"}) {
		t.Errorf("args %q", c.Args)
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("no container securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("readOnlyRootFilesystem not set")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("allowPrivilegeEscalation not false")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || !slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_BIND_SERVICE"}):
		t.Errorf("capabilities %+v, want drop ALL, add NET_BIND_SERVICE only", sc.Capabilities)
	}
	probe := func(name string, p *corev1.Probe, path string, port int) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.IntValue() != port {
			t.Errorf("%s probe %+v, want GET %s on :%d", name, p, path, port)
		}
	}
	probe("liveness", c.LivenessProbe, "/health", 8080)
	probe("readiness", c.ReadinessProbe, "/ready", 8181)
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Memory().IsZero() || req.Cpu().IsZero() || lim.Memory().IsZero() {
		t.Errorf("resources %+v, want cpu and memory requests and a memory limit", c.Resources)
	} else if lim.Memory().Cmp(*req.Memory()) < 0 {
		t.Errorf("memory limit %v below the request %v", lim.Memory(), req.Memory())
	}
}

// TestDeployServiceAccount applies each overlay's ServiceAccount,
// ClusterRole and binding for real, mints a token for the ServiceAccount
// with the TokenRequest API (`kubectl create token`), and runs bin/coredns
// with the overlay's own Corefile (listeners moved to loopback, the token's
// kubeconfig added) as that ServiceAccount: it must sync (/ready 200) and
// answer an import; the cluster-dns variant also cluster.local.
func TestDeployServiceAccount(t *testing.T) {
	ctx := t.Context()
	const ns = "deploy-sa"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "web", mcsv1beta1.ClusterSetIP, []string{"10.100.60.1"}, nil, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "db", mcsv1beta1.Headless, nil, nil, "east", "west.eu")))
	for i, c := range []string{"east", "west.eu"} {
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "db", Cluster: c,
			Endpoints: []fixtures.Endpoint{{Addresses: []string{fmt.Sprintf("10.60.%d.1", i)}, Hostname: "db-0"}}})
		must(t, err)
	}
	web, db := fqdn("web."+ns+".svc"), fqdn("db."+ns+".svc")
	cached := func(w answers.Want) answers.Want { w.AnyTTL = true; return w }

	for _, ov := range overlays {
		t.Run(ov.dir, func(t *testing.T) {
			objs := render(t, ov.dir)
			kc := applyIdentity(t, ov, objs, nil, nil)
			c := startCoreDNS(t, writeDeployCorefile(t, objs), serverEnv{"KUBECONFIG": kc}, nil)
			waitHTTPOK(t, c.readyAddr, "/ready", converge)
			expect(t, c, converge, web, "A", cached(answer(web+" A 10.100.60.1")))
			expect(t, c, settle, db, "A", cached(answer(db+" A 10.60.0.1", db+" A 10.60.1.1")))
			expect(t, c, settle, fqdn("db-0.west.eu.db."+ns+".svc"), "A", cached(answer(fqdn("db-0.west.eu.db."+ns+".svc")+" A 10.60.1.1")))
			expect(t, c, settle, fqdn("nosuch."+ns+".svc"), "A", cached(nxdomain))
			expect(t, c, settle, fqdn("dns-version"), "TXT", cached(answer(fqdn("dns-version")+` TXT "1.0.0"`)))
			if ov.dir == "cluster-dns" {
				k, err := bed.Kube.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
				must(t, err)
				name := "kubernetes.default.svc.cluster.local."
				expect(t, c, converge, name, "A", cached(answer(name+" A "+k.Spec.ClusterIP)))
			}
			if ov.dir == "clusterset-server" {
				// The stanza the README has the cluster DNS add, in front.
				stanza, err := os.ReadFile(filepath.Join(repoRoot, "deploy", ov.dir, "cluster-dns-stanza.Corefile"))
				must(t, err)
				body := loopbackRewrites[0].re.ReplaceAllString(string(stanza), loopbackRewrites[0].repl)
				body = strings.Replace(body, "forward . CLUSTERSET_DNS_IP", "forward . "+c.addr, 1)
				if !strings.Contains(body, "forward . "+c.addr) || !strings.Contains(body, "{$DNS_PORT}") {
					t.Fatalf("cluster-dns-stanza.Corefile has no `clusterset.local:53` block forwarding to CLUSTERSET_DNS_IP:\n%s", stanza)
				}
				path := filepath.Join(t.TempDir(), "Corefile")
				must(t, os.WriteFile(path, []byte(body), 0o600))
				front := startCoreDNS(t, path, nil, nil)
				fwd := func(w answers.Want) answers.Want { w.AnyTTL, w.NoAA = true, true; return w }
				expect(t, front, converge, web, "A", fwd(answer(web+" A 10.100.60.1")))
				expect(t, front, settle, fqdn("nosuch."+ns+".svc"), "A", fwd(nxdomain))
			}
			if log := c.proc.Log(); strings.Contains(log, "forbidden") {
				t.Errorf("the ServiceAccount was refused something:\n%s", log)
			}
		})
	}
}

// TestDeployServiceAccountMissingPermission applies the clusterset-server
// overlay's identity with its ClusterRole less a permission on
// serviceimports, then runs bin/coredns as that ServiceAccount.
//
// Without the serviceimports rule (list and watch) the plugin cannot sync:
// it logs the refusal naming the verb and the resource, /ready stays 503,
// and a name it cannot know (an imported one, or any other in the zone)
// gets SERVFAIL, never NXDOMAIN. Without watch alone, the list works: it
// logs the refused watch and serves what it listed, so an imported name is
// answered, not NXDOMAIN. (Without list alone it syncs too: client-go's
// streaming list is a watch; only the five-minute consistency check, a
// paged list, needs list. The role grants both.)
func TestDeployServiceAccountMissingPermission(t *testing.T) {
	ctx := t.Context()
	const ns = "deploy-rbac"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "web", mcsv1beta1.ClusterSetIP, []string{"10.100.61.1"}, nil, "east")))
	web, unknown := fqdn("web."+ns+".svc"), fqdn("nosuch."+ns+".svc")
	ov := overlays[1] // clusterset-server: the plugin alone

	for _, tc := range []struct {
		name    string
		removed []string
	}{
		{"without the serviceimports rule", []string{"list", "watch"}},
		{"without watch on serviceimports", []string{"watch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, ov.dir)
			kc := applyIdentity(t, ov, objs, func(role *unstructured.Unstructured) {
				r := typed[rbacv1.ClusterRole](t, role)
				var kept []rbacv1.PolicyRule
				for _, rule := range r.Rules {
					if slices.Contains(rule.Resources, "serviceimports") {
						rule.Verbs = slices.DeleteFunc(rule.Verbs, func(v string) bool { return slices.Contains(tc.removed, v) })
						if len(rule.Verbs) == 0 {
							continue // the API refuses a rule without verbs
						}
					}
					kept = append(kept, rule)
				}
				r.Rules = kept
				m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
				must(t, err)
				role.Object = m
			}, tc.removed)
			c := startCoreDNS(t, writeDeployCorefile(t, objs), serverEnv{"KUBECONFIG": kc}, nil)
			sa := "system:serviceaccount:" + ov.namespace + ":" + ov.serviceAccount
			refused := regexp.MustCompile(`Watching serviceimports\.multicluster\.x-k8s\.io: .*User "` + regexp.QuoteMeta(sa) +
				`" cannot (` + strings.Join(tc.removed, "|") + `) resource "serviceimports" in API group "multicluster\.x-k8s\.io"`)
			line := deployWaitLog(t, c, converge, refused)
			t.Logf("logged: %s", line)
			if !strings.Contains(line, "needs list and watch on serviceimports.multicluster.x-k8s.io") {
				t.Errorf("the log line does not say what the role needs: %s", line)
			}
			if len(tc.removed) == 1 {
				expect(t, c, converge, web, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{web + " A 10.100.61.1"}, AnyTTL: true})
				return
			}
			// Still refused a few seconds on: not ready, no answers.
			time.Sleep(2 * time.Second)
			if code, body, err := httpGet(c.readyAddr, "/ready"); err != nil || code != http.StatusServiceUnavailable {
				t.Errorf("/ready: HTTP %d (%v) %s, want 503 while the role cannot read serviceimports", code, err, body)
			}
			for _, name := range []string{web, unknown} {
				for _, tr := range []transport{udp, tcp} {
					r, err := dig(c.addr, name, "A", tr)
					must(t, err)
					if r.Rcode != dns.RcodeServerFailure {
						t.Errorf("%s A over %s: %s, want SERVFAIL (the plugin cannot know):\n%s", name, tr, dns.RcodeToString[r.Rcode], r.text)
					}
				}
			}
		})
	}
}

// applyIdentity applies the overlay's Namespace (if any), ServiceAccount,
// ClusterRole (after edit, if not nil) and ClusterRoleBinding with kubectl
// as admin, mints a one-hour token for the ServiceAccount, and returns a
// kubeconfig holding it. Cleanup deletes the role and binding (cluster
// scoped; the next subtest applies its own).
func applyIdentity(t *testing.T, ov overlay, objs []*unstructured.Unstructured, edit func(role *unstructured.Unstructured), removed []string) string {
	t.Helper()
	admin := bed.Kubeconfig(testbed.AdminUser)
	list := map[string]any{"apiVersion": "v1", "kind": "List"}
	var items []any
	for _, o := range objs {
		switch o.GetKind() {
		case "ClusterRole":
			o = o.DeepCopy()
			if edit != nil {
				edit(o)
			}
		case "Namespace", "ServiceAccount", "ClusterRoleBinding":
		default:
			continue
		}
		items = append(items, o.Object)
	}
	list["items"] = items
	doc, err := json.Marshal(list)
	must(t, err)
	must(t, bed.EnsureNamespace(t.Context(), ov.namespace))
	out, err := kubectl(t, doc, "--kubeconfig", admin, "apply", "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kubectl apply:\n%s", out)
	t.Cleanup(func() {
		_ = bed.Kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), ov.clusterRole, metav1.DeleteOptions{})
		_ = bed.Kube.RbacV1().ClusterRoles().Delete(context.Background(), ov.clusterRole, metav1.DeleteOptions{})
	})
	token, err := kubectl(t, nil, "--kubeconfig", admin, "create", "token", ov.serviceAccount, "-n", ov.namespace, "--duration=1h")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(bed.CAFile)
	must(t, err)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testbed"] = &clientcmdapi.Cluster{Server: bed.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["sa"] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: "sa"}
	cfg.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, path))

	// The token is the ServiceAccount's, and RBAC sees the role as
	// applied: ask the API as that identity (propagation takes a moment).
	for _, verb := range []string{"list", "watch"} {
		want := "yes"
		if slices.Contains(removed, verb) {
			want = "no"
		}
		must(t, poll(converge, func() (string, error) {
			out, err := kubectl(t, nil, "--kubeconfig", path, "auth", "can-i", verb, "serviceimports.multicluster.x-k8s.io", "--all-namespaces")
			if strings.TrimSpace(out) != want {
				return out, fmt.Errorf("kubectl auth can-i %s serviceimports as the ServiceAccount: %q (%v), want %s", verb, strings.TrimSpace(out), err, want)
			}
			return "", nil
		}))
	}
	for _, q := range [][]string{{"list", "secrets"}, {"get", "serviceimports.multicluster.x-k8s.io"}, {"create", "endpointslices.discovery.k8s.io"}} {
		if out, _ := kubectl(t, nil, "--kubeconfig", path, "auth", "can-i", q[0], q[1], "--all-namespaces"); strings.TrimSpace(out) != "no" {
			t.Errorf("the ServiceAccount may %s %s: %q", q[0], q[1], out)
		}
	}
	return path
}

// loopbackRewrites move a deploy Corefile's listeners to the test's
// loopback ports and its upstream to the stub: the {$VAR}s startCoreDNS
// fills in.
var loopbackRewrites = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?m)^(\S*):53 \{$`), `$1:{$$DNS_PORT} {`},
	{regexp.MustCompile(`(?m)^([ \t]+)health :8080\b`), `${1}health {$$HEALTH_ADDR}`},
	{regexp.MustCompile(`(?m)^([ \t]+)ready :8181\b`), `${1}ready {$$READY_ADDR}`},
	{regexp.MustCompile(`(?m)^([ \t]+)prometheus :9153\b`), `${1}prometheus {$$METRICS_ADDR}`},
	{regexp.MustCompile(`(?m)^([ \t]+)forward \. /etc/resolv\.conf\b`), `${1}forward . {$$UPSTREAM}`},
	// In a pod both plugins use the ServiceAccount (in-cluster config);
	// here the kubeconfig holding its token.
	{regexp.MustCompile(`(?m)^([ \t]+)(kubernetes|clusterset)\b([^{\n]*)\{[ \t]*$`), "${1}${2}${3}{\n${1}    kubeconfig {$$KUBECONFIG}"},
	{regexp.MustCompile(`(?m)^([ \t]+)(kubernetes|clusterset)\b([^{\n]*?)[ \t]*$`), "${1}${2}${3} {\n${1}    kubeconfig {$$KUBECONFIG}\n${1}}"},
}

// writeDeployCorefile writes the rendered ConfigMap's Corefile, rewritten
// for loopback, to a file and returns its path for startCoreDNS.
func writeDeployCorefile(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	cm := typed[corev1.ConfigMap](t, find(t, objs, "ConfigMap"))
	body := cm.Data["Corefile"]
	for _, r := range loopbackRewrites {
		body = r.re.ReplaceAllString(body, r.repl)
	}
	for _, leftover := range []string{":53 ", ":8080", ":8181", ":9153", "/etc/resolv.conf"} {
		if strings.Contains(body, leftover) {
			t.Fatalf("the test cannot move %q of the deploy Corefile to loopback; teach loopbackRewrites:\n%s", leftover, body)
		}
	}
	if strings.Count(body, "kubeconfig {$KUBECONFIG}") != strings.Count(cm.Data["Corefile"], "\n    kubernetes ")+strings.Count(cm.Data["Corefile"], "\n    clusterset") {
		t.Fatalf("kubeconfig not added to every kubernetes/clusterset block:\n%s", body)
	}
	path := filepath.Join(t.TempDir(), "Corefile")
	must(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

// waitHTTPOK polls http://addr/path until it answers 200.
func waitHTTPOK(t *testing.T, addr, path string, within time.Duration) {
	t.Helper()
	must(t, poll(within, func() (string, error) {
		code, body, err := httpGet(addr, path)
		if err != nil || code != http.StatusOK {
			return body, fmt.Errorf("%s%s: HTTP %d (%v), want 200", addr, path, code, err)
		}
		return "", nil
	}))
}

// deployWaitLog waits for a log line of c matching re, and returns it.
func deployWaitLog(t *testing.T, c *coreDNS, within time.Duration, re *regexp.Regexp) string {
	t.Helper()
	var found string
	err := poll(within, func() (string, error) {
		for _, l := range strings.Split(c.proc.Log(), "\n") {
			if re.MatchString(l) {
				found = l
				return "", nil
			}
		}
		return c.proc.Tail(3000), fmt.Errorf("no log line matching %s", re)
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
