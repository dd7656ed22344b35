package convert

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The shape of `make bench` (test/bench): services of 10 endpoints over 3
// clusters, one slice per service and cluster (4, 3 and 3 endpoints), one
// port. Zones are set, and every other service names its endpoints.
const (
	retainedServices  = 10000
	retainedEndpoints = 10
)

var retainedClusters = []string{"cluster-a", "cluster-b", "cluster-c"}

// retainedWire returns the slices of the shape as protobuf, the form the
// informers decode: decoding gives every string its own allocation, which
// is what a trimmed object keeps alive when it shares them.
func retainedWire(b *testing.B) (wire [][]byte, endpoints int) {
	b.Helper()
	ready := true
	for i := range retainedServices {
		service := fmt.Sprintf("svc-%05d", i)
		for c, cluster := range retainedClusters {
			es := &discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: "bench", Name: service + "-" + cluster + "-ipv4",
					ResourceVersion: fmt.Sprint(100000 + 3*i + c), UID: types.UID(fmt.Sprintf("uid-%d-%d", i, c)),
					Labels: map[string]string{
						object.LabelServiceName:                  service,
						object.LabelSourceCluster:                cluster,
						"endpointslice.kubernetes.io/managed-by": "mcs-controller",
					},
				},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(int32(8080))}},
			}
			for e := c; e < retainedEndpoints; e += len(retainedClusters) {
				n := uint32(10<<24|1<<16) + uint32(i*retainedEndpoints+e+1)
				ep := discoveryv1.Endpoint{
					Addresses:  []string{netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String()},
					Conditions: discoveryv1.EndpointConditions{Ready: &ready},
					Zone:       ptr("zone-" + cluster),
				}
				if i%2 == 1 {
					ep.Hostname = ptr(fmt.Sprintf("web-%d", e))
				}
				es.Endpoints = append(es.Endpoints, ep)
				endpoints++
			}
			data, err := es.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			wire = append(wire, data)
		}
	}
	return wire, endpoints
}

// liveHeap returns the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// retained reports the heap that what keep returns holds once the
// collector has run, per unit.
func retained(b *testing.B, units int, unit string, keep func() any) {
	b.Helper()
	for b.Loop() {
		before := liveHeap()
		kept := keep()
		after := liveHeap()
		runtime.KeepAlive(kept)
		b.ReportMetric(float64(after-before)/float64(units), unit)
	}
}

// cached returns a store of objs keyed and indexed as an informer's.
func cached(b *testing.B, indexers cache.Indexers, objs []any) cache.Indexer {
	b.Helper()
	store := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, indexers)
	if err := store.Replace(objs, "1"); err != nil {
		b.Fatal(err)
	}
	return store
}

// BenchmarkRetainedEndpointSlices measures the heap the trimmed slices of
// the shape keep alive once the decoded API objects are gone: alone
// (objects), and in a store indexed by service as the informer keeps them
// (cached). The metric is B/endpoint; the time is that of decoding and
// converting.
func BenchmarkRetainedEndpointSlices(b *testing.B) {
	wire, endpoints := retainedWire(b)
	decode := func() []any {
		objs := make([]any, 0, len(wire))
		for _, data := range wire {
			var es discoveryv1.EndpointSlice
			if err := es.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
			objs = append(objs, EndpointSliceFromV1(&es))
		}
		return objs
	}
	b.Run("objects", func(b *testing.B) {
		retained(b, endpoints, "B/endpoint", func() any { return decode() })
	})
	b.Run("cached", func(b *testing.B) {
		retained(b, endpoints, "B/endpoint", func() any {
			return cached(b, cache.Indexers{"service": IndexSliceByService}, decode())
		})
	})
}

// BenchmarkRetainedServiceImports is BenchmarkRetainedEndpointSlices for
// the ServiceImports of the shape (half ClusterSetIP with one VIP, half
// headless), decoded from JSON as the CRD is, in a store indexed by
// namespace as the informer keeps them. The metric is per import; a
// service of the shape has 10 endpoints.
func BenchmarkRetainedServiceImports(b *testing.B) {
	var wire [][]byte
	for i := range retainedServices {
		si := &mcsv1beta1.ServiceImport{
			ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("svc-%05d", i), ResourceVersion: fmt.Sprint(200000 + i)},
			Spec: mcsv1beta1.ServiceImportSpec{
				Type:  mcsv1beta1.Headless,
				Ports: []mcsv1beta1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
			},
		}
		if i%2 == 0 {
			si.Spec.Type, si.Spec.IPs = mcsv1beta1.ClusterSetIP, []string{netip.AddrFrom4([4]byte{10, 100, byte(i >> 8), byte(i)}).String()}
		}
		for _, c := range retainedClusters {
			si.Status.Clusters = append(si.Status.Clusters, mcsv1beta1.ClusterStatus{Cluster: c})
		}
		data, err := json.Marshal(si)
		if err != nil {
			b.Fatal(err)
		}
		wire = append(wire, data)
	}
	retained(b, len(wire), "B/import", func() any {
		objs := make([]any, 0, len(wire))
		for _, data := range wire {
			var si mcsv1beta1.ServiceImport
			if err := json.Unmarshal(data, &si); err != nil {
				b.Fatal(err)
			}
			objs = append(objs, ServiceImportFromV1beta1(&si))
		}
		return cached(b, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}, objs)
	})
}
