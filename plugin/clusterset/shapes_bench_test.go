package clusterset

import (
	"fmt"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"
	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
)

// shapesSource is a fakeSource holding objs as the informers' transforms
// trim them.
func shapesSource(objs shapes.Objects) *fakeSource {
	f := newFakeSource(objs.Namespaces()...)
	for _, si := range objs.Imports {
		got := convert.ServiceImportFromV1beta1(si)
		f.imports[got.Key()] = got
	}
	for _, es := range objs.Slices {
		got := convert.EndpointSliceFromV1(es)
		f.slices[got.Key()] = append(f.slices[got.Key()], got)
	}
	return f
}

// benchShapes are services of three clusters in each implementation's
// shape: Lighthouse's, whose ClusterSetIP slices hold one Service IP per
// cluster, and Cloud Map's, whose slices hold ten pods per service. The
// bookkeeping imports Lighthouse keeps beside them are left out: with
// exclude_namespaces, the watch never lets them reach the builder.
func benchShapes(services int) map[string]shapes.Objects {
	out := map[string]shapes.Objects{}
	http := []shapes.Port{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}
	clusters := []string{"east", "west", "central"}
	for i := range services {
		s := shapes.Service{Namespace: "bench", Name: fmt.Sprintf("svc-%d", i), Ports: http}
		for c, cluster := range clusters {
			m := shapes.Member{Cluster: cluster, ServiceIP: fmt.Sprintf("10.%d.%d.%d", 100+c, i/250, i%250)}
			for e := range 10 {
				if e%3 == c {
					m.Pods = append(m.Pods, shapes.Pod{Hostname: fmt.Sprintf("p%d", e), Address: fmt.Sprintf("10.%d.%d.%d", c, i/25, (i%25)*10+e)})
				}
			}
			s.Members = append(s.Members, m)
		}
		out["lighthouse_clustersetip"] = out["lighthouse_clustersetip"].Plus(shapes.LighthouseClusterSetIP(s))
		out["lighthouse_headless"] = out["lighthouse_headless"].Plus(shapes.LighthouseHeadless(s))
		out["cloudmap_clustersetip"] = out["cloudmap_clustersetip"].Plus(shapes.CloudMapClusterSetIP(s, fmt.Sprintf("10.96.%d.%d", i/250, i%250)))
	}
	return out
}

// BenchmarkBuildShapes measures building one service in each real shape,
// with the options its example in corefile-examples/ sets, and the heap a
// snapshot of 2000 of them holds.
func BenchmarkBuildShapes(b *testing.B) {
	const services = 2000
	worlds := benchShapes(services)
	for _, tc := range []struct{ name, corefile string }{
		{"lighthouse_clustersetip", lighthouseCorefile},
		{"lighthouse_headless", lighthouseCorefile},
		{"cloudmap_clustersetip", "clusterset"},
	} {
		b.Run(tc.name, func(b *testing.B) { benchmarkBuild(b, tc.corefile, shapesSource(worlds[tc.name]), services) })
	}
}
