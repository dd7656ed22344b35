package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// settle bounds every wait for the exporter: informers see a write within
// tens of milliseconds, so this is generous even on a loaded machine.
const settle = 30 * time.Second

func TestLighthouseShape(t *testing.T) { testShape(t, LighthouseShape, "lh") }

func TestMCSAPIShape(t *testing.T) { testShape(t, MCSAPIShape, "mcsapi") }

// testShape runs one scenario through the exporter in shape and checks,
// after each step, exactly what both clusters hold: the objects east's
// controller-manager would write for a ClusterIP Service "web" and a
// headless StatefulSet Service "db", exported; readiness changes and pods
// going away; west exporting "web" too and then no longer; an export whose
// Service comes later; a namespace that appears later; and the cleanup when
// Services and exports go.
func testShape(t *testing.T, shape Shape, ns string) {
	east, west := beds(t)
	ctx := t.Context()
	s := &scenario{t: t, top: t, ctx: ctx, shape: shape, ns: ns, beds: map[string]*testbed.Bed{eastID: east, westID: west}}

	// Only east has the namespace at first: west gets the imports when it
	// creates it.
	s.must(east.EnsureNamespace(ctx, ns))
	webEast := s.createService(east, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
			{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)},
			{Name: "metrics", Protocol: corev1.ProtocolTCP, Port: 9090},
		}},
	})
	s.createService(east, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "db"}, Ports: []corev1.ServicePort{
			{Name: "pg", Protocol: corev1.ProtocolTCP, Port: 5432},
		}},
	})
	webPorts := []discoveryv1.EndpointPort{port("http", 8080), port("metrics", 9090)}
	webSlice := s.applySourceSlice(east, sourceSlice(ns, "web", "web-7xk2p", webPorts,
		pod("10.244.1.10", "", "web-5d8f-abcde", true), pod("10.244.1.11", "", "web-5d8f-fghij", true)))
	dbPorts := []discoveryv1.EndpointPort{port("pg", 5432)}
	dbSlice := s.applySourceSlice(east, sourceSlice(ns, "db", "db-p4s8d", dbPorts,
		pod("10.244.1.20", "db-0", "db-0", true), pod("10.244.1.21", "db-1", "db-1", true)))
	dbStarting := s.applySourceSlice(east, sourceSlice(ns, "db", "db-q9m2x", dbPorts,
		pod("10.244.2.22", "db-2", "db-2", false)))
	s.export(east, "web")
	s.export(east, "db")

	s.startExporter(eastID, westID)

	web := s.want("web", mcsv1beta1.ClusterSetIP, []mcsv1beta1.ServicePort{
		{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}, {Name: "metrics", Protocol: corev1.ProtocolTCP, Port: 9090},
	})
	web.from(eastID, webEast, webSlice)
	db := s.want("db", mcsv1beta1.Headless, []mcsv1beta1.ServicePort{{Name: "pg", Protocol: corev1.ProtocolTCP, Port: 5432}})
	db.from(eastID, nil, dbSlice, dbStarting)

	if !t.Run("imports reach the exporting cluster, not a cluster without the namespace", func(t *testing.T) {
		s.t = t
		s.eventually("east holds web and db", func() error { return errs(s.check(eastID, web), s.check(eastID, db)) })
		s.waitIdle()
		for _, name := range []string{"web", "db"} {
			if err := s.absent(westID, name); err != nil {
				t.Error(err)
			}
		}
		for _, name := range []string{"web", "db"} {
			s.logged(t, name, fmt.Sprintf("cluster %s has no namespace %s: waiting for it", westID, ns), 1)
		}
	}) {
		return // the later steps build on this one
	}

	if !t.Run("a namespace created later gets the imports", func(t *testing.T) {
		s.t = t
		s.must(west.EnsureNamespace(ctx, ns))
		s.eventually("both clusters hold web and db", func() error { return s.checkAll(web, db) })
	}) {
		return // the later steps build on this one
	}

	if !t.Run("readiness changes and removed pods flow to every cluster", func(t *testing.T) {
		s.t = t
		uids := s.sliceUIDs()
		// A readiness probe fails on one web pod: web still has a ready
		// endpoint in east.
		webSlice.Endpoints[0] = pod("10.244.1.10", "", "web-5d8f-abcde", false)
		webSlice = s.applySourceSlice(east, webSlice)
		web.from(eastID, webEast, webSlice)
		s.eventually("one web pod unready", func() error { return s.checkAll(web, db) })
		// The other one too: now east has no ready web endpoint.
		webSlice.Endpoints[1] = pod("10.244.1.11", "", "web-5d8f-fghij", false)
		webSlice = s.applySourceSlice(east, webSlice)
		web.from(eastID, webEast, webSlice)
		s.eventually("no web pod ready", func() error { return s.checkAll(web, db) })
		// Pod db-1 is deleted, and db-2's slice goes away (the
		// controller-manager packs the endpoints into fewer slices).
		dbSlice.Endpoints = dbSlice.Endpoints[:1]
		dbSlice = s.applySourceSlice(east, dbSlice)
		s.must(east.DeleteEndpointSlice(ctx, ns, dbStarting.Name))
		db.from(eastID, nil, dbSlice)
		s.eventually("db-1 and db-2 gone", func() error { return s.checkAll(web, db) })
		// Slices are updated in place, not replaced.
		after := s.sliceUIDs()
		for name, uid := range after {
			if before, ok := uids[name]; ok && before != uid {
				t.Errorf("slice %s was replaced (uid %s, then %s)", name, before, uid)
			}
		}
	}) {
		return // the later steps build on this one
	}

	if !t.Run("a second cluster exporting the service is merged in, and leaves again", func(t *testing.T) {
		s.t = t
		webWest := s.createService(west, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
				{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)},
				{Name: "grpc", Protocol: corev1.ProtocolTCP, Port: 9000},
			}},
		})
		webWestSlice := s.applySourceSlice(west, sourceSlice(ns, "web", "web-q2w3e", []discoveryv1.EndpointPort{port("http", 8080), port("grpc", 9000)},
			pod("10.245.1.10", "", "web-77c9-zxcvb", true)))
		s.export(west, "web")
		merged := *web
		merged.ports = append(slices.Clone(web.ports), mcsv1beta1.ServicePort{Name: "grpc", Protocol: corev1.ProtocolTCP, Port: 9000})
		merged.sources = map[string]webSource{eastID: web.sources[eastID]}
		merged.from(westID, webWest, webWestSlice)
		s.eventually("web from both clusters", func() error { return s.checkAll(&merged, db) })

		s.must(west.MCS.MulticlusterV1alpha1().ServiceExports(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
		s.eventually("web from east only", func() error { return s.checkAll(web, db) })
	}) {
		return // the later steps build on this one
	}

	if !t.Run("an export waits for its Service, logging it once", func(t *testing.T) {
		s.t = t
		s.export(east, "late")
		lateSlice := s.applySourceSlice(east, sourceSlice(ns, "late", "late-m3n4b", []discoveryv1.EndpointPort{port("", 8443)},
			pod("10.244.3.30", "", "late-0", true)))
		s.waitIdle()
		for _, id := range []string{eastID, westID} {
			if err := s.absent(id, "late"); err != nil {
				t.Error(err)
			}
		}
		lateSvc := s.createService(east, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "late"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "late"}, Ports: []corev1.ServicePort{
				{Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(8443)},
			}},
		})
		late := s.want("late", mcsv1beta1.ClusterSetIP, []mcsv1beta1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 443}})
		late.from(eastID, lateSvc, lateSlice)
		s.eventually("late imported", func() error { return s.checkAll(web, db, late) })
		s.logged(t, "late", fmt.Sprintf("cluster %s exports it but has no such Service: waiting for it", eastID), 1)
		s.must(east.MCS.MulticlusterV1alpha1().ServiceExports(ns).Delete(ctx, "late", metav1.DeleteOptions{}))
	}) {
		return // the later steps build on this one
	}

	t.Run("a deleted Service or export removes its import, slices and derived Service everywhere", func(t *testing.T) {
		s.t = t
		s.must(east.Kube.CoreV1().Services(ns).Delete(ctx, "db", metav1.DeleteOptions{}))
		s.must(east.MCS.MulticlusterV1alpha1().ServiceExports(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
		// db's export stays, without its Service, until the end.
		t.Cleanup(func() {
			_ = east.MCS.MulticlusterV1alpha1().ServiceExports(ns).Delete(context.WithoutCancel(ctx), "db", metav1.DeleteOptions{})
		})
		s.eventually("nothing imported", func() error {
			var all []error
			for _, id := range []string{eastID, westID} {
				for _, name := range []string{"web", "db", "late"} {
					all = append(all, s.absent(id, name))
				}
				all = append(all, s.noSlicesLeft(id))
			}
			return errs(all...)
		})
	})
}

// scenario is one shape's run: the test, the clusters and what the exporter
// logged.
type scenario struct {
	// t is the running subtest; top the test, which outlives the
	// exporter's goroutines and so receives their log.
	t     *testing.T
	top   *testing.T
	ctx   context.Context
	shape Shape
	ns    string
	beds  map[string]*testbed.Bed
	exp   *Exporter

	mu   sync.Mutex
	logs []string
}

func (s *scenario) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *scenario) startExporter(ids ...string) {
	s.t.Helper()
	var clusters []Cluster
	for _, id := range ids {
		clusters = append(clusters, Cluster{ID: id, Kube: s.beds[id].Kube, MCS: s.beds[id].MCS})
	}
	e, err := Start(s.ctx, s.shape, clusters, func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		s.mu.Lock()
		s.logs = append(s.logs, line)
		s.mu.Unlock()
		s.top.Log(line)
	})
	s.must(err)
	s.exp = e
	s.top.Cleanup(e.Stop)
}

