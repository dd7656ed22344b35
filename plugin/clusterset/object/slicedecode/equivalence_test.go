package slicedecode

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"

	"google.golang.org/protobuf/encoding/protowire"
)

// standardSerializer is what the generated core clientset decodes with.
var standardSerializer = scheme.Codecs.WithoutConversion()

// embeddedDecoders are the decoders client-go's watch decoder hands a
// watch event's object to (k8s.io/client-go/rest: the client negotiator's
// protobuf decoder), the standard one and ours.
func embeddedDecoders(tb testing.TB) (standard, fast runtime.Decoder) {
	tb.Helper()
	gv := discoveryv1.SchemeGroupVersion
	standard, err := runtime.NewClientNegotiator(standardSerializer, gv).Decoder(runtime.ContentTypeProtobuf, nil)
	if err != nil {
		tb.Fatal(err)
	}
	fast, err = runtime.NewClientNegotiator(NewNegotiatedSerializer(standardSerializer), gv).Decoder(runtime.ContentTypeProtobuf, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return standard, fast
}

// fullSlice is an EndpointSlice with every field set, as an MCS
// implementation and the API server write them.
func fullSlice() *discoveryv1.EndpointSlice {
	now := metav1.Unix(1764580447, 0)
	return &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "checkout-east-1-x7k2p", GenerateName: "checkout-east-1-", Namespace: "shop",
			UID: types.UID("3d0b9d4e-6c1f-4a47-9a5e-2f4b8f0c1d2e"), ResourceVersion: "4811203", Generation: 3,
			CreationTimestamp: now, DeletionTimestamp: &now, DeletionGracePeriodSeconds: ptr.To[int64](30),
			Labels: map[string]string{
				object.LabelServiceName:                  "checkout",
				object.LabelSourceCluster:                "east-1",
				"endpointslice.kubernetes.io/managed-by": "mcs-controller",
			},
			Annotations: map[string]string{"note": "x"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "multicluster.x-k8s.io/v1beta1", Kind: "ServiceImport", Name: "checkout",
				UID: "1", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(false),
			}},
			Finalizers: []string{"a/b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: "mcs-controller", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "discovery.k8s.io/v1",
				Time: &now, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:endpoints":{}}`), Subresource: "",
			}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{
				Addresses:          []string{"10.1.0.7"},
				Conditions:         discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
				Hostname:           ptr.To("checkout-0"),
				TargetRef:          &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "checkout-0", UID: "2"},
				DeprecatedTopology: map[string]string{"kubernetes.io/hostname": "node-1"},
				NodeName:           ptr.To("node-1"),
				Zone:               ptr.To("eu-west-1a"),
				Hints:              &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "eu-west-1a"}}, ForNodes: []discoveryv1.ForNode{{Name: "node-1"}}},
			},
			{Addresses: []string{"10.1.0.8", "10.1.0.9"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
			{Addresses: []string{"10.1.0.10"}},
		},
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080), AppProtocol: ptr.To("http")},
			{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)},
			{Name: ptr.To("all")},
		},
	}
}

// encode writes es as the API server does on a protobuf watch.
func encode(tb testing.TB, es *discoveryv1.EndpointSlice) []byte {
	tb.Helper()
	info, ok := runtime.SerializerInfoForMediaType(standardSerializer.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		tb.Fatal("no protobuf serializer")
	}
	var buf bytes.Buffer
	if err := info.Serializer.Encode(es, &buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// assertEquivalent decodes raw both ways and fails unless both fail or
// both give what the informer's transform turns into the same object.
func assertEquivalent(t *testing.T, standard, fast runtime.Decoder, raw []byte) {
	t.Helper()
	want, wantErr := runtime.Decode(standard, raw)
	got, gotErr := runtime.Decode(fast, raw)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("standard error %v, fast error %v\ninput %q", wantErr, gotErr, raw)
	}
	if wantErr != nil {
		return
	}
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		t.Fatalf("standard gives %T, fast %T\ninput %q", want, got, raw)
	}
	if reflect.TypeOf(want) != reflect.TypeOf(&discoveryv1.EndpointSlice{}) {
		return
	}
	w, _ := convert.TransformEndpointSlice(want)
	g, _ := convert.TransformEndpointSlice(got)
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("standard keeps %+v\nfast keeps %+v\ninput %q", w, g, raw)
	}
}

func TestFullSliceTakesTheFastPath(t *testing.T) {
	raw := encode(t, fullSlice())
	if _, ok := decodeFast(raw); !ok {
		t.Fatal("the fast path refused a well-formed EndpointSlice")
	}
	standard, fast := embeddedDecoders(t)
	assertEquivalent(t, standard, fast, raw)
}

