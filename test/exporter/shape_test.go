package exporter

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsclient "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// unusedClients are real clients of an address nothing listens on: Start
// must reject bad arguments before it talks to any cluster.
func unusedClients(t *testing.T) (kubernetes.Interface, mcsclient.Interface) {
	cfg := &rest.Config{Host: "http://127.0.0.1:1"}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mcs, err := mcsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube, mcs
}

func TestSliceNameIsStableValidAndBounded(t *testing.T) {
	a := LighthouseShape.sliceName("web", "east", "web-abcde")
	if a != LighthouseShape.sliceName("web", "east", "web-abcde") {
		t.Errorf("name not stable")
	}
	if !regexp.MustCompile(`^web-east-[0-9a-v]{5}$`).MatchString(a) {
		t.Errorf("name %q is not web-east-xxxxx", a)
	}
	if a == LighthouseShape.sliceName("web", "east", "web-fghij") || a == LighthouseShape.sliceName("web", "west", "web-abcde") {
		t.Errorf("distinct parts or clusters share the name %q", a)
	}
	if a == MCSAPIShape.sliceName("web", "east", "web-abcde") {
		t.Errorf("both shapes name a slice %q", a)
	}
	long := MCSAPIShape.sliceName(strings.Repeat("s", 63), strings.Repeat("c.", 120)+"x", "p")
	if len(long) > maxNameLength {
		t.Errorf("name of %d characters", len(long))
	}
	for _, n := range []string{a, long, LighthouseShape.sliceName("db", "west.example", "x")} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%q is no valid object name: %v", n, errs)
		}
	}
}

func TestMergeTakesTheOldestExportFirst(t *testing.T) {
	svc := func(clusterIP string, ports ...corev1.ServicePort) *corev1.Service {
		return &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: clusterIP, Ports: ports}}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sources := []source{
		{cluster: "west", since: t0, service: svc("10.96.0.2",
			corev1.ServicePort{Name: "http", Port: 8080}, corev1.ServicePort{Name: "grpc", Port: 9000, Protocol: corev1.ProtocolTCP})},
		{cluster: "east", since: t0, service: svc(corev1.ClusterIPNone, corev1.ServicePort{Name: "http", Port: 80})},
		{cluster: "north", since: t0.Add(-time.Second), service: svc("10.96.0.3", corev1.ServicePort{Name: "metrics", Port: 9090, Protocol: corev1.ProtocolUDP})},
	}
	sortSources(sources)
	var order []string
	for _, s := range sources {
		order = append(order, s.cluster)
	}
	if want := []string{"north", "east", "west"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v, want %v (oldest first, cluster ID breaking ties)", order, want)
	}
	if got := importType(sources); got != mcsv1beta1.ClusterSetIP {
		t.Errorf("type %s, want the oldest's ClusterSetIP", got)
	}
	wantPorts := []mcsv1beta1.ServicePort{
		{Name: "metrics", Protocol: corev1.ProtocolUDP, Port: 9090},
		{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80},
		{Name: "grpc", Protocol: corev1.ProtocolTCP, Port: 9000},
	}
	if got := mergedPorts(sources); !reflect.DeepEqual(got, wantPorts) {
		t.Errorf("ports %+v, want %+v", got, wantPorts)
	}
	si := LighthouseShape.serviceImport(serviceKey{"ns", "s"}, sources, nil)
	wantClusters := []mcsv1beta1.ClusterStatus{{Cluster: "east"}, {Cluster: "north"}, {Cluster: "west"}}
	if !reflect.DeepEqual(si.Status.Clusters, wantClusters) {
		t.Errorf("status.clusters %v, want %v", si.Status.Clusters, wantClusters)
	}
}

func TestDerivedServiceNameIsTheMCSAPIControllers(t *testing.T) {
	// The mcs-api controller's derivedName: "derived-" and ten characters
	// of the lowercase base32hex SHA-256 of "namespace/name".
	// The value was computed outside Go, from that definition.
	if got, want := derivedServiceName(serviceKey{Namespace: "demo", Name: "web"}), "derived-scaifns3gd"; got != want {
		t.Errorf("derived name %q, want %q", got, want)
	}
}

func TestStartRejectsBadArguments(t *testing.T) {
	kube, mcs := unusedClients(t)
	for _, tc := range []struct {
		name     string
		shape    Shape
		clusters []Cluster
		want     error
	}{
		{"unknown shape", Shape(7), []Cluster{{ID: "east", Kube: kube, MCS: mcs}}, ErrUnknownShape},
		{"no clusters", LighthouseShape, nil, ErrInvalidCluster},
		{"an ID that is no DNS subdomain", LighthouseShape, []Cluster{{ID: "East_1", Kube: kube, MCS: mcs}}, ErrInvalidCluster},
		{"an ID twice", MCSAPIShape, []Cluster{{ID: "east", Kube: kube, MCS: mcs}, {ID: "east", Kube: kube, MCS: mcs}}, ErrInvalidCluster},
		{"a missing client", MCSAPIShape, []Cluster{{ID: "east", Kube: kube}}, ErrInvalidCluster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Start(t.Context(), tc.shape, tc.clusters, t.Logf)
			if !errors.Is(err, tc.want) {
				t.Errorf("Start: %v, want %v", err, tc.want)
			}
			if e != nil {
				e.Stop()
			}
		})
	}
}
