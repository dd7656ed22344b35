package clusterset

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
)

// buildBenchSource holds services headless services of ten ready endpoints
// each, spread over three clusters and three zones, like the project's
// benchmark data.
func buildBenchSource(services int) *fakeSource {
	f := newFakeSource("bench")
	clusters := []string{"east", "west", "central"}
	zones := []string{"us-east-1a", "us-east-1b", "eu-west-1a"}
	for i := range services {
		name := fmt.Sprintf("svc-%d", i)
		f.addImport("bench", name, object.Headless, nil, fixtures.TCP("http", 80))
		for c, cluster := range clusters {
			var eps []object.Endpoint
			for e := range 10 {
				if e%3 != c {
					continue
				}
				ep := fixtures.Ready(fmt.Sprintf("%s-%d", name, e), fmt.Sprintf("10.%d.%d.%d", c, i/25, (i%25)*10+e))
				ep.Zone = zones[e%3]
				eps = append(eps, ep)
			}
			f.addSlice("bench", name, name+"-"+cluster, cluster, object.AddressTypeIPv4, []object.Port{fixtures.TCP("http", 8080)}, eps...)
		}
	}
	return f
}

// BenchmarkBuild measures building one headless service of ten endpoints,
// and the heap a snapshot of 2000 such services holds, with the options
// that add names or ordering off and on.
func BenchmarkBuild(b *testing.B) {
	const services = 2000
	src := buildBenchSource(services)
	for _, tc := range []struct{ name, corefile string }{
		{"plain", "clusterset"},
		{"prefer_zone", "clusterset {\n cluster_id east\n topology us-east-1a us-east-1\n prefer zone\n}"},
		{"scoped_names", "clusterset {\n scoped_names\n}"},
	} {
		b.Run(tc.name, func(b *testing.B) { benchmarkBuild(b, tc.corefile, src, services) })
	}
}

// benchmarkBuild times building one service of src under corefile, then
// reports the heap a snapshot of all of src's services holds, in bytes per
// service.
func benchmarkBuild(b *testing.B, corefile string, src *fakeSource, services int) {
	cs := newTestPlugin(b, corefile, nil)
	s := cs.newSyncerFor(src, newChangeQueue(), func() bool { return true })
	key := object.ServiceKey{Namespace: "bench", Name: "svc-7"}
	b.ReportAllocs()
	for b.Loop() {
		s.build.Build(key, src)
	}
	b.StopTimer()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.apply(allKeys(src))
	runtime.GC()
	runtime.ReadMemStats(&after)
	if s.current.Load().Size() != services {
		b.Fatalf("snapshot of %d services, want %d", s.current.Load().Size(), services)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(services), "heapB/service")
}

// BenchmarkServeDNSLocality times the locality, scoped-name and EDE answers on the
// query-path benchmark data: they must cost what the plain ones do.
func BenchmarkServeDNSLocality(b *testing.B) {
	src := benchSource()
	for _, es := range src.slices[object.ServiceKey{Namespace: "demo", Name: "h10"}] {
		for i := range es.Endpoints {
			es.Endpoints[i].Zone = []string{"z1", "z2"}[i%2]
		}
	}
	src.addImport("demo", "idle", object.ClusterSetIP, nil)
	cs := newTestPlugin(b, "clusterset {\n cluster_id east\n topology z1\n prefer zone\n scoped_names\n answer endpoints\n extended_errors\n}", src)
	for _, bc := range []benchCase{
		{"headless A 10 endpoints, prefer zone", "h10.demo.svc.clusterset.local.", dns.TypeA, 10},
		{"zone pin A", "z1.pin._zone.h10.demo.svc.clusterset.local.", dns.TypeA, 6},
		{"cluster pin A", "east.pin._cluster.h10.demo.svc.clusterset.local.", dns.TypeA, 4},
		{"prefer widened to the service", "z9.prefer._zone.h10.demo.svc.clusterset.local.", dns.TypeA, 10},
		{"pin NODATA, explained", "z9.pin._zone.h10.demo.svc.clusterset.local.", dns.TypeA, 0},
		{"NODATA explained", "idle.demo.svc.clusterset.local.", dns.TypeA, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if got := timeServeDNS(b, cs, bc); got != bc.want {
				b.Fatalf("%d answers, want %d", got, bc.want)
			}
		})
	}
}
