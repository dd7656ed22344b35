package test

// The ClusterProperty CRD the repository ships (about.k8s.io, KEP-2149) and
// the helpers the locality, health and EDE tests use to write ClusterProperties.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/test/testbed"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// Well-known ClusterProperty names (plugin README, Cluster identity).
const (
	propClusterID   = "cluster.clusterset.k8s.io"
	propZone        = "zone.clusterset-dns.io"
	propRegion      = "region.clusterset-dns.io"
	propUnreachable = "unreachable-clusters.clusterset-dns.io"
)

// setProperty writes the ClusterProperty name = value and deletes it when
// the test ends: ClusterProperties are cluster-scoped, shared by every test
// of the package.
func setProperty(t *testing.T, name, value string) {
	t.Helper()
	must(t, bed.ApplyClusterProperty(t.Context(), name, value))
	t.Cleanup(func() { _ = bed.DeleteClusterProperty(context.Background(), name) })
}

// changeProperty sets the value of a ClusterProperty that an enclosing
// test set (and deletes at its end).
func changeProperty(t *testing.T, name, value string) {
	t.Helper()
	must(t, bed.ApplyClusterProperty(t.Context(), name, value))
}

// deleteProperty deletes the ClusterProperty name.
func deleteProperty(t *testing.T, name string) {
	t.Helper()
	must(t, bed.DeleteClusterProperty(t.Context(), name))
}

// noProperties deletes the ClusterProperties the plugin reads, so that a
// test starts from none.
func noProperties(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		deleteProperty(t, n)
	}
}

// TestClusterPropertyCRD checks the CRD of deploy/crds against KEP-2149's
// ClusterProperty (about.k8s.io/v1alpha1, cluster-scoped, spec.value a
// required string of 1 to 128000 characters), as the test bed installed it.
func TestClusterPropertyCRD(t *testing.T) {
	ctx := t.Context()
	data, err := os.ReadFile(filepath.Join(repoRoot, testbed.ClusterPropertyCRDPath))
	must(t, err)
	m := map[string]any{}
	must(t, yaml.Unmarshal(data, &m))
	crd := &unstructured.Unstructured{Object: m}
	str := func(path ...string) string { s, _, _ := unstructured.NestedString(crd.Object, path...); return s }
	for _, x := range []struct{ got, want, what string }{
		{crd.GetName(), testbed.ClusterPropertyCRDName, "metadata.name"},
		{str("spec", "group"), "about.k8s.io", "spec.group"},
		{str("spec", "scope"), "Cluster", "spec.scope"},
		{str("spec", "names", "kind"), "ClusterProperty", "spec.names.kind"},
		{str("spec", "names", "plural"), "clusterproperties", "spec.names.plural"},
	} {
		if x.got != x.want {
			t.Errorf("%s = %q, want %q", x.what, x.got, x.want)
		}
	}

	t.Run("a ClusterProperty is written and read back", func(t *testing.T) {
		const name = "test.clusterproperty.example"
		setProperty(t, name, "first")
		setProperty(t, name, "second value")
		got, err := bed.Dynamic.Resource(testbed.ClusterPropertyResource).Get(ctx, name, metav1.GetOptions{})
		must(t, err)
		if v, _, _ := unstructured.NestedString(got.Object, "spec", "value"); v != "second value" {
			t.Errorf("spec.value = %q, want %q", v, "second value")
		}
		if got.GetNamespace() != "" {
			t.Errorf("namespace %q: ClusterProperty is cluster-scoped", got.GetNamespace())
		}
		deleteProperty(t, name)
		deleteProperty(t, name) // deleting what is gone is not an error
	})
	t.Run("the API validates spec.value", func(t *testing.T) {
		for _, tc := range []struct {
			desc string
			spec any
		}{
			{"empty", map[string]any{"value": ""}},
			{"missing", map[string]any{}},
			{"longer than 128000", map[string]any{"value": strings.Repeat("x", 128001)}},
			{"not a string", map[string]any{"value": 42}},
		} {
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "about.k8s.io/v1alpha1", "kind": "ClusterProperty",
				"metadata": map[string]any{"name": "invalid.clusterproperty.example"},
				"spec":     tc.spec,
			}}
			_, err := bed.Dynamic.Resource(testbed.ClusterPropertyResource).Create(ctx, obj, metav1.CreateOptions{})
			if err == nil {
				_ = bed.DeleteClusterProperty(context.Background(), obj.GetName())
				t.Errorf("spec.value %s: accepted", tc.desc)
			}
		}
		long := strings.Repeat("x", 128000)
		setProperty(t, "long.clusterproperty.example", long)
		deleteProperty(t, "long.clusterproperty.example")
	})
	t.Run("the coredns user may list and watch ClusterProperties", func(t *testing.T) {
		c, err := dynamic.NewForConfig(bed.UserConfig(coreDNSUser))
		must(t, err)
		if _, err := c.Resource(testbed.ClusterPropertyResource).List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list as %s: %v", coreDNSUser, err)
		}
		w, err := c.Resource(testbed.ClusterPropertyResource).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Errorf("watch as %s: %v", coreDNSUser, err)
		} else {
			w.Stop()
		}
	})
}