func (s *scenario) waitIdle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, settle)
	defer cancel()
	s.must(s.exp.WaitSynced(ctx))
}

// logged checks that the exporter logged line about service name exactly
// n times.
func (s *scenario) logged(t *testing.T, name, line string, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	line = "exporter: " + s.ns + "/" + name + ": " + line
	count := 0
	for _, l := range s.logs {
		if l == line {
			count++
		}
	}
	if count != n {
		t.Errorf("logged %q %d times, want %d; the log:\n%s", line, count, n, strings.Join(s.logs, "\n"))
	}
}

func (s *scenario) eventually(what string, check func() error) {
	s.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not so after %v: %v", what, settle, err)
		}
		select {
		case <-s.ctx.Done():
			s.t.Fatal(s.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *scenario) createService(b *testbed.Bed, svc *corev1.Service) *corev1.Service {
	s.t.Helper()
	svc.Namespace = s.ns
	got, err := b.Kube.CoreV1().Services(s.ns).Create(s.ctx, svc, metav1.CreateOptions{})
	s.must(err)
	return got
}

func (s *scenario) export(b *testbed.Bed, name string) {
	s.t.Helper()
	_, err := b.MCS.MulticlusterV1alpha1().ServiceExports(s.ns).Create(s.ctx,
		&mcsv1alpha1.ServiceExport{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name}}, metav1.CreateOptions{})
	s.must(err)
}

