package slicedecode

import (
	"bytes"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// protobufPrefix starts every object the API server encodes as protobuf
// (k8s.io/apimachinery runtime/serializer/protobuf): "k8s" and a zero.
var protobufPrefix = []byte{0x6b, 0x38, 0x73, 0x00}

var sliceKind = discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice")

// NewNegotiatedSerializer wraps the core clientset's serializers (base:
// the client-go scheme's codec factory) so that an EndpointSlice decoded
// into no given object, as a watch event's object is, is read in one pass
// into only the fields the informer's transform keeps
// (convert.EndpointSliceFromV1). Everything else, and any input the fast
// path cannot prove the standard decoder reads without error, goes to
// base's protobuf decoder. Other media types, and encoding, are base's.
//
// The result must not be used where a caller needs the whole object: it is
// for the EndpointSlice informer alone.
func NewNegotiatedSerializer(base runtime.NegotiatedSerializer) runtime.NegotiatedSerializer {
	infos := append([]runtime.SerializerInfo(nil), base.SupportedMediaTypes()...)
	for i := range infos {
		if infos[i].MediaType == runtime.ContentTypeProtobuf && infos[i].Serializer != nil {
			infos[i].Serializer = serializer{infos[i].Serializer}
		}
	}
	return negotiatedSerializer{NegotiatedSerializer: base, infos: infos}
}

type negotiatedSerializer struct {
	runtime.NegotiatedSerializer
	infos []runtime.SerializerInfo
}

func (n negotiatedSerializer) SupportedMediaTypes() []runtime.SerializerInfo {
	return n.infos
}

// serializer is the standard protobuf serializer with the fast path in
// front of its Decode.
type serializer struct {
	runtime.Serializer
}

// Decode takes the fast path only without defaults and without an object
// to decode into: a Get or a List hands one in and gets the whole object,
// a watch event's object (k8s.io/client-go/rest/watch) hands in neither.
func (d serializer) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	if defaults == nil && into == nil {
		if es, ok := decodeFast(data); ok {
			gvk := sliceKind
			return es, &gvk, nil
		}
	}
	return d.Serializer.Decode(data, defaults, into)
}

// decodeFast reads an EndpointSlice, ok false when the standard decoder
// must: for input it rejects, and for any other kind.
func decodeFast(data []byte) (*discoveryv1.EndpointSlice, bool) {
	if len(data) <= len(protobufPrefix) || !bytes.Equal(data[:len(protobufPrefix)], protobufPrefix) {
		return nil, false
	}
	env, err := readEnvelope(data[len(protobufPrefix):])
	if err != nil || string(env.kind) != sliceKind.Kind || string(env.apiVersion) != sliceKind.GroupVersion().String() {
		return nil, false
	}
	es := &discoveryv1.EndpointSlice{}
	if err := readSlice(env.raw, es); err != nil {
		return nil, false
	}
	// As the standard decoder does, though the client's decoder clears it.
	es.SetGroupVersionKind(sliceKind)
	return es, true
}
