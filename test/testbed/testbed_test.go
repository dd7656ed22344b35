package testbed

import (
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"

	"github.com/clusterset-dns/clusterset/test/fixtures"
)

func TestBedServesMCSObjects(t *testing.T) {
	b := StartT(t, Options{Users: []User{{Name: "reader"}}})
	ctx := t.Context()

	t.Run("the admin kubeconfig reaches the API server and verifies its certificate", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", b.Kubeconfig(AdminUser))
		if err != nil {
			t.Fatal(err)
		}
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Discovery().ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		// hack/testbins.sh stamps the version in; binaries from
		// elsewhere may say v0.0.0-master.
		t.Logf("server version %s", v.GitVersion)
	})

	t.Run("a ServiceImport and an EndpointSlice read back as written", func(t *testing.T) {
		if err := b.EnsureNamespace(ctx, "bed"); err != nil {
			t.Fatal(err)
		}
		si := fixtures.ServiceImport("bed", "web", mcsv1beta1.ClusterSetIP, []string{"10.42.0.1", "fd00::1"},
			[]mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}, "east", "west")
		if err := b.ApplyServiceImport(ctx, si); err != nil {
			t.Fatal(err)
		}
		got, err := b.MCS.MulticlusterV1beta1().ServiceImports("bed").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Spec.IPs, si.Spec.IPs) || len(got.Status.Clusters) != 2 {
			t.Errorf("read back spec.ips=%v clusters=%v", got.Spec.IPs, got.Status.Clusters)
		}
		// The same object through the other served version.
		if _, err := b.MCS.MulticlusterV1alpha1().ServiceImports("bed").Get(ctx, "web", metav1.GetOptions{}); err != nil {
			t.Errorf("v1alpha1 get: %v", err)
		}
		name, err := b.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: "bed", Service: "web", Cluster: "east.example",
			Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.1.0.5"}, Hostname: "web-0"}}})
		if err != nil {
			t.Fatal(err)
		}
		es, err := b.Kube.DiscoveryV1().EndpointSlices("bed").List(ctx, metav1.ListOptions{LabelSelector: fixtures.LabelServiceName + "=web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(es.Items) != 1 || es.Items[0].Name != name || es.Items[0].Labels[fixtures.LabelSourceCluster] != "east.example" {
			t.Errorf("slices = %+v", es.Items)
		}
	})

	t.Run("the API rejects a loopback EndpointSlice address", func(t *testing.T) {
		_, err := b.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: "bed", Service: "lo", Cluster: "east",
			Endpoints: []fixtures.Endpoint{{Addresses: []string{"127.0.0.1"}}}})
		if err == nil {
			t.Error("created an EndpointSlice with address 127.0.0.1")
		}
	})

	t.Run("a client certificate from ClientCert authenticates its user", func(t *testing.T) {
		cert, key, err := b.ClientCert("cert-user", "some-group")
		if err != nil {
			t.Fatal(err)
		}
		cfg := &rest.Config{Host: b.URL, TLSClientConfig: rest.TLSClientConfig{CertFile: cert, KeyFile: key, CAFile: b.CAFile}}
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Authenticated but not authorized: 403, not 401.
		_, err = c.DiscoveryV1().EndpointSlices("bed").List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("list as cert-user: %v, want Forbidden", err)
		}
		if !strings.Contains(fmt.Sprint(err), `"cert-user"`) {
			t.Errorf("error does not name the certificate's user: %v", err)
		}
	})

	t.Run("a token user without RBAC grants is forbidden", func(t *testing.T) {
		c, err := kubernetes.NewForConfig(b.UserConfig("reader"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.DiscoveryV1().EndpointSlices("bed").List(ctx, metav1.ListOptions{}); err == nil {
			t.Error("user reader listed EndpointSlices without a grant")
		}
		if _, err := os.Stat(b.Kubeconfig("reader")); err != nil {
			t.Error(err)
		}
	})
}

func TestBedV1Alpha1Only(t *testing.T) {
	b := StartT(t, Options{ServiceImportV1Alpha1Only: true})
	ctx := t.Context()
	res, err := b.Kube.Discovery().ServerResourcesForGroupVersion(mcsv1alpha1.GroupVersion.String())
	if err != nil {
		t.Fatalf("v1alpha1 not served: %v", err)
	}
	if !slices.ContainsFunc(res.APIResources, func(r metav1.APIResource) bool { return r.Name == "serviceimports" }) {
		t.Errorf("v1alpha1 resources = %v, want serviceimports", res.APIResources)
	}
	if res, err := b.Kube.Discovery().ServerResourcesForGroupVersion(mcsv1beta1.GroupVersion.String()); err == nil &&
		slices.ContainsFunc(res.APIResources, func(r metav1.APIResource) bool { return r.Name == "serviceimports" }) {
		t.Errorf("v1beta1 serviceimports served by the v1alpha1-only CRD")
	}
	if err := b.EnsureNamespace(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	si := fixtures.ServiceImportV1Alpha1("old", "web", mcsv1alpha1.ClusterSetIP, []string{"10.42.0.9"},
		[]mcsv1alpha1.ServicePort{fixtures.PortV1Alpha1("http", corev1.ProtocolTCP, 80)}, "east")
	if err := b.ApplyServiceImportV1Alpha1(ctx, si); err != nil {
		t.Fatal(err)
	}
}

func TestBedServersStopAndStartAgain(t *testing.T) {
	b := StartT(t, Options{SkipCRDs: true})
	ctx := t.Context()
	if err := b.EnsureNamespace(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	ns, err := b.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a killed API server starts again on its port, with its data", func(t *testing.T) {
		b.KillAPIServer()
		if _, err := b.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{}); err == nil {
			t.Fatalf("the API server answers after it was killed")
		}
		if err := b.StartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{}); err != nil {
			t.Errorf("after the restart: %v", err)
		}
		if err := b.StartAPIServer(ctx); err != ErrRunning {
			t.Errorf("starting a running API server: %v, want ErrRunning", err)
		}
	})
	t.Run("a killed etcd starts again with its data", func(t *testing.T) {
		b.KillEtcd()
		if err := b.StartEtcd(ctx); err != nil {
			t.Fatal(err)
		}
		if err := poll(300, func() error {
			_, err := b.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{ResourceVersion: ""})
			return err
		}); err != nil {
			t.Errorf("after the etcd restart: %v", err)
		}
	})
	t.Run("after a compaction the old resource version is gone", func(t *testing.T) {
		rev, err := b.CompactEtcd(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := strconv.ParseInt(ns.ResourceVersion, 10, 64)
		if rev <= old {
			t.Fatalf("compacted at %d, not past the namespace's %d", rev, old)
		}
		// The API server may still answer from its watch cache; etcd,
		// which a restarted API server lists from, cannot.
		key := base64.StdEncoding.EncodeToString([]byte("/registry/namespaces/kept"))
		err = b.etcdCall(ctx, "/v3/kv/range", map[string]any{"key": key, "revision": ns.ResourceVersion}, nil)
		if err == nil || !strings.Contains(err.Error(), "compacted") {
			t.Errorf("etcd read at the namespace's revision %s: %v, want it compacted", ns.ResourceVersion, err)
		}
	})
}

// poll calls f every 100ms until it returns nil, at most tries times.
func poll(tries int, f func() error) error {
	var err error
	for i := 0; i < tries; i++ {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
