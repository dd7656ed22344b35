package slicedecode

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fieldKind is how the generated Unmarshal reads a field, which is all a
// field the transform does not keep needs: its wire type to check and, for
// a message, the fields to check inside it.
type fieldKind uint8

const (
	kindUnknown   fieldKind = iota // skipped like any unknown field
	kindVarint                     // bool and integers
	kindBytes                      // string and []byte, one or repeated
	kindMessage                    // a nested message, one or repeated
	kindStringMap                  // map<string, string>
)

// field is one field of a message schema.
type field struct {
	kind fieldKind
	// msg is the schema of a kindMessage field.
	msg *message
}

// message is the schema of one message type, fields indexed by number.
type message struct {
	name   string
	fields []field
}

func (m *message) field(num int32) field {
	if int(num) < len(m.fields) {
		return m.fields[num]
	}
	return field{}
}

// The schemas of the messages an EndpointSlice nests, derived from the
// protobuf tags of the Go types the standard decoder fills, so they cannot
// drift from it as k8s.io/api changes.
var (
	sliceSchema     = mustSchema(reflect.TypeFor[discoveryv1.EndpointSlice]())
	metaSchema      = sliceSchema.field(sliceFieldMetadata).msg
	endpointSchema  = sliceSchema.field(sliceFieldEndpoints).msg
	conditionSchema = endpointSchema.field(endpointFieldConditions).msg
	portSchema      = sliceSchema.field(sliceFieldPorts).msg
	unknownSchema   = mustSchema(reflect.TypeFor[runtime.Unknown]())
	typeMetaSchema  = unknownSchema.field(unknownFieldTypeMeta).msg
)

// Types whose Unmarshal is written by hand in apimachinery: both read a
// Timestamp.
var timestampTypes = map[reflect.Type]bool{
	reflect.TypeFor[metav1.Time]():      true,
	reflect.TypeFor[metav1.MicroTime](): true,
}

func mustSchema(t reflect.Type) *message {
	m, err := schemaOf(t, map[reflect.Type]*message{})
	if err != nil {
		panic(err)
	}
	return m
}

// schemaOf derives the schema of struct type t from its fields' types and
// the field numbers of their protobuf tags ("bytes,1,opt,name=metadata");
// fields without a tag are not on the wire. A field shape the reader does not handle is an error, so that
// a new k8s.io/api fails the tests rather than decoding wrongly.
func schemaOf(t reflect.Type, seen map[reflect.Type]*message) (*message, error) {
	if m, ok := seen[t]; ok {
		return m, nil
	}
	m := &message{name: t.Name()}
	seen[t] = m
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("protobuf")
		if !ok || tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		if len(parts) < 2 {
			return nil, fmt.Errorf("%s.%s: protobuf tag %q", t.Name(), sf.Name, tag)
		}
		num, err := strconv.Atoi(parts[1])
		if err != nil || num <= 0 || num > 1<<10 {
			return nil, fmt.Errorf("%s.%s: field number in %q", t.Name(), sf.Name, tag)
		}
		f, err := fieldOf(sf.Type, seen)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), sf.Name, err)
		}
		for len(m.fields) <= num {
			m.fields = append(m.fields, field{})
		}
		if m.fields[num].kind != kindUnknown {
			return nil, fmt.Errorf("%s.%s: field number %d used twice", t.Name(), sf.Name, num)
		}
		m.fields[num] = f
	}
	return m, nil
}

// fieldOf is the kind of a field of Go type t. The Go type decides, not
// the tag's wire type: go-to-protobuf generates the .proto, and so the
// Unmarshal, from the Go types, and some tags name the wrong wire type
// (discovery/v1 EndpointConditions.Ready says bytes; it is a varint).
func fieldOf(t reflect.Type, seen map[reflect.Type]*message) (field, error) {
	repeated := t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8
	elem := t
	if elem.Kind() == reflect.Pointer || repeated {
		elem = elem.Elem()
	}
	if elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	switch {
	case elem.Kind() == reflect.Bool || isInteger(elem.Kind()):
		if repeated {
			// Repeated integers may come packed or not; none is in an
			// EndpointSlice, so none is handled.
			return field{}, fmt.Errorf("repeated %s", elem)
		}
		return field{kind: kindVarint}, nil
	case timestampTypes[elem]:
		msg, err := schemaOf(reflect.TypeFor[metav1.Timestamp](), seen)
		return field{kind: kindMessage, msg: msg}, err
	case elem.Kind() == reflect.String, elem.Kind() == reflect.Slice && elem.Elem().Kind() == reflect.Uint8:
		return field{kind: kindBytes}, nil
	case elem.Kind() == reflect.Map && elem.Key().Kind() == reflect.String && elem.Elem().Kind() == reflect.String:
		return field{kind: kindStringMap}, nil
	case elem.Kind() == reflect.Struct:
		msg, err := schemaOf(elem, seen)
		if err != nil {
			return field{}, err
		}
		return field{kind: kindMessage, msg: msg}, nil
	}
	return field{}, fmt.Errorf("field of type %s", t)
}

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// validate reads a message the transform keeps nothing of, failing where
// the generated Unmarshal of its type would.
func validate(data []byte, m *message) error {
	r := reader{data: data}
	for r.more() {
		start := r.pos
		num, wire, err := r.tag()
		if err != nil {
			return err
		}
		if err := r.checkField(m, num, wire, start); err != nil {
			return err
		}
	}
	return nil
}

// checkField reads the value of a field the transform does not keep, whose
// key started at start, as the generated code of m reads it.
func (r *reader) checkField(m *message, num int32, wire, start int) error {
	f := m.field(num)
	switch f.kind {
	case kindVarint:
		_, err := r.varintField(wire)
		return err
	case kindBytes:
		_, err := r.bytesField(wire)
		return err
	case kindMessage:
		body, err := r.bytesField(wire)
		if err != nil {
			return err
		}
		return validate(body, f.msg)
	case kindStringMap:
		return r.stringMapEntry(wire, nil)
	}
	return r.skipFrom(start, len(r.data))
}

// stringMapEntry reads one map<string, string> entry after its key, as the
// generated code does: the entry's own keys are not checked for wire type,
// its key and value may run past the entry (but not past the message), and
// any other field of the entry is skipped. keep, when set, receives the
// entry.
func (r *reader) stringMapEntry(wire int, keep func(key, value []byte)) error {
	if wire != wireBytes {
		return errWireType
	}
	n, err := r.varint()
	if err != nil {
		return err
	}
	length := int(n)
	if length < 0 {
		return errInvalidLength
	}
	end := r.pos + length
	if end < 0 {
		return errInvalidLength
	}
	if end > len(r.data) {
		return errEOF
	}
	var key, value []byte
	for r.pos < end {
		start := r.pos
		k, err := r.varint()
		if err != nil {
			return err
		}
		switch int32(k >> 3) {
		case 1:
			if key, err = r.lengthDelimited(len(r.data)); err != nil {
				return err
			}
		case 2:
			if value, err = r.lengthDelimited(len(r.data)); err != nil {
				return err
			}
		default:
			if err := r.skipFrom(start, end); err != nil {
				return err
			}
		}
	}
	if keep != nil {
		keep(key, value)
	}
	r.pos = end
	return nil
}
