package convert

import (
	"reflect"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// fullMeta is an ObjectMeta with everything the trimmed objects must drop.
func fullMeta(namespace, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       namespace,
		ResourceVersion: "42",
		UID:             "uid-1",
		Generation:      3,
		Labels:          labels,
		Annotations:     map[string]string{"a": "b"},
		ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		Finalizers:      []string{"f"},
	}
}

// trimmedMeta is what every trimmed object keeps of fullMeta.
func trimmedMeta(namespace, name string) object.ObjectMeta {
	return object.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: "42"}
}

func ptr[T any](v T) *T { return &v }

func TestConvertServiceImport(t *testing.T) {
	want := &object.ServiceImport{
		ObjectMeta: trimmedMeta("ns", "svc"),
		Type:       object.ClusterSetIP,
		IPs:        []string{"10.0.0.1", "fd00::1"},
		Ports: []object.Port{
			{Name: "http", Protocol: "TCP", Port: 80},
			{Name: "dns", Protocol: "UDP", Port: 53},
		},
		EndpointSlicesAbsent: true,
		LocalTrafficOnly:     true,
		TrafficDistribution:  "PreferSameZone",
	}
	local := corev1.ServiceInternalTrafficPolicyLocal
	v1beta1 := &mcsv1beta1.ServiceImport{
		ObjectMeta: fullMeta("ns", "svc", map[string]string{"x": "y"}),
		Spec: mcsv1beta1.ServiceImportSpec{
			Type:       mcsv1beta1.ClusterSetIP,
			IPs:        []string{"10.0.0.1", "fd00::1"},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			Ports: []mcsv1beta1.ServicePort{
				{Name: "http", Port: 80},
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53},
			},
			InternalTrafficPolicy: &local,
			TrafficDistribution:   ptr("PreferSameZone"),
		},
		Status: mcsv1beta1.ServiceImportStatus{
			EndpointSliceObjects: mcsv1beta1.EndpointSliceObjectsAbsent,
			Clusters:             []mcsv1beta1.ClusterStatus{{Cluster: "c1"}},
		},
	}
	v1alpha1 := &mcsv1alpha1.ServiceImport{
		ObjectMeta: fullMeta("ns", "svc", nil),
		Spec: mcsv1alpha1.ServiceImportSpec{
			Type: mcsv1alpha1.ClusterSetIP,
			IPs:  []string{"10.0.0.1", "fd00::1"},
			Ports: []mcsv1alpha1.ServicePort{
				{Name: "http", Port: 80},
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53},
			},
			InternalTrafficPolicy: &local,
			TrafficDistribution:   ptr("PreferSameZone"),
		},
		Status: mcsv1alpha1.ServiceImportStatus{EndpointSliceObjects: mcsv1alpha1.EndpointSliceObjectsAbsent},
	}

	tests := []struct {
		name string
		got  *object.ServiceImport
		ips  []string
	}{
		{name: "a v1beta1 import keeps type, ips, ports with TCP spelled out, the Absent status and the traffic fields", got: ServiceImportFromV1beta1(v1beta1), ips: v1beta1.Spec.IPs},
		{name: "a v1alpha1 import converts to the same trimmed object", got: ServiceImportFromV1alpha1(v1alpha1), ips: v1alpha1.Spec.IPs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, want) {
				t.Fatalf("got %+v\nwant %+v", tt.got, want)
			}
			tt.ips[0] = "changed"
			defer func() { tt.ips[0] = "10.0.0.1" }()
			if tt.got.IPs[0] != "10.0.0.1" {
				t.Errorf("trimmed IPs share the API object's array")
			}
		})
	}

	t.Run("a Present or unset status is not Absent", func(t *testing.T) {
		for _, status := range []mcsv1beta1.EndpointSliceObjectsStatus{"", mcsv1beta1.EndpointSliceObjectsPresent} {
			si := &mcsv1beta1.ServiceImport{Status: mcsv1beta1.ServiceImportStatus{EndpointSliceObjects: status}}
			if ServiceImportFromV1beta1(si).EndpointSlicesAbsent {
				t.Errorf("status %q: EndpointSlicesAbsent = true", status)
			}
		}
	})

	t.Run("an unset or Cluster traffic policy is not local, an unset distribution is empty", func(t *testing.T) {
		cluster := corev1.ServiceInternalTrafficPolicyCluster
		for _, policy := range []*corev1.ServiceInternalTrafficPolicy{nil, &cluster} {
			beta := ServiceImportFromV1beta1(&mcsv1beta1.ServiceImport{Spec: mcsv1beta1.ServiceImportSpec{InternalTrafficPolicy: policy}})
			alpha := ServiceImportFromV1alpha1(&mcsv1alpha1.ServiceImport{Spec: mcsv1alpha1.ServiceImportSpec{InternalTrafficPolicy: policy}})
			for _, si := range []*object.ServiceImport{beta, alpha} {
				if si.LocalTrafficOnly || si.TrafficDistribution != "" {
					t.Errorf("policy %v: LocalTrafficOnly %v, TrafficDistribution %q; want false, empty", policy, si.LocalTrafficOnly, si.TrafficDistribution)
				}
			}
		}
	})
}

