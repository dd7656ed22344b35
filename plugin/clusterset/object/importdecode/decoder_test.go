package importdecode

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// decodeCase is an input and whether the fast path must take it (true)
// or leave it to the standard decoder (false).
type decodeCase struct {
	name  string
	input string
	fast  bool
}

// edits applies old→new replacements to the fixture, each of which must
// match, so that a case cannot silently test the unchanged fixture.
func edits(tb testing.TB, base string, pairs ...string) string {
	tb.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(base, pairs[i]) {
			tb.Fatalf("fixture has no %q", pairs[i])
		}
		base = strings.Replace(base, pairs[i], pairs[i+1], 1)
	}
	return base
}

const (
	specStart = `"spec":{`
	metaStart = `"metadata":{`
	nameField = `"name":"checkout"`
	portHTTP  = `{"name":"http","port":80,"protocol":"TCP"}`
)

func decodeCases(tb testing.TB) []decodeCase {
	base := string(fixture(tb))
	e := func(pairs ...string) string { return edits(tb, base, pairs...) }
	return []decodeCase{
		{"as written", base, true},
		{"whitespace around", " \n\t" + base + "\r\n ", true},
		{"unknown fields", e(`{"apiVersion"`, `{"extra":[1,{"a":null}],"apiVersion"`, metaStart, metaStart+`"x":true,`, specStart, specStart+`"future":{"k":[-1.5e3]},`, portHTTP, `{"name":"http","port":80,"protocol":"TCP","x":"y"}`), true},
		{"Local, PreferClose, Absent", e(specStart, specStart+`"internalTrafficPolicy":"Local","trafficDistribution":"PreferClose",`, `"Present"`, `"Absent"`), true},
		{"null pointers and lists", e(specStart, specStart+`"internalTrafficPolicy":null,"trafficDistribution":null,"ipFamilies":null,`, `"ips":["10.96.41.17"]`, `"ips":null`), true},
		{"null ports", e(`"ports":[`+portHTTP+`,`, `"ports":null,"x":[`), true},
		{"empty lists", e(`"ips":["10.96.41.17"]`, `"ips":[]`, `"clusters":[{"cluster":"east-1"},`, `"clusters":[],"x":[`), true},
		{"null skipped fields", e(`"creationTimestamp":"2026-11-30T09:14:07Z"`, `"creationTimestamp":null`, `"labels":{`, `"annotations":null,"ownerReferences":[null],"labels":{"n":null,`, `"generation":1`, `"generation":null`), true},
		{"no protocol, no name", e(portHTTP, `{"port":80}`), true},
		{"missing spec and status", e(`,"spec":{`, `,"x":{`, `,"status":{`, `,"y":{`), true},
		{"missing metadata", e(metaStart, `"x":{`), true},
		{"unicode", e(nameField, `"name":"chéckout-日本"`, `"mcs-controller"`, `"コントローラ"`), true},
		{"invalid UTF-8 in a dropped value", e(`"mcs-controller"`, "\"mcs\xff\xfe\""), true},
		{"escapes in a dropped value", e(`"mcs-controller"`, `"mcs\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`), true},
		{"annotations", e(metaStart, metaStart+`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"a\":1}\n","\u0078":"y"},`), false},
		{"plain annotations", e(metaStart, metaStart+`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"a\":1}\n"},`), true},
		{"owner references and finalizers", e(metaStart, metaStart+`"ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"s","uid":"u","controller":true,"blockOwnerDeletion":false}],"finalizers":["f"],"deletionTimestamp":"2026-12-01T00:00:00.5+01:00","deletionGracePeriodSeconds":30,`), true},
		{"session affinity", e(specStart, specStart+`"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":10800}},"ipFamilies":["IPv4"],`), true},
		{"v1alpha1", e(`multicluster.x-k8s.io/v1beta1","kind"`, `multicluster.x-k8s.io/v1alpha1","kind"`), true},

		{"escaped kept value", e(nameField, `"name":"check\u006fut"`), false},
		{"escaped key", e(nameField, `"\u006eame":"other"`), false},
		{"invalid UTF-8 in a kept value", e(nameField, "\"name\":\"check\xffout\""), false},
		{"null name", e(nameField, `"name":null`), false},
		{"null port element", e(`"ports":[`, `"ports":[null,`), false},
		{"null spec", e(`"spec":{"ips"`, `"spec":null,"x":{"ips"`), false},
		{"duplicate name", e(nameField, nameField+`,"name":"other"`), false},
		{"duplicate spec", e(specStart, `"spec":{"type":"Headless"},`+specStart), false},
		{"duplicate kind", e(`"kind":"ServiceImport"`, `"kind":"ServiceImport","kind":"ServiceImportList"`), false},
		{"duplicate dropped field", e(`"generation":1`, `"generation":1,"generation":"x"`), false},
		{"kind lookalike", e(`"kind":"ServiceImport"`, `"kind":"ServiceImport","Kind":"Status"`), false},
		{"apiVersion lookalike", e(`"kind":"ServiceImport"`, `"kind":"ServiceImport","APIVERSION":"v1"`), false},
		{"non-ASCII top-level key", e(`"kind":"ServiceImport"`, `"kind":"ServiceImport","\u212aind":"Status"`), false},
		{"non-ASCII top-level key raw", e(`"kind":"ServiceImport"`, "\"kind\":\"ServiceImport\",\"\xe2\x84\xaaind\":\"Status\""), false},
		{"missing kind", e(`"kind":"ServiceImport",`, ``), false},
		{"missing apiVersion", e(`"apiVersion":"multicluster.x-k8s.io/v1beta1",`, ``), false},
		{"other version", e(`multicluster.x-k8s.io/v1beta1","kind"`, `multicluster.x-k8s.io/v2","kind"`), false},
		{"other kind", e(`"kind":"ServiceImport"`, `"kind":"ServiceExport"`), false},

		{"name a number", e(nameField, `"name":5`), false},
		{"port a string", e(`"port":80`, `"port":"80"`), false},
		{"port a fraction", e(`"port":80`, `"port":80.0`), false},
		{"port an exponent", e(`"port":80`, `"port":8e1`), false},
		{"port too large", e(`"port":80`, `"port":2147483648`), false},
		{"port negative", e(`"port":80`, `"port":-80`), true},
		{"ips a string", e(`"ips":["10.96.41.17"]`, `"ips":"10.96.41.17"`), false},
		{"labels a list", e(`"labels":{`, `"labels":[],"x":{`), false},
		{"generation a string", e(`"generation":1`, `"generation":"1"`), false},
		{"generation a fraction", e(`"generation":1`, `"generation":1.5`), false},
		{"bad timestamp", e(`"creationTimestamp":"2026-11-30T09:14:07Z"`, `"creationTimestamp":"yesterday"`), false},
		{"day out of range", e(`"creationTimestamp":"2026-11-30T09:14:07Z"`, `"creationTimestamp":"2026-11-31T09:14:07Z"`), false},
		{"managedFields an object", e(`"managedFields":[`, `"managedFields":{},"x":[`), false},
		{"fieldsV1 any value", e(`"fieldsV1":{"f:status"`, `"fieldsV1":"x","y":{"f:status"`), true},
		{"condition observedGeneration a fraction", e(`"observedGeneration":1`, `"observedGeneration":1.5`), false},
		{"cluster a number", e(`{"cluster":"east-1"}`, `{"cluster":1}`), false},
		{"controller a string", e(metaStart, metaStart+`"ownerReferences":[{"controller":"true"}],`), false},
		{"timeoutSeconds too large", e(specStart, specStart+`"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":4294967296}},`), false},

		{"truncated", base[:len(base)/2], false},
		{"trailing data", base + "{}", false},
		{"trailing comma", e(`"type":"ClusterSetIP"`, `"type":"ClusterSetIP",`), false},
		{"control character", e(nameField, "\"name\":\"check\tout\""), false},
		{"bad escape", e(`"mcs-controller"`, `"mcs\x41"`), false},
		{"leading zero", e(`"generation":1`, `"generation":01`), false},
		{"deep nesting", e(specStart, specStart+`"x":`+strings.Repeat("[", 300)+strings.Repeat("]", 300)+`,`), false},
		{"empty object", `{}`, false},
		{"null", `null`, false},
		{"empty", ``, false},
		{"list", `{"apiVersion":"multicluster.x-k8s.io/v1beta1","kind":"ServiceImportList","metadata":{"resourceVersion":"7"},"items":[]}`, false},
		{"expired", `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}`, false},
		{"initial events end", `{"kind":"ServiceImport","apiVersion":"multicluster.x-k8s.io/v1beta1","metadata":{"resourceVersion":"4811210","creationTimestamp":null,"annotations":{"k8s.io/initial-events-end":"true"}},"spec":{"ports":null,"type":""},"status":{}}`, false},
		{"bookmark", `{"kind":"ServiceImport","apiVersion":"multicluster.x-k8s.io/v1alpha1","metadata":{"resourceVersion":"4811210","creationTimestamp":null},"spec":{"ports":null,"type":""},"status":{}}`, true},
	}
}

