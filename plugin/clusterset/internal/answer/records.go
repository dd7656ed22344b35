package answer

import (
	"bytes"
	"strings"

	"github.com/miekg/dns"
)

// Records returns the node's records as a zone transfer carries them, A,
// AAAA and SRV in the order they are served: owned by owner, with the SRV
// targets named under service (the service's fully qualified name), each
// record its own and sharing no byte with the snapshot. The query path
// makes its records in the reply instead (the handler's reply.go).
func (n *Node) Records(owner, service string, ttl uint32) []dns.RR {
	rrs := make([]dns.RR, 0, n.A().Len()+n.AAAA().Len()+len(n.SRV()))
	hdr := func(rrtype uint16) dns.RR_Header {
		return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
	}
	for a, i := n.A(), 0; i < a.Len(); i++ {
		rrs = append(rrs, &dns.A{Hdr: hdr(dns.TypeA), A: bytes.Clone(a.IP(i))})
	}
	for a, i := n.AAAA(), 0; i < a.Len(); i++ {
		rrs = append(rrs, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: bytes.Clone(a.IP(i))})
	}
	var b strings.Builder
	b.Grow(n.TargetNamesSize(service))
	weight := n.SRVWeight()
	for _, r := range n.SRV() {
		rrs = append(rrs, &dns.SRV{
			Hdr: hdr(dns.TypeSRV), Priority: r.Priority, Weight: weight, Port: r.Port,
			Target: n.TargetName(&b, r.Target, service),
		})
	}
	return rrs
}

// serviceName is the fully qualified name of the service with the lookup
// key "S.N" in the zone origin.
func serviceName(key, origin string) string {
	// The root zone adds no label.
	return key + "." + svcLabel + "." + strings.TrimPrefix(origin, ".")
}
