package answer

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
)

// hostTable holds the names of a headless service's endpoints, `H.C`,
// without a node or a map entry each: an entry is a label and where its
// addresses start, and the label of an endpoint named after its address
// (docs/dns-contract.md, the line "the hostname `H`") is not held at all but derived from the
// address when it is needed. The entries are sorted by cluster, then
// label, and looked up by binary search.
type hostTable struct {
	// clusters are the source clusters of the entries, sorted; starts[c]
	// is the first entry of clusters[c], and starts[len(clusters)] the
	// number of entries.
	clusters []string
	starts   []int32
	hosts    []host
	// v4 and v6 hold every entry's addresses, packed, entry after entry.
	v4, v6 []byte
	// tiered holds the tier ends of the entries whose addresses are in
	// more than one locality tier (a hostname repeated across zones),
	// sorted by entry; nil nearly always.
	tiered []hostTiers
}

// host is one entry: its label, "" when it is its first address's
// (derived), and where its addresses start in the table's v4 and v6, in
// addresses; they end where the next entry's start.
type host struct {
	label  string
	v4, v6 int32
}

type hostTiers struct {
	host              int32
	aTiers, aaaaTiers TierEnds
}

// maxDerivedLabel bounds a derived label: an IPv6 address with its eight
// groups spelled out is 39 octets.
const maxDerivedLabel = 40

func (t *hostTable) len() int {
	if t == nil {
		return 0
	}
	return len(t.hosts)
}

// find returns the entry named prefix ("H.C"), or false.
func (t *hostTable) find(prefix string) (int, bool) {
	if t == nil {
		return 0, false
	}
	dot := strings.IndexByte(prefix, '.')
	if dot < 0 {
		return 0, false
	}
	label, cluster := prefix[:dot], prefix[dot+1:]
	c, ok := slices.BinarySearch(t.clusters, cluster)
	if !ok {
		return 0, false
	}
	lo, hi := int(t.starts[c]), int(t.starts[c+1])
	var buf [maxDerivedLabel]byte
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		// The comparisons of a converted slice do not copy it.
		l := t.appendLabel(buf[:0], mid)
		switch {
		case string(l) == label:
			return mid, true
		case string(l) < label:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

// addrs returns the packed addresses of entry h.
func (t *hostTable) addrs(h int) (v4, v6 []byte) {
	e := &t.hosts[h]
	v4End, v6End := int32(len(t.v4)/4), int32(len(t.v6)/16)
	if h+1 < len(t.hosts) {
		v4End, v6End = t.hosts[h+1].v4, t.hosts[h+1].v6
	}
	return t.v4[4*e.v4 : 4*v4End], t.v6[16*e.v6 : 16*v6End]
}

// a returns the IPv4 addresses of entry h.
func (t *hostTable) a(h int) Addrs {
	v4, _ := t.addrs(h)
	return Addrs{v4, 4, t.tiers(h).aTiers}
}

// aaaa returns the IPv6 addresses of entry h.
func (t *hostTable) aaaa(h int) Addrs {
	_, v6 := t.addrs(h)
	return Addrs{v6, 16, t.tiers(h).aaaaTiers}
}

// tiers returns the tier ends of entry h's addresses: none, unless they
// span tiers.
func (t *hostTable) tiers(h int) hostTiers {
	if len(t.tiered) == 0 {
		return hostTiers{}
	}
	i, ok := slices.BinarySearchFunc(t.tiered, int32(h), func(x hostTiers, h int32) int { return int(x.host - h) })
	if !ok {
		return hostTiers{}
	}
	return t.tiered[i]
}

// firstAddr is the address a derived label of entry h is made from.
func (t *hostTable) firstAddr(h int) netip.Addr {
	v4, v6 := t.addrs(h)
	if len(v4) > 0 {
		return netip.AddrFrom4([4]byte(v4))
	}
	return netip.AddrFrom16([16]byte(v6))
}

// appendLabel appends the label of entry h.
func (t *hostTable) appendLabel(dst []byte, h int) []byte {
	if l := t.hosts[h].label; l != "" {
		return append(dst, l...)
	}
	return appendEndpointHostname(dst, t.firstAddr(h))
}

// cluster returns the cluster of entry h.
func (t *hostTable) cluster(h int) string {
	c, ok := slices.BinarySearch(t.starts, int32(h))
	if !ok {
		c-- // in the cluster that starts before h
	}
	return t.clusters[c]
}

// writeName writes the name prefix of entry h, "H.C".
func (t *hostTable) writeName(b *strings.Builder, h int) {
	if l := t.hosts[h].label; l != "" {
		b.WriteString(l)
	} else {
		var buf [maxDerivedLabel]byte
		b.Write(appendEndpointHostname(buf[:0], t.firstAddr(h)))
	}
	b.WriteByte('.')
	b.WriteString(t.cluster(h))
}

// prefix returns the name prefix of entry h, for tests and transfers.
func (t *hostTable) prefix(h int) string {
	var b strings.Builder
	t.writeName(&b, h)
	return b.String()
}

func (t *hostTable) equal(o *hostTable) bool {
	if t == nil || o == nil {
		return t == o
	}
	return slices.Equal(t.clusters, o.clusters) && slices.Equal(t.starts, o.starts) && slices.Equal(t.hosts, o.hosts) &&
		bytes.Equal(t.v4, o.v4) && bytes.Equal(t.v6, o.v6) &&
		slices.EqualFunc(t.tiered, o.tiered, func(x, y hostTiers) bool {
			return x.host == y.host && slices.Equal(x.aTiers, y.aTiers) && slices.Equal(x.aaaaTiers, y.aaaaTiers)
		})
}