// applySourceSlice writes a slice as the controller-manager would, and
// returns it as written.
func (s *scenario) applySourceSlice(b *testbed.Bed, es *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	s.t.Helper()
	c := b.Kube.DiscoveryV1().EndpointSlices(s.ns)
	cur, err := c.Get(s.ctx, es.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur, err = c.Create(s.ctx, es, metav1.CreateOptions{})
	case err == nil:
		next := es.DeepCopy()
		next.ResourceVersion = cur.ResourceVersion
		cur, err = c.Update(s.ctx, next, metav1.UpdateOptions{})
	}
	s.must(err)
	return cur
}

// sourceSlice is an EndpointSlice as kube-controller-manager's
// EndpointSlice controller writes it for a Service.
func sourceSlice(ns, service, name string, ports []discoveryv1.EndpointPort, endpoints ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
			discoveryv1.LabelServiceName: service,
			discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   endpoints,
		Ports:       ports,
	}
}

// pod is a pod's endpoint as the controller-manager writes it: a hostname
// for a StatefulSet pod with a subdomain, the node, zone and pod reference,
// and conditions from the pod's readiness (a failing probe: not ready, not
// serving, not terminating).
func pod(ip, hostname, podName string, ready bool) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready), Serving: ptr(ready), Terminating: ptr(false)},
		NodeName:   ptr("node-a"),
		Zone:       ptr("zone-a"),
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: podName, UID: types.UID("uid-" + podName)},
	}
	if hostname != "" {
		ep.Hostname = ptr(hostname)
	}
	return ep
}

