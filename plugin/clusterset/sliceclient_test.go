package clusterset

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	restwatch "k8s.io/client-go/rest/watch"
	"k8s.io/utils/ptr"
)

// writeSliceWatch writes a protobuf watch response as the API server does:
// one EndpointSlice with what the transform drops, then the bookmark that
// ends the initial events.
func writeSliceWatch(t *testing.T, w http.ResponseWriter) {
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Error("no protobuf serializer")
		return
	}
	w.Header().Set("Content-Type", runtime.ContentTypeProtobuf+";stream=watch")
	stream := info.StreamSerializer
	enc := restwatch.NewEncoder(streaming.NewEncoder(stream.Framer.NewFrameWriter(w), stream.Serializer), scheme.Codecs.EncoderForVersion(info.Serializer, discoveryv1.SchemeGroupVersion))
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-a", Namespace: "ns", ResourceVersion: "5", UID: "u",
			Labels:        map[string]string{"multicluster.kubernetes.io/service-name": "web", "other": "x"},
			Annotations:   map[string]string{"note": "dropped"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m", Operation: metav1.ManagedFieldsOperationUpdate}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}, NodeName: ptr.To("node-1")}},
	}
	bookmark := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{
		ResourceVersion: "6",
		Annotations:     map[string]string{metav1.InitialEventsAnnotationKey: "true"},
	}}
	for _, ev := range []watch.Event{{Type: watch.Added, Object: slice}, {Type: watch.Bookmark, Object: bookmark}} {
		if err := enc.Encode(&ev); err != nil {
			t.Error(err)
			return
		}
	}
}

// The clientset's EndpointSlice watch goes through the fast decoder (the
// object comes without its managed fields, node name and other labels) and
// keeps what the reflector reads of the bookmark, over HTTP as a real API
// server answers in protobuf.
func TestKubeClientsetSliceWatchDecodesFast(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/discovery.k8s.io/v1/endpointslices" || r.URL.Query().Get("watch") != "true" {
			http.NotFound(w, r)
			return
		}
		writeSliceWatch(t, w)
	}))
	defer srv.Close()
	cs, err := newKubeClientset(&rest.Config{
		Host:          srv.URL,
		ContentConfig: rest.ContentConfig{ContentType: runtime.ContentTypeProtobuf, AcceptContentTypes: runtime.ContentTypeProtobuf},
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := cs.DiscoveryV1().EndpointSlices(metav1.NamespaceAll).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	added := <-w.ResultChan()
	es, ok := added.Object.(*discoveryv1.EndpointSlice)
	if added.Type != watch.Added || !ok {
		t.Fatalf("first event %s %+v", added.Type, added.Object)
	}
	if es.Name != "web-a" || es.Namespace != "ns" || es.ResourceVersion != "5" || len(es.Endpoints) != 1 || es.Endpoints[0].Addresses[0] != "10.1.0.1" {
		t.Errorf("kept %+v", es)
	}
	if es.ManagedFields != nil || es.UID != "" || es.Endpoints[0].NodeName != nil || len(es.Labels) != 1 || es.Annotations != nil {
		t.Errorf("the standard decoder read it: %+v", es)
	}
	bookmark := <-w.ResultChan()
	bm, ok := bookmark.Object.(*discoveryv1.EndpointSlice)
	if bookmark.Type != watch.Bookmark || !ok {
		t.Fatalf("second event %s %T", bookmark.Type, bookmark.Object)
	}
	if bm.Annotations[metav1.InitialEventsAnnotationKey] != "true" || bm.ResourceVersion != "6" {
		t.Errorf("bookmark lost its annotation: %+v", bm.ObjectMeta)
	}
}
