package exporter

import (
	"fmt"
	"slices"
	"testing"

	"github.com/clusterset-dns/clusterset/test/shapes"
	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// TestLighthouseBookkeeping: in the Lighthouse shape, a cluster with
// Lighthouse's namespaces also gets the imports Lighthouse keeps for
// itself: S-N-C in the agent's namespace while C exports the service, with
// C's Service ClusterIP, and S-N in the broker's namespace of the first
// cluster; both go when the exports do.
func TestLighthouseBookkeeping(t *testing.T) {
	east, west := beds(t)
	ctx := t.Context()
	const ns = "lhbk"
	s := &scenario{t: t, top: t, ctx: ctx, shape: LighthouseShape, ns: ns, beds: map[string]*testbed.Bed{eastID: east, westID: west}}
	for _, b := range []*testbed.Bed{east, west} {
		s.must(b.EnsureNamespace(ctx, ns))
		s.must(b.EnsureNamespace(ctx, shapes.LighthouseAgentNamespace))
	}
	// Only east holds the broker.
	s.must(east.EnsureNamespace(ctx, shapes.LighthouseBrokerNamespace))
	ip := map[string]string{}
	for id, b := range s.beds {
		svc := s.createService(b, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
		}})
		ip[id] = svc.Spec.ClusterIP
	}
	s.export(east, "web")
	s.startExporter(eastID, westID)

	perCluster := func(id string) string { return "web-" + ns + "-" + id }
	aggregated := "web-" + ns
	// holds returns an error unless b holds exactly the bookkeeping
	// imports of web listed, with the content Lighthouse gives them.
	holds := func(id string, wantPerCluster, wantAggregated bool) error {
		c := s.beds[id].MCS.MulticlusterV1beta1()
		si, err := c.ServiceImports(shapes.LighthouseAgentNamespace).Get(ctx, perCluster(id), metav1.GetOptions{})
		switch {
		case !wantPerCluster && !apierrors.IsNotFound(err):
			return fmt.Errorf("%s: %s/%s: want none, get says %v", id, shapes.LighthouseAgentNamespace, perCluster(id), err)
		case wantPerCluster && err != nil:
			return fmt.Errorf("%s: %w", id, err)
		case wantPerCluster && (si.Labels[shapes.LabelServiceName] != "web" || si.Labels[shapes.LabelLighthouseSourceNamespace] != ns ||
			si.Labels[shapes.LabelSourceCluster] != id || !slices.Equal(si.Spec.IPs, []string{ip[id]}) || si.Spec.Type != mcsv1beta1.ClusterSetIP):
			return fmt.Errorf("%s: per-cluster import labels %v, type %s, ips %v; want web, %s, %s, ClusterSetIP, [%s]", id, si.Labels, si.Spec.Type, si.Spec.IPs, ns, id, ip[id])
		}
		agg, err := c.ServiceImports(shapes.LighthouseBrokerNamespace).Get(ctx, aggregated, metav1.GetOptions{})
		switch {
		case !wantAggregated && !apierrors.IsNotFound(err):
			return fmt.Errorf("%s: %s/%s: want none, get says %v", id, shapes.LighthouseBrokerNamespace, aggregated, err)
		case wantAggregated && err != nil:
			return fmt.Errorf("%s: %w", id, err)
		case wantAggregated && (agg.Annotations[shapes.LabelServiceName] != "web" || len(agg.Labels) != 0 || len(agg.Spec.IPs) != 0):
			return fmt.Errorf("%s: aggregated import annotations %v, labels %v, ips %v; want the service in annotations only, no ips", id, agg.Annotations, agg.Labels, agg.Spec.IPs)
		}
		return nil
	}

	t.Run("east exports: its per-cluster import, and the broker's", func(t *testing.T) {
		s.t = t
		s.eventually("east holds both, west none", func() error { return errs(holds(eastID, true, true), holds(westID, false, false)) })
	})
	t.Run("west exports too: its own per-cluster import", func(t *testing.T) {
		s.t = t
		s.export(west, "web")
		s.eventually("west holds its own", func() error { return errs(holds(eastID, true, true), holds(westID, true, false)) })
	})
	t.Run("the exports go: so do the bookkeeping imports", func(t *testing.T) {
		s.t = t
		for _, b := range []*testbed.Bed{east, west} {
			s.must(b.MCS.MulticlusterV1alpha1().ServiceExports(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
		}
		s.eventually("none left", func() error { return errs(holds(eastID, false, false), holds(westID, false, false)) })
	})
}
