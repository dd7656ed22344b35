package cluster

import (
	"fmt"
	"net/netip"
)

// Addresses are the networks of one cluster; see the package doc for the
// plan they follow.
type Addresses struct {
	// HostIP is the host end of the node's link; the API server listens
	// there.
	HostIP netip.Addr
	// NodeIP is the node's InternalIP.
	NodeIP netip.Addr
	// Link is the node's link network (HostIP and NodeIP).
	Link netip.Prefix
	// Pods is the pod network of the node's bridge.
	Pods netip.Prefix
	// Services is --service-cluster-ip-range.
	Services netip.Prefix
	// DNS is the cluster DNS Service IP that kubelet writes into every
	// pod's resolv.conf.
	DNS netip.Addr
}

// AddressesFor returns the addresses of the cluster with index i (1 to 9).
func AddressesFor(i int) (Addresses, error) {
	if i < 1 || i > 9 {
		return Addresses{}, fmt.Errorf("cluster index %d: want 1 to 9", i)
	}
	a := Addresses{
		HostIP:   netip.AddrFrom4([4]byte{10, 250, byte(i), 1}),
		NodeIP:   netip.AddrFrom4([4]byte{10, 250, byte(i), 2}),
		Link:     netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 250, byte(i), 0}), 24),
		Pods:     netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(240 + i), 0, 0}), 16),
		Services: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(90 + i), 0, 0}), 16),
		DNS:      netip.AddrFrom4([4]byte{10, byte(90 + i), 0, 10}),
	}
	return a, nil
}

// linkAddr is addr with the link's prefix length, as `ip addr add` takes it.
func (a Addresses) linkAddr(addr netip.Addr) string {
	return netip.PrefixFrom(addr, a.Link.Bits()).String()
}