func port(name string, p int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr(name), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(p)}
}

// wantImport is what one exported service must look like in every cluster.
type wantImport struct {
	s       *scenario
	name    string
	typ     mcsv1beta1.ServiceImportType
	ports   []mcsv1beta1.ServicePort
	sources map[string]webSource
}

// webSource is one exporting cluster's Service (nil for a headless one)
// and slices, as written there.
type webSource struct {
	service *corev1.Service
	slices  []*discoveryv1.EndpointSlice
}

func (s *scenario) want(name string, typ mcsv1beta1.ServiceImportType, ports []mcsv1beta1.ServicePort) *wantImport {
	return &wantImport{s: s, name: name, typ: typ, ports: ports, sources: map[string]webSource{}}
}

func (w *wantImport) from(cluster string, svc *corev1.Service, esl ...*discoveryv1.EndpointSlice) {
	w.sources[cluster] = webSource{service: svc, slices: esl}
}

func (w *wantImport) clusters() []string {
	var ids []string
	for id := range w.sources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// spec is the expected ServiceImport spec and annotations in cluster id,
// as JSON so that `ports: []` and a missing field differ. The mcs-api
// shape's spec.ips come from the derived Service, checked on its own.
func (w *wantImport) spec(derived *corev1.Service) (string, map[string]string) {
	spec := mcsv1beta1.ServiceImportSpec{Type: w.typ, Ports: w.ports}
	var annotations map[string]string
	switch {
	case w.s.shape == LighthouseShape && w.typ == mcsv1beta1.Headless:
		spec.Ports = []mcsv1beta1.ServicePort{}
	case w.s.shape == MCSAPIShape && w.typ == mcsv1beta1.ClusterSetIP:
		spec.IPs = []string{derived.Spec.ClusterIP}
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		annotations = map[string]string{AnnotationDerivedService: derived.Name}
	case w.s.shape == MCSAPIShape:
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	return mustJSON(spec), annotations
}

// slices are the expected MCS slices (name left out; JSON, sorted), the
// same in every cluster.
func (w *wantImport) slices() []string {
	var out []string
	for _, id := range w.clusters() {
		src := w.sources[id]
		labels := map[string]string{LabelServiceName: w.name, LabelSourceCluster: id, LabelManagedBy: w.s.shape.ManagedBy()}
		switch w.s.shape {
		case LighthouseShape:
			labels[LabelLighthouseSourceNamespace] = w.s.ns
			labels[LabelLighthouseIsHeadless] = fmt.Sprint(w.typ == mcsv1beta1.Headless)
		case MCSAPIShape:
			labels[discoveryv1.LabelServiceName] = derivedServiceName(serviceKey{w.s.ns, w.name})
		}
		if w.s.shape == LighthouseShape && w.typ == mcsv1beta1.ClusterSetIP {
			ready := false
			for _, es := range src.slices {
				for _, ep := range es.Endpoints {
					ready = ready || *ep.Conditions.Ready
				}
			}
			es := discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Labels: labels},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{src.service.Spec.ClusterIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready)}}},
			}
			for _, p := range src.service.Spec.Ports {
				es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: ptr(p.Name), Protocol: ptr(p.Protocol), Port: ptr(p.Port)})
			}
			out = append(out, mustJSON(es))
			continue
		}
		for _, from := range src.slices {
			es := discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Labels: labels}, AddressType: from.AddressType, Ports: from.Ports}
			for _, ep := range from.Endpoints {
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: ep.Addresses, Conditions: ep.Conditions, Hostname: ep.Hostname, Zone: ep.Zone})
			}
			out = append(out, mustJSON(es))
		}
	}
	slices.Sort(out)
	return out
}

