package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// ErrUnsupported is wrapped by Start's error when this host cannot run a
// cluster at all: not root, or no network namespaces. Tests skip on it.
// A missing binary or package is another error (ErrMissing): `make e2e`
// installs them, so a test that meets it fails.
var ErrUnsupported = errors.New("this host cannot run a real cluster")

// ErrMissing is wrapped by Start's error when a binary a cluster runs is
// missing; the error names each one and how to get it.
var ErrMissing = errors.New("missing parts of a real cluster")

// cniDir is where Debian's containernetworking-plugins installs the plugins.
const cniDir = "/usr/lib/cni"

// binaries are the paths of every program a cluster runs.
type binaries struct {
	kubelet, controllerManager, scheduler, kubeProxy string
	containerd, nsenter, ip                          string
}

// findBinaries checks that this host has everything a cluster needs and
// says what is missing, and how to get it, when it has not.
func findBinaries(cluster string) (binaries, error) {
	if os.Geteuid() != 0 {
		return binaries{}, fmt.Errorf("%w: not root (kubelet, containerd and network namespaces need it)", ErrUnsupported)
	}
	var missing []string
	dir := os.Getenv(testbed.EnvDir)
	if dir == "" {
		dir = testbed.CacheDir()
	}
	kube := func(name string) string {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, p+" (make testbins)")
		}
		return p
	}
	system := func(name, pkg string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s; make nodedeps)", name, pkg))
		}
		return p
	}
	b := binaries{
		kubelet:           kube("kubelet"),
		controllerManager: kube("kube-controller-manager"),
		scheduler:         kube("kube-scheduler"),
		kubeProxy:         kube("kube-proxy"),
		containerd:        system("containerd", "containerd"),
		nsenter:           system("nsenter", "util-linux"),
		ip:                system("ip", "iproute2"),
	}
	// Checked, not kept: the images are imported with it (test/nodeimage).
	system("ctr", "containerd")
	system("runc", "runc")
	system("iptables", "iptables")
	if _, _, err := testbed.Binaries(); err != nil {
		missing = append(missing, err.Error())
	}
	for _, plugin := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if _, err := os.Stat(filepath.Join(cniDir, plugin)); err != nil {
			missing = append(missing, filepath.Join(cniDir, plugin)+" (Debian package containernetworking-plugins; make nodedeps)")
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("%w: %s", ErrMissing, strings.Join(missing, "; "))
	}
	if err := netnsWorks(b.ip, cluster); err != nil {
		return b, fmt.Errorf("%w: no network namespaces: %v", ErrUnsupported, err)
	}
	return b, nil
}

// netnsWorks creates and deletes a network namespace (named for the
// cluster: clusters start in parallel).
func netnsWorks(ip, cluster string) error {
	name := fmt.Sprintf("clusterset-probe-%s-%d", cluster, os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	removeNetns(ip, name)
	return nil
}
