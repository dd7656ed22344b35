package slicedecode

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// tagNumber is the field number in the protobuf tag of typ's field name
// ("bytes,1,opt,name=metadata"), which go-to-protobuf generated the
// .proto and so the Unmarshal from.
func tagNumber(t *testing.T, typ reflect.Type, name string) int {
	t.Helper()
	sf, ok := typ.FieldByName(name)
	if !ok {
		t.Fatalf("%s has no field %s", typ, name)
	}
	tag, ok := sf.Tag.Lookup("protobuf")
	if !ok {
		t.Fatalf("%s.%s has no protobuf tag", typ, name)
	}
	parts := strings.Split(tag, ",")
	if len(parts) < 2 {
		t.Fatalf("%s.%s: protobuf tag %q", typ, name, tag)
	}
	num, err := strconv.Atoi(parts[1])
	if err != nil {
		t.Fatalf("%s.%s: protobuf tag %q: %v", typ, name, tag, err)
	}
	return num
}

// The field numbers slice.go reads by are written out as constants; a
// wrong one would keep the wrong field, or drop a kept one while the
// schema checks it as unknown. They must be the Go types' tag numbers.
func TestFieldNumbersMatchGoTypes(t *testing.T) {
	slice := reflect.TypeFor[discoveryv1.EndpointSlice]()
	meta := reflect.TypeFor[metav1.ObjectMeta]()
	endpoint := reflect.TypeFor[discoveryv1.Endpoint]()
	conditions := reflect.TypeFor[discoveryv1.EndpointConditions]()
	port := reflect.TypeFor[discoveryv1.EndpointPort]()
	unknown := reflect.TypeFor[runtime.Unknown]()
	typeMeta := reflect.TypeFor[runtime.TypeMeta]()
	for _, tc := range []struct {
		name  string
		value int
		typ   reflect.Type
		field string
	}{
		{"unknownFieldTypeMeta", unknownFieldTypeMeta, unknown, "TypeMeta"},
		{"unknownFieldRaw", unknownFieldRaw, unknown, "Raw"},
		{"typeMetaFieldAPIVersion", typeMetaFieldAPIVersion, typeMeta, "APIVersion"},
		{"typeMetaFieldKind", typeMetaFieldKind, typeMeta, "Kind"},
		{"sliceFieldMetadata", sliceFieldMetadata, slice, "ObjectMeta"},
		{"sliceFieldEndpoints", sliceFieldEndpoints, slice, "Endpoints"},
		{"sliceFieldPorts", sliceFieldPorts, slice, "Ports"},
		{"sliceFieldAddressType", sliceFieldAddressType, slice, "AddressType"},
		{"metaFieldName", metaFieldName, meta, "Name"},
		{"metaFieldNamespace", metaFieldNamespace, meta, "Namespace"},
		{"metaFieldResourceVersion", metaFieldResourceVersion, meta, "ResourceVersion"},
		{"metaFieldLabels", metaFieldLabels, meta, "Labels"},
		{"metaFieldAnnotations", metaFieldAnnotations, meta, "Annotations"},
		{"endpointFieldAddresses", endpointFieldAddresses, endpoint, "Addresses"},
		{"endpointFieldConditions", endpointFieldConditions, endpoint, "Conditions"},
		{"endpointFieldHostname", endpointFieldHostname, endpoint, "Hostname"},
		{"endpointFieldZone", endpointFieldZone, endpoint, "Zone"},
		{"conditionFieldReady", conditionFieldReady, conditions, "Ready"},
		{"portFieldName", portFieldName, port, "Name"},
		{"portFieldProtocol", portFieldProtocol, port, "Protocol"},
		{"portFieldPort", portFieldPort, port, "Port"},
		// The tests' own numbers of fields the fast path does not keep.
		{"metaFieldGeneration", metaFieldGeneration, meta, "Generation"},
		{"metaFieldCreation", metaFieldCreation, meta, "CreationTimestamp"},
		{"metaFieldGracePeriod", metaFieldGracePeriod, meta, "DeletionGracePeriodSeconds"},
		{"metaFieldOwnerReferences", metaFieldOwnerReferences, meta, "OwnerReferences"},
		{"metaFieldFinalizers", metaFieldFinalizers, meta, "Finalizers"},
		{"metaFieldManagedFields", metaFieldManagedFields, meta, "ManagedFields"},
		{"managedFieldTime", managedFieldTime, reflect.TypeFor[metav1.ManagedFieldsEntry](), "Time"},
		{"managedFieldFieldsV1", managedFieldFieldsV1, reflect.TypeFor[metav1.ManagedFieldsEntry](), "FieldsV1"},
		{"timestampFieldSeconds", timestampFieldSeconds, reflect.TypeFor[metav1.Timestamp](), "Seconds"},
		{"timestampFieldNanos", timestampFieldNanos, reflect.TypeFor[metav1.Timestamp](), "Nanos"},
		{"ownerRefFieldController", ownerRefFieldController, reflect.TypeFor[metav1.OwnerReference](), "Controller"},
		{"endpointFieldTargetRef", endpointFieldTargetRef, endpoint, "TargetRef"},
		{"endpointFieldTopology", endpointFieldTopology, endpoint, "DeprecatedTopology"},
		{"endpointFieldNodeName", endpointFieldNodeName, endpoint, "NodeName"},
		{"endpointFieldHints", endpointFieldHints, endpoint, "Hints"},
		{"conditionFieldServing", conditionFieldServing, conditions, "Serving"},
		{"conditionFieldTerminating", conditionFieldTerminating, conditions, "Terminating"},
		{"hintsFieldForZones", hintsFieldForZones, reflect.TypeFor[discoveryv1.EndpointHints](), "ForZones"},
		{"objectRefFieldKind", objectRefFieldKind, reflect.TypeFor[corev1.ObjectReference](), "Kind"},
		{"portFieldAppProtocol", portFieldAppProtocol, port, "AppProtocol"},
		{"unknownFieldContentEncoded", unknownFieldContentEncoded, unknown, "ContentEncoding"},
		{"unknownFieldContentType", unknownFieldContentType, unknown, "ContentType"},
	} {
		if got := tagNumber(t, tc.typ, tc.field); got != tc.value {
			t.Errorf("%s = %d, %s.%s is field %d", tc.name, tc.value, tc.typ, tc.field, got)
		}
	}
}