func (s *scenario) checkAll(ws ...*wantImport) error {
	var all []error
	for _, id := range []string{eastID, westID} {
		for _, w := range ws {
			all = append(all, s.check(id, w))
		}
	}
	return errs(all...)
}

// nameRE is the form of every MCS slice name: S-C-xxxxx.
func nameRE(service, cluster string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(service+"-"+cluster) + "-[0-9a-v]{5}$")
}

// check compares what cluster id holds of w with what it must hold,
// exactly.
func (s *scenario) check(id string, w *wantImport) error {
	b := s.beds[id]
	si, err := b.MCS.MulticlusterV1beta1().ServiceImports(s.ns).Get(s.ctx, w.name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%s: ServiceImport %s: %w", id, w.name, err)
	}
	var derived *corev1.Service
	if s.shape == MCSAPIShape && w.typ == mcsv1beta1.ClusterSetIP {
		if derived, err = s.checkDerived(id, w); err != nil {
			return err
		}
	}
	wantSpec, wantAnnotations := w.spec(derived)
	if got := mustJSON(si.Spec); got != wantSpec {
		return fmt.Errorf("%s: ServiceImport %s spec\n got %s\nwant %s", id, w.name, got, wantSpec)
	}
	if !equalMaps(si.Annotations, wantAnnotations) || len(si.Labels) != 0 {
		return fmt.Errorf("%s: ServiceImport %s annotations %v labels %v, want annotations %v and no labels", id, w.name, si.Annotations, si.Labels, wantAnnotations)
	}
	var wantClusters []mcsv1beta1.ClusterStatus
	for _, c := range w.clusters() {
		wantClusters = append(wantClusters, mcsv1beta1.ClusterStatus{Cluster: c})
	}
	if got, want := mustJSON(si.Status), mustJSON(mcsv1beta1.ServiceImportStatus{Clusters: wantClusters}); got != want {
		return fmt.Errorf("%s: ServiceImport %s status\n got %s\nwant %s", id, w.name, got, want)
	}

	list, err := b.Kube.DiscoveryV1().EndpointSlices(s.ns).List(s.ctx, metav1.ListOptions{LabelSelector: LabelServiceName + "=" + w.name})
	if err != nil {
		return fmt.Errorf("%s: listing slices: %w", id, err)
	}
	var got []string
	for _, es := range list.Items {
		if !nameRE(w.name, es.Labels[LabelSourceCluster]).MatchString(es.Name) {
			return fmt.Errorf("%s: slice name %q is not %s-%s-xxxxx", id, es.Name, w.name, es.Labels[LabelSourceCluster])
		}
		got = append(got, mustJSON(sliceView(&es)))
	}
	slices.Sort(got)
	if want := w.slices(); !slices.Equal(got, want) {
		return fmt.Errorf("%s: slices of %s\n got %s\nwant %s", id, w.name, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	return nil
}

// checkDerived checks the mcs-api shape's derived Service of w in cluster
// id: selector-less, the import's ports, a ClusterIP of the cluster's own
// service range.
func (s *scenario) checkDerived(id string, w *wantImport) (*corev1.Service, error) {
	b := s.beds[id]
	name := derivedServiceName(serviceKey{s.ns, w.name})
	svc, err := b.Kube.CoreV1().Services(s.ns).Get(s.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: derived Service: %w", id, err)
	}
	var ports []mcsv1beta1.ServicePort
	for _, p := range svc.Spec.Ports {
		ports = append(ports, mcsv1beta1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.Port})
	}
	_, serviceRange, _ := net.ParseCIDR("10.96.0.0/16")
	switch {
	case svc.Spec.Selector != nil || svc.Spec.Type != corev1.ServiceTypeClusterIP:
		return nil, fmt.Errorf("%s: derived Service %s has selector %v, type %s", id, name, svc.Spec.Selector, svc.Spec.Type)
	case mustJSON(ports) != mustJSON(w.ports):
		return nil, fmt.Errorf("%s: derived Service ports %+v, want %+v", id, ports, w.ports)
	case !serviceRange.Contains(net.ParseIP(svc.Spec.ClusterIP)) || !slices.Equal(svc.Spec.ClusterIPs, []string{svc.Spec.ClusterIP}):
		return nil, fmt.Errorf("%s: derived Service clusterIPs %v, not one address of %s", id, svc.Spec.ClusterIPs, serviceRange)
	}
	return svc, nil
}

// sliceView is what of a slice the shapes define: labels, address type,
// endpoints and ports (empty lists as none, however the API returns them).
func sliceView(es *discoveryv1.EndpointSlice) discoveryv1.EndpointSlice {
	v := discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Labels: es.Labels}, AddressType: es.AddressType}
	if len(es.Endpoints) > 0 {
		v.Endpoints = es.Endpoints
	}
	if len(es.Ports) > 0 {
		v.Ports = es.Ports
	}
	return v
}

