package exporter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// errNamespaceAbsent: the importing cluster lacks the service's namespace.
// Namespace sameness (KEP-1645) leaves creating it to the cluster's owner;
// the Namespace watch writes the import once it exists.
var errNamespaceAbsent = errors.New("namespace absent")

// sync writes key into every cluster: its import and slices while some
// cluster exports it, nothing (everything of it deleted) once none does.
func (e *Exporter) sync(ctx context.Context, key serviceKey) error {
	var (
		sources []source
		notes   []string
	)
	for _, m := range e.members {
		src, ok, note := m.source(key)
		if note != "" {
			notes = append(notes, note)
		}
		if ok {
			sources = append(sources, src)
		}
	}
	var want []*discoveryv1.EndpointSlice
	if len(sources) > 0 {
		sortSources(sources)
		want = e.shape.endpointSlices(key, sources, func(n string) { notes = append(notes, n) })
	}
	var errs []error
	for _, m := range e.members {
		err := e.write(ctx, m, key, sources, want)
		switch {
		case errors.Is(err, errNamespaceAbsent):
			notes = append(notes, fmt.Sprintf("cluster %s has no namespace %s: waiting for it", m.ID, key.Namespace))
		case err != nil:
			errs = append(errs, fmt.Errorf("cluster %s: %w", m.ID, err))
		}
	}
	e.report(key, notes)
	return errors.Join(errs...)
}

// write makes the importing cluster m hold exactly what sources export of
// key.
func (e *Exporter) write(ctx context.Context, m *member, key serviceKey, sources []source, want []*discoveryv1.EndpointSlice) error {
	if len(sources) == 0 {
		if err := e.applySlices(ctx, m, key, nil); err != nil {
			return err
		}
		if err := ignoreNotFound(m.MCS.MulticlusterV1beta1().ServiceImports(key.Namespace).Delete(ctx, key.Name, metav1.DeleteOptions{})); err != nil {
			return fmt.Errorf("deleting ServiceImport: %w", err)
		}
		if e.shape == MCSAPIShape {
			return e.deleteDerived(ctx, m, key)
		}
		return e.writeBookkeeping(ctx, m, key, nil, nil)
	}
	var derived *corev1.Service
	if e.shape == MCSAPIShape {
		var err error
		if importType(sources) == mcsv1beta1.ClusterSetIP {
			derived, err = e.applyDerived(ctx, m, key, mergedPorts(sources))
		} else {
			err = e.deleteDerived(ctx, m, key)
		}
		if err != nil {
			return err
		}
	}
	real := e.shape.serviceImport(key, sources, derived)
	if err := e.applyImport(ctx, m, real); err != nil {
		return err
	}
	if err := e.applySlices(ctx, m, key, want); err != nil {
		return err
	}
	return e.writeBookkeeping(ctx, m, key, real, sources)
}

// writeBookkeeping makes m hold, in the Lighthouse shape, the imports
// Lighthouse keeps for itself beside real (shapes.LighthouseBookkeeping):
// the per-cluster one while m exports key, and, in the first cluster, which
// holds the broker, the aggregated one while any cluster does. A cluster
// without Lighthouse's namespaces has no Lighthouse: nothing is written
// there. real is nil once no cluster exports key.
func (e *Exporter) writeBookkeeping(ctx context.Context, m *member, key serviceKey, real *mcsv1beta1.ServiceImport, sources []source) error {
	if e.shape != LighthouseShape {
		return nil
	}
	broker := m == e.members[0]
	var want []*mcsv1beta1.ServiceImport
	if real != nil {
		i := slices.IndexFunc(sources, func(src source) bool { return src.cluster == m.ID })
		localIP := ""
		if i >= 0 && net.ParseIP(sources[i].service.Spec.ClusterIP) != nil {
			localIP = sources[i].service.Spec.ClusterIP
		}
		want = shapes.LighthouseBookkeeping(real, m.ID, localIP, broker).Imports
		if i < 0 {
			want = want[1:] // m does not export key: no per-cluster import
		}
	}
	kept := map[string]bool{}
	for _, si := range want {
		switch err := e.applyImport(ctx, m, si); {
		case errors.Is(err, errNamespaceAbsent):
		case err != nil:
			return err
		default:
			kept[si.Namespace] = true
		}
	}
	for ns, name := range map[string]string{
		shapes.LighthouseAgentNamespace:  key.Name + "-" + key.Namespace + "-" + m.ID,
		shapes.LighthouseBrokerNamespace: key.Name + "-" + key.Namespace,
	} {
		if kept[ns] {
			continue
		}
		if err := ignoreNotFound(m.MCS.MulticlusterV1beta1().ServiceImports(ns).Delete(ctx, name, metav1.DeleteOptions{})); err != nil {
			return fmt.Errorf("deleting ServiceImport %s/%s: %w", ns, name, err)
		}
	}
	return nil
}

