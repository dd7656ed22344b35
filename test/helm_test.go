package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
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
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The tests of the Helm chart (deploy/helm/clusterset): it lints, its
// defaults render the Kustomize overlays' objects in substance, every value
// lands where it says, and the API server accepts what it renders (a
// server-side dry run); with every value set, bin/coredns runs with the
// rendered Corefile as the rendered ServiceAccount.

// helmEnvBin names the helm binary; helmEnvDir a directory holding it.
const (
	helmEnvBin = "HELM"
	helmEnvDir = "CLUSTERSET_HELM_DIR"
)

// helmRelease is the release name the tests render with.
const helmRelease = "clusterset"

func chartDir() string { return filepath.Join(repoRoot, "deploy", "helm", "clusterset") }

// helmVersion is the helm release hack/helm/go.mod requires: hack/helm.sh
// caches the binary under it.
func helmVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "hack", "helm", "go.mod"))
	must(t, err)
	m := regexp.MustCompile(`(?m)^\s*helm\.sh/helm/v4 (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("hack/helm/go.mod requires no helm.sh/helm/v4")
	}
	return string(m[1])
}

// helmPath is the helm that hack/helm.sh builds (HELM or
// CLUSTERSET_HELM_DIR override it).
func helmPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv(helmEnvBin)
	if p == "" {
		dir := os.Getenv(helmEnvDir)
		if dir == "" {
			dir = filepath.Join(filepath.Dir(testbed.CacheDir()), "helm-"+helmVersion(t))
		}
		p = filepath.Join(dir, "helm")
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("helm %s is missing: run `make testbins` (hack/helm.sh builds it), or set %s", p, helmEnvBin)
	}
	return p
}

// helm runs helm with args and returns its stdout; the error carries
// stderr. Its cache, configuration and data live in a temporary directory,
// and it sees no kubeconfig: template and lint need no cluster.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, helmPath(t), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=/dev/null",
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// helmTemplate renders the chart for variant into namespace, with extra
// helm arguments (values), and returns the manifest and its objects.
func helmTemplate(t *testing.T, variant, namespace string, extra ...string) (string, []*unstructured.Unstructured) {
	t.Helper()
	args := append([]string{"template", helmRelease, chartDir(), "--namespace", namespace, "--set", "variant=" + variant}, extra...)
	out, err := helm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out, decodeObjects(t, "helm template", out)
}

func decodeObjects(t *testing.T, what, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding %s: %v", what, err)
		}
		if m != nil {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

// dryRunHelm has the API server validate a rendered manifest as admin,
// all of its objects.
func dryRunHelm(t *testing.T, namespace, manifest string, objs []*unstructured.Unstructured) {
	t.Helper()
	must(t, bed.EnsureNamespace(t.Context(), namespace))
	out, err := kubectl(t, []byte(manifest), "--kubeconfig", bed.Kubeconfig(testbed.AdminUser), "apply", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("server-side dry run: %v", err)
	}
	t.Logf("kubectl apply --dry-run=server:\n%s", out)
	if n := strings.Count(out, "(server dry run)"); n != len(objs) {
		t.Errorf("%d objects passed the dry run, want all %d", n, len(objs))
	}
}

// TestHelmLint lints the chart for both variants, with the defaults and
// with every value set; warnings fail it. Values the chart does not know
// are refused by name.
func TestHelmLint(t *testing.T) {
	for _, ov := range overlays {
		for _, values := range [][]string{nil, {"--values", filepath.Join(repoRoot, helmAllValues)}} {
			args := append([]string{"lint", "--strict", chartDir(), "--set", "variant=" + ov.dir}, values...)
			out, err := helm(t, args...)
			if err != nil {
				t.Errorf("%v", err)
			}
			t.Logf("helm %s:\n%s", strings.Join(args, " "), out)
		}
	}
	// The schema (values.schema.json) refuses, naming the value: an
	// unknown variant, a misspelt value, an option out of its choices.
	for set, want := range map[string]string{
		"variant=coredns":                  "at '/variant': value must be one of 'cluster-dns', 'clusterset-server'",
		"replica=3":                        "additional properties 'replica' not allowed",
		"corefile.kubernetes.pods=verifed": "at '/corefile/kubernetes/pods'",
		"clusterset.options.ttl.x=1":       "at '/clusterset/options/ttl'",
	} {
		if _, err := helm(t, "template", helmRelease, chartDir(), "--set", set); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: %v, want the chart to refuse it: %s", set, err, want)
		}
	}
	// Without the schema, the templates still refuse an unknown variant.
	_, err := helm(t, "template", helmRelease, chartDir(), "--set", "variant=coredns", "--skip-schema-validation")
	if err == nil || !strings.Contains(err.Error(), `variant "coredns": want cluster-dns or clusterset-server`) {
		t.Errorf("variant=coredns without the schema: %v, want the chart to refuse it by name", err)
	}
}

// helmOnlyLabel reports the labels the chart adds to every object's
// metadata and the overlays do not: Helm's recommended ones.
func helmOnlyLabel(k string) bool {
	return strings.HasPrefix(k, "app.kubernetes.io/") || strings.HasPrefix(k, "helm.sh/")
}

// substance is an object as the comparison sees it: Helm's own labels
// taken out of its metadata. Everything else counts, pod template and
// selectors included.
func substance(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy()
	if l := c.GetLabels(); l != nil {
		for k := range l {
			if helmOnlyLabel(k) {
				delete(l, k)
			}
		}
		if len(l) == 0 {
			unstructured.RemoveNestedField(c.Object, "metadata", "labels")
		} else {
			c.SetLabels(l)
		}
	}
	return c.Object
}

func objectKey(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// diffPaths lists the paths where a and b differ, with both values.
func diffPaths(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			out = append(out, diffPaths(path+"."+k, am[k], bm[k])...)
		}
		return out
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		var out []string
		for i := range as {
			out = append(out, diffPaths(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i])...)
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	if at, ok := a.(string); ok {
		if bt, ok := b.(string); ok && strings.Contains(at+bt, "\n") {
			return []string{path + ": " + firstLineDiff(at, bt)}
		}
	}
	return []string{fmt.Sprintf("%s: chart %s, overlay %s", path, shown(a), shown(b))}
}

// firstLineDiff names the first line where two texts (a Corefile) differ.
func firstLineDiff(chart, overlay string) string {
	c, o := strings.Split(chart, "\n"), strings.Split(overlay, "\n")
	for i := 0; ; i++ {
		switch {
		case i >= len(c):
			return fmt.Sprintf("line %d: chart ends, overlay %q", i+1, o[i])
		case i >= len(o):
			return fmt.Sprintf("line %d: chart %q, overlay ends", i+1, c[i])
		case c[i] != o[i]:
			return fmt.Sprintf("line %d: chart %q, overlay %q", i+1, c[i], o[i])
		}
	}
}

func shown(v any) string {
	if v == nil {
		return "(absent)"
	}
	return fmt.Sprintf("%#v", v)
}

// TestHelmDefaults renders the chart with its defaults for each variant
// and compares it with `kubectl kustomize` of the overlay, object by
// object and field by field: the same objects (kind, namespace, name), and
// within each the same everything (labels, selectors, the pod template,
// image, args, ports, probes, resources, security context, RBAC rules in
// order, the Corefile byte for byte). What may differ, and only that:
// the chart adds Helm's recommended labels (app.kubernetes.io/*,
// helm.sh/chart) to each object's metadata, and it renders no Namespace
// (Helm installs into the release's: `--namespace clusterset-dns
// --create-namespace`). Then the API server validates the rendering.
func TestHelmDefaults(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.dir, func(t *testing.T) {
			manifest, chart := helmTemplate(t, ov.dir, ov.namespace)
			want := map[string]*unstructured.Unstructured{}
			for _, o := range render(t, ov.dir) {
				if o.GetKind() == "Namespace" {
					continue
				}
				// substance() ignores these labels on both sides.
				for l := range o.GetLabels() {
					if helmOnlyLabel(l) {
						t.Errorf("%s: the overlay sets %s, which the comparison ignores", objectKey(o), l)
					}
				}
				want[objectKey(o)] = o
			}
			got := map[string]*unstructured.Unstructured{}
			for _, o := range chart {
				k := objectKey(o)
				if got[k] != nil {
					t.Errorf("the chart renders %s twice", k)
				}
				got[k] = o
				if l := o.GetLabels(); l["app.kubernetes.io/managed-by"] != "Helm" || l["app.kubernetes.io/instance"] != helmRelease {
					t.Errorf("%s: labels %v, want Helm's", k, l)
				}
			}
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("the chart renders no %s (the overlay does)", k)
					continue
				}
				for _, d := range diffPaths(k, substance(g), substance(w)) {
					t.Errorf("%s", d)
				}
			}
			for k := range got {
				if want[k] == nil {
					t.Errorf("the chart renders %s, the overlay does not", k)
				}
			}
			if len(want) < 6 {
				t.Fatalf("the overlay rendered %d objects: the comparison has nothing to compare", len(want))
			}
			dryRunHelm(t, ov.namespace, manifest, chart)
		})
	}
}

