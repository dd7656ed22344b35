package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// netns is a cluster's network namespace and the link between it and the
// host: the node's eth0 inside, hostLink outside.
type netns struct {
	ip       string // the ip binary
	name     string
	hostLink string
}

func netnsName(cluster string) string { return "clusterset-" + cluster }

// hostLinkName is the host end of the node's link (at most 15 bytes).
func hostLinkName(cluster string) string { return "cs-" + cluster }

func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

// newNetns creates the namespace, the node's link with both its addresses,
// and inside a default route onto the link with no gateway: addresses
// beyond the link have no neighbour that answers, so nothing from the
// cluster leaves it (the host does not forward), while Service IPs, which
// kube-proxy rewrites, still have a route to be looked up in.
func newNetns(bins binaries, name string, a Addresses) (*netns, error) {
	n := &netns{ip: bins.ip, name: name, hostLink: hostLinkName(strings.TrimPrefix(name, "clusterset-"))}
	steps := [][]string{
		{"netns", "add", name},
		{"link", "add", n.hostLink, "type", "veth", "peer", "name", "eth0", "netns", name},
		{"addr", "add", a.linkAddr(a.HostIP), "dev", n.hostLink},
		{"link", "set", n.hostLink, "up"},
		{"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "addr", "add", a.linkAddr(a.NodeIP), "dev", "eth0"},
		{"-n", name, "link", "set", "eth0", "up"},
		{"-n", name, "route", "add", "default", "dev", "eth0"},
		// The pods' bridge, made before the CNI plugin finds it, with a MAC
		// of its own: a Linux bridge otherwise takes the lowest MAC of its
		// ports, so it changes when that pod goes, and every other pod's
		// packets to its gateway are dropped until its neighbour entry is
		// refreshed (a second of lost DNS queries at each pod deletion).
		// kubenet pinned cbr0's MAC for the same reason.
		{"-n", name, "link", "add", bridgeName, "address", bridgeMAC(a), "type", "bridge"},
		{"-n", name, "link", "set", bridgeName, "up"},
	}
	for _, args := range steps {
		if out, err := exec.Command(n.ip, args...).CombinedOutput(); err != nil {
			n.remove()
			return nil, fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	// Bridged pod traffic must pass iptables for kube-proxy's Service rules
	// (per namespace since Linux 5.3); forwarding lets pods reach the node's
	// link.
	for _, kv := range []string{"net.bridge.bridge-nf-call-iptables=1", "net.ipv4.ip_forward=1"} {
		if out, err := n.command(bins.nsenter, "sysctl", "-qw", kv).CombinedOutput(); err != nil {
			n.remove()
			return nil, fmt.Errorf("sysctl %s in %s: %v: %s", kv, name, err, out)
		}
	}
	return n, nil
}

// command runs bin with args inside the namespace (network only: the
// mounts kubelet makes must be seen by containerd and runc).
func (n *netns) command(nsenter, bin string, args ...string) *exec.Cmd {
	return exec.Command(nsenter, n.wrap(bin, args...)...)
}

// wrap returns nsenter's arguments that run bin with args inside the
// namespace. nsenter execs bin without forking, so the PID is bin's.
func (n *netns) wrap(bin string, args ...string) []string {
	return append([]string{"--net=" + netnsPath(n.name), "--", bin}, args...)
}

// bridgeName is the pods' bridge (the CNI configuration names it too).
const bridgeName = "cni0"

// bridgeMAC is a locally administered MAC made of the node's address.
func bridgeMAC(a Addresses) string {
	ip := a.NodeIP.As4()
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", ip[0], ip[1], ip[2], ip[3])
}

// remove deletes the namespace; the link goes with it.
func (n *netns) remove() {
	if n == nil {
		return
	}
	removeNetns(n.ip, n.name)
}

func removeNetns(ip, name string) {
	_ = exec.Command(ip, "netns", "delete", name).Run()
	// `ip netns delete` leaves the file when the unmount failed.
	_ = syscall.Unmount(netnsPath(name), syscall.MNT_DETACH)
	_ = os.Remove(netnsPath(name))
}

// killNetns kills every process in the named namespace: what the cluster
// started and stopped already is gone; containerd's shims, which
// daemonize, are found here.
func killNetns(name string) {
	var st syscall.Stat_t
	if err := syscall.Stat(netnsPath(name), &st); err != nil {
		return
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	for range 3 {
		pids := processesWhere(func(pid int) bool {
			link, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", "net"))
			return err == nil && link == want
		})
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		waitGone(pids, 5*time.Second)
	}
}

// processesWhere lists the PIDs of /proc that match.
func processesWhere(match func(pid int) bool) []int {
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if match(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGone waits until none of pids exists, at most timeout.
func waitGone(pids []int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		alive := false
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
				alive = true
				break
			}
		}
		if !alive {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
