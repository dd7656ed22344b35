package importdecode

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NewNegotiatedSerializer wraps the mcs-api clientset's serializers
// (base: its scheme's codec factory) so that a ServiceImport decoded into
// no given object, as a watch event's object is, is read in one pass into
// only the fields the informer's transform keeps (convert.ServiceImportFrom*);
// everything else, and any input the fast path cannot prove it reads
// exactly as the standard decoder does, goes to base's JSON decoder.
// The watch stream's framing and event envelope have fast paths too
// (framer.go, envelope.go). Encoding and other media types are base's.
//
// The result must not be used where a caller needs the whole object: it is
// for the ServiceImport informer alone.
func NewNegotiatedSerializer(base runtime.NegotiatedSerializer) runtime.NegotiatedSerializer {
	infos := append([]runtime.SerializerInfo(nil), base.SupportedMediaTypes()...)
	for i := range infos {
		if infos[i].MediaType != runtime.ContentTypeJSON {
			continue
		}
		if infos[i].Serializer != nil {
			infos[i].Serializer = serializer{infos[i].Serializer}
		}
		if stream := infos[i].StreamSerializer; stream != nil && stream.Serializer != nil {
			fast := *stream
			fast.Serializer = envelopeSerializer{stream.Serializer}
			if fast.Framer != nil {
				fast.Framer = framer{stream.Framer}
			}
			infos[i].StreamSerializer = &fast
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

// serializer is the standard JSON serializer with the fast path in front
// of its Decode.
type serializer struct {
	runtime.Serializer
}

// Decode takes the fast path only without defaults and without an object
// to decode into: a Get or a List hands one in and gets the whole object,
// a watch event's object (k8s.io/client-go/rest/watch) hands in neither.
func (d serializer) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	if defaults == nil && into == nil {
		if obj, gvk, ok := decodeFast(data); ok {
			return obj, gvk, nil
		}
	}
	return d.Serializer.Decode(data, defaults, into)
}

// decodeFast reads a ServiceImport, ok false when the standard decoder must.
func decodeFast(data []byte) (runtime.Object, *schema.GroupVersionKind, bool) {
	f, err := parse(data)
	if err != nil {
		return nil, nil, false
	}
	return build(f)
}
