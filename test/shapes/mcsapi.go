package shapes

import mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"

// AnnotationDerivedService names, on an import, the Service the mcs-api
// controller derives from it.
const AnnotationDerivedService = "multicluster.kubernetes.io/derived-service"

// MCSAPIClusterSetIP is a ClusterSetIP import as the mcs-api repository's
// controller leaves it: whoever wrote the import, the controller derives a
// selector-less Service from it and copies that Service's ClusterIP, vip,
// into spec.ips. It sets no spec.ipFamilies and copies no slice.
func MCSAPIClusterSetIP(s Service, vip string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.Annotations = map[string]string{AnnotationDerivedService: "derived-" + s.Name}
	si.Spec.IPs = []string{vip}
	return Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
}
