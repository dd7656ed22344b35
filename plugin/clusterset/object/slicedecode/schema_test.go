package slicedecode

import (
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"google.golang.org/protobuf/encoding/protowire"
)

// unmarshaler is the generated (or, for the timestamps, hand-written)
// Unmarshal of a k8s.io type.
type unmarshaler interface {
	Unmarshal([]byte) error
}

// The schemas must know every protobuf-tagged field of the Go types, down
// through every nested message: a field they miss is skipped as unknown
// where the generated code checks its wire type and contents.
func TestSchemaKnowsEveryTaggedField(t *testing.T) {
	for _, tc := range []struct {
		schema *message
		typ    reflect.Type
	}{
		{sliceSchema, reflect.TypeFor[discoveryv1.EndpointSlice]()},
		{unknownSchema, reflect.TypeFor[runtime.Unknown]()},
	} {
		walkSchema(t, tc.schema, tc.typ, map[reflect.Type]bool{})
	}
}

// walkSchema compares m with struct type typ, and its message fields with
// theirs.
func walkSchema(t *testing.T, m *message, typ reflect.Type, seen map[reflect.Type]bool) {
	t.Helper()
	if seen[typ] {
		return
	}
	seen[typ] = true
	if m.name != typ.Name() {
		t.Errorf("schema %s for %s", m.name, typ)
	}
	tagged := map[int]bool{}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		if tag, ok := sf.Tag.Lookup("protobuf"); !ok || tag == "-" {
			continue
		}
		num := tagNumber(t, typ, sf.Name)
		tagged[num] = true
		f := m.field(int32(num))
		if f.kind == kindUnknown {
			t.Errorf("%s.%s (field %d) is not in the schema", typ, sf.Name, num)
			continue
		}
		if f.kind != kindMessage {
			continue
		}
		elem := sf.Type
		for elem.Kind() == reflect.Pointer || elem.Kind() == reflect.Slice {
			elem = elem.Elem()
		}
		if timestampTypes[elem] {
			elem = reflect.TypeFor[metav1.Timestamp]()
		}
		if elem.Kind() != reflect.Struct {
			t.Errorf("%s.%s (field %d) is a message in the schema, of Go type %s", typ, sf.Name, num, sf.Type)
			continue
		}
		walkSchema(t, f.msg, elem, seen)
	}
	for num := range m.fields {
		if m.fields[num].kind != kindUnknown && !tagged[num] {
			t.Errorf("schema %s has field %d, %s has no such tag", m.name, num, typ)
		}
	}
}

// A few fields named outright, the ones whose Go type or tag could mislead
// a derivation: a repeated message, a map, bools and an int32 whose tags
// say bytes (discovery/v1 types.go), a pointer to a message in another
// group, and a hand-decoded timestamp.
func TestSchemaFieldKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  field
		kind fieldKind
		msg  string
	}{
		{"metadata.managedFields", metaSchema.field(17), kindMessage, "ManagedFieldsEntry"},
		{"metadata.managedFields.time", metaSchema.field(17).msg.field(4), kindMessage, "Timestamp"},
		{"metadata.creationTimestamp", metaSchema.field(8), kindMessage, "Timestamp"},
		{"metadata.labels", metaSchema.field(11), kindStringMap, ""},
		{"metadata.generation", metaSchema.field(7), kindVarint, ""},
		{"metadata.finalizers", metaSchema.field(14), kindBytes, ""},
		{"metadata field 15", metaSchema.field(15), kindUnknown, ""},
		{"endpoint.deprecatedTopology", endpointSchema.field(5), kindStringMap, ""},
		{"endpoint.targetRef", endpointSchema.field(4), kindMessage, "ObjectReference"},
		{"endpoint.hints", endpointSchema.field(8), kindMessage, "EndpointHints"},
		{"conditions.ready", conditionSchema.field(1), kindVarint, ""},
		{"conditions.serving", conditionSchema.field(2), kindVarint, ""},
		{"port.port", portSchema.field(3), kindVarint, ""},
		{"port.appProtocol", portSchema.field(4), kindBytes, ""},
		{"unknown.raw", unknownSchema.field(2), kindBytes, ""},
		{"type meta.kind", typeMetaSchema.field(2), kindBytes, ""},
		{"field 1<<20", sliceSchema.field(1 << 20), kindUnknown, ""},
		{"field 0", sliceSchema.field(0), kindUnknown, ""},
	} {
		if tc.got.kind != tc.kind {
			t.Errorf("%s is kind %d, want %d", tc.name, tc.got.kind, tc.kind)
		}
		if tc.msg != "" && (tc.got.msg == nil || tc.got.msg.name != tc.msg) {
			t.Errorf("%s is message %v, want %s", tc.name, tc.got.msg, tc.msg)
		}
	}
}