// Builders of protobuf bytes (protobuf encoding guide, "Message
// Structure"): each returns whole fields, key and value, so that a case
// reads as the fields it adds.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func pbKey(num protowire.Number, wire protowire.Type) []byte {
	return protowire.AppendTag(nil, num, wire)
}

func pbBytes(num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(pbKey(num, protowire.BytesType), v)
}

func pbString(num protowire.Number, s string) []byte { return pbBytes(num, []byte(s)) }

func pbMsg(num protowire.Number, parts ...[]byte) []byte { return pbBytes(num, cat(parts...)) }

func pbVarint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(pbKey(num, protowire.VarintType), v)
}

// overlong is v as a varint of exactly n bytes, padded with continuation
// bytes: the encoding guide allows no more than ten, the generated code
// reads ten and refuses an eleventh.
func overlong(v uint64, n int) []byte {
	b := make([]byte, n)
	for i := range n {
		b[i] = byte(v>>(7*uint(i))) & 0x7F
		if i < n-1 {
			b[i] |= 0x80
		}
	}
	return b
}

// minusOne is the length -1 as the generated code reads a length: a
// ten-byte varint whose int is negative.
var minusOne = protowire.AppendVarint(nil, ^uint64(0))

// wrap is the protobuf serializer's framing (k8s.io/apimachinery
// runtime/serializer/protobuf): the prefix and a runtime.Unknown, extra
// fields after its raw.
func wrap(apiVersion, kind string, raw []byte, extra ...[]byte) []byte {
	unk := cat(pbMsg(unknownFieldTypeMeta, pbString(typeMetaFieldAPIVersion, apiVersion), pbString(typeMetaFieldKind, kind)),
		pbBytes(unknownFieldRaw, raw), cat(extra...))
	return cat(protobufPrefix, unk)
}

func wrapSlice(raw []byte) []byte { return wrap("discovery.k8s.io/v1", "EndpointSlice", raw) }

