package importdecode

import (
	"strings"
	"testing"
)

// FuzzDecodeMatchesStandard holds the fast path to the standard decoder on
// any input: both fail, or both give what the transform turns into the
// same object. The seeds are the table's cases, both API versions.
func FuzzDecodeMatchesStandard(f *testing.F) {
	for _, tc := range decodeCases(f) {
		f.Add([]byte(tc.input))
		f.Add([]byte(strings.Replace(tc.input, "/v1beta1", "/v1alpha1", 1)))
	}
	standard, fast := embeddedDecoders(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		assertEquivalent(t, standard, fast, raw)
	})
}

// slots are fields of the fixture whose values FuzzFieldValueMatchesStandard
// replaces, kept and dropped ones at each level.
var slots = []string{
	`"apiVersion":"multicluster.x-k8s.io/v1beta1"`, `"kind":"ServiceImport"`, `"name":"checkout"`,
	`"namespace":"shop"`, `"resourceVersion":"4811203"`, `"generation":1`,
	`"creationTimestamp":"2026-11-30T09:14:07Z"`, `"labels":{"app.kubernetes.io/managed-by":"mcs-controller","multicluster.kubernetes.io/service-name":"checkout"}`,
	`"ips":["10.96.41.17"]`, `"name":"http"`, `"port":80`, `"protocol":"TCP"`, `"appProtocol":"grpc"`,
	`"type":"ClusterSetIP"`, `"sessionAffinity":"None"`,
	`"clusters":[{"cluster":"east-1"},{"cluster":"west-2"},{"cluster":"central-3"}]`,
	`"endpointSliceObjects":"Present"`, `"reason":"Ready"`, `"fieldsV1":{"f:status"`, `"metadata":`, `"spec":`,
}

// FuzzFieldValueMatchesStandard puts arbitrary bytes in place of one value
// of the fixture, so that the fuzzer works inside an otherwise valid
// ServiceImport, where the fast path runs, rather than mostly on inputs
// that are not JSON at all.
func FuzzFieldValueMatchesStandard(f *testing.F) {
	f.Add(uint8(2), []byte(`"check\u006fut"`))
	f.Add(uint8(10), []byte(`8e1`))
	f.Add(uint8(8), []byte(`null`))
	f.Add(uint8(16), []byte(`"Absent"`))
	f.Add(uint8(0), []byte(`"multicluster.x-k8s.io/v1alpha1"`))
	base := string(fixture(f))
	standard, fast := embeddedDecoders(f)
	f.Fuzz(func(t *testing.T, slot uint8, value []byte) {
		old := slots[int(slot)%len(slots)]
		key, _, _ := strings.Cut(old, ":")
		raw := strings.Replace(base, old, key+":"+string(value), 1)
		assertEquivalent(t, standard, fast, []byte(raw))
	})
}