// probes are one field of number num with each wire type and a few
// payloads: valid varints, fixed values, empty and non-empty bytes that
// are or are not valid messages and map entries, and groups.
func probes(num protowire.Number) [][]byte {
	var out [][]byte
	for _, v := range []uint64{0, 1, 1 << 40} {
		out = append(out, pbVarint(num, v))
	}
	out = append(out,
		cat(pbKey(num, protowire.Fixed64Type), make([]byte, 8)),
		cat(pbKey(num, protowire.Fixed32Type), make([]byte, 4)),
		cat(pbKey(num, protowire.StartGroupType), pbKey(num, protowire.EndGroupType)),
	)
	for _, payload := range [][]byte{
		nil, {0x04}, {0xff}, {'x', 'y'},
		pbVarint(1, 1), pbString(1, "x"), pbString(2, "y"), pbVarint(2, 1),
		cat(pbString(1, "k"), pbString(2, "v")), cat(pbKey(1, protowire.Fixed32Type), make([]byte, 4)),
		pbMsg(1, pbVarint(1, 1)), pbVarint(3, 1), pbString(3, "z"), pbVarint(99, 1),
	} {
		out = append(out, pbBytes(num, payload))
	}
	return out
}

// The schemas' checks must fail exactly where the generated Unmarshal of
// each type does: every field number a type has, and one past them, with
// every probe, against the generated code itself.
func TestSchemaValidatesAsGenerated(t *testing.T) {
	for _, tc := range []struct {
		schema *message
		newObj func() unmarshaler
	}{
		{sliceSchema, func() unmarshaler { return &discoveryv1.EndpointSlice{} }},
		{metaSchema, func() unmarshaler { return &metav1.ObjectMeta{} }},
		{metaSchema.field(17).msg, func() unmarshaler { return &metav1.ManagedFieldsEntry{} }},
		{metaSchema.field(13).msg, func() unmarshaler { return &metav1.OwnerReference{} }},
		{metaSchema.field(8).msg, func() unmarshaler { return &metav1.Timestamp{} }},
		{metaSchema.field(8).msg, func() unmarshaler { return &metav1.Time{} }},
		{endpointSchema, func() unmarshaler { return &discoveryv1.Endpoint{} }},
		{endpointSchema.field(4).msg, func() unmarshaler { return &corev1.ObjectReference{} }},
		{endpointSchema.field(8).msg, func() unmarshaler { return &discoveryv1.EndpointHints{} }},
		{endpointSchema.field(8).msg.field(1).msg, func() unmarshaler { return &discoveryv1.ForZone{} }},
		{conditionSchema, func() unmarshaler { return &discoveryv1.EndpointConditions{} }},
		{portSchema, func() unmarshaler { return &discoveryv1.EndpointPort{} }},
		{unknownSchema, func() unmarshaler { return &runtime.Unknown{} }},
		{typeMetaSchema, func() unmarshaler { return &runtime.TypeMeta{} }},
	} {
		name := fmt.Sprintf("%T", tc.newObj())
		t.Run(name, func(t *testing.T) {
			for num := 1; num <= len(tc.schema.fields); num++ {
				for _, p := range probes(protowire.Number(num)) {
					wantErr := tc.newObj().Unmarshal(p)
					gotErr := validate(p, tc.schema)
					if (wantErr == nil) != (gotErr == nil) {
						t.Errorf("field %d: generated error %v, schema error %v\ninput %q", num, wantErr, gotErr, p)
					}
				}
			}
		})
	}
}