// applyImport creates or updates the ServiceImport, then its status (a
// subresource).
func (e *Exporter) applyImport(ctx context.Context, m *member, want *mcsv1beta1.ServiceImport) error {
	c := m.MCS.MulticlusterV1beta1().ServiceImports(want.Namespace)
	cur, err := c.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur, err = c.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) {
			return errNamespaceAbsent
		}
	case err != nil:
	case !equality.Semantic.DeepEqual(cur.Spec, want.Spec) || !equality.Semantic.DeepEqual(cur.Annotations, want.Annotations):
		next := cur.DeepCopy()
		next.Spec = want.Spec
		next.Annotations = want.Annotations
		cur, err = c.Update(ctx, next, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("ServiceImport %s/%s: %w", want.Namespace, want.Name, err)
	}
	if equality.Semantic.DeepEqual(cur.Status.Clusters, want.Status.Clusters) {
		return nil
	}
	next := cur.DeepCopy()
	next.Status.Clusters = want.Status.Clusters
	if _, err := c.UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("ServiceImport %s/%s status: %w", want.Namespace, want.Name, err)
	}
	return nil
}

// applySlices writes the wanted slices of key into m and deletes the others
// this shape's controller wrote for key: those of clusters that no longer
// export it and of source slices that are gone.
func (e *Exporter) applySlices(ctx context.Context, m *member, key serviceKey, want []*discoveryv1.EndpointSlice) error {
	c := m.Kube.DiscoveryV1().EndpointSlices(key.Namespace)
	selector := labels.SelectorFromSet(labels.Set{LabelServiceName: key.Name, LabelManagedBy: e.shape.ManagedBy()}).String()
	list, err := c.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("listing EndpointSlices: %w", err)
	}
	have := map[string]*discoveryv1.EndpointSlice{}
	for i := range list.Items {
		have[list.Items[i].Name] = &list.Items[i]
	}
	wanted := map[string]bool{}
	for _, es := range want {
		wanted[es.Name] = true
		if err := applySlice(ctx, m, es, have[es.Name]); err != nil {
			return err
		}
	}
	for name := range have {
		if wanted[name] {
			continue
		}
		if err := ignoreNotFound(c.Delete(ctx, name, metav1.DeleteOptions{})); err != nil {
			return fmt.Errorf("deleting EndpointSlice %s: %w", name, err)
		}
	}
	return nil
}

// applySlice creates want, or updates cur to it. The address type cannot
// change in place: a slice of another type is replaced.
func applySlice(ctx context.Context, m *member, want, cur *discoveryv1.EndpointSlice) error {
	c := m.Kube.DiscoveryV1().EndpointSlices(want.Namespace)
	if cur != nil && cur.AddressType != want.AddressType {
		if err := ignoreNotFound(c.Delete(ctx, cur.Name, metav1.DeleteOptions{})); err != nil {
			return fmt.Errorf("replacing EndpointSlice %s: %w", cur.Name, err)
		}
		cur = nil
	}
	var err error
	switch {
	case cur == nil:
		_, err = c.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) {
			return errNamespaceAbsent
		}
	case equality.Semantic.DeepEqual(cur.Labels, want.Labels) &&
		equality.Semantic.DeepEqual(cur.Endpoints, want.Endpoints) &&
		equality.Semantic.DeepEqual(cur.Ports, want.Ports):
		return nil
	default:
		next := cur.DeepCopy()
		next.Labels, next.Endpoints, next.Ports = want.Labels, want.Endpoints, want.Ports
		_, err = c.Update(ctx, next, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("EndpointSlice %s: %w", want.Name, err)
	}
	return nil
}

// applyDerived makes sure the derived Service of key exists in m with the
// import's ports and returns it, with the ClusterIP m's API server gave it.
func (e *Exporter) applyDerived(ctx context.Context, m *member, key serviceKey, ports []mcsv1beta1.ServicePort) (*corev1.Service, error) {
	want := derivedService(key, ports)
	c := m.Kube.CoreV1().Services(key.Namespace)
	cur, err := c.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur, err = c.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) {
			return nil, errNamespaceAbsent
		}
	case err != nil:
	case !samePorts(cur.Spec.Ports, want.Spec.Ports):
		next := cur.DeepCopy()
		next.Spec.Ports = want.Spec.Ports
		cur, err = c.Update(ctx, next, metav1.UpdateOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("derived Service %s/%s: %w", want.Namespace, want.Name, err)
	}
	return cur, nil
}

func (e *Exporter) deleteDerived(ctx context.Context, m *member, key serviceKey) error {
	name := derivedServiceName(key)
	if err := ignoreNotFound(m.Kube.CoreV1().Services(key.Namespace).Delete(ctx, name, metav1.DeleteOptions{})); err != nil {
		return fmt.Errorf("deleting derived Service %s: %w", name, err)
	}
	return nil
}

// samePorts compares what the exporter sets of a Service's ports, not what
// the API server fills in (targetPort).
func samePorts(a, b []corev1.ServicePort) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Protocol != b[i].Protocol || a[i].Port != b[i].Port ||
			!equality.Semantic.DeepEqual(a[i].AppProtocol, b[i].AppProtocol) {
			return false
		}
	}
	return true
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
