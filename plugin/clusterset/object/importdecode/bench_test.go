package importdecode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	restwatch "k8s.io/client-go/rest/watch"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// BenchmarkDecodeTransform is one watch event's object, from bytes to what
// the informer stores, the standard way and the fast way.
func BenchmarkDecodeTransform(b *testing.B) {
	standard, fast := embeddedDecoders(b)
	raw := fixture(b)
	for _, bc := range []struct {
		name    string
		decoder runtime.Decoder
	}{{"standard", standard}, {"fast", fast}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				obj, err := runtime.Decode(bc.decoder, raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := convert.TransformServiceImport(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// streamEvents is the number of ADDED events in BenchmarkWatchStream.
const streamEvents = 1000

// watchStream is a watch response body as the API server writes it for
// JSON: newline-delimited WatchEvents, the object inline.
func watchStream(tb testing.TB) []byte {
	raw := fixture(tb)
	var buf bytes.Buffer
	for i := range streamEvents {
		obj := bytes.Replace(raw, []byte(`"name":"checkout"`), fmt.Appendf(nil, `"name":"svc-%05d"`, i), 1)
		fmt.Fprintf(&buf, "{\"type\":\"ADDED\",\"object\":%s}\n", obj)
	}
	return buf.Bytes()
}

// BenchmarkWatchStream decodes a whole watch stream through client-go's
// watch decoder (k8s.io/client-go/rest/watch) and transforms each object:
// the framing and the event envelope, which the fast path leaves as they
// are, count too.
func BenchmarkWatchStream(b *testing.B) {
	stream := watchStream(b)
	for _, bc := range []struct {
		name       string
		serializer runtime.NegotiatedSerializer
	}{{"standard", standardSerializer}, {"fast", NewNegotiatedSerializer(standardSerializer)}} {
		b.Run(bc.name, func(b *testing.B) {
			objects, err := runtime.NewClientNegotiator(bc.serializer, mcsv1beta1.SchemeGroupVersion).Decoder(runtime.ContentTypeJSON, nil)
			if err != nil {
				b.Fatal(err)
			}
			info, _ := runtime.SerializerInfoForMediaType(bc.serializer.SupportedMediaTypes(), runtime.ContentTypeJSON)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				frames := info.StreamSerializer.Framer.NewFrameReader(io.NopCloser(bytes.NewReader(stream)))
				decodeStream(b, restwatch.NewDecoder(streaming.NewDecoder(frames, info.StreamSerializer.Serializer), objects))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*streamEvents), "ns/event")
		})
	}
}

// decodeStream reads d to its end, transforming each object.
func decodeStream(b *testing.B, d *restwatch.Decoder) {
	n := 0
	for {
		_, obj, err := d.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := convert.TransformServiceImport(obj); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != streamEvents {
		b.Fatalf("decoded %d events, want %d", n, streamEvents)
	}
}
