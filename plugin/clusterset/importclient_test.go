package clusterset

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// importWatchBody is a watch response for version: one ServiceImport with
// what the transform drops, then the bookmark that ends the initial events.
func importWatchBody(version string) string {
	return fmt.Sprintf(`{"type":"ADDED","object":{"apiVersion":"multicluster.x-k8s.io/%[1]s","kind":"ServiceImport","metadata":{"name":"web","namespace":"ns","resourceVersion":"5","uid":"u","managedFields":[{"manager":"m","operation":"Update"}]},"spec":{"type":"ClusterSetIP","ips":["10.0.0.1"],"ports":[{"name":"http","protocol":"TCP","port":80}]},"status":{"clusters":[{"cluster":"a"}]}}}
{"type":"BOOKMARK","object":{"apiVersion":"multicluster.x-k8s.io/%[1]s","kind":"ServiceImport","metadata":{"resourceVersion":"6","annotations":{"k8s.io/initial-events-end":"true"}}}}
`, version)
}

// The clientset's watches go through the fast decoder (the object comes
// without its managed fields) and keep the bookmark whole, in both
// versions, over HTTP as a real API server answers.
func TestImportClientsetWatchDecodesFast(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version := map[string]string{
			"/apis/multicluster.x-k8s.io/v1beta1/serviceimports":  "v1beta1",
			"/apis/multicluster.x-k8s.io/v1alpha1/serviceimports": "v1alpha1",
		}[r.URL.Path]
		if version == "" || r.URL.Query().Get("watch") != "true" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, importWatchBody(version))
	}))
	defer srv.Close()
	cs, err := newImportClientset(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	beta, err := cs.MulticlusterV1beta1().ServiceImports(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertFastImportWatch[*mcsv1beta1.ServiceImport](t, beta)
	alpha, err := cs.MulticlusterV1alpha1().ServiceImports(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertFastImportWatch[*mcsv1alpha1.ServiceImport](t, alpha)
}

func assertFastImportWatch[T interface {
	runtime.Object
	metav1.Object
}](t *testing.T, w watch.Interface) {
	t.Helper()
	defer w.Stop()
	added := <-w.ResultChan()
	si, ok := added.Object.(T)
	if added.Type != watch.Added || !ok {
		t.Fatalf("first event %s %T", added.Type, added.Object)
	}
	if si.GetName() != "web" || si.GetNamespace() != "ns" || si.GetResourceVersion() != "5" {
		t.Errorf("kept metadata %s/%s@%s", si.GetNamespace(), si.GetName(), si.GetResourceVersion())
	}
	if si.GetManagedFields() != nil || si.GetUID() != "" {
		t.Errorf("the standard decoder read it: managed fields %v, uid %q", si.GetManagedFields(), si.GetUID())
	}
	bookmark := <-w.ResultChan()
	bm, ok := bookmark.Object.(T)
	if bookmark.Type != watch.Bookmark || !ok {
		t.Fatalf("second event %s %T", bookmark.Type, bookmark.Object)
	}
	if bm.GetAnnotations()[metav1.InitialEventsAnnotationKey] != "true" || bm.GetResourceVersion() != "6" {
		t.Errorf("bookmark lost its annotation: %+v", bm.GetAnnotations())
	}
}
