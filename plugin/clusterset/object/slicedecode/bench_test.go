package slicedecode

import (
	"fmt"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// benchSlice is fullSlice with 100 endpoints, each with the target
// reference, node name, conditions and hints an API server stores.
func benchSlice() *discoveryv1.EndpointSlice {
	es := fullSlice()
	first := es.Endpoints[0]
	es.Endpoints = es.Endpoints[:0]
	for i := range 100 {
		ep := *first.DeepCopy()
		ep.Addresses = []string{fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

// BenchmarkDecode decodes a watched EndpointSlice and transforms it as
// the informer does, the standard way and the fast way.
func BenchmarkDecode(b *testing.B) {
	raw := encode(b, benchSlice())
	standard, fast := embeddedDecoders(b)
	for _, d := range []struct {
		name string
		dec  runtime.Decoder
	}{{"standard", standard}, {"fast", fast}} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				obj, err := runtime.Decode(d.dec, raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := convert.TransformEndpointSlice(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