// clusterProperty is an about.k8s.io ClusterProperty as the dynamic client
// returns it, with the metadata the trimmed object must drop.
func clusterProperty(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "about.k8s.io/v1alpha1",
		"kind":       "ClusterProperty",
		"metadata": map[string]any{
			"name":            name,
			"resourceVersion": "42",
			"uid":             "uid-1",
			"labels":          map[string]any{"a": "b"},
			"annotations":     map[string]any{"a": "b"},
			"managedFields":   []any{map[string]any{"manager": "kubectl"}},
		},
	}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

func TestConvertClusterProperty(t *testing.T) {
	tests := []struct {
		name string
		in   *unstructured.Unstructured
		want string
	}{
		{name: "the value is spec.value as written", in: clusterProperty("cluster.clusterset.k8s.io", map[string]any{"value": " east.example "}), want: " east.example "},
		{name: "a missing spec is an empty value", in: clusterProperty("cluster.clusterset.k8s.io", nil), want: ""},
		{name: "a value that is not a string is an empty value", in: clusterProperty("cluster.clusterset.k8s.io", map[string]any{"value": int64(3)}), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClusterPropertyFromUnstructured(tt.in)
			want := &object.ClusterProperty{ObjectMeta: trimmedMeta("", "cluster.clusterset.k8s.io"), Value: tt.want}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestConvertEndpointSlice(t *testing.T) {
	tests := []struct {
		name  string
		slice *discoveryv1.EndpointSlice
		want  *object.EndpointSlice
	}{
		{
			name: "service and cluster come from the MCS labels, readiness nil means ready",
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta: fullMeta("ns", "svc-abc", map[string]string{
					object.LabelServiceName:       "svc",
					object.LabelSourceCluster:     "east.example",
					"kubernetes.io/service-name":  "other",
					"endpointslice.kubernetes.io": "x",
				}),
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints: []discoveryv1.Endpoint{
					{Addresses: []string{"10.1.0.1"}, Hostname: ptr("web-0"), Zone: ptr("z1")},
					{Addresses: []string{"10.1.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
					{Addresses: []string{"10.1.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
				},
				Ports: []discoveryv1.EndpointPort{
					{Name: ptr("http"), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(int32(8080))},
					{Name: ptr("dns"), Protocol: ptr(corev1.ProtocolUDP), Port: ptr(int32(53))},
				},
			},
			want: &object.EndpointSlice{
				ObjectMeta:  trimmedMeta("ns", "svc-abc"),
				Service:     "svc",
				Cluster:     "east.example",
				HasCluster:  true,
				AddressType: object.AddressTypeIPv4,
				Endpoints: []object.Endpoint{
					{Addresses: object.NewAddresses("10.1.0.1"), Hostname: "web-0", Ready: true, Zone: "z1"},
					{Addresses: object.NewAddresses("10.1.0.2"), Ready: true},
					{Addresses: object.NewAddresses("10.1.0.3"), Ready: false},
				},
				Ports: []object.Port{
					{Name: "http", Protocol: "TCP", Port: 8080},
					{Name: "dns", Protocol: "UDP", Port: 53},
				},
			},
		},
		{
			name: "nil port fields: no name, TCP, and a port without number is skipped",
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta:  fullMeta("ns", "svc-abc", map[string]string{object.LabelServiceName: "svc"}),
				AddressType: discoveryv1.AddressTypeIPv6,
				Ports: []discoveryv1.EndpointPort{
					{Port: ptr(int32(80))},
					{Name: ptr("all")},
					{Name: ptr("empty-proto"), Protocol: ptr(corev1.Protocol("")), Port: ptr(int32(81))},
				},
			},
			want: &object.EndpointSlice{
				ObjectMeta:  trimmedMeta("ns", "svc-abc"),
				Service:     "svc",
				AddressType: object.AddressTypeIPv6,
				Endpoints:   []object.Endpoint{},
				Ports: []object.Port{
					{Protocol: "TCP", Port: 80},
					{Name: "empty-proto", Protocol: "TCP", Port: 81},
				},
			},
		},
		{
			name: "addresses that are not one canonical address are kept as written",
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta:  fullMeta("ns", "s", map[string]string{object.LabelServiceName: "svc", object.LabelSourceCluster: "c"}),
				AddressType: discoveryv1.AddressTypeIPv6,
				Endpoints: []discoveryv1.Endpoint{
					{Addresses: []string{"fd00::1", "fd00::2"}},
					{Addresses: []string{"FD00:0::3"}},
					{Addresses: []string{"not-an-address"}},
				},
			},
			want: &object.EndpointSlice{
				ObjectMeta:  trimmedMeta("ns", "s"),
				Service:     "svc",
				Cluster:     "c",
				HasCluster:  true,
				AddressType: object.AddressTypeIPv6,
				Endpoints: []object.Endpoint{
					{Addresses: object.NewAddresses("fd00::1", "fd00::2"), Ready: true},
					{Addresses: object.NewAddresses("FD00:0::3"), Ready: true},
					{Addresses: object.NewAddresses("not-an-address"), Ready: true},
				},
				Ports: []object.Port{},
			},
		},
		{
			name: "an empty source-cluster label is present, not missing",
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta:  fullMeta("ns", "s", map[string]string{object.LabelServiceName: "svc", object.LabelSourceCluster: ""}),
				AddressType: discoveryv1.AddressTypeFQDN,
			},
			want: &object.EndpointSlice{
				ObjectMeta:  trimmedMeta("ns", "s"),
				Service:     "svc",
				HasCluster:  true,
				AddressType: "FQDN",
				Endpoints:   []object.Endpoint{},
				Ports:       []object.Port{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EndpointSliceFromV1(tt.slice)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			if len(tt.slice.Endpoints) > 0 {
				tt.slice.Endpoints[0].Addresses[0] = "changed"
				if got.Endpoints[0].Addresses.Strings()[0] == "changed" {
					t.Errorf("trimmed addresses share the API object's array")
				}
			}
		})
	}
}

func TestConvertNamespace(t *testing.T) {
	got := NamespaceFromV1(&corev1.Namespace{
		ObjectMeta: fullMeta("", "team-a", map[string]string{"mcs": "on"}),
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	})
	if want := (&object.Namespace{ObjectMeta: trimmedMeta("", "team-a")}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestTransform(t *testing.T) {
	si := &mcsv1beta1.ServiceImport{ObjectMeta: fullMeta("ns", "svc", map[string]string{"a": "b"}), Spec: mcsv1beta1.ServiceImportSpec{Type: mcsv1beta1.Headless}}
	siAlpha := &mcsv1alpha1.ServiceImport{ObjectMeta: fullMeta("ns", "svc", nil), Spec: mcsv1alpha1.ServiceImportSpec{Type: mcsv1alpha1.Headless}}
	es := &discoveryv1.EndpointSlice{ObjectMeta: fullMeta("ns", "s", map[string]string{object.LabelServiceName: "svc"})}
	ns := &corev1.Namespace{ObjectMeta: fullMeta("", "ns", nil)}
	trimmedSI := ServiceImportFromV1beta1(si)
	trimmedES := EndpointSliceFromV1(es)
	trimmedNS := NamespaceFromV1(ns)
	cp := clusterProperty("cluster.clusterset.k8s.io", map[string]any{"value": "east"})
	trimmedCP := ClusterPropertyFromUnstructured(cp)

	tests := []struct {
		name      string
		transform cache.TransformFunc
		in        any
		want      any
		wantErr   bool
	}{
		{name: "a v1beta1 object.ServiceImport is trimmed", transform: TransformServiceImport, in: si, want: trimmedSI},
		{name: "a v1alpha1 object.ServiceImport is trimmed", transform: TransformServiceImport, in: siAlpha, want: trimmedSI},
		{name: "a trimmed object.ServiceImport passes through", transform: TransformServiceImport, in: trimmedSI, want: trimmedSI},
		{name: "an object.EndpointSlice is trimmed", transform: TransformEndpointSlice, in: es, want: trimmedES},
		{name: "a trimmed object.EndpointSlice passes through", transform: TransformEndpointSlice, in: trimmedES, want: trimmedES},
		{name: "a object.Namespace is trimmed", transform: TransformNamespace, in: ns, want: trimmedNS},
		{name: "a trimmed object.Namespace passes through", transform: TransformNamespace, in: trimmedNS, want: trimmedNS},
		{name: "a object.ClusterProperty is trimmed", transform: TransformClusterProperty, in: cp, want: trimmedCP},
		{name: "a trimmed object.ClusterProperty passes through", transform: TransformClusterProperty, in: trimmedCP, want: trimmedCP},
		{
			name:      "a object.ClusterProperty tombstone is unwrapped, its object trimmed, and rewrapped",
			transform: TransformClusterProperty,
			in:        cache.DeletedFinalStateUnknown{Key: "cluster.clusterset.k8s.io", Obj: cp},
			want:      cache.DeletedFinalStateUnknown{Key: "cluster.clusterset.k8s.io", Obj: trimmedCP},
		},
		{name: "a typed object is not a ClusterProperty", transform: TransformClusterProperty, in: ns, wantErr: true},
		{
			name:      "a tombstone is unwrapped, its object trimmed, and rewrapped",
			transform: TransformEndpointSlice,
			in:        cache.DeletedFinalStateUnknown{Key: "ns/s", Obj: es},
			want:      cache.DeletedFinalStateUnknown{Key: "ns/s", Obj: trimmedES},
		},
		{
			name:      "a tombstone of a trimmed object passes through",
			transform: TransformServiceImport,
			in:        cache.DeletedFinalStateUnknown{Key: "ns/svc", Obj: trimmedSI},
			want:      cache.DeletedFinalStateUnknown{Key: "ns/svc", Obj: trimmedSI},
		},
		{name: "an object of another kind is an error", transform: TransformNamespace, in: es, wantErr: true},
		{
			name:      "a tombstone of another kind is an error",
			transform: TransformServiceImport,
			in:        cache.DeletedFinalStateUnknown{Key: "ns", Obj: ns},
			wantErr:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.transform(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %T, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestTrimmedObjectsAreStoreObjects checks that client-go keys, stores and
// reads the versions of trimmed objects as it does API objects: the
// informers' stores, their tombstones and the consistency check rely on it.
func TestTrimmedObjectsAreStoreObjects(t *testing.T) {
	es := EndpointSliceFromV1(&discoveryv1.EndpointSlice{ObjectMeta: fullMeta("ns", "s", map[string]string{object.LabelServiceName: "svc"})})
	ns := NamespaceFromV1(&corev1.Namespace{ObjectMeta: fullMeta("", "team-a", nil)})
	for _, tc := range []struct {
		obj     any
		key, rv string
	}{
		{es, "ns/s", "42"},
		{ns, "team-a", "42"},
		{cache.DeletedFinalStateUnknown{Key: "ns/s", Obj: es}, "ns/s", ""},
	} {
		key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(tc.obj)
		if err != nil || key != tc.key {
			t.Errorf("key of %T = %q, %v; want %q", tc.obj, key, err, tc.key)
		}
		if tc.rv == "" {
			continue
		}
		m, err := apimeta.Accessor(tc.obj)
		if err != nil || m.GetResourceVersion() != tc.rv || m.GetLabels() != nil {
			t.Errorf("apimeta.Accessor(%T) = %v, %v; want version %s and no labels", tc.obj, m, err, tc.rv)
		}
	}
	store := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{"service": IndexSliceByService})
	if err := store.Add(es); err != nil {
		t.Fatal(err)
	}
	if got, err := store.ByIndex("service", "ns/svc"); err != nil || len(got) != 1 || got[0] != es {
		t.Errorf(`ByIndex("service", "ns/svc") = %v, %v; want the slice`, got, err)
	}
	if err := store.Delete(cache.DeletedFinalStateUnknown{Key: "ns/s", Obj: es}); err != nil {
		t.Fatal(err)
	}
	if got := store.List(); len(got) != 0 {
		t.Errorf("deleting the tombstone left %v", got)
	}
}
