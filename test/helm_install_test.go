package test

import (
	"reflect"
	"testing"

	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubeadmDNS is the cluster DNS as kubeadm creates it, in the parts the
// chart's cluster-dns variant takes over: its names, its selector, its
// Service's cluster IP, and a role broader than the plugins need.
const kubeadmDNS = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: coredns, namespace: kube-system}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: "system:coredns"}
  rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: "system:coredns"}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
  subjects:
  - {kind: ServiceAccount, name: coredns, namespace: kube-system}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: coredns, namespace: kube-system}
  data:
    Corefile: |
      .:53 {
          errors
          kubernetes cluster.local in-addr.arpa ip6.arpa
          forward . /etc/resolv.conf
      }
- apiVersion: v1
  kind: Service
  metadata:
    name: kube-dns
    namespace: kube-system
    labels: {k8s-app: kube-dns, kubernetes.io/cluster-service: "true", kubernetes.io/name: CoreDNS}
  spec:
    clusterIP: 10.96.0.10
    selector: {k8s-app: kube-dns}
    ports:
    - {name: dns, port: 53, protocol: UDP, targetPort: 53}
    - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
    - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: coredns
    namespace: kube-system
    labels: {k8s-app: kube-dns}
  spec:
    replicas: 2
    selector:
      matchLabels: {k8s-app: kube-dns}
    template:
      metadata:
        labels: {k8s-app: kube-dns}
      spec:
        serviceAccountName: coredns
        containers:
        - name: coredns
          image: stock-coredns:v1
          args: ["-conf", "/etc/coredns/Corefile"]
`

// TestHelmInstallOverKubeadm runs the README's install command of the
// cluster-dns variant against the test bed holding kubeadm's DNS objects
// (written with kubectl, not Helm): the release takes them over in place.
// The Service keeps its cluster IP, the Deployment runs our image with our
// Corefile, and the role is narrowed to what the plugins read. Uninstall
// removes them.
func TestHelmInstallOverKubeadm(t *testing.T) {
	ctx := t.Context()
	admin := bed.Kubeconfig(testbed.AdminUser)
	// apply, not create: TestDeployServiceAccount may have left the
	// ServiceAccount behind. Either way these objects are not Helm's.
	if out, err := kubectl(t, []byte(kubeadmDNS), "--kubeconfig", admin, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("kubectl apply:\n%s", out)
	}
	t.Cleanup(func() {
		// Whatever is left after a failure, by name.
		_, _ = kubectl(t, []byte(kubeadmDNS), "--kubeconfig", admin, "delete", "--ignore-not-found", "--wait=false", "-f", "-")
	})

	ov := overlays[0]
	out, err := helm(t, "install", helmRelease, chartDir(), "--kubeconfig", admin,
		"--namespace", ov.namespace, "--set", "variant="+ov.dir, "--take-ownership", "--force-conflicts")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("helm install:\n%s", out)
	uninstalled := false
	t.Cleanup(func() {
		if !uninstalled {
			_, _ = helm(t, "uninstall", helmRelease, "--kubeconfig", admin, "--namespace", ov.namespace)
		}
	})

	svc, err := bed.Kube.CoreV1().Services(ov.namespace).Get(ctx, ov.service, metav1.GetOptions{})
	must(t, err)
	if svc.Spec.ClusterIP != "10.96.0.10" {
		t.Errorf("Service %s: clusterIP %s, want kubeadm's 10.96.0.10 kept", svc.Name, svc.Spec.ClusterIP)
	}
	if svc.Labels["app.kubernetes.io/managed-by"] != "Helm" {
		t.Errorf("Service %s labels %v: not the release's", svc.Name, svc.Labels)
	}
	d, err := bed.Kube.AppsV1().Deployments(ov.namespace).Get(ctx, ov.deployment, metav1.GetOptions{})
	must(t, err)
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "clusterset-coredns:dev" {
		t.Errorf("Deployment %s runs %s, want clusterset-coredns:dev", d.Name, img)
	}
	if vols := d.Spec.Template.Spec.Volumes; len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != "coredns" {
		t.Errorf("Deployment %s mounts %+v, want ConfigMap coredns", d.Name, vols)
	}
	cm, err := bed.Kube.CoreV1().ConfigMaps(ov.namespace).Get(ctx, "coredns", metav1.GetOptions{})
	must(t, err)
	overlayCM := typed[corev1.ConfigMap](t, find(t, render(t, ov.dir), "ConfigMap"))
	if cm.Data["Corefile"] != overlayCM.Data["Corefile"] {
		t.Errorf("ConfigMap coredns holds:\n%s\nwant deploy/cluster-dns/Corefile:\n%s", cm.Data["Corefile"], overlayCM.Data["Corefile"])
	}
	role, err := bed.Kube.RbacV1().ClusterRoles().Get(ctx, ov.clusterRole, metav1.GetOptions{})
	must(t, err)
	if got := grantOf(role); !reflect.DeepEqual(got, ov.rules) {
		t.Errorf("ClusterRole %s grants %v, want exactly %v", role.Name, got, ov.rules)
	}

	if out, err := helm(t, "uninstall", helmRelease, "--kubeconfig", admin, "--namespace", ov.namespace); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("helm uninstall:\n%s", out)
	}
	uninstalled = true
	if _, err := bed.Kube.AppsV1().Deployments(ov.namespace).Get(ctx, ov.deployment, metav1.GetOptions{}); err == nil {
		t.Errorf("Deployment %s still there after helm uninstall", ov.deployment)
	}
}
