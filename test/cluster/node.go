package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clusterset-dns/clusterset/test/nodeimage"
	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodePaths are the files and directories of the node under Cluster.Dir.
type nodePaths struct{ dir string }

func (p nodePaths) at(parts ...string) string {
	return filepath.Join(append([]string{p.dir}, parts...)...)
}
func (p nodePaths) containerdConfig() string { return p.at("containerd", "config.toml") }
func (p nodePaths) containerdSocket() string { return p.at("containerd", "containerd.sock") }
func (p nodePaths) cniConfDir() string       { return p.at("cni", "net.d") }
func (p nodePaths) kubeletConfig() string    { return p.at("kubelet", "config.yaml") }
func (p nodePaths) kubeletRoot() string      { return p.at("kubelet", "root") }
func (p nodePaths) kubeProxyConfig() string  { return p.at("kube-proxy", "config.yaml") }
func (p nodePaths) resolvConf() string       { return p.at("resolv.conf") }
func (p nodePaths) log(component string) string {
	return p.at("logs", component+".log")
}

func (c *Cluster) paths() nodePaths { return nodePaths{c.Dir} }

// snapshotter is where containerd unpacks images; overlayfs needs no copy
// per container.
const snapshotter = "overlayfs"

// writeNodeConfig writes the configuration files of containerd, the CNI
// network, kubelet and kube-proxy.
func (c *Cluster) writeNodeConfig() error {
	p := c.paths()
	for _, d := range []string{p.at("containerd"), p.cniConfDir(), p.at("cni", "ipam"), p.kubeletRoot(), p.at("kube-proxy"), p.at("logs", "pods")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	files := map[string]string{
		p.containerdConfig(): c.containerdConfig(),
		filepath.Join(p.cniConfDir(), "10-bridge.conflist"): c.cniConfig(),
		p.kubeletConfig():   c.kubeletConfig(),
		p.kubeProxyConfig(): c.kubeProxyConfig(),
		// The "host" resolver of the node: kubelet copies it into pods of
		// dnsPolicy Default (the cluster DNS itself, whose forward plugin
		// reads it). Nothing listens there: a name the cluster does not
		// serve is refused at once, and nothing leaves the namespace.
		p.resolvConf(): "nameserver " + c.Addr.NodeIP.String() + "\n",
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig is containerd 1.6's configuration: everything under the
// cluster's directory, runc with cgroupfs (containerd 1.6 cannot tell
// kubelet its cgroup driver), no attempt to lower oom_score_adj (the VM
// has no CAP_SYS_RESOURCE), runc's state and the pods' network namespaces
// in the cluster's directory too, so that a stop finds them.
func (c *Cluster) containerdConfig() string {
	p := c.paths()
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q

[grpc]
  address = %[3]q

[ttrpc]
  address = %[4]q

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = %[5]q
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = %[6]q
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = %[7]q
      conf_dir = %[8]q
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = %[9]q
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = %[10]q
`, p.at("containerd", "root"), p.at("containerd", "state"), p.containerdSocket(), p.containerdSocket()+".ttrpc",
		p.at("containerd", "opt"), c.opts.SandboxImage, cniDir, p.cniConfDir(), snapshotter, p.at("containerd", "runc"))
}

// cniConfig is a bridge network over the cluster's pod range, masqueraded
// when it leaves the node (for the API server on the host end of the link).
func (c *Cluster) cniConfig() string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": %[1]q,
  "plugins": [
    {
      "type": "bridge",
      "bridge": %[4]q,
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": %[2]q,
        "ranges": [[{"subnet": %[3]q}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, netnsName(c.Name), c.paths().at("cni", "ipam"), c.Addr.Pods.String(), bridgeName)
}

// kubeletConfig is the KubeletConfiguration. The API server reaches kubelet
// (exec, logs) without a client certificate, so kubelet lets any caller in
// its namespace: nothing outside the host can reach the node's address.
// syncFrequency and the Watch strategy make a ConfigMap change reach the
// pods' volumes within seconds, as the reload test needs.
func (c *Cluster) kubeletConfig() string {
	p := c.paths()
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
cgroupRoot: /%[2]s
failCgroupV1: false
oomScoreAdj: 0
clusterDNS: [%[3]s]
clusterDomain: cluster.local
resolvConf: %[4]s
containerRuntimeEndpoint: unix://%[5]s
podLogsDir: %[6]s
syncFrequency: 5s
configMapAndSecretChangeDetectionStrategy: Watch
failSwapOn: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%%
  imagefs.available: 1%%
  nodefs.inodesFree: 1%%
shutdownGracePeriod: 0s
`, c.Addr.NodeIP, cgroupName(c.Name), c.Addr.DNS, p.resolvConf(), p.containerdSocket(), p.at("logs", "pods"))
}

// kubeProxyConfig is kube-proxy in iptables mode. The conntrack settings
// are left as they are (0): a network namespace may not change them.
func (c *Cluster) kubeProxyConfig() string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %[1]s
hostnameOverride: %[2]s
mode: iptables
clusterCIDR: %[3]s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, c.Kubeconfig(userKubeProxy), c.NodeName, c.Addr.Pods)
}

