package shapes

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// What Submariner's Lighthouse agent writes besides the KEP-1645 labels.
const (
	// ManagedByLighthouse is the managed-by value of its slices.
	ManagedByLighthouse = "lighthouse-agent.submariner.io"
	// LabelLighthouseSourceNamespace and LabelLighthouseIsHeadless are on
	// its slices; the source namespace is also on its per-cluster imports.
	LabelLighthouseSourceNamespace = "lighthouse.submariner.io/sourceNamespace"
	LabelLighthouseIsHeadless      = "lighthouse.submariner.io/is-headless"
	// LighthouseAgentNamespace holds the agent and its per-cluster
	// imports; LighthouseBrokerNamespace the broker's aggregated imports,
	// in the cluster the broker shares. Both are the default install's.
	LighthouseAgentNamespace  = "submariner-operator"
	LighthouseBrokerNamespace = "submariner-k8s-broker"
)

// LighthouseClusterSetIP is a ClusterSetIP service as Lighthouse imports it
// with its clusterset-IP feature off (the default): an import without
// spec.ips or spec.ipFamilies, and one slice per exporting cluster whose
// only endpoint is that cluster's Service ClusterIP, ready while the
// Service has a ready pod there.
func LighthouseClusterSetIP(s Service) Objects {
	o := Objects{Imports: []*mcsv1beta1.ServiceImport{s.serviceImport(mcsv1beta1.ClusterSetIP)}}
	for _, m := range s.Members {
		at := addressType(m.ServiceIP)
		o.Slices = append(o.Slices, &discoveryv1.EndpointSlice{
			ObjectMeta:  s.sliceMeta(m.Cluster, string(at), lighthouseSliceLabels(s, false), ManagedByLighthouse),
			AddressType: at,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses:  []string{m.ServiceIP},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr(m.anyReady())},
			}},
			Ports: s.slicePorts(),
		})
	}
	return o
}

// LighthouseHeadless is a headless service as Lighthouse imports it: an
// import with `ports: []` and no spec.ipFamilies, and each cluster's pods
// copied into slices that carry the ports.
func LighthouseHeadless(s Service) Objects {
	si := s.serviceImport(mcsv1beta1.Headless)
	si.Spec.Ports = []mcsv1beta1.ServicePort{}
	o := Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
	for _, m := range s.Members {
		o.Slices = append(o.Slices, s.podSlices(m, lighthouseSliceLabels(s, true), ManagedByLighthouse)...)
	}
	return o
}

// LighthouseBookkeeping are the imports Lighthouse keeps for itself beside
// real, the import of a service in its namespace, none of them a service of
// the ClusterSet: in its agent's namespace, `S-N-C` for the local cluster
// C's export, labelled with the service name, source namespace and source
// cluster, with the local Service's ClusterIP (localServiceIP, ClusterSetIP
// services only) in spec.ips; and, where the broker shares the cluster,
// the aggregated `S-N` in the broker's namespace, without spec.ips, which
// carries the service name and namespace as annotations only.
func LighthouseBookkeeping(real *mcsv1beta1.ServiceImport, local, localServiceIP string, broker bool) Objects {
	perCluster := real.DeepCopy()
	perCluster.ObjectMeta = metav1.ObjectMeta{
		Namespace: LighthouseAgentNamespace,
		Name:      real.Name + "-" + real.Namespace + "-" + local,
		Labels: map[string]string{
			LabelServiceName:               real.Name,
			LabelLighthouseSourceNamespace: real.Namespace,
			LabelSourceCluster:             local,
		},
	}
	perCluster.Spec.IPs = nil
	if real.Spec.Type == mcsv1beta1.ClusterSetIP && localServiceIP != "" {
		perCluster.Spec.IPs = []string{localServiceIP}
	}
	perCluster.Status.Clusters = []mcsv1beta1.ClusterStatus{{Cluster: local}}
	o := Objects{Imports: []*mcsv1beta1.ServiceImport{perCluster}}
	if broker {
		aggregated := real.DeepCopy()
		aggregated.ObjectMeta = metav1.ObjectMeta{
			Namespace: LighthouseBrokerNamespace,
			Name:      real.Name + "-" + real.Namespace,
			Annotations: map[string]string{
				LabelServiceName:               real.Name,
				LabelLighthouseSourceNamespace: real.Namespace,
			},
		}
		aggregated.Spec.IPs = nil
		o.Imports = append(o.Imports, aggregated)
	}
	return o
}

func lighthouseSliceLabels(s Service, headless bool) map[string]string {
	return map[string]string{LabelLighthouseSourceNamespace: s.Namespace, LabelLighthouseIsHeadless: boolString(headless)}
}