// helmAllValues sets every value of the chart to something other than its
// default (but variant, which each test sets).
const helmAllValues = "test/testdata/helm-all-values.yaml"

// The Corefiles helmAllValues renders, one per variant.
var helmAllCorefiles = map[string]string{
	"cluster-dns": `.:53 {
    errors
    health :8080 {
        lameduck 2s
    }
    ready :8181
    kubernetes cluster.example in-addr.arpa ip6.arpa {
        pods verified
        fallthrough in-addr.arpa ip6.arpa
        ttl 20
    }
    clusterset mcs.example {
        cluster_id east
        deny_namespaces kube-system restricted
        extended_errors
        max_addresses 100
        ttl 10
        answer endpoints
    }
    prometheus :9153
    forward . 192.0.2.53 {
        max_concurrent 500
    }
    cache 15
    loop
    reload
    loadbalance
    log
}

stub.example:53 {
    errors
    forward . 192.0.2.54
}
`,
	"clusterset-server": `mcs.example:53 {
    errors
    health :8080 {
        lameduck 2s
    }
    ready :8181
    clusterset {
        cluster_id east
        deny_namespaces kube-system restricted
        extended_errors
        max_addresses 100
        ttl 10
        answer endpoints
    }
    prometheus :9153
    cache 15
    reload
    loadbalance
    log
}

stub.example:53 {
    errors
    forward . 192.0.2.54
}
`,
}

