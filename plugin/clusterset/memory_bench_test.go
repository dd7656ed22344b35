package clusterset

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"
)

// memoryBenchSource is the project benchmark's data (test/bench): services
// services, ClusterSetIP when even and headless when odd, each with ten
// ready endpoints over three clusters, with unique addresses; here every
// second endpoint has a hostname, so that both kinds of endpoint name
// are made.
func memoryBenchSource(services int) *fakeSource {
	f := newFakeSource("bench")
	clusters := []string{"cluster-a", "cluster-b", "cluster-c"}
	for i := range services {
		name := fmt.Sprintf("svc-%05d", i)
		if i%2 == 0 {
			f.addImport("bench", name, object.ClusterSetIP, []string{benchAddr(10, 100, i+1)}, fixtures.TCP("http", 80))
		} else {
			f.addImport("bench", name, object.Headless, nil, fixtures.TCP("http", 80))
		}
		for c, cluster := range clusters {
			var eps []object.Endpoint
			for e := c; e < 10; e += len(clusters) {
				host := ""
				if e%2 == 0 {
					host = fmt.Sprintf("%s-%d", name, e)
				}
				eps = append(eps, fixtures.Ready(host, benchAddr(10, 1, i*10+e+1)))
			}
			f.addSlice("bench", name, name+"-"+cluster, cluster, object.AddressTypeIPv4, []object.Port{fixtures.TCP("http", 8080)}, eps...)
		}
	}
	return f
}

// benchAddr returns a.b.0.0 + n.
func benchAddr(a, b byte, n int) string {
	return fmt.Sprintf("%d.%d.%d.%d", a, b, byte(n>>8), byte(n))
}

// BenchmarkSnapshotMemory reports the heap a snapshot of 10,000 services
// (100,000 endpoints) holds, per endpoint: what the answer side costs
// beside the informers' caches. Two zones must cost little more than one:
// the owner names are per zone, the data is not.
func BenchmarkSnapshotMemory(b *testing.B) {
	const services, endpoints = 10000, 10
	src := memoryBenchSource(services)
	for _, tc := range []struct{ name, corefile string }{
		{"one zone", "clusterset"},
		{"two zones", "clusterset clusterset.local example.org"},
		{"scoped_names", "clusterset {\n scoped_names\n}"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cs := newTestPlugin(b, tc.corefile, nil)
			var held float64
			for b.Loop() {
				held = snapshotHeap(b, cs, src, services)
			}
			b.ReportMetric(held/(services*endpoints), "B/endpoint")
		})
	}
}

// snapshotHeap builds a snapshot of every service of src and returns the
// heap it holds, in bytes.
func snapshotHeap(b *testing.B, cs *ClusterSet, src *fakeSource, services int) float64 {
	s := cs.newSyncerFor(src, newChangeQueue(), func() bool { return true })
	keys := allKeys(src)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.apply(keys)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if s.current.Load().Size() != services {
		b.Fatalf("snapshot of %d services, want %d", s.current.Load().Size(), services)
	}
	held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	runtime.KeepAlive(s)
	return held
}