// absent checks that cluster id holds no ServiceImport, slice or derived
// Service of service name.
func (s *scenario) absent(id, name string) error {
	b := s.beds[id]
	if _, err := b.MCS.MulticlusterV1beta1().ServiceImports(s.ns).Get(s.ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: ServiceImport %s: want none, get says %v", id, name, err)
	}
	list, err := b.Kube.DiscoveryV1().EndpointSlices(s.ns).List(s.ctx, metav1.ListOptions{LabelSelector: LabelServiceName + "=" + name})
	if err != nil || len(list.Items) > 0 {
		return fmt.Errorf("%s: slices of %s: want none, have %d (%v)", id, name, len(list.Items), err)
	}
	derived := derivedServiceName(serviceKey{s.ns, name})
	if _, err := b.Kube.CoreV1().Services(s.ns).Get(s.ctx, derived, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: derived Service %s: want none, get says %v", id, derived, err)
	}
	return nil
}

// noSlicesLeft checks that the shape's controller left no slice in the
// namespace of cluster id.
func (s *scenario) noSlicesLeft(id string) error {
	list, err := s.beds[id].Kube.DiscoveryV1().EndpointSlices(s.ns).List(s.ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + s.shape.ManagedBy()})
	if err != nil || len(list.Items) > 0 {
		return fmt.Errorf("%s: %d slices managed by %s left (%v)", id, len(list.Items), s.shape.ManagedBy(), err)
	}
	return nil
}

// sliceUIDs maps every MCS slice of both clusters to its UID.
func (s *scenario) sliceUIDs() map[string]types.UID {
	uids := map[string]types.UID{}
	for id, b := range s.beds {
		list, err := b.Kube.DiscoveryV1().EndpointSlices(s.ns).List(s.ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + s.shape.ManagedBy()})
		s.must(err)
		for _, es := range list.Items {
			uids[id+"/"+es.Name] = es.UID
		}
	}
	return uids
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func errs(all ...error) error {
	var msgs []string
	for _, err := range all {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}