// encodeObject writes obj as the API server does.
func encodeObject(tb testing.TB, obj runtime.Object) []byte {
	tb.Helper()
	info, ok := runtime.SerializerInfoForMediaType(standardSerializer.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		tb.Fatal("no protobuf serializer")
	}
	var buf bytes.Buffer
	if err := info.Serializer.Encode(obj, &buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sliceRaw is the EndpointSlice message of encode(es), without the
// envelope: cases append fields to it, which the encoding guide says a
// parser merges (messages) or lets win (scalars).
func sliceRaw(tb testing.TB, es *discoveryv1.EndpointSlice) []byte {
	tb.Helper()
	var unk runtime.Unknown
	if err := unk.Unmarshal(encode(tb, es)[len(protobufPrefix):]); err != nil {
		tb.Fatal(err)
	}
	return unk.Raw
}

// namedBytes is one variant of a field.
type namedBytes struct {
	name string
	b    []byte
}

// wrongWires are field num with each wire type but right, and with the
// end-group and the two undefined wire types, which no field has.
func wrongWires(num protowire.Number, right protowire.Type) []namedBytes {
	all := []struct {
		wire protowire.Type
		namedBytes
	}{
		{protowire.VarintType, namedBytes{"varint", cat(pbKey(num, protowire.VarintType), []byte{1})}},
		{protowire.Fixed64Type, namedBytes{"fixed64", cat(pbKey(num, protowire.Fixed64Type), make([]byte, 8))}},
		{protowire.BytesType, namedBytes{"bytes", cat(pbKey(num, protowire.BytesType), []byte{1, 'x'})}},
		{protowire.StartGroupType, namedBytes{"group", cat(pbKey(num, protowire.StartGroupType), pbKey(num, protowire.EndGroupType))}},
		{protowire.EndGroupType, namedBytes{"end group", pbKey(num, protowire.EndGroupType)}},
		{protowire.Fixed32Type, namedBytes{"fixed32", cat(pbKey(num, protowire.Fixed32Type), make([]byte, 4))}},
		{6, namedBytes{"wire type 6", cat(pbKey(num, 6), []byte{1})}},
		{7, namedBytes{"wire type 7", cat(pbKey(num, 7), []byte{1})}},
	}
	var out []namedBytes
	for _, w := range all {
		if w.wire != right {
			out = append(out, w.namedBytes)
		}
	}
	return out
}

// unknownFields are fields of a number no message here has, with every
// wire type; skipGenerated (generated.pb.go) takes them all, groups
// nested or not, and does not match an end group's number to its start's.
func unknownFields(num protowire.Number) []namedBytes {
	start, end := pbKey(num, protowire.StartGroupType), pbKey(num, protowire.EndGroupType)
	return []namedBytes{
		{"varint", pbVarint(num, 300)},
		{"ten-byte varint", cat(pbKey(num, protowire.VarintType), overlong(300, 10))},
		{"fixed64", cat(pbKey(num, protowire.Fixed64Type), make([]byte, 8))},
		{"fixed32", cat(pbKey(num, protowire.Fixed32Type), make([]byte, 4))},
		{"bytes", pbString(num, "xyz")},
		{"empty group", cat(start, end)},
		{"group with fields", cat(start, pbVarint(1, 1), pbString(2, "x"), pbKey(3, protowire.Fixed32Type), make([]byte, 4),
			pbKey(4, protowire.Fixed64Type), make([]byte, 8), end)},
		{"nested groups", cat(start, pbKey(num+1, protowire.StartGroupType), pbVarint(1, 1), pbKey(num+1, protowire.EndGroupType), end)},
		{"group ended by another number", cat(start, pbKey(num+7, protowire.EndGroupType))},
		{"group holding field 0", cat(start, []byte{0x00, 0x01}, end)},
	}
}

// badUnknownFields are fields of an unknown number that skipGenerated
// refuses.
func badUnknownFields(num protowire.Number) []namedBytes {
	start := pbKey(num, protowire.StartGroupType)
	return []namedBytes{
		{"end group without start", pbKey(num, protowire.EndGroupType)},
		{"wire type 6", cat(pbKey(num, 6), []byte{1})},
		{"wire type 7", cat(pbKey(num, 7), []byte{1})},
		{"group without end", cat(start, pbVarint(1, 1))},
		{"nested group without end", cat(start, pbKey(num+1, protowire.StartGroupType), pbKey(num+1, protowire.EndGroupType))},
		{"group holding wire type 6", cat(start, pbKey(1, 6), pbKey(num, protowire.EndGroupType))},
		{"eleven-byte varint", cat(pbKey(num, protowire.VarintType), overlong(1, 11))},
		{"truncated varint", cat(pbKey(num, protowire.VarintType), []byte{0x80})},
		{"negative length", cat(pbKey(num, protowire.BytesType), minusOne, []byte("x"))},
		{"length overflowing int", cat(pbKey(num, protowire.BytesType), protowire.AppendVarint(nil, 1<<63-1), []byte("x"))},
		{"length past the end", cat(pbKey(num, protowire.BytesType), []byte{5, 'x'})},
		{"short fixed64", cat(pbKey(num, protowire.Fixed64Type), make([]byte, 3))},
		{"short fixed32", cat(pbKey(num, protowire.Fixed32Type), make([]byte, 3))},
		{"eleven-byte key", overlong(uint64(num)<<3, 11)},
		{"field number 0", []byte{0x02, 0x00}},
	}
}

// expectation is what a case's input is, beyond the two paths agreeing.
type expectation int

const (
	// fastPath: the standard decoder reads it and the fast path takes it.
	fastPath expectation = iota
	// standardPath: the standard decoder reads it, the fast path refuses.
	standardPath
	// rejected: the standard decoder refuses it.
	rejected
	// anyPath: only that the two agree.
	anyPath
)

type decodeCase struct {
	name  string
	input []byte
	want  expectation
}

// site puts a field at one level of an otherwise full EndpointSlice.
type site struct {
	name string
	at   func(field []byte) []byte
}

// Field numbers of fields the fast path does not keep (k8s.io/api
// discovery/v1 and apimachinery meta/v1 generated.proto).
const (
	metaFieldGeneration        = 7
	metaFieldCreation          = 8
	metaFieldGracePeriod       = 10
	metaFieldOwnerReferences   = 13
	metaFieldFinalizers        = 14
	metaFieldManagedFields     = 17
	managedFieldTime           = 4
	managedFieldFieldsV1       = 7
	timestampFieldSeconds      = 1
	timestampFieldNanos        = 2
	ownerRefFieldController    = 6
	endpointFieldTargetRef     = 4
	endpointFieldTopology      = 5
	endpointFieldNodeName      = 6
	endpointFieldHints         = 8
	conditionFieldServing      = 2
	conditionFieldTerminating  = 3
	hintsFieldForZones         = 1
	objectRefFieldKind         = 1
	portFieldAppProtocol       = 4
	unknownFieldContentType    = 4
	unknownFieldContentEncoded = 3
)

// decodeCases are the table of TestDecodeMatchesStandard and the seeds of
// FuzzDecodeMatchesStandard.
func decodeCases(tb testing.TB) []decodeCase {
	tb.Helper()
	full := sliceRaw(tb, fullSlice())
	encoded := encode(tb, fullSlice())
	with := func(parts ...[]byte) []byte { return wrapSlice(cat(full, cat(parts...))) }
	endpoint := func(parts ...[]byte) []byte {
		return pbMsg(sliceFieldEndpoints, pbString(endpointFieldAddresses, "10.9.9.9"), cat(parts...))
	}
	meta := func(parts ...[]byte) []byte { return pbMsg(sliceFieldMetadata, parts...) }
	label := func(parts ...[]byte) []byte { return meta(pbMsg(metaFieldLabels, parts...)) }
	sites := []site{
		{"envelope", func(f []byte) []byte { return wrap("discovery.k8s.io/v1", "EndpointSlice", full, f) }},
		{"type meta", func(f []byte) []byte {
			return cat(protobufPrefix, pbMsg(unknownFieldTypeMeta, pbString(typeMetaFieldAPIVersion, "discovery.k8s.io/v1"),
				pbString(typeMetaFieldKind, "EndpointSlice"), f), pbBytes(unknownFieldRaw, full))
		}},
		{"slice", func(f []byte) []byte { return with(f) }},
		{"metadata", func(f []byte) []byte { return with(meta(f)) }},
		{"managed fields", func(f []byte) []byte { return with(meta(pbMsg(metaFieldManagedFields, f))) }},
		{"managed fields time", func(f []byte) []byte {
			return with(meta(pbMsg(metaFieldManagedFields, pbMsg(managedFieldTime, f))))
		}},
		{"owner reference", func(f []byte) []byte { return with(meta(pbMsg(metaFieldOwnerReferences, f))) }},
		{"endpoint", func(f []byte) []byte { return with(endpoint(f)) }},
		{"conditions", func(f []byte) []byte { return with(endpoint(pbMsg(endpointFieldConditions, f))) }},
		{"target ref", func(f []byte) []byte { return with(endpoint(pbMsg(endpointFieldTargetRef, f))) }},
		{"hints", func(f []byte) []byte { return with(endpoint(pbMsg(endpointFieldHints, f))) }},
		{"hints for zone", func(f []byte) []byte {
			return with(endpoint(pbMsg(endpointFieldHints, pbMsg(hintsFieldForZones, f))))
		}},
		{"port", func(f []byte) []byte { return with(pbMsg(sliceFieldPorts, f)) }},
	}
	// The fields of each site given the wrong wire types, kept and not.
	typed := map[string][]struct {
		num  protowire.Number
		wire protowire.Type
	}{
		"envelope":            {{unknownFieldTypeMeta, 2}, {unknownFieldRaw, 2}, {unknownFieldContentEncoded, 2}, {unknownFieldContentType, 2}},
		"type meta":           {{typeMetaFieldAPIVersion, 2}, {typeMetaFieldKind, 2}},
		"slice":               {{sliceFieldMetadata, 2}, {sliceFieldEndpoints, 2}, {sliceFieldPorts, 2}, {sliceFieldAddressType, 2}},
		"metadata":            {{metaFieldName, 2}, {metaFieldNamespace, 2}, {metaFieldResourceVersion, 2}, {metaFieldLabels, 2}, {metaFieldAnnotations, 2}, {metaFieldGeneration, 0}, {metaFieldCreation, 2}, {metaFieldGracePeriod, 0}, {metaFieldOwnerReferences, 2}, {metaFieldFinalizers, 2}, {metaFieldManagedFields, 2}},
		"managed fields":      {{managedFieldTime, 2}, {managedFieldFieldsV1, 2}, {1, 2}},
		"managed fields time": {{timestampFieldSeconds, 0}, {timestampFieldNanos, 0}},
		"owner reference":     {{ownerRefFieldController, 0}, {3, 2}},
		"endpoint":            {{endpointFieldAddresses, 2}, {endpointFieldConditions, 2}, {endpointFieldHostname, 2}, {endpointFieldTargetRef, 2}, {endpointFieldTopology, 2}, {endpointFieldNodeName, 2}, {endpointFieldZone, 2}, {endpointFieldHints, 2}},
		"conditions":          {{conditionFieldReady, 0}, {conditionFieldServing, 0}, {conditionFieldTerminating, 0}},
		"target ref":          {{objectRefFieldKind, 2}, {3, 2}},
		"hints":               {{hintsFieldForZones, 2}, {2, 2}},
		"hints for zone":      {{1, 2}},
		"port":                {{portFieldName, 2}, {portFieldProtocol, 2}, {portFieldPort, 0}, {portFieldAppProtocol, 2}},
	}
	var cases []decodeCase
	add := func(name string, input []byte, want expectation) {
		cases = append(cases, decodeCase{name, input, want})
	}
	for _, s := range sites {
		for _, f := range typed[s.name] {
			for _, w := range wrongWires(f.num, f.wire) {
				add(fmt.Sprintf("%s field %d as %s", s.name, f.num, w.name), s.at(w.b), rejected)
			}
		}
		for _, u := range unknownFields(99) {
			add(s.name+" unknown "+u.name, s.at(u.b), fastPath)
		}
		for _, u := range badUnknownFields(99) {
			add(s.name+" unknown "+u.name, s.at(u.b), rejected)
		}
		// A key's field number is truncated to an int32 (generated.pb.go:
		// fieldNum := int32(wire >> 3)): 1<<32 + 99 is field 99.
		add(s.name+" field number past int32", s.at(cat(protowire.AppendVarint(nil, (1<<32+99)<<3), []byte{1})), fastPath)
		add(s.name+" field number 1<<29-1", s.at(pbVarint(protowire.MaxValidNumber, 1)), fastPath)
	}

	lengthCases := []struct {
		name string
		site func([]byte) []byte
		num  protowire.Number
	}{
		{"raw", func(f []byte) []byte {
			return cat(protobufPrefix, pbMsg(1, pbString(1, "discovery.k8s.io/v1"), pbString(2, "EndpointSlice")), f)
		}, unknownFieldRaw},
		{"type meta", func(f []byte) []byte { return cat(protobufPrefix, f) }, unknownFieldTypeMeta},
		{"metadata", func(f []byte) []byte { return with(f) }, sliceFieldMetadata},
		{"endpoint", func(f []byte) []byte { return with(f) }, sliceFieldEndpoints},
		{"address type", func(f []byte) []byte { return with(f) }, sliceFieldAddressType},
		{"name", func(f []byte) []byte { return with(meta(f)) }, metaFieldName},
		{"labels", func(f []byte) []byte { return with(meta(f)) }, metaFieldLabels},
		{"finalizers", func(f []byte) []byte { return with(meta(f)) }, metaFieldFinalizers},
		{"managed fields", func(f []byte) []byte { return with(meta(f)) }, metaFieldManagedFields},
		{"address", func(f []byte) []byte { return with(endpoint(f)) }, endpointFieldAddresses},
		{"target ref", func(f []byte) []byte { return with(endpoint(f)) }, endpointFieldTargetRef},
		{"port name", func(f []byte) []byte { return with(pbMsg(sliceFieldPorts, f)) }, portFieldName},
	}
	for _, lc := range lengthCases {
		key := pbKey(lc.num, protowire.BytesType)
		add(lc.name+" negative length", lc.site(cat(key, minusOne, []byte("x"))), rejected)
		add(lc.name+" length overflowing int", lc.site(cat(key, protowire.AppendVarint(nil, 1<<63-1), []byte("x"))), rejected)
		add(lc.name+" length past the end", lc.site(cat(key, []byte{9, 'x'})), rejected)
		add(lc.name+" eleven-byte length", lc.site(cat(key, overlong(1, 11), []byte("x"))), rejected)
		add(lc.name+" truncated length", lc.site(cat(key, []byte{0x81})), rejected)
	}

	// The envelope and the kinds the fast path leaves alone.
	status := encodeObject(tb, &metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Status: metav1.StatusFailure,
		Message: "too old resource version", Reason: metav1.StatusReasonExpired, Code: 410,
	})
	beta := encodeObject(tb, &discoveryv1beta1.EndpointSlice{
		TypeMeta:    metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1beta1", Kind: "EndpointSlice"},
		ObjectMeta:  metav1.ObjectMeta{Name: "checkout-east-1-x7k2p", Namespace: "shop", Labels: map[string]string{object.LabelServiceName: "checkout"}},
		AddressType: discoveryv1beta1.AddressTypeIPv4,
		Endpoints:   []discoveryv1beta1.Endpoint{{Addresses: []string{"10.1.0.7"}, Conditions: discoveryv1beta1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1beta1.EndpointPort{{Port: ptr.To[int32](80)}},
	})
	for _, c := range []decodeCase{
		{"full slice", encoded, fastPath},
		{"empty input", nil, rejected},
		{"prefix only", protobufPrefix, rejected},
		{"short prefix", protobufPrefix[:3], rejected},
		{"no prefix", encoded[len(protobufPrefix):], rejected},
		{"wrong prefix", cat([]byte("k8s\x01"), encoded[len(protobufPrefix):]), rejected},
		{"prefix and empty envelope", cat(protobufPrefix, []byte{}), rejected},
		{"no raw", cat(protobufPrefix, pbMsg(1, pbString(1, "discovery.k8s.io/v1"), pbString(2, "EndpointSlice"))), fastPath},
		{"empty raw", wrapSlice(nil), fastPath},
		{"raw twice, the last valid", cat(wrap("discovery.k8s.io/v1", "EndpointSlice", []byte{0xff}), pbBytes(unknownFieldRaw, full)), fastPath},
		{"raw twice, the last invalid", cat(wrapSlice(full), pbBytes(unknownFieldRaw, []byte{0x0a})), rejected},
		{"type meta twice, merged", cat(protobufPrefix, pbMsg(1, pbString(1, "discovery.k8s.io/v1")), pbMsg(1, pbString(2, "EndpointSlice")), pbBytes(2, full)), fastPath},
		{"type meta twice, kind replaced", cat(wrapSlice(full), pbMsg(1, pbString(2, "Endpoints"))), anyPath},
		{"content type and encoding", wrap("discovery.k8s.io/v1", "EndpointSlice", full, pbString(3, "gzip"), pbString(4, "application/json")), fastPath},
		{"status", status, standardPath},
		{"v1beta1 slice", beta, standardPath},
		{"v1 slice labelled v1beta1", wrap("discovery.k8s.io/v1beta1", "EndpointSlice", full), anyPath},
		{"v1 slice labelled core v1", wrap("v1", "EndpointSlice", full), rejected},
		{"v1 slice labelled Endpoints", wrap("discovery.k8s.io/v1", "Endpoints", full), rejected},
		{"lower-case kind", wrap("discovery.k8s.io/v1", "endpointslice", full), rejected},
		{"no kind", wrap("discovery.k8s.io/v1", "", full), rejected},
		{"no api version", wrap("", "EndpointSlice", full), rejected},
		{"api version with two slashes", wrap("discovery.k8s.io/v1/x", "EndpointSlice", full), rejected},
		{"ten-byte key", cat(protobufPrefix, overlong(uint64(unknownFieldTypeMeta)<<3|2, 10), encoded[len(protobufPrefix)+1:]), fastPath},
		{"eleven-byte key", cat(protobufPrefix, overlong(uint64(unknownFieldTypeMeta)<<3|2, 11), encoded[len(protobufPrefix)+1:]), rejected},

		// Repeated fields: messages merge, scalars' last value wins.
		{"metadata twice, name replaced", with(meta(pbString(metaFieldName, "renamed"))), fastPath},
		{"metadata twice, labels merged", with(label(pbString(1, object.LabelServiceName), pbString(2, "cart"))), fastPath},
		{"namespace and resource version twice", with(meta(pbString(metaFieldNamespace, "ns2"), pbString(metaFieldResourceVersion, "9"))), fastPath},
		{"address type twice", with(pbString(sliceFieldAddressType, "IPv6")), fastPath},
		{"address type ten-byte length", with(pbKey(sliceFieldAddressType, 2), overlong(4, 10), []byte("FQDN")), fastPath},
		{"hostname and zone twice", with(endpoint(pbString(endpointFieldHostname, "a"), pbString(endpointFieldZone, "z1"),
			pbString(endpointFieldHostname, "b"), pbString(endpointFieldZone, "z2"))), fastPath},
		{"conditions twice, merged", with(endpoint(pbMsg(endpointFieldConditions, pbVarint(conditionFieldReady, 0)),
			pbMsg(endpointFieldConditions, pbVarint(conditionFieldServing, 1)))), fastPath},
		{"ready true then false", with(endpoint(pbMsg(endpointFieldConditions, pbVarint(conditionFieldReady, 1), pbVarint(conditionFieldReady, 0)))), fastPath},
		{"port fields twice", with(pbMsg(sliceFieldPorts, pbString(portFieldName, "a"), pbVarint(portFieldPort, 1), pbString(portFieldProtocol, "UDP"),
			pbString(portFieldName, "b"), pbVarint(portFieldPort, 2), pbString(portFieldProtocol, "SCTP"))), fastPath},
		{"empty endpoint and port", with(pbMsg(sliceFieldEndpoints), pbMsg(sliceFieldPorts)), fastPath},
		{"address not UTF-8", with(endpoint(pbString(endpointFieldAddresses, "\xff\xfe"))), fastPath},

		// Varints.
		{"ready as 2", with(endpoint(pbMsg(endpointFieldConditions, pbVarint(conditionFieldReady, 2)))), fastPath},
		// Bit 63 set: true; bit 64 is dropped by the generated code's int.
		{"ready as ten-byte 1<<63", with(endpoint(pbMsg(endpointFieldConditions, pbKey(conditionFieldReady, 0), overlong(1<<63, 10)))), fastPath},
		{"ready as ten-byte with only bit 64", with(endpoint(pbMsg(endpointFieldConditions, pbKey(conditionFieldReady, 0),
			[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}))), fastPath},
		{"ready as ten-byte 0", with(endpoint(pbMsg(endpointFieldConditions, pbKey(conditionFieldReady, 0), overlong(0, 10)))), fastPath},
		{"ready as eleven-byte", with(endpoint(pbMsg(endpointFieldConditions, pbKey(conditionFieldReady, 0), overlong(1, 11)))), rejected},
		{"ready truncated", with(endpoint(pbMsg(endpointFieldConditions, pbKey(conditionFieldReady, 0), []byte{0x81}))), rejected},
		{"port ten-byte", with(pbMsg(sliceFieldPorts, pbKey(portFieldPort, 0), overlong(8080, 10))), fastPath},
		{"port eleven-byte", with(pbMsg(sliceFieldPorts, pbKey(portFieldPort, 0), overlong(8080, 11))), rejected},
		{"port 1<<32 + 53", with(pbMsg(sliceFieldPorts, pbVarint(portFieldPort, 1<<32+53))), fastPath},
		{"port 1<<31", with(pbMsg(sliceFieldPorts, pbVarint(portFieldPort, 1<<31))), fastPath},
		{"port 0xffffffff", with(pbMsg(sliceFieldPorts, pbVarint(portFieldPort, 0xffffffff))), fastPath},
		{"port -1", with(pbMsg(sliceFieldPorts, pbVarint(portFieldPort, ^uint64(0)))), fastPath},
		{"port 0", with(pbMsg(sliceFieldPorts, pbVarint(portFieldPort, 0))), fastPath},
		{"generation eleven-byte", with(meta(pbKey(metaFieldGeneration, 0), overlong(1, 11))), rejected},
		{"generation ten-byte", with(meta(pbKey(metaFieldGeneration, 0), overlong(1, 10))), fastPath},
		{"time seconds eleven-byte", with(meta(pbMsg(metaFieldCreation, pbKey(1, 0), overlong(1, 11)))), rejected},
		{"empty creation timestamp", with(meta(pbMsg(metaFieldCreation))), fastPath},

		// Labels: map entries (generated.pb.go, ObjectMeta's case 11).
		{"labels other than the MCS ones", wrapSlice(cat(label(pbString(1, "app"), pbString(2, "checkout")), endpoint())), fastPath},
		{"no labels", wrapSlice(endpoint()), fastPath},
		{"label duplicated", with(label(pbString(1, object.LabelSourceCluster), pbString(2, "west-2")),
			label(pbString(1, object.LabelSourceCluster), pbString(2, "central-3"))), fastPath},
		{"label entry without key", with(label(pbString(2, "east-9"))), fastPath},
		{"label entry without value", with(label(pbString(1, object.LabelSourceCluster))), fastPath},
		{"service label without value", with(label(pbString(1, object.LabelServiceName))), fastPath},
		{"empty label entry", with(label()), fastPath},
		{"label value before key", with(label(pbString(2, "west-2"), pbString(1, object.LabelSourceCluster))), fastPath},
		{"label key twice in an entry", with(label(pbString(1, "app"), pbString(1, object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		{"label entry with extra fields", with(label(pbString(1, object.LabelSourceCluster), pbVarint(3, 7), pbKey(4, 5), make([]byte, 4),
			pbKey(5, 3), pbKey(5, 4), pbString(2, "west-2"), pbString(6, "x"))), fastPath},
		{"label entry with field 0", with(label([]byte{0x00, 0x05}, pbString(1, object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		{"label entry with an end group", with(label(pbKey(3, 4), pbString(1, object.LabelSourceCluster))), rejected},
		{"label entry with wire type 6", with(label(pbKey(3, 6), pbString(1, object.LabelSourceCluster))), rejected},
		// The entry's key and value are read as strings whatever their
		// wire type says.
		{"label key as varint", with(label(pbKey(1, 0), []byte{byte(len(object.LabelSourceCluster))}, []byte(object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		{"label key as fixed64", with(label(pbKey(1, 1), []byte{byte(len(object.LabelSourceCluster))}, []byte(object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		{"label key as end group", with(label(pbKey(1, 4), []byte{byte(len(object.LabelSourceCluster))}, []byte(object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		{"label value as fixed32", with(label(pbString(1, object.LabelSourceCluster), pbKey(2, 5), []byte{6}, []byte("west-2"))), fastPath},
		{"label key field number past int32", with(label(protowire.AppendVarint(nil, (1<<32+1)<<3|2), []byte{byte(len(object.LabelSourceCluster))},
			[]byte(object.LabelSourceCluster), pbString(2, "west-2"))), fastPath},
		// The key's bytes run past the entry, within the metadata: the
		// generated code takes them and then reads on from the entry's
		// end, so the same bytes are also read as metadata fields.
		{"label key past the entry", with(meta(pbKey(metaFieldLabels, 2), []byte{2, 0x0a, 5}, pbString(metaFieldName, "xyz"))), fastPath},
		{"label value past the entry", with(meta(pbKey(metaFieldLabels, 2), []byte{byte(2 + len(object.LabelSourceCluster) + 2)},
			pbString(1, object.LabelSourceCluster), []byte{0x12, 5}, pbString(metaFieldName, "xyz"))), fastPath},
		{"label key past the metadata", with(meta(pbKey(metaFieldLabels, 2), []byte{2, 0x0a, 9}), pbString(metaFieldName, "xyz")), rejected},
		{"label entry past the metadata", with(meta(pbKey(metaFieldLabels, 2), []byte{9, 0x0a, 1})), rejected},
		{"label entry key truncated", with(meta(pbKey(metaFieldLabels, 2), []byte{1, 0x8a})), rejected},
		{"label entry skipped field past the entry", with(meta(pbKey(metaFieldLabels, 2), []byte{1}, pbVarint(3, 1))), rejected},
		{"initial events annotation", with(meta(pbMsg(metaFieldAnnotations, pbString(1, metav1.InitialEventsAnnotationKey), pbString(2, "true")))), fastPath},
		{"annotation value past the entry", with(meta(pbKey(metaFieldAnnotations, 2), []byte{2, 0x12, 5}, pbString(metaFieldName, "xyz"))), fastPath},
		{"topology entry without key", with(endpoint(pbMsg(endpointFieldTopology, pbString(2, "x")))), fastPath},
		{"topology key past the entry", with(endpoint(pbKey(endpointFieldTopology, 2), []byte{2, 0x0a, 3}, pbString(endpointFieldHostname, "h"))), fastPath},
		{"topology key past the endpoint", with(endpoint(pbKey(endpointFieldTopology, 2), []byte{2, 0x0a, 9})), rejected},
	} {
		add(c.name, c.input, c.want)
	}
	return cases
}

// TestDecodeMatchesStandard holds the fast path to the standard decoder on
// the table, and each case to what it is meant to be.
func TestDecodeMatchesStandard(t *testing.T) {
	standard, fast := embeddedDecoders(t)
	for _, tc := range decodeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			assertEquivalent(t, standard, fast, tc.input)
			_, stdErr := runtime.Decode(standard, tc.input)
			_, ok := decodeFast(tc.input)
			switch tc.want {
			case fastPath:
				if stdErr != nil || !ok {
					t.Fatalf("standard error %v, fast path taken %v; want no error, taken\ninput %q", stdErr, ok, tc.input)
				}
			case standardPath:
				if stdErr != nil || ok {
					t.Fatalf("standard error %v, fast path taken %v; want no error, not taken\ninput %q", stdErr, ok, tc.input)
				}
			case rejected:
				if stdErr == nil {
					t.Fatalf("the standard decoder reads it; want an error\ninput %q", tc.input)
				}
			}
		})
	}
}

// assertFastTaken fails when the standard decoder reads raw as a
// discovery/v1 EndpointSlice and the fast path refuses it: the fast path
// reads as the generated code does, so it has no reason to, and each
// refusal costs the full decode.
func assertFastTaken(t *testing.T, standard runtime.Decoder, raw []byte) {
	t.Helper()
	obj, err := runtime.Decode(standard, raw)
	if err != nil {
		return
	}
	if _, isSlice := obj.(*discoveryv1.EndpointSlice); !isSlice {
		return
	}
	if _, ok := decodeFast(raw); !ok {
		t.Fatalf("the standard decoder reads an EndpointSlice, the fast path refuses it\ninput %q", raw)
	}
}

// TestTruncatedMatchesStandard cuts the encoded full slice at every byte,
// and separately its EndpointSlice message inside a whole envelope, where
// cuts at field boundaries leave valid slices with fewer fields.
func TestTruncatedMatchesStandard(t *testing.T) {
	standard, fast := embeddedDecoders(t)
	encoded := encode(t, fullSlice())
	for i := range len(encoded) + 1 {
		assertEquivalent(t, standard, fast, encoded[:i])
		assertFastTaken(t, standard, encoded[:i])
	}
	full := sliceRaw(t, fullSlice())
	for i := range len(full) + 1 {
		raw := wrapSlice(full[:i])
		assertEquivalent(t, standard, fast, raw)
		assertFastTaken(t, standard, raw)
	}
}
