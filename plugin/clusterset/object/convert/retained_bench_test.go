package convert

import (
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

// BenchmarkRetainedEndpointSlices measures the heap the trimmed slices of
// the shape keep alive once the decoded API objects are gone: alone
// (objects), and in a store indexed by service as the informer keeps them
// (cached). The metric is B/endpoint; the time is that of decoding and
// converting.
func BenchmarkRetainedEndpointSlices(b *testing.B) {
	wire, endpoints := retainedWire(b)
	decode := func(data []byte) *object.EndpointSlice {
		var es discoveryv1.EndpointSlice
		if err := es.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
		return EndpointSliceFromV1(&es)
	}
	b.Run("objects", func(b *testing.B) {
		for b.Loop() {
			before := liveHeap()
			kept := make([]*object.EndpointSlice, 0, len(wire))
			for _, data := range wire {
				kept = append(kept, decode(data))
			}
			after := liveHeap()
			runtime.KeepAlive(kept)
			b.ReportMetric(float64(after-before)/float64(endpoints), "B/endpoint")
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			before := liveHeap()
			store := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{"service": IndexSliceByService})
			replace := func() {
				list := make([]any, 0, len(wire))
				for _, data := range wire {
					list = append(list, decode(data))
				}
				if err := store.Replace(list, "1"); err != nil {
					b.Fatal(err)
				}
			}
			replace()
			after := liveHeap()
			runtime.KeepAlive(store)
			b.ReportMetric(float64(after-before)/float64(endpoints), "B/endpoint")
		}
	})
}
