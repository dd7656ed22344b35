package shapes

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"

	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// AnnotationDerivedService names, on an import, the Service the mcs-api
// controller derives from it.
const AnnotationDerivedService = "multicluster.kubernetes.io/derived-service"

// MCSAPIClusterSetIP is a ClusterSetIP import as the mcs-api repository's
// controller leaves it: whoever wrote the import, the controller derives a
// selector-less Service from it and copies that Service's ClusterIP, vip,
// into spec.ips. It sets no spec.ipFamilies and copies no slice.
func MCSAPIClusterSetIP(s Service, vip string) Objects {
	si := s.serviceImport(mcsv1beta1.ClusterSetIP)
	si.Annotations = map[string]string{AnnotationDerivedService: MCSAPIDerivedServiceName(s.Namespace, s.Name)}
	si.Spec.IPs = []string{vip}
	return Objects{Imports: []*mcsv1beta1.ServiceImport{si}}
}

// MCSAPIDerivedServiceName is the mcs-api controller's name for the Service
// it derives from the import namespace/name: "derived-" and ten characters
// of the lowercase base32hex SHA-256 of "namespace/name".
func MCSAPIDerivedServiceName(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return "derived-" + strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:10]
}