// start starts bin inside the cluster's network namespace and records it.
func (c *Cluster) start(component, bin string, args ...string) (*testbed.Process, error) {
	p, err := testbed.StartProcess(c.bins.nsenter, c.paths().log(component), nil, c.netns.wrap(bin, args...)...)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", component, err)
	}
	c.procs = append(c.procs, &named{name: component, p: p})
	return p, nil
}

// startContainerd starts containerd, waits for its socket to answer and
// imports the images.
func (c *Cluster) startContainerd(ctx context.Context) error {
	p, err := c.start("containerd", c.bins.containerd, "--config", c.paths().containerdConfig(), "--log-level", "warn")
	if err != nil {
		return err
	}
	for {
		if conn, err := net.Dial("unix", c.paths().containerdSocket()); err == nil {
			conn.Close()
			break
		}
		select {
		case <-p.Done():
			return fmt.Errorf("containerd exited:\n%s", p.Tail(4000))
		case <-ctx.Done():
			return fmt.Errorf("containerd did not listen: %w\n%s", ctx.Err(), p.Tail(4000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, img := range c.opts.Images {
		if err := c.ImportImage(ctx, img); err != nil {
			return err
		}
	}
	return nil
}

// ImportImage imports a docker-archive tarball into the node's containerd
// and unpacks it for the CRI plugin's snapshotter, where kubelet finds it.
func (c *Cluster) ImportImage(ctx context.Context, tarball string) error {
	node := nodeimage.Containerd{Address: c.paths().containerdSocket(), Snapshotter: snapshotter}
	if err := node.Import(ctx, tarball); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// startControlPlane starts kube-controller-manager and kube-scheduler. They
// run in the namespace too, so two clusters' ports never meet.
func (c *Cluster) startControlPlane() error {
	cm := c.Kubeconfig(userControllerManager)
	if _, err := c.start("kube-controller-manager", c.bins.controllerManager,
		"--kubeconfig="+cm, "--authentication-kubeconfig="+cm, "--authorization-kubeconfig="+cm,
		// Every controller, each with its own service account, as kubeadm
		// runs them; kube-root-ca.crt is published from the API server's CA.
		"--controllers=*",
		"--use-service-account-credentials=true",
		"--root-ca-file="+c.CAFile,
		"--service-account-private-key-file="+c.ServiceAccountKeyFile(),
		"--service-cluster-ip-range="+c.Addr.Services.String(),
		"--cluster-name="+c.Name,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--v=1",
	); err != nil {
		return err
	}
	s := c.Kubeconfig(userScheduler)
	_, err := c.start("kube-scheduler", c.bins.scheduler,
		"--kubeconfig="+s, "--authentication-kubeconfig="+s, "--authorization-kubeconfig="+s,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--v=1",
	)
	return err
}

func (c *Cluster) startKubelet() error {
	_, err := c.start("kubelet", c.bins.kubelet,
		"--config="+c.paths().kubeletConfig(),
		"--kubeconfig="+c.Kubeconfig("system:node:"+c.NodeName),
		"--hostname-override="+c.NodeName,
		"--node-ip="+c.Addr.NodeIP.String(),
		"--root-dir="+c.paths().kubeletRoot(),
		"--v=1",
	)
	return err
}

func (c *Cluster) startKubeProxy() error {
	_, err := c.start("kube-proxy", c.bins.kubeProxy, "--config="+c.paths().kubeProxyConfig(), "--v=1")
	return err
}

// waitReady waits until the node is Ready and the namespaces' default
// service accounts and kube-root-ca.crt exist: then a pod can be created
// and can reach the API.
func (c *Cluster) waitReady(ctx context.Context) error {
	var last string
	for {
		last = c.notReady(ctx)
		if last == "" {
			return nil
		}
		for _, p := range c.procs {
			if done, err := p.p.Exited(); done {
				return fmt.Errorf("%s exited (%v)", p.name, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %s: %w", last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// notReady says what the cluster still lacks, or "".
func (c *Cluster) notReady(ctx context.Context) string {
	node, err := c.Kube.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
	if err != nil {
		return "node: " + err.Error()
	}
	ready := false
	var conds []string
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			ready = cond.Status == corev1.ConditionTrue
			conds = append(conds, fmt.Sprintf("%s=%s (%s)", cond.Type, cond.Status, cond.Message))
		}
	}
	if !ready {
		return "node not Ready: " + strings.Join(conds, ", ")
	}
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem} {
		if _, err := c.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return "service account " + ns + "/default: " + err.Error()
		}
		if _, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
			return "config map " + ns + "/kube-root-ca.crt: " + err.Error()
		}
	}
	return ""
}
