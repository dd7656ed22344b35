package shapes

import mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"

// CiliumClusterSetIP is a ClusterSetIP import as Cilium ClusterMesh's MCS
// support writes it: the VIPs of the Service it derives in spec.ips, with
// their families, and no MCS EndpointSlices (Cilium routes the VIP to the
// pods of every cluster itself).
func CiliumClusterSetIP(s Service, vips ...string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.Spec.IPs = vips
	si.Spec.IPFamilies = ipFamilies(vips)
	return Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
}
