package e2e

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/clusterset-dns/clusterset/test/cluster"
	"github.com/clusterset-dns/clusterset/test/testbed"
)

// holdEnv, when set, keeps the world running after the setup until the
// test binary gets SIGINT or SIGTERM, so that a person can look around in
// it; test/README.md says how.
const holdEnv = "CLUSTERSET_E2E_HOLD"

// holdIfAsked prints how to reach each cluster and waits for a signal.
func (w *world) holdIfAsked() {
	if os.Getenv(holdEnv) == "" {
		return
	}
	fmt.Fprintf(os.Stderr, "\n%s is set: both clusters run until Ctrl-C.\n\n", holdEnv)
	for _, c := range []*cluster.Cluster{w.a, w.b} {
		fmt.Fprintf(os.Stderr, `cluster %[1]s (node %[2]s, pods %[3]s, services %[4]s, DNS %[5]s):
  export KUBECONFIG=%[6]s
  %[7]s get pods -A -o wide
  %[7]s -n demo exec client -- nslookup web.demo.svc.clusterset.local    # cluster b only
  nsenter --net=/run/netns/%[8]s iptables -t nat -S KUBE-SERVICES
  ls %[9]s/logs    # containerd, kubelet, kube-proxy, kube-controller-manager, kube-scheduler

`, c.Name, c.NodeName, c.Addr.Pods, c.Addr.Services, c.Addr.DNS, c.Kubeconfig(testbed.AdminUser), cluster.KubectlBinary(), "clusterset-"+c.Name, c.Dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "stopping the clusters")
}
