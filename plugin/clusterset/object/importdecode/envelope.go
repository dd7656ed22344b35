package importdecode

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// envelopeSerializer is the standard JSON stream serializer with a fast
// path in front of its Decode for the watch event envelope,
// {"type":...,"object":...}: the standard one reads each event twice
// (kind, then fields), and at scale that costs more than the object itself.
type envelopeSerializer struct {
	runtime.Serializer
}

// Decode takes the fast path only for a metav1.WatchEvent to fill, which
// is what client-go's watch decoder (k8s.io/client-go/rest/watch) hands in.
// That caller ignores the returned kind, so the fast path returns none.
func (d envelopeSerializer) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	if event, ok := into.(*metav1.WatchEvent); ok && event != nil && defaults == nil {
		if parseEnvelope(data, event) == nil {
			return event, nil, nil
		}
	}
	return d.Serializer.Decode(data, defaults, into)
}

// parseEnvelope fills event from an envelope with exactly its two fields,
// once each, the type a plain string and the object not null; anything
// else (an error event is an envelope like any other) is left to the
// standard decoder. event is filled only on success.
func parseEnvelope(data []byte, event *metav1.WatchEvent) error {
	s := scanner{data: data}
	var eventType, object []byte
	err := s.object(true, func(key []byte) (err error) {
		switch {
		case string(key) == "type" && eventType == nil:
			eventType, err = s.plain()
		case string(key) == "object" && object == nil:
			object, err = s.rawValue()
		default:
			err = errFallback
		}
		return err
	})
	if err != nil || eventType == nil || object == nil {
		return errFallback
	}
	if err := s.end(); err != nil {
		return err
	}
	event.Type = string(eventType)
	// As runtime.RawExtension's UnmarshalJSON: a copy, because the stream
	// decoder reuses data for the next event.
	event.Object.Raw = append(event.Object.Raw[:0], object...)
	return nil
}

// rawValue consumes a value other than null and returns its bytes.
func (s *scanner) rawValue() ([]byte, error) {
	if s.null() {
		return nil, errFallback
	}
	s.ws()
	start := s.pos
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}
