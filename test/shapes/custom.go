package shapes

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// A custom implementation, as an operator might write one: it keeps its own
// state in ServiceImports beside the real ones, in the same namespaces,
// and labels every import it writes with what the import is for.
const (
	// LabelCustomRole is on every import of the custom implementation:
	// CustomRoleService on the services, another value on its own state.
	LabelCustomRole   = "mcs.example.org/role"
	CustomRoleService = "service"
	CustomRoleState   = "export-state"
	// ManagedByCustom is the managed-by value of its slices.
	ManagedByCustom = "mcs.example.org"
)

// CustomClusterSetIP is a ClusterSetIP service of the custom
// implementation: a VIP, spec.ipFamilies left unset, and the pods of every
// cluster in slices.
func CustomClusterSetIP(s Service, vips ...string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.Labels = map[string]string{LabelCustomRole: CustomRoleService}
	si.Spec.IPs = vips
	o := Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
	for _, m := range s.Members {
		o.Slices = append(o.Slices, s.podSlices(m, nil, ManagedByCustom)...)
	}
	return o
}

// CustomBookkeeping is the custom implementation's state for s: an import
// `S-state` in the service's own namespace, labelled as state, whose
// spec.ips point at the implementation's own controller. No namespace
// list can leave it out; the label can.
func CustomBookkeeping(s Service, controllerIP string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.ObjectMeta = metav1.ObjectMeta{
		Namespace: s.Namespace,
		Name:      s.Name + "-state",
		Labels:    map[string]string{LabelCustomRole: CustomRoleState},
	}
	si.Spec.IPs = []string{controllerIP}
	return Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
}
