package slicedecode

import (
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Field numbers of what the transform keeps (k8s.io/api discovery/v1 and
// apimachinery meta/v1 and runtime generated.proto); the tests hold them
// to the Go types' protobuf tags.
const (
	unknownFieldTypeMeta = 1
	unknownFieldRaw      = 2

	typeMetaFieldAPIVersion = 1
	typeMetaFieldKind       = 2

	sliceFieldMetadata    = 1
	sliceFieldEndpoints   = 2
	sliceFieldPorts       = 3
	sliceFieldAddressType = 4

	metaFieldName            = 1
	metaFieldNamespace       = 3
	metaFieldResourceVersion = 6
	metaFieldLabels          = 11
	metaFieldAnnotations     = 12

	endpointFieldAddresses  = 1
	endpointFieldConditions = 2
	endpointFieldHostname   = 3
	endpointFieldZone       = 7

	conditionFieldReady = 1

	portFieldName     = 1
	portFieldProtocol = 2
	portFieldPort     = 3
)

// envelope is what the transform needs of a runtime.Unknown, the wrapper
// of every protobuf-encoded object: its type meta and the object's bytes.
type envelope struct {
	apiVersion, kind []byte
	raw              []byte
}

// readEnvelope reads a runtime.Unknown as its generated Unmarshal does:
// the type meta merges when repeated, the raw bytes are the last.
func readEnvelope(data []byte) (envelope, error) {
	var env envelope
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return env, err
		}
		switch num {
		case unknownFieldTypeMeta:
			body, err := r.bytesField(wire)
			if err != nil {
				return env, err
			}
			if err := readTypeMeta(body, &env); err != nil {
				return env, err
			}
		case unknownFieldRaw:
			if env.raw, err = r.bytesField(wire); err != nil {
				return env, err
			}
		default:
			if err := r.checkField(unknownSchema, num, wire, start); err != nil {
				return env, err
			}
		}
	}
	return env, nil
}

func readTypeMeta(data []byte, env *envelope) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		switch num {
		case typeMetaFieldAPIVersion:
			env.apiVersion, err = r.bytesField(wire)
		case typeMetaFieldKind:
			env.kind, err = r.bytesField(wire)
		default:
			err = r.checkField(typeMetaSchema, num, wire, start)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readSlice reads an EndpointSlice into es, keeping what the transform
// reads (convert.EndpointSliceFromV1) and checking the rest.
func readSlice(data []byte, es *discoveryv1.EndpointSlice) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		switch num {
		case sliceFieldMetadata:
			var body []byte
			if body, err = r.bytesField(wire); err == nil {
				err = readMeta(body, &es.ObjectMeta)
			}
		case sliceFieldEndpoints:
			var body []byte
			if body, err = r.bytesField(wire); err == nil {
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{})
				err = readEndpoint(body, &es.Endpoints[len(es.Endpoints)-1])
			}
		case sliceFieldPorts:
			var body []byte
			if body, err = r.bytesField(wire); err == nil {
				es.Ports = append(es.Ports, discoveryv1.EndpointPort{})
				err = readPort(body, &es.Ports[len(es.Ports)-1])
			}
		case sliceFieldAddressType:
			var b []byte
			if b, err = r.bytesField(wire); err == nil {
				es.AddressType = discoveryv1.AddressType(convert.InternBytes(b))
			}
		default:
			err = r.checkField(sliceSchema, num, wire, start)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readMeta keeps the name, namespace and resource version, of the labels
// only the two the transform reads, and of the annotations only the one
// that marks the bookmark ending a watch list's initial events, which the
// reflector reads (the transform never sees a bookmark). Values the transform interns
// are interned here, from the bytes, so that they cost no allocation.
func readMeta(data []byte, m *metav1.ObjectMeta) error {
	r := reader{data: data}
	keepAnnotation := func(key, value []byte) {
		if string(key) == metav1.InitialEventsAnnotationKey {
			if m.Annotations == nil {
				m.Annotations = make(map[string]string, 1)
			}
			m.Annotations[metav1.InitialEventsAnnotationKey] = string(value)
		}
	}
	keepLabel := func(key, value []byte) {
		if k := string(key); k == object.LabelServiceName || k == object.LabelSourceCluster {
			if m.Labels == nil {
				m.Labels = make(map[string]string, 2)
			}
			m.Labels[k] = convert.InternBytes(value)
		}
	}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		var b []byte
		switch num {
		case metaFieldName:
			if b, err = r.bytesField(wire); err == nil {
				m.Name = string(b)
			}
		case metaFieldNamespace:
			if b, err = r.bytesField(wire); err == nil {
				m.Namespace = convert.InternBytes(b)
			}
		case metaFieldResourceVersion:
			if b, err = r.bytesField(wire); err == nil {
				m.ResourceVersion = string(b)
			}
		case metaFieldLabels:
			err = r.stringMapEntry(wire, keepLabel)
		case metaFieldAnnotations:
			err = r.stringMapEntry(wire, keepAnnotation)
		default:
			err = r.checkField(metaSchema, num, wire, start)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readEndpoint(data []byte, ep *discoveryv1.Endpoint) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		var b []byte
		switch num {
		case endpointFieldAddresses:
			if b, err = r.bytesField(wire); err == nil {
				ep.Addresses = append(ep.Addresses, string(b))
			}
		case endpointFieldConditions:
			if b, err = r.bytesField(wire); err == nil {
				err = readConditions(b, &ep.Conditions)
			}
		case endpointFieldHostname:
			if b, err = r.bytesField(wire); err == nil {
				s := string(b)
				ep.Hostname = &s
			}
		case endpointFieldZone:
			if b, err = r.bytesField(wire); err == nil {
				s := convert.InternBytes(b)
				ep.Zone = &s
			}
		default:
			err = r.checkField(endpointSchema, num, wire, start)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readConditions keeps ready, the one condition an answer reads.
func readConditions(data []byte, c *discoveryv1.EndpointConditions) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		if num != conditionFieldReady {
			if err := r.checkField(conditionSchema, num, wire, start); err != nil {
				return err
			}
			continue
		}
		v, err := r.varintField(wire)
		if err != nil {
			return err
		}
		ready := v != 0
		c.Ready = &ready
	}
	return nil
}

func readPort(data []byte, p *discoveryv1.EndpointPort) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		switch num {
		case portFieldName:
			var b []byte
			if b, err = r.bytesField(wire); err == nil {
				s := convert.InternBytes(b)
				p.Name = &s
			}
		case portFieldProtocol:
			var b []byte
			if b, err = r.bytesField(wire); err == nil {
				proto := corev1.Protocol(convert.InternBytes(b))
				p.Protocol = &proto
			}
		case portFieldPort:
			var v uint64
			if v, err = r.varintField(wire); err == nil {
				// The generated code accumulates in an int32: the low 32
				// bits.
				port := int32(uint32(v))
				p.Port = &port
			}
		default:
			err = r.checkField(portSchema, num, wire, start)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