// Every case runs in both API versions: the v1beta1 fixture, and the same
// with the v1alpha1 apiVersion.
func TestDecodeMatchesStandard(t *testing.T) {
	standard, fast := embeddedDecoders(t)
	for _, tc := range decodeCases(t) {
		for _, version := range []string{"v1beta1", "v1alpha1"} {
			t.Run(tc.name+"/"+version, func(t *testing.T) {
				raw := []byte(strings.ReplaceAll(tc.input, "multicluster.x-k8s.io/v1beta1\"", "multicluster.x-k8s.io/"+version+"\""))
				if _, _, ok := decodeFast(raw); ok != tc.fast {
					t.Errorf("fast path taken %v, want %v", ok, tc.fast)
				}
				assertEquivalent(t, standard, fast, raw)
			})
		}
	}
}

// The reflector ends a streamed list at the bookmark that carries this
// annotation: it must reach the reflector.
func TestInitialEventsEndKeepsAnnotation(t *testing.T) {
	_, fast := embeddedDecoders(t)
	raw := `{"kind":"ServiceImport","apiVersion":"multicluster.x-k8s.io/v1beta1","metadata":{"resourceVersion":"9","annotations":{"k8s.io/initial-events-end":"true"}}}`
	obj, err := runtime.Decode(fast, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	si, ok := obj.(*mcsv1beta1.ServiceImport)
	if !ok {
		t.Fatalf("got %T", obj)
	}
	if si.Annotations[metav1.InitialEventsAnnotationKey] != "true" || si.ResourceVersion != "9" {
		t.Errorf("bookmark decoded as %+v", si.ObjectMeta)
	}
}

// The fast result has the Go type of the version the object says, as the
// standard decoder's does: the reflector checks it against the informer's.
func TestDecodeTypeFollowsVersion(t *testing.T) {
	_, fast := embeddedDecoders(t)
	base := string(fixture(t))
	alpha := edits(t, base, `multicluster.x-k8s.io/v1beta1","kind"`, `multicluster.x-k8s.io/v1alpha1","kind"`)
	if obj, err := runtime.Decode(fast, []byte(base)); err != nil {
		t.Fatal(err)
	} else if _, ok := obj.(*mcsv1beta1.ServiceImport); !ok {
		t.Errorf("v1beta1 decoded as %T", obj)
	}
	if obj, err := runtime.Decode(fast, []byte(alpha)); err != nil {
		t.Fatal(err)
	} else if _, ok := obj.(*mcsv1alpha1.ServiceImport); !ok {
		t.Errorf("v1alpha1 decoded as %T", obj)
	}
}

// A Get or a List decodes into an object and must get all of it.
func TestDecodeIntoIsStandard(t *testing.T) {
	_, fast := embeddedDecoders(t)
	var si mcsv1beta1.ServiceImport
	if _, _, err := fast.Decode(fixture(t), nil, &si); err != nil {
		t.Fatal(err)
	}
	if len(si.ManagedFields) != 2 || si.UID == "" || len(si.Status.Clusters) != 3 {
		t.Errorf("decoding into an object dropped fields: %+v", si)
	}
}