// valueCheck is one value of helmAllValues as rendered, and as set.
type valueCheck struct {
	what      string
	got, want any
}

// TestHelmValues renders each variant with helmAllValues and finds every
// value where it belongs; the API server accepts the result. Then, for the
// separate server, bin/coredns runs with the rendered Corefile as the
// rendered ServiceAccount (its role and binding applied for real): it
// syncs and answers in the chosen zone with the chosen TTL.
func TestHelmValues(t *testing.T) {
	values := filepath.Join(repoRoot, helmAllValues)
	for _, ov := range overlays {
		t.Run(ov.dir, func(t *testing.T) {
			manifest, objs := helmTemplate(t, ov.dir, ov.namespace, "--values", values)

			cm := typed[corev1.ConfigMap](t, find(t, objs, "ConfigMap"))
			if got, want := cm.Data["Corefile"], helmAllCorefiles[ov.dir]; got != want {
				t.Errorf("Corefile:\n%s\nwant:\n%s", got, want)
			}

			d := typed[appsv1.Deployment](t, find(t, objs, "Deployment"))
			pod := d.Spec.Template
			if a := pod.Spec.Affinity; len(pod.Spec.Containers) != 1 || a == nil || a.NodeAffinity == nil ||
				a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil ||
				len(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) != 1 ||
				len(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions) != 1 {
				t.Fatalf("want one container and the values' node affinity, got %d containers and affinity %+v", len(pod.Spec.Containers), a)
			}
			c := pod.Spec.Containers[0]
			checks := []valueCheck{
				{"replicas", *d.Spec.Replicas, int32(3)},
				{"image", c.Image, "images.invalid/dns/clusterset-coredns:1.2.3"},
				{"imagePullPolicy", c.ImagePullPolicy, corev1.PullAlways},
				{"imagePullSecrets", pod.Spec.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "pull-secret"}}},
				{"requests.cpu", c.Resources.Requests.Cpu().String(), "200m"},
				{"requests.memory", c.Resources.Requests.Memory().String(), "150Mi"},
				{"limits.memory", c.Resources.Limits.Memory().String(), "300Mi"},
				{"limits.cpu", c.Resources.Limits.Cpu().String(), "1"},
				{"priorityClassName", pod.Spec.PriorityClassName, "system-node-critical"},
				{"nodeSelector", pod.Spec.NodeSelector, map[string]string{"kubernetes.io/os": "linux", "dns.example/pool": "dns"}},
				{"tolerations", pod.Spec.Tolerations, []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "dns", Effect: corev1.TaintEffectNoSchedule}}},
				{"affinity has no default anti-affinity", pod.Spec.Affinity.PodAntiAffinity == nil, true},
				{"affinity", pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key, "dns.example/pool"},
				{"podAnnotations", pod.Annotations, map[string]string{"dns.example/team": "dns"}},
				{"podLabels", pod.Labels["tier"], "dns"},
				{"serviceAccountName", pod.Spec.ServiceAccountName, "mcs-dns"},
			}
			sa := typed[corev1.ServiceAccount](t, find(t, objs, "ServiceAccount"))
			crb := typed[rbacv1.ClusterRoleBinding](t, find(t, objs, "ClusterRoleBinding"))
			role := typed[rbacv1.ClusterRole](t, find(t, objs, "ClusterRole"))
			svc := typed[corev1.Service](t, find(t, objs, "Service"))
			pdb := typed[policyv1.PodDisruptionBudget](t, find(t, objs, "PodDisruptionBudget"))
			if pdb.Spec.MinAvailable == nil || pdb.Spec.Selector == nil {
				t.Fatalf("PodDisruptionBudget %+v: want minAvailable and a selector", pdb.Spec)
			}
			checks = append(checks, []valueCheck{
				{"ServiceAccount", sa.Name, "mcs-dns"},
				{"ServiceAccount annotations", sa.Annotations, map[string]string{"dns.example/owner": "dns"}},
				{"binding subject", crb.Subjects, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "mcs-dns", Namespace: ov.namespace}}},
				{"extra rule", grantOf(role)["/pods"], []string{"list", "watch"}},
				{"Service clusterIP", svc.Spec.ClusterIP, "10.96.0.53"},
				{"Service annotations", svc.Annotations, map[string]string{"dns.example/scraped": "no", "prometheus.io/port": "9153"}},
				{"PDB minAvailable", pdb.Spec.MinAvailable.String(), "2"},
				{"PDB maxUnavailable (minAvailable replaces it)", pdb.Spec.MaxUnavailable == nil, true},
				{"PDB selects the pods", pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels},
			}...)
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: %#v, want %#v", c.what, c.got, c.want)
				}
			}
			grant := withRules(ov.rules, map[string][]string{"/pods": {"list", "watch"}})
			if got := grantOf(role); !reflect.DeepEqual(got, grant) {
				t.Errorf("ClusterRole grants %v, want exactly %v", got, grant)
			}
			dryRunHelm(t, ov.namespace, manifest, objs)

			if ov.dir != "clusterset-server" {
				return
			}
			const ns = "helm-values"
			ctx := t.Context()
			must(t, bed.EnsureNamespace(ctx, ns))
			must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "web", mcsv1beta1.ClusterSetIP, []string{"10.100.62.1"}, nil, "east")))
			id := ov
			id.serviceAccount = "mcs-dns"
			kc := applyIdentity(t, id, objs, nil, nil)
			srv := startCoreDNS(t, writeDeployCorefile(t, objs), serverEnv{"KUBECONFIG": kc}, nil)
			waitHTTPOK(t, srv.readyAddr, "/ready", converge)
			name := "web." + ns + ".svc.mcs.example."
			// The first answer is the plugin's (ttl 10); the cache keeps it.
			expect(t, srv, converge, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.62.1"}, TTL: 10})
			if log := srv.proc.Log(); strings.Contains(log, "forbidden") {
				t.Errorf("the ServiceAccount was refused something:\n%s", log)
			}
		})
	}
}

