package exporter

import (
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The exporter's Lighthouse shape, derived from live Services and slices,
// writes what test/shapes builds for the same service (slice names aside,
// which each makes unique its own way), so that the end-to-end tests and
// the fixtures of the unit and integration tests stay one shape.
func TestLighthouseShapeIsTheFixtures(t *testing.T) {
	tcp := corev1.ProtocolTCP
	fixture := shapes.Service{Namespace: "demo", Ports: []shapes.Port{{Name: "http", Protocol: tcp, Port: 80}}, Members: []shapes.Member{
		{Cluster: "c1", ServiceIP: "10.1.0.10", Pods: []shapes.Pod{{Hostname: "p0", Address: "10.1.1.1"}}},
		{Cluster: "c2", ServiceIP: "10.2.0.10", Pods: []shapes.Pod{{Hostname: "p0", Address: "10.2.1.1", NotReady: true}}},
	}}
	// sources are the clusters' own Services and slices behind fixture.
	sources := func(clusterIP func(shapes.Member) string) []source {
		var out []source
		for i, m := range fixture.Members {
			svc := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: clusterIP(m), Ports: []corev1.ServicePort{{Name: "http", Protocol: tcp, Port: 80}}}}
			es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-" + m.Cluster}, AddressType: discoveryv1.AddressTypeIPv4,
				Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Protocol: ptr(tcp), Port: ptr(int32(80))}}}
			for _, p := range m.Pods {
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{p.Address}, Hostname: ptr(p.Hostname),
					Conditions: discoveryv1.EndpointConditions{Ready: ptr(!p.NotReady)}})
			}
			out = append(out, source{cluster: m.Cluster, since: time.Unix(int64(i), 0), service: svc, slices: []*discoveryv1.EndpointSlice{es}})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		clusterIP func(shapes.Member) string
		build     func(shapes.Service) shapes.Objects
	}{
		{"ClusterSetIP", func(m shapes.Member) string { return m.ServiceIP }, shapes.LighthouseClusterSetIP},
		{"Headless", func(shapes.Member) string { return corev1.ClusterIPNone }, shapes.LighthouseHeadless},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fixture
			s.Name = "web"
			want := tc.build(s)
			key := serviceKey{Namespace: s.Namespace, Name: s.Name}
			src := sources(tc.clusterIP)
			si := LighthouseShape.serviceImport(key, src, nil)
			if !equality.Semantic.DeepEqual(si, want.Imports[0]) {
				t.Errorf("import\n%+v\nwant the fixture's\n%+v", si, want.Imports[0])
			}
			got := LighthouseShape.endpointSlices(key, src, func(n string) { t.Log(n) })
			if len(got) != len(want.Slices) {
				t.Fatalf("%d slices, the fixture has %d", len(got), len(want.Slices))
			}
			for i := range got {
				g, w := got[i].DeepCopy(), want.Slices[i].DeepCopy()
				g.Name, w.Name = "", ""
				if !equality.Semantic.DeepEqual(g, w) {
					t.Errorf("slice %d\n%+v\nwant the fixture's\n%+v", i, g, w)
				}
			}
		})
	}
}
