package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// Options configure one cluster.
type Options struct {
	// Name is a short DNS label naming the cluster: its network namespace
	// is clusterset-NAME, its node NAME-node.
	Name string
	// Index (1 to 9) chooses its addresses (AddressesFor).
	Index int
	// Images are docker-archive tarballs imported into the node's
	// containerd before kubelet starts; pods use them with
	// imagePullPolicy Never or IfNotPresent.
	Images []string
	// SandboxImage is the pause image's reference (one of Images).
	SandboxImage string
	// CRDFiles are installed with the MCS CRDs (testbed.Options.CRDFiles).
	CRDFiles []string
	// StartTimeout bounds the whole start; default 3 minutes.
	StartTimeout time.Duration
	// Logf receives progress lines; default none.
	Logf func(format string, args ...any)
}

// Cluster is one running single-node cluster.
type Cluster struct {
	// Bed is the API server and etcd; its clients are the admin's.
	*testbed.Bed
	Name     string
	NodeName string
	Addr     Addresses
	// Dir holds the node's state, configuration and logs.
	Dir string
	// StartTook is how long Start took, from the first step to the node
	// being Ready with the cluster's service accounts in place.
	StartTook time.Duration

	opts    Options
	bins    binaries
	netns   *netns
	cgroups *cgroupTree
	procs   []*named // in start order; stopped in reverse
	stopped bool
}

// named is a started component.
type named struct {
	name string
	p    *testbed.Process
}

const (
	dirPrefix = "clusterset-cluster-"
	ownerFile = "owner.pid"
)

// Start starts one cluster and waits until its node is Ready. On error,
// everything already started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	addr, err := AddressesFor(opts.Index)
	if err != nil {
		return nil, err
	}
	bins, err := findBinaries(opts.Name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	begin := time.Now()

	if err := removeStale(opts.Name, bins, opts.Logf); err != nil {
		return nil, fmt.Errorf("cluster %s: removing what a dead run left: %w", opts.Name, err)
	}
	dir, err := os.MkdirTemp("", dirPrefix+opts.Name+"-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{Name: opts.Name, NodeName: opts.Name + "-node", Addr: addr, Dir: dir, opts: opts, bins: bins}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if err := saveHostSysctls(); err != nil {
		return nil, err
	}
	if c.netns, err = newNetns(bins, netnsName(opts.Name), addr); err != nil {
		return nil, err
	}
	if c.cgroups, err = newCgroupTree(cgroupName(opts.Name)); err != nil {
		return nil, err
	}
	step := func(what string) {
		opts.Logf("cluster %s: %s after %v", opts.Name, what, time.Since(begin).Round(time.Millisecond))
	}
	step("network namespace " + c.netns.name + " and cgroups ready")

	if c.Bed, err = testbed.Start(ctx, testbed.Options{
		Address:               addr.HostIP.String(),
		ServiceClusterIPRange: addr.Services.String(),
		CRDFiles:              opts.CRDFiles,
		Users:                 c.componentUsers(),
		// The Node authorizer and NodeRestriction give kubelet exactly its
		// node's objects, as kubeadm configures them.
		Authorization: "Node,RBAC",
		APIServerArgs: []string{
			"--enable-admission-plugins=NodeRestriction",
			// kubectl exec and logs reach kubelet at the node's address;
			// its host name means nothing outside the namespace.
			"--kubelet-preferred-address-types=InternalIP",
		},
		Logf: opts.Logf,
	}); err != nil {
		return nil, err
	}
	step("API server ready at " + c.URL)

	if err := c.writeNodeConfig(); err != nil {
		return nil, err
	}
	if err := c.startContainerd(ctx); err != nil {
		return nil, err
	}
	step("containerd ready, images imported")
	if err := c.startControlPlane(); err != nil {
		return nil, err
	}
	if err := c.startKubelet(); err != nil {
		return nil, err
	}
	if err := c.startKubeProxy(); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("cluster %s: %w\n%s", opts.Name, err, c.Logs(3000))
	}
	c.StartTook = time.Since(begin)
	step("node " + c.NodeName + " Ready")
	return c, nil
}

// StartAll starts the clusters in parallel. On any error it stops every
// cluster it started and returns the errors joined.
func StartAll(ctx context.Context, opts ...Options) ([]*Cluster, error) {
	cs := make([]*Cluster, len(opts))
	errs := make([]error, len(opts))
	var wg sync.WaitGroup
	for i := range opts {
		wg.Go(func() { cs[i], errs[i] = Start(ctx, opts[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range cs {
			c.Stop()
		}
		return nil, err
	}
	return cs, nil
}

// Stop stops the cluster and removes every trace of it from the host; see
// the package doc. It is safe to call more than once and on a nil Cluster.
func (c *Cluster) Stop() {
	if c == nil || c.stopped {
		return
	}
	c.stopped = true
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].p.Kill(10 * time.Second)
	}
	if c.netns != nil {
		killNetns(c.netns.name)
	}
	if c.cgroups != nil {
		c.cgroups.remove()
	}
	unmountUnder(c.Dir)
	if c.netns != nil {
		c.netns.remove()
	}
	removeLogLinks(c.Dir)
	c.Bed.Stop()
	if os.Getenv("TESTBED_KEEP") == "" {
		os.RemoveAll(c.Dir)
	}
	restoreHostSysctlsIfLast()
}

// Logs returns the tails (at most n bytes each) of every component's
// output, for failure messages.
func (c *Cluster) Logs(n int) string {
	var s string
	if c.Bed != nil {
		s = c.Bed.Logs(n)
	}
	for _, p := range c.procs {
		s += fmt.Sprintf("--- %s ---\n%s", p.name, p.p.Tail(n))
	}
	return s
}

// componentUsers are the identities the node and control-plane components
// authenticate as; the API server's bootstrap RBAC already binds each.
func (c *Cluster) componentUsers() []testbed.User {
	return []testbed.User{
		{Name: "system:node:" + c.NodeName, Groups: []string{"system:nodes"}},
		{Name: userKubeProxy},
		{Name: userControllerManager},
		{Name: userScheduler},
	}
}

const (
	userKubeProxy         = "system:kube-proxy"
	userControllerManager = "system:kube-controller-manager"
	userScheduler         = "system:kube-scheduler"
)
