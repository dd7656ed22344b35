package shapes

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// ManagedByCloudMap is the managed-by value of the slices of the AWS Cloud
// Map MCS controller.
const ManagedByCloudMap = "aws-cloud-map-mcs-controller-for-k8s"

// CloudMapClusterSetIP is a ClusterSetIP service as the AWS Cloud Map MCS
// controller imports it: the ClusterIP of the Service it derives in
// spec.ips, and each cluster's pods, read from Cloud Map, in slices
// labelled with the source cluster and the derived Service's name.
func CloudMapClusterSetIP(s Service, vip string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.Spec.IPs = []string{vip}
	return s.cloudMapObjects(si)
}

// CloudMapHeadless is a headless service as the Cloud Map controller
// imports it: the import with its ports, and the pods in slices.
func CloudMapHeadless(s Service) Objects {
	return s.cloudMapObjects(s.serviceImport(mcsv1beta1.Headless))
}

func (s Service) cloudMapObjects(si *mcsv1beta1.ServiceImport) Objects {
	o := Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
	labels := map[string]string{discoveryv1.LabelServiceName: "imported-" + s.Name}
	for _, m := range s.Members {
		o.Slices = append(o.Slices, s.podSlices(m, labels, ManagedByCloudMap)...)
	}
	return o
}