// TestHelmOptionalObjects turns off what the chart creates only on
// request: without rbac.create and serviceAccount.create it renders no
// role, binding or ServiceAccount, and the pods use the named one.
func TestHelmOptionalObjects(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.dir, func(t *testing.T) {
			_, objs := helmTemplate(t, ov.dir, ov.namespace,
				"--set", "rbac.create=false,serviceAccount.create=false,serviceAccount.name=existing")
			for _, o := range objs {
				switch o.GetKind() {
				case "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "PodDisruptionBudget":
					t.Errorf("rendered %s", objectKey(o))
				}
			}
			d := typed[appsv1.Deployment](t, find(t, objs, "Deployment"))
			if sa := d.Spec.Template.Spec.ServiceAccountName; sa != "existing" {
				t.Errorf("serviceAccountName %q, want existing", sa)
			}
			override := filepath.Join(t.TempDir(), "Corefile")
			must(t, os.WriteFile(override, []byte("example.org:53 {\n    whoami\n}\n"), 0o600))
			_, objs = helmTemplate(t, ov.dir, ov.namespace, "--set-file", "corefile.override="+override)
			cm := typed[corev1.ConfigMap](t, find(t, objs, "ConfigMap"))
			if got := cm.Data["Corefile"]; got != "example.org:53 {\n    whoami\n}\n" {
				t.Errorf("corefile.override: Corefile %q", got)
			}
		})
	}
}
