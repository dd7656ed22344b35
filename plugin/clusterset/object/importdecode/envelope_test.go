package importdecode

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// jsonStreams are the JSON stream serializers, with their framers, of the
// standard serializer and of ours.
func jsonStreams(tb testing.TB) (standard, fast *runtime.StreamSerializerInfo) {
	tb.Helper()
	std, ok := runtime.SerializerInfoForMediaType(standardSerializer.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		tb.Fatal("no JSON serializer")
	}
	ours, _ := runtime.SerializerInfoForMediaType(NewNegotiatedSerializer(standardSerializer).SupportedMediaTypes(), runtime.ContentTypeJSON)
	return std.StreamSerializer, ours.StreamSerializer
}

// envelopeSerializers are the stream serializers client-go's watch
// decoder reads event envelopes with, the standard one and ours.
func envelopeSerializers(tb testing.TB) (standard, fast runtime.Decoder) {
	std, ours := jsonStreams(tb)
	return std.Serializer, ours.Serializer
}

// assertEnvelopeEquivalent decodes raw as an envelope both ways and fails
// unless both fail or both fill the same event.
func assertEnvelopeEquivalent(t *testing.T, standard, fast runtime.Decoder, raw []byte) {
	t.Helper()
	var want, got metav1.WatchEvent
	wantObj, _, wantErr := standard.Decode(raw, nil, &want)
	gotObj, _, gotErr := fast.Decode(raw, nil, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("standard error %v, fast error %v\ninput %q", wantErr, gotErr, raw)
	}
	if wantErr != nil {
		return
	}
	if (wantObj == &want) != (gotObj == &got) {
		t.Fatalf("standard returns its event %v, fast %v", wantObj == &want, gotObj == &got)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("events differ:\nstandard %#v\nfast     %#v\ninput %q", want, got, raw)
	}
}

func envelopeCases(tb testing.TB) []decodeCase {
	object := string(fixture(tb))
	return []decodeCase{
		{"added", `{"type":"ADDED","object":` + object + `}`, true},
		{"whitespace", " {\n\"type\" : \"MODIFIED\" ,\t\"object\":" + object + " }\n", true},
		{"object first", `{"object":` + object + `,"type":"DELETED"}`, true},
		{"error", `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}}`, true},
		{"bookmark", `{"type":"BOOKMARK","object":{"kind":"ServiceImport","apiVersion":"multicluster.x-k8s.io/v1beta1","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}`, true},
		{"object a string", `{"type":"ADDED","object":"x"}`, true},
		{"unknown type", `{"type":"SOMETHING","object":{}}`, true},
		{"object null", `{"type":"ADDED","object":null}`, false},
		{"no object", `{"type":"ADDED"}`, false},
		{"no type", `{"object":{}}`, false},
		{"type a number", `{"type":1,"object":{}}`, false},
		{"type escaped", `{"type":"\u0041DDED","object":{}}`, false},
		{"type invalid UTF-8", "{\"type\":\"ADD\xffED\",\"object\":{}}", false},
		{"duplicate type", `{"type":"ADDED","type":"DELETED","object":{}}`, false},
		{"duplicate object", `{"type":"ADDED","object":{"a":1},"object":{"b":2}}`, false},
		{"kind in the envelope", `{"kind":"Status","type":"ADDED","object":{}}`, false},
		{"extra key", `{"type":"ADDED","object":{},"x":1}`, false},
		{"escaped key", `{"typ\u0065":"ADDED","object":{}}`, false},
		{"bad object", `{"type":"ADDED","object":{"a":}}`, false},
		{"truncated", `{"type":"ADDED","object":{"a":1}`, false},
		{"trailing data", `{"type":"ADDED","object":{}}x`, false},
		{"not an object", `[]`, false},
		{"empty", ``, false},
	}
}

func TestEnvelopeMatchesStandard(t *testing.T) {
	standard, fast := envelopeSerializers(t)
	for _, tc := range envelopeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var event metav1.WatchEvent
			if ok := parseEnvelope([]byte(tc.input), &event) == nil; ok != tc.fast {
				t.Errorf("fast path taken %v, want %v", ok, tc.fast)
			}
			assertEnvelopeEquivalent(t, standard, fast, []byte(tc.input))
		})
	}
}

// FuzzEnvelopeMatchesStandard holds the envelope's fast path to the
// standard decoder on any input.
func FuzzEnvelopeMatchesStandard(f *testing.F) {
	for _, tc := range envelopeCases(f) {
		f.Add([]byte(tc.input))
	}
	standard, fast := envelopeSerializers(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		assertEnvelopeEquivalent(t, standard, fast, raw)
	})
}
